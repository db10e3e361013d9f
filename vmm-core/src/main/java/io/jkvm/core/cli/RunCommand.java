package io.jkvm.core.cli;

import io.jkvm.core.boot.LinuxLoader;
import io.jkvm.core.boot.MpTable;
import io.jkvm.core.host.HostCheck;
import io.jkvm.core.kvm.Kvm;
import io.jkvm.core.kvm.KvmCap;
import io.jkvm.core.vm.Vm;
import io.jkvm.core.vm.VmConfig;
import io.jkvm.core.vm.VmExit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jkvm run}: boot a Linux guest with its console on this terminal; exit 0 when the guest powers off. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Boot a Linux guest (bzImage + initramfs) with its serial console on stdin/stdout.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--kernel", paramLabel = "PATH",
            description = "bzImage to boot (default: the guest built by guest-images/build).")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "PATH", description = "initramfs (default: the default guest's, "
            + "when --kernel is not given).")
    Path initrd;

    @Option(names = "--cmdline", paramLabel = "TEXT",
            description = "Kernel command line, appended to '" + VmConfig.BASE_CMDLINE + "'.")
    String cmdline = "";

    @Option(names = "--memory", paramLabel = "SIZE", description = "Guest RAM, e.g. 256M or 1G (default: ${DEFAULT-VALUE}).")
    String memory = "256M";

    @Option(names = "--cpus", paramLabel = "N", description = "vCPUs (default: ${DEFAULT-VALUE}).")
    int cpus = 1;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "End the guest after this long, with a non-zero exit (default: no limit).")
    long timeoutSeconds;

    @Option(names = "--verbose", description = "Print the boot layout, and at exit the userspace exits and the "
            + "ports and addresses that no device claimed.")
    boolean verbose;

    @Option(names = "--stats", description = "Print userspace exits by reason, port and address at exit.")
    boolean stats;

    @Spec
    CommandSpec spec;

    private PrintWriter err;

    @Override
    public Integer call() throws Exception {
        err = spec.commandLine().getErr();
        VmConfig config;
        try {
            config = validate();
        } catch (RuntimeException e) { // bad option, missing file, not a bzImage, a host that cannot run guests
            err.println("jkvm: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        OutputStream console = new FileOutputStream(FileDescriptor.out);
        Vm vm;
        try {
            vm = Vm.create(config, console);
        } catch (RuntimeException e) {
            err.println("jkvm: cannot start the guest: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        if (verbose) {
            err.println("jkvm: " + vm.loaded().describe().replace("\n", "\njkvm: "));
        }
        VmExit exit;
        try (Terminal terminal = Terminal.rawIfInteractive()) {
            new ConsoleInput(System.in, b -> {
                while (!vm.serial().receive(b)) {
                    sleepBriefly(); // the guest drains the FIFO; piped input must not be lost
                }
            }, terminal != null, () -> vm.stop(VmExit.ok("quit from the console (Ctrl-A x)"))).start();
            exit = vm.run(timeoutSeconds * 1000);
        }
        console.flush();
        err.flush();
        if (stats || verbose) {
            printStats(vm);
        }
        if (exit.status() != 0) {
            err.println("jkvm: " + exit.reason());
        } else if (verbose) {
            err.println("jkvm: " + exit.reason());
        }
        // vCPU threads may still sit in KVM_RUN; the caller exits the process, which ends them.
        err.flush();
        return exit.status();
    }

    private VmConfig validate() {
        Path k = kernel;
        Path i = initrd;
        String extra = cmdline;
        if (k == null) {
            if (i != null) {
                throw new IllegalArgumentException("--initrd given without --kernel: pass both, or neither for the "
                        + "default guest");
            }
            DefaultGuest.Files3 d = DefaultGuest.find();
            k = d.kernel();
            i = d.initrd();
            err.println("jkvm: booting the default guest: kernel " + k + ", initrd " + i);
        }
        requireReadable(k, "kernel", "--kernel");
        if (i != null) {
            requireReadable(i, "initrd", "--initrd");
        }
        long ram;
        ram = MemorySize.parse(memory);
        long hostRam = hostMemory();
        if (hostRam > 0 && ram > hostRam) {
            throw new IllegalArgumentException(String.format("--memory %s is more than this host's %s of RAM: ask "
                    + "for less", memory, MemorySize.format(hostRam)));
        }
        if (cpus < 1 || cpus > MpTable.MAX_CPUS) {
            throw new IllegalArgumentException("--cpus " + cpus + " is out of range: use 1 to " + MpTable.MAX_CPUS);
        }
        String line = VmConfig.BASE_CMDLINE + (extra == null || extra.isBlank() ? "" : " " + extra.trim());
        // Not a bzImage, command line too long, kernel + initrd larger than --memory: before anything starts.
        LinuxLoader.plan(k, i, line, cpus, ram);
        HostCheck host = HostCheck.run(Kvm.DEVICE);
        host.requireUsable();
        try (Kvm kvm = Kvm.open()) {
            int max = kvm.checkExtension(KvmCap.MAX_VCPUS);
            if (max <= 0) {
                max = kvm.checkExtension(KvmCap.NR_VCPUS);
            }
            if (max > 0 && cpus > max) {
                throw new IllegalArgumentException("--cpus " + cpus + " is more than this host's KVM allows ("
                        + max + "): use at most " + max);
            }
        }
        return new VmConfig(k, i, line, ram, cpus);
    }

    private static void requireReadable(Path p, String what, String option) {
        if (!Files.exists(p)) {
            throw new IllegalArgumentException(what + " file " + p + " does not exist: check " + option);
        }
        if (!Files.isRegularFile(p)) {
            throw new IllegalArgumentException(what + " " + p + " is not a regular file: check " + option);
        }
        if (!Files.isReadable(p)) {
            throw new IllegalArgumentException(what + " file " + p + " is not readable: fix its permissions");
        }
    }

    /** MemTotal from /proc/meminfo in bytes, or 0 when unknown. */
    private static long hostMemory() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private void printStats(Vm vm) {
        err.println("jkvm: userspace exits by reason:");
        for (Map.Entry<String, Long> e : vm.exitsByReason().entrySet()) {
            err.printf("jkvm:   %-24s %d%n", e.getKey(), e.getValue());
        }
        err.println("jkvm: port I/O exits by port:");
        for (Map.Entry<Long, Long> e : vm.pioExitsByPort().entrySet()) {
            var r = vm.pioBus().find(e.getKey());
            err.printf("jkvm:   0x%-6x %-10s %d%n", e.getKey(), r == null ? "(none)" : r.name(), e.getValue());
        }
        err.println("jkvm: MMIO exits by address:");
        for (Map.Entry<Long, Long> e : vm.mmioExitsByAddress().entrySet()) {
            var r = vm.mmioBus().find(e.getKey());
            err.printf("jkvm:   0x%-10x %-10s %d%n", e.getKey(), r == null ? "(none)" : r.name(), e.getValue());
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
