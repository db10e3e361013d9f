package io.jkvm.core.vm;

import io.jkvm.core.bus.IoBus;
import io.jkvm.core.kvm.KvmException;
import io.jkvm.core.kvm.KvmExit;
import io.jkvm.core.kvm.KvmLapicState;
import io.jkvm.core.kvm.KvmRegs;
import io.jkvm.core.kvm.KvmRun;
import io.jkvm.core.kvm.KvmSregs;
import io.jkvm.core.kvm.VcpuFd;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One vCPU's KVM_RUN loop on its own platform thread. Port I/O and MMIO exits go to the buses on this thread; an
 * exit that ends the VM (reset, shutdown, entry failure, internal error) is reported once through {@link VmStop}.
 * So is anything thrown on this thread, an Error included: a vCPU thread that ended silently would leave
 * {@link VmStop} waiting forever.
 */
final class Vcpu implements Runnable {
    private static final int EAGAIN = 11;

    private final VcpuFd fd;
    private final IoBus pio;
    private final IoBus mmio;
    private final VmStop stop;
    private final PauseGate gate;
    final ExitCounters counters = new ExitCounters();
    /** Made in advance: when the heap is exhausted, describing the failure may itself fail. */
    private final VmExit died;
    /** A stall report waiting for this vCPU's registers, or null. */
    private final AtomicReference<CompletableFuture<String>> stateRequest = new AtomicReference<>();

    Vcpu(VcpuFd fd, IoBus pio, IoBus mmio, VmStop stop, PauseGate gate) {
        this.fd = fd;
        this.gate = gate;
        this.pio = pio;
        this.mmio = mmio;
        this.stop = stop;
        this.died = VmExit.failed("vCPU " + fd.id() + ": its thread failed");
    }

    VcpuFd fd() {
        return fd;
    }

    Thread start() {
        Thread t = new Thread(this, "vcpu" + fd.id());
        t.setDaemon(true); // a vCPU halted in KVM_RUN must never keep the process alive
        t.setUncaughtExceptionHandler((thread, e) -> stop.stop(died));
        t.start();
        return t;
    }

    @Override
    public void run() {
        KvmRun run = fd.kvmRun();
        BootTimes.reached(BootTimes.Step.FIRST_VCPU_ENTRY);
        try {
            while (!stop.stopped()) {
                gate.parkIfPaused();
                if (stop.stopped()) {
                    break;
                }
                int reason;
                try {
                    reason = fd.run();
                } catch (KvmException e) {
                    if (e.errno() == EAGAIN) {
                        // An application processor still waiting for INIT/SIPI: KVM wants KVM_RUN again (x86.c).
                        continue;
                    }
                    throw e;
                }
                counters.exit(reason);
                switch (reason) {
                    case KvmExit.IO:
                        io(run);
                        break;
                    case KvmExit.MMIO:
                        mmio(run);
                        break;
                    case KvmExit.INTR:
                        answerStateRequest();
                        break; // kicked: the loop condition decides
                    case KvmExit.HLT:
                        stop.stop(VmExit.ok("vCPU " + fd.id() + " halted"));
                        break;
                    case KvmExit.SYSTEM_EVENT:
                        systemEvent(run);
                        break;
                    case KvmExit.SHUTDOWN:
                        fail("the guest shut the vCPU down (triple fault)", run);
                        break;
                    default:
                        fail("unexpected exit", run);
                        break;
                }
            }
        } catch (Throwable e) {
            failed(e);
        }
    }

    private void failed(Throwable e) {
        try {
            stop.stop(VmExit.failed("vCPU " + fd.id() + ": " + Failures.describe(e)));
        } catch (Throwable again) {
            stop.stop(died);
        }
    }

    private void io(KvmRun run) {
        int port = run.ioPort();
        int size = run.ioSize();
        int count = run.ioCount();
        counters.pio.increment(port);
        if (run.ioDirection() == KvmExit.IO_OUT) {
            for (int i = 0; i < count; i++) {
                pio.write(port, size, run.ioData(i));
            }
        } else {
            for (int i = 0; i < count; i++) {
                run.setIoData(i, pio.read(port, size));
            }
        }
    }

    private void mmio(KvmRun run) {
        long address = run.mmioPhysAddr();
        int len = run.mmioLen();
        counters.mmio.increment(address);
        if (run.mmioIsWrite()) {
            mmio.write(address, len, run.mmioData());
        } else {
            run.setMmioData(mmio.read(address, len));
        }
    }

    private void systemEvent(KvmRun run) {
        int type = run.systemEventType();
        if (type == KvmExit.SYSTEM_EVENT_SHUTDOWN || type == KvmExit.SYSTEM_EVENT_RESET) {
            stop.stop(VmExit.ok("guest " + (type == KvmExit.SYSTEM_EVENT_RESET ? "reset" : "shutdown")));
        } else {
            fail("system event " + type, run);
        }
    }

    private void fail(String what, KvmRun run) {
        stop.stop(VmExit.failed(String.format("vCPU %d: %s: %s; %s", fd.id(), what, run.describe(), registers())));
    }

    /**
     * This vCPU's registers and local APIC, for a stall report, read on its own thread: a vCPU ioctl from another
     * thread waits for the vCPU's mutex, which KVM_RUN holds for as long as the guest runs or halts (api.rst, "vcpu
     * ioctls"), so the request kicks the vCPU out of KVM_RUN and the vCPU thread answers before it goes back. A
     * thread stuck in an exit handler does not answer; its stack says where it is.
     */
    CompletableFuture<String> requestState() {
        CompletableFuture<String> answer = new CompletableFuture<>();
        stateRequest.set(answer);
        fd.kick();
        return answer;
    }

    private void answerStateRequest() {
        CompletableFuture<String> answer = stateRequest.getAndSet(null);
        if (answer != null) {
            answer.complete(registers() + "; " + lapic() + "; " + counters.total() + " userspace exits");
        }
    }

    /**
     * The vectors the local APIC holds in service (ISR) and requested (IRR), and the task priority (Intel SDM vol. 3,
     * 11.8.4): a device interrupt left in IRR with interrupts enabled, or none at all while the guest waits, tells
     * two kinds of lost interrupt apart.
     */
    private String lapic() {
        try {
            KvmLapicState s = new KvmLapicState();
            fd.getLapic(s);
            return "apic isr " + vectors(s, 0x100) + " irr " + vectors(s, 0x200) + String.format(" tpr 0x%x",
                    s.reg(0x80));
        } catch (RuntimeException e) {
            return "apic unavailable: " + e.getMessage();
        }
    }

    /** The set bits of the 256-bit register at base (eight 32-bit words, 16 bytes apart), as vector numbers. */
    private static String vectors(KvmLapicState s, int base) {
        StringBuilder b = new StringBuilder("[");
        for (int word = 0; word < 8; word++) {
            int bits = s.reg(base + 0x10 * word);
            for (int bit = 0; bit < 32; bit++) {
                if ((bits & (1 << bit)) != 0) {
                    b.append(b.length() > 1 ? " " : "").append(String.format("0x%x", word * 32 + bit));
                }
            }
        }
        return b.append(']').toString();
    }

    /** The registers for a crash report; never throws (the vCPU may be in any state). */
    String registers() {
        try {
            KvmRegs r = new KvmRegs();
            KvmSregs s = new KvmSregs();
            fd.getRegs(r);
            fd.getSregs(s);
            StringBuilder b = new StringBuilder(String.format("rip=0x%x rsp=0x%x rflags=0x%x rax=0x%x rbx=0x%x "
                    + "rcx=0x%x rdx=0x%x rsi=0x%x rdi=0x%x rbp=0x%x", r.rip(), r.rsp(), r.rflags(), r.rax(), r.rbx(),
                    r.rcx(), r.rdx(), r.rsi(), r.rdi(), r.rbp()));
            for (int n = 8; n <= 15; n++) {
                b.append(String.format(" r%d=0x%x", n, r.r(n)));
            }
            return b.append(String.format(" cr0=0x%x cr3=0x%x cr4=0x%x efer=0x%x", s.cr0(), s.cr3(), s.cr4(),
                    s.efer())).toString();
        } catch (RuntimeException e) {
            return "registers unavailable: " + e.getMessage();
        }
    }
}
