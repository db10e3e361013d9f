package io.jkvm.core.kvm;

import io.jkvm.devices.memory.GuestMemory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real VM for the binding tests: 512 KiB of RAM at guest address 0 in slot 0, one vCPU in real mode with CS base 0
 * (code at {@link #CODE}) and DS at {@link #DATA_SEGMENT_BASE}, outside RAM, so that DS stores are MMIO.
 * Every run has a watchdog: a vCPU that does not come back within {@link #WATCHDOG_SECONDS} is kicked and the
 * test fails instead of hanging.
 */
final class RealModeGuest implements AutoCloseable {
    static final long RAM_SIZE = 0x80000;
    static final int CODE = 0x1000;
    static final int STACK_TOP = 0x8000;
    static final long DATA_SEGMENT_BASE = 0xd0000;
    static final int WATCHDOG_SECONDS = 30;

    /** One userspace exit, flattened: port or guest physical address, access size, data, and whether a write. */
    record Exit(int reason, long address, int size, long data, boolean write) {
        static Exit io(int port, int size, long data) {
            return new Exit(KvmExit.IO, port, size, data, true);
        }

        static Exit mmioWrite(long address, int size, long data) {
            return new Exit(KvmExit.MMIO, address, size, data, true);
        }

        @Override
        public String toString() {
            return String.format("%s %s 0x%x size %d data 0x%x", KvmExit.name(reason), write ? "write" : "read",
                    address, size, data);
        }
    }

    final Kvm kvm;
    final VmFd vm;
    final MmapRegion ram;
    final GuestMemory memory;
    final VcpuFd vcpu;
    final KvmRun run;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vcpu-watchdog");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean timedOut;

    RealModeGuest(boolean irqchip) {
        kvm = Kvm.open();
        vm = kvm.createVm();
        ram = MmapRegion.anonymous(RAM_SIZE);
        memory = new GuestMemory(ram.regions(0));
        vm.setUserMemoryRegion(0, 0, 0, RAM_SIZE, ram.hostAddress());
        if (irqchip) {
            vm.createIrqchip();
        }
        vcpu = vm.createVcpu(0);
        run = vcpu.kvmRun();
        vcpu.setCpuid2(kvm.supportedCpuid());

        KvmSregs sregs = new KvmSregs();
        vcpu.getSregs(sregs);
        sregs.cs().base(0).selector(0);
        sregs.ss().base(0).selector(0);
        sregs.ds().base(DATA_SEGMENT_BASE).selector((int) (DATA_SEGMENT_BASE >> 4));
        vcpu.setSregs(sregs);
    }

    /** Copies code to {@link #CODE} and points rip at it, with a fresh stack and interrupts off. */
    void load(byte[] code) {
        memory.write(CODE, code, 0, code.length);
        KvmRegs regs = new KvmRegs().rip(CODE).rsp(STACK_TOP).rflags(2);
        vcpu.setRegs(regs);
    }

    /** One KVM_RUN, under the watchdog; the exit it returned. */
    int runOnce() {
        ScheduledFuture<?> kick = watchdog.schedule(() -> {
            timedOut = true;
            vcpu.kick();
        }, WATCHDOG_SECONDS, TimeUnit.SECONDS);
        int reason;
        try {
            reason = vcpu.run();
        } finally {
            kick.cancel(false);
        }
        if (timedOut) {
            fail("the vCPU did not exit within " + WATCHDOG_SECONDS + " s");
        }
        return reason;
    }

    /** Runs to the next exit and flattens it; fails on anything but an I/O or MMIO exit or hlt. */
    Exit next() {
        int reason = runOnce();
        switch (reason) {
            case KvmExit.IO:
                if (run.ioCount() != 1) {
                    fail("string I/O in a test program: " + run.describe());
                }
                return new Exit(reason, run.ioPort(), run.ioSize(), run.ioData(), run.ioDirection() == KvmExit.IO_OUT);
            case KvmExit.MMIO:
                return new Exit(reason, run.mmioPhysAddr(), run.mmioLen(), run.mmioData(), run.mmioIsWrite());
            case KvmExit.HLT:
                return new Exit(reason, 0, 0, 0, false);
            default:
                fail("unexpected exit: " + run.describe() + " at rip 0x" + Long.toHexString(rip()));
                return null;
        }
    }

    /** Runs until hlt (no irqchip: hlt exits to userspace); the userspace exits on the way, in order. */
    List<Exit> exitsUntilHlt() {
        List<Exit> exits = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Exit e = next();
            if (e.reason() == KvmExit.HLT) {
                return exits;
            }
            exits.add(e);
        }
        fail("no hlt after 100 exits: " + exits);
        return exits;
    }

    long rip() {
        KvmRegs regs = new KvmRegs();
        vcpu.getRegs(regs);
        return regs.rip();
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
        vcpu.close();
        vm.close();
        kvm.close();
        ram.close();
    }
}
