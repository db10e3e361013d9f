package io.jkvm.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The reference: QEMU's microvm machine on KVM with the same kernel, initramfs, disk and guest command, with
 * ioeventfd (QEMU's default) or without ({@code -global virtio-mmio.ioeventfd=off}). Its serial console is its
 * stdin/stdout; the counters are KVM's, from debugfs, read when the marker line arrives here (the guest waits
 * for the acknowledgement meanwhile). Without debugfs the counters are left out and only the guest's figures count.
 */
final class QemuPeer implements Peer {
    private final String binary;
    private final boolean ioeventfd;
    private final Path debugfs;

    /** debugfs: KVM's debugfs folder, or null when it cannot be read (no exit counts for QEMU then). */
    QemuPeer(String binary, boolean ioeventfd, Path debugfs) {
        this.binary = binary;
        this.ioeventfd = ioeventfd;
        this.debugfs = debugfs;
    }

    @Override
    public String vmm() {
        return "qemu";
    }

    @Override
    public String mode() {
        return ioeventfd ? "ioeventfd" : "exit";
    }

    /** The command line, for the boot and for the record. */
    List<String> command(BootSetup s) {
        List<String> c = new ArrayList<>(List.of(binary,
                "-M", "microvm,acpi=off,x-option-roms=off", "-accel", "kvm", "-cpu", "host",
                "-m", (s.memory() >> 20) + "M", "-smp", Integer.toString(s.cpus()),
                "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-serial", "stdio",
                "-kernel", s.kernel().toString(), "-initrd", s.initrd().toString(),
                // No ACPI, so no power-off: the guest's reboot -f with reboot=t ends QEMU through -no-reboot.
                "-append", "console=ttyS0 reboot=t panic=-1 " + s.plan().kernelCmdline(),
                "-drive", "id=d0,file=" + s.disk().toString().replace(",", ",,") + ",format=raw,if=none,readonly=on",
                "-device", "virtio-blk-device,drive=d0", "-device", "virtio-rng-device"));
        if (!ioeventfd) {
            c.add("-global");
            c.add("virtio-mmio.ioeventfd=off");
        }
        return c;
    }

    @Override
    public List<WorkloadSample> boot(BootSetup s) {
        Process p;
        try {
            p = new ProcessBuilder(command(s)).start();
        } catch (IOException e) {
            throw new BenchException("cannot start " + binary + ": " + e.getMessage());
        }
        try {
            return run(p, s);
        } finally {
            p.destroyForcibly();
        }
    }

    private List<WorkloadSample> run(Process p, BootSetup s) {
        OutputStream stdin = p.getOutputStream();
        CounterSource kvm = debugfs == null ? () -> Counters.NONE : new KvmDebugfs(debugfs, p.pid());
        CounterSource counters = () -> kvm.sample().with(Counters.CPU_NANOS, ProcStat.cpuNanos(p.pid()));
        MarkerProtocol protocol = new MarkerProtocol(counters, () -> {
            try {
                stdin.write('\n');
                stdin.flush();
            } catch (IOException e) {
                throw new IllegalStateException("cannot write to QEMU's serial input: " + e.getMessage(), e);
            }
        }, why -> p.destroy());
        LineSplitter console = new LineSplitter(protocol, s.echo());
        Thread out = pump(p.getInputStream(), console, "qemu-stdout");
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        Thread err = pump(p.getErrorStream(), errBytes, "qemu-stderr");
        try {
            if (!p.waitFor(s.timeoutSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                out.join(2000);
                protocol.finish(s.plan().workloads(), "QEMU did not end within " + s.timeoutSeconds() + " s");
                throw new BenchException("QEMU did not end within " + s.timeoutSeconds() + " s");
            }
            out.join(5000);
            err.join(5000);
            console.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException("interrupted");
        }
        String stderr;
        synchronized (errBytes) {
            stderr = errBytes.toString(StandardCharsets.UTF_8).strip();
        }
        String end = "QEMU exited with status " + p.exitValue()
                + (stderr.isEmpty() ? "" : ": " + stderr.lines().reduce((a, b) -> b).orElse(""));
        return protocol.finish(s.plan().workloads(), end);
    }

    private static Thread pump(InputStream in, OutputStream to, String name) {
        Thread t = new Thread(() -> {
            byte[] b = new byte[4096];
            try (in) {
                int n;
                while ((n = in.read(b)) > 0) {
                    synchronized (to) {
                        to.write(b, 0, n);
                    }
                }
            } catch (IOException e) {
                // QEMU ended or was killed: what it wrote so far is what there is
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
