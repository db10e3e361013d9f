package io.jkvm.core.vm;

import io.jkvm.core.boot.Layout;
import io.jkvm.core.boot.LinuxLoader;
import io.jkvm.core.bus.IoBus;
import io.jkvm.core.kvm.Kvm;
import io.jkvm.core.rtc.CmosRtc;
import io.jkvm.core.kvm.KvmCpuid2;
import io.jkvm.core.kvm.KvmException;
import io.jkvm.core.kvm.KvmExit;
import io.jkvm.core.kvm.KvmStats;
import io.jkvm.core.kvm.VcpuFd;
import io.jkvm.core.kvm.VmFd;
import io.jkvm.core.serial.Serial8250;

import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A Linux guest on KVM: RAM, the in-kernel irqchip and PIT, the 8250 console at 0x3f8 (IRQ 4), the i8042 reset,
 * and one thread per vCPU. Built whole by {@link #create} (nothing half-started on a bad input), run by
 * {@link #run}, which returns how the guest ended.
 */
public final class Vm implements AutoCloseable {
    static final long SERIAL_PORT = 0x3f8;
    static final int SERIAL_IRQ = 4;
    /** KVM_PIT_SPEAKER_DUMMY: port 0x61 is emulated in the kernel too, so the PIT's speaker gate does not exit. */
    private static final int PIT_SPEAKER_DUMMY = 1;
    /** Frames per thread in a stall report: enough to see which lock or ioctl a thread is in. */
    private static final int STACK_DEPTH = 24;
    /** How long a stall report waits for each vCPU's registers. */
    private static final long VCPU_ANSWER_MILLIS = 2000;

    private final Kvm kvm;
    private final VmFd vm;
    private final GuestRam ram;
    private final LinuxLoader.Loaded loaded;
    private final IoBus pio = new IoBus("pio");
    private final IoBus mmio = new IoBus("mmio");
    private final Serial8250 serial;
    private final PanicWatch console;
    private final IrqFdLine serialIrq;
    private final IrqFdLine keyboardIrq;
    private final I8042 i8042;
    private final List<Vcpu> vcpus = new ArrayList<>();
    private final List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<KvmStats> vcpuStats = new ArrayList<>();
    /** Why the vCPUs' stats fds could not be opened (a kernel before 5.14), or null. */
    private String vcpuStatsProblem;
    private VirtioDevices devices;
    private final VmStop stop;
    private final PauseGate gate;
    /** The guest's kvmclock when it was paused, written back on resume. */
    private long pausedClock;

    private Vm(VmConfig config, OutputStream consoleOut) {
        kvm = Kvm.open();
        try {
            vm = kvm.createVm();
            BootTimes.reached(BootTimes.Step.VM_CREATED);
            // Intel VMX needs both ranges (real-mode TSS, identity map); they sit below the IOAPIC, outside RAM.
            vm.setIdentityMapAddr(Layout.KVM_IDENTITY_MAP_ADDRESS);
            vm.setTssAddr(Layout.KVM_TSS_ADDRESS);
            vm.createIrqchip();
            vm.createPit2(PIT_SPEAKER_DUMMY);
            ram = GuestRam.allocate(vm, config.memory());
            loaded = LinuxLoader.load(ram.memory(), config.kernel(), config.initrd(), config.kernelCmdline(),
                    config.cpus(), config.memory());
            BootTimes.reached(BootTimes.Step.KERNEL_LOADED);

            stop = new VmStop(this::kickAll);
            gate = new PauseGate(stop);
            console = new PanicWatch(consoleOut);
            serialIrq = new IrqFdLine(vm, SERIAL_IRQ);
            serial = new Serial8250(serialIrq, console);
            pio.add(SERIAL_PORT, 8, "serial", serial);
            keyboardIrq = new IrqFdLine(vm, I8042.IRQ);
            i8042 = new I8042(this::reset, keyboardIrq);
            pio.add(I8042.BASE, I8042.LENGTH, "i8042", i8042);
            pio.add(CmosRtc.BASE, CmosRtc.LENGTH, "rtc", new CmosRtc());
            devices = VirtioDevices.create(config, vm, ram.memory(), mmio, console, this::loopFailed);

            KvmCpuid2 cpuid = kvm.supportedCpuid();
            for (int i = 0; i < config.cpus(); i++) {
                VcpuFd fd = vm.createVcpu(i);
                CpuSetup.configure(fd, cpuid, config.cpus(), loaded.cpu());
                vcpus.add(new Vcpu(fd, pio, mmio, stop, gate));
            }
            openVcpuStats();
            BootTimes.reached(BootTimes.Step.VM_READY);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public static Vm create(VmConfig config, OutputStream consoleOut) {
        return new Vm(config, consoleOut);
    }

    public LinuxLoader.Loaded loaded() {
        return loaded;
    }

    public Serial8250 serial() {
        return serial;
    }

    /** Starts every vCPU and waits until the guest ends the VM, or {@link #stop} is called, or the timeout passes. */
    public VmExit run(long timeoutMillis) throws InterruptedException {
        return run(timeoutMillis, 0, null);
    }

    /**
     * As {@link #run(long)}, and also ends the VM (status 124) once the guest has made no progress for stallMillis
     * (0: never; see {@link StallWatch}). Either limit first hands report (null: none) the {@link #stallReport}.
     */
    public VmExit run(long timeoutMillis, long stallMillis, Consumer<List<String>> report)
            throws InterruptedException {
        for (Vcpu v : vcpus) {
            threads.add(v.start());
        }
        VmExit exit;
        try (StallWatch watch = stallMillis <= 0 ? null : StallWatch.start(stallMillis, this::progress, () -> {
            if (report != null) {
                report.accept(stallReport("no progress for " + stallMillis + " ms"));
            }
            stop.stop(VmExit.timedOut("the guest made no progress for " + stallMillis + " ms"));
        })) {
            exit = stop.await(timeoutMillis, report == null ? null
                    : () -> report.accept(stallReport("timed out after " + timeoutMillis + " ms")));
        }
        for (Thread t : threads) {
            t.join(2000); // kicked out of KVM_RUN; an MMIO exit in progress finishes before devices close
        }
        return exit;
    }

    /**
     * A count that grows whenever the guest gets something done: userspace exits (but the kicks that end KVM_RUN
     * from outside, a stall report's own included) and every device counter (requests, bytes, notifications).
     */
    long progress() {
        long p = 0;
        for (Vcpu v : vcpus) {
            p += v.counters.total() - v.counters.count(KvmExit.INTR);
        }
        if (devices != null) {
            for (long n : devices.metrics().values()) {
                p += n;
            }
        }
        return p;
    }

    /**
     * What a hang looks like from here: every JVM thread's stack (vCPUs, the event loop, whoever holds a device's
     * lock), each vCPU's registers and local APIC (read on its own thread, see {@link Vcpu#requestState}), and each
     * virtio transport's and queue's state.
     */
    public List<String> stallReport(String why) {
        List<String> lines = new ArrayList<>();
        lines.add("stall report (" + why + ")");
        List<CompletableFuture<String>> states = new ArrayList<>();
        for (Vcpu v : vcpus) {
            states.add(v.requestState());
        }
        lines.add("threads:");
        Map<Thread, StackTraceElement[]> stacks = new TreeMap<>(Comparator.comparing(Thread::getName)
                .thenComparingLong(Thread::getId));
        stacks.putAll(Thread.getAllStackTraces());
        stacks.forEach((t, frames) -> {
            lines.add(String.format("  \"%s\" %s%s", t.getName(), t.getState(), t.isDaemon() ? " daemon" : ""));
            for (int i = 0; i < Math.min(frames.length, STACK_DEPTH); i++) {
                lines.add("      at " + frames[i]);
            }
            if (frames.length > STACK_DEPTH) {
                lines.add("      ... " + (frames.length - STACK_DEPTH) + " more");
            }
        });
        lines.add("vCPUs:");
        for (int i = 0; i < vcpus.size(); i++) {
            String state;
            try {
                state = states.get(i).get(VCPU_ANSWER_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                state = "no answer within " + VCPU_ANSWER_MILLIS + " ms: its thread is not in KVM_RUN (stack above)";
            } catch (ExecutionException e) {
                state = "failed: " + e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                state = "interrupted";
            }
            lines.add("  vCPU " + vcpus.get(i).fd().id() + ": " + state);
        }
        lines.add("virtio:");
        if (devices != null) {
            for (String l : devices.describe()) {
                lines.add("  " + l);
            }
        }
        return lines;
    }

    /** Guest input: the virtio console's receive queue when it is the console, else the 8250's FIFO. */
    public boolean receiveInput(byte b) {
        if (devices != null && devices.console() != null) {
            devices.console().offer(b);
            return true;
        }
        return serial.receive(b);
    }

    /**
     * Counters of the buses (accesses no device claims, exits at addresses beyond the per-address tables), the
     * virtio transports and the devices.
     */
    public Map<String, Long> deviceMetrics() {
        Map<String, Long> m = new TreeMap<>();
        for (IoBus bus : List.of(pio, mmio)) {
            m.put(bus.name() + ".unclaimed_reads", bus.unclaimedReads());
            m.put(bus.name() + ".unclaimed_writes_dropped", bus.unclaimedWrites());
        }
        long pioOther = 0;
        long mmioOther = 0;
        for (Vcpu v : vcpus) {
            pioOther += v.counters.pio.other();
            mmioOther += v.counters.mmio.other();
        }
        m.put("pio.exits_at_untracked_ports", pioOther);
        m.put("mmio.exits_at_untracked_addresses", mmioOther);
        if (devices != null) {
            m.putAll(devices.metrics());
        }
        return m;
    }

    /** Ends the VM from outside (e.g. the console escape). */
    public void stop(VmExit exit) {
        stop.stop(exit);
    }

    /**
     * Stops every vCPU outside KVM_RUN and returns once none runs guest code; the guest's kvmclock is saved so that
     * {@link #resume} can give it back, and the guest's clock does not count the pause. Devices keep serving
     * requests already queued (as Firecracker's do); their interrupts wait in the irqchip. Call after {@link #run}
     * has started the vCPUs.
     */
    public synchronized void pause() throws InterruptedException {
        if (gate.paused()) {
            return;
        }
        gate.pause(this::kickAll, () -> (int) threads.stream().filter(Thread::isAlive).count());
        pausedClock = vm.getClock();
    }

    /** Lets the vCPUs run again, with the guest's clock where the pause stopped it. */
    public synchronized void resume() {
        if (!gate.paused()) {
            return;
        }
        vm.setClock(pausedClock);
        gate.resume();
    }

    /**
     * Presses Ctrl+Alt+Del on the i8042 keyboard (Firecracker's SendCtrlAltDel); Linux's keyboard handler then
     * restarts the machine, or signals init when init asked for that (reboot(2), LINUX_REBOOT_CMD_CAD_OFF).
     */
    public void sendCtrlAltDel() {
        if (!i8042.sendCtrlAltDel()) {
            throw new IllegalStateException("the guest has not read the keys sent before; try again later");
        }
    }

    private void loopFailed(Throwable t) {
        stop.stop(VmExit.failed("virtio event loop: " + Failures.describe(t)));
    }

    private void reset() {
        String panic = console.panic();
        stop.stop(panic == null ? VmExit.ok("guest reset the machine (power-off)")
                : VmExit.failed("guest kernel panicked: " + panic));
    }

    private void kickAll() {
        if (gate != null) {
            gate.release();
        }
        for (Vcpu v : vcpus) {
            v.fd().kick();
        }
    }

    /** Userspace exits of all vCPUs by reason. */
    public Map<String, Long> exitsByReason() {
        List<ExitCounters> all = new ArrayList<>();
        for (Vcpu v : vcpus) {
            all.add(v.counters);
        }
        return ExitCounters.byReason(all);
    }

    /**
     * KVM's own statistics of the vCPUs (KVM_GET_STATS_FD: exits, io_exits, mmio_exits, halt_exits, ...), summed
     * over them by name. Reading is a pread of each counter and takes no vCPU lock, so it works while the vCPUs run;
     * the values are exact when read on a vCPU thread of a one-vCPU guest, e.g. from the console stream, which is
     * written on the vCPU that made the exit.
     */
    public Map<String, Long> kvmVcpuStats() {
        if (vcpuStatsProblem != null) {
            throw new IllegalStateException("KVM statistics unavailable: " + vcpuStatsProblem);
        }
        Map<String, Long> sum = new LinkedHashMap<>();
        for (KvmStats s : vcpuStats) {
            s.readAll().forEach((k, v) -> sum.merge(k, v, Long::sum));
        }
        return sum;
    }

    /** Opened before any vCPU runs: KVM_GET_STATS_FD is a vCPU ioctl and would wait for a vCPU inside KVM_RUN. */
    private void openVcpuStats() {
        try {
            for (Vcpu v : vcpus) {
                vcpuStats.add(v.fd().stats());
            }
        } catch (KvmException e) {
            vcpuStatsProblem = e.getMessage();
        }
    }

    /** Port I/O exits by port, all vCPUs. */
    public Map<Long, Long> pioExitsByPort() {
        Map<Long, Long> m = new TreeMap<>();
        for (Vcpu v : vcpus) {
            v.counters.pio.addTo(m);
        }
        return m;
    }

    /** MMIO exits by guest physical address, all vCPUs. */
    public Map<Long, Long> mmioExitsByAddress() {
        Map<Long, Long> m = new TreeMap<>();
        for (Vcpu v : vcpus) {
            v.counters.mmio.addTo(m);
        }
        return m;
    }

    public IoBus pioBus() {
        return pio;
    }

    public IoBus mmioBus() {
        return mmio;
    }

    /**
     * Releases KVM objects and guest RAM, so that KVM destroys the VM: it lives until its last fd (the VM's, each
     * vCPU's, each irqfd's) is closed and kvm_run unmapped. Call it after {@link #run}. A vCPU thread that did not
     * come out of KVM_RUN still reads its kvm_run and may touch guest RAM, and so may a device that closing gave up
     * on: the mappings they use then stay until the process ends, rather than fault under them.
     */
    @Override
    public void close() {
        for (KvmStats s : vcpuStats) {
            s.close();
        }
        if (devices != null) {
            devices.close();
        }
        if (threads.stream().noneMatch(Thread::isAlive)) {
            for (Vcpu v : vcpus) {
                v.fd().close();
            }
            if (ram != null && (devices == null || devices.quiesced())) {
                ram.close();
            }
        }
        if (serialIrq != null) {
            serialIrq.close();
        }
        if (keyboardIrq != null) {
            keyboardIrq.close();
        }
        if (vm != null) {
            vm.close();
        }
        kvm.close();
    }
}
