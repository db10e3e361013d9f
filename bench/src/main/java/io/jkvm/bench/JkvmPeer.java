package io.jkvm.bench;

import io.jkvm.core.vm.Vm;
import io.jkvm.core.vm.VmConfig;
import io.jkvm.core.vm.VmExit;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * jkvm itself, in this process: a VM with the scratch disk read-only as /dev/vda, virtio-rng and the 8250 console,
 * whose console stream is the marker protocol. The counters are read on the vCPU thread that printed the marker,
 * inside its serial exit: the guest cannot have moved on.
 */
final class JkvmPeer implements Peer {
    /** The mode name of --notify ioeventfd --registers memory. */
    static final String PAGE_MODE = "page";
    /** The mode name of page plus polling (--poll-us). */
    static final String POLL_MODE = "poll";

    private final VmConfig.Notify notify;
    private final VmConfig.Registers registers;
    private final long pollMicros;

    JkvmPeer(VmConfig.Notify notify) {
        this(notify, VmConfig.Registers.EXIT);
    }

    /** With Registers.MEMORY, the mode is "page": ioeventfd doorbells plus register reads from memory. */
    JkvmPeer(VmConfig.Notify notify, VmConfig.Registers registers) {
        this(notify, registers, 0);
    }

    /** With polling (pollMicros > 0) on top of the page, the mode is "poll". */
    JkvmPeer(VmConfig.Notify notify, VmConfig.Registers registers, long pollMicros) {
        this.notify = notify;
        this.registers = registers;
        this.pollMicros = pollMicros;
    }

    @Override
    public String vmm() {
        return "jkvm";
    }

    @Override
    public String mode() {
        if (pollMicros > 0) {
            return POLL_MODE;
        }
        return registers == VmConfig.Registers.MEMORY ? PAGE_MODE : notify.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<WorkloadSample> boot(BootSetup s) {
        VmConfig config = new VmConfig(s.kernel(), s.initrd(), s.plan().kernelCmdline(), s.memory(), s.cpus(),
                List.of(new VmConfig.Disk(s.disk(), true)), true, VmConfig.Console.SERIAL, notify, registers,
                pollMicros);
        AtomicReference<Vm> vm = new AtomicReference<>();
        // The acknowledgement goes in on another thread: the marker arrives inside the 8250's transmit, on a vCPU.
        ExecutorService acker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "bench-ack");
            t.setDaemon(true);
            return t;
        });
        MarkerProtocol protocol = new MarkerProtocol(() -> new JkvmCounters(vm.get()).sample(),
                () -> acker.execute(() -> acknowledge(vm.get())),
                why -> vm.get().stop(VmExit.failed(why)));
        LineSplitter console = new LineSplitter(protocol, s.echo());
        try (Vm v = Vm.create(config, console)) {
            vm.set(v);
            VmExit exit = v.run(s.timeoutSeconds() * 1000);
            console.close();
            return protocol.finish(s.plan().workloads(), "jkvm: " + exit.reason());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted");
        } finally {
            acker.shutdownNow();
        }
    }

    /** One newline into the 8250, waiting while its receive FIFO is full (the guest reads it soon). */
    private static void acknowledge(Vm vm) {
        while (!vm.receiveInput((byte) '\n')) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
