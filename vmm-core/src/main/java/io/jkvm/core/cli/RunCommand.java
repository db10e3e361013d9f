package io.jkvm.core.cli;

import io.jkvm.core.boot.MpTable;
import io.jkvm.core.kvm.KvmException;
import io.jkvm.core.vm.BootTimes;
import io.jkvm.core.vm.Vm;
import io.jkvm.core.vm.VmConfig;
import io.jkvm.core.vm.VmExit;
import io.jkvm.devices.virtio.MmioRegister;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jkvm run}: boot a Linux guest with its console on this terminal; exit 0 when the guest powers off. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Boot a Linux guest (bzImage + initramfs) with its serial console on stdin/stdout.",
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:the guest powered off or reset the machine, or Ctrl-A x quit",
            "1:the guest failed (kernel panic, triple fault) or the VMM did",
            "2:bad input: an option, a missing or unusable file (one line says which)",
            "3:this host cannot run guests (see 'jkvm check')",
            "124:--timeout or --stall-timeout passed",
            "128+N:signal N (SIGHUP 129, SIGINT 130, SIGTERM 143): the VM was stopped and its disks flushed"},
        footer = {"%nIn a terminal, Ctrl-A x quits jkvm and Ctrl-A Ctrl-A sends one Ctrl-A to the guest."})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--config-file", paramLabel = "PATH",
            description = "Firecracker's JSON configuration (boot-source, machine-config, drives, entropy) instead of "
                    + "--kernel, --initrd, --cmdline, --memory, --cpus, --disk and --rng.")
    Path configFile;

    @Option(names = "--kernel", paramLabel = "PATH",
            description = "The kernel: a bzImage or an ELF vmlinux (default: the guest built by guest-images/build).")
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

    @Option(names = "--disk", paramLabel = "PATH[,ro]",
            description = "A raw disk image or a block device as virtio-blk (the first is /dev/vda); ',ro' makes it "
                    + "read-only. Repeatable.")
    List<String> disks = new ArrayList<>();

    @Option(names = "--rng", description = "A virtio-rng device (/dev/hwrng in the guest), fed from the host's SecureRandom.")
    boolean rng;

    @Option(names = "--console", paramLabel = "serial|virtio",
            description = "The guest console: the 8250 UART (ttyS0) or virtio-console (hvc0) (default: ${DEFAULT-VALUE}).")
    String console = "serial";

    @Option(names = "--notify", paramLabel = "ioeventfd|exit",
            description = "Queue notifications: KVM_IOEVENTFD without exits, or an MMIO exit each, for comparison "
                    + "(default: ${DEFAULT-VALUE}).")
    String notify = "ioeventfd";

    @Option(names = "--registers", paramLabel = "exit|memory",
            description = "virtio-mmio register reads: an MMIO exit each, or served from a read-only page that the "
                    + "devices keep current, with InterruptACK on an ioeventfd (no exit per request) "
                    + "(default: ${DEFAULT-VALUE}).")
    String registers = "exit";

    @Option(names = "--poll-us", paramLabel = "N",
            description = "After serving a queue, the event loop keeps watching it for up to N microseconds before "
                    + "it sleeps, the window adapting to the guest (0 = off; none on a one-CPU host) "
                    + "(default: ${DEFAULT-VALUE}).")
    long pollMicros = VmConfig.DEFAULT_POLL_MICROS;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "End the guest after this long, with exit status 124 and a stall report (see "
                    + "--stall-timeout) (default: no limit).")
    long timeoutSeconds;

    @Option(names = "--stall-timeout", paramLabel = "SECONDS",
            description = "End the guest with exit status 124 once it has made no progress (no userspace exit, "
                    + "virtio request or console byte) for this long, after printing a stall report: every thread's "
                    + "stack, each vCPU's registers and local APIC, each virtqueue's indexes and each device's "
                    + "InterruptStatus. An idle guest counts as stalled: for guests with work to do "
                    + "(default: no limit).")
    long stallSeconds;

    @Option(names = "--verbose", description = "Print the boot layout, and at exit the userspace exits and the "
            + "ports and addresses that no device claimed.")
    boolean verbose;

    @Option(names = "--boot-times", description = "Print at exit when jkvm reached each step of the boot, in ms "
            + "after bin/jkvm started: exec (the JVM's start), main, run, vm-created, kernel-loaded, vm-ready, "
            + "first-vcpu-entry, first-console-byte.")
    boolean bootTimes;

    @Option(names = "--stats", description = "Print userspace exits by reason, port and address at exit.")
    boolean stats;

    @Spec
    CommandSpec spec;

    private PrintWriter err;

    @Override
    public Integer call() throws Exception {
        BootTimes.reached(BootTimes.Step.RUN);
        err = spec.commandLine().getErr();
        VmConfig config;
        try {
            config = validate();
        } catch (Preflight.HostCannotRunGuests e) {
            err.println("jkvm: " + e.getMessage());
            return Main.EXIT_NO_KVM;
        } catch (RuntimeException e) { // bad option, missing file, not a bzImage
            err.println("jkvm: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        OutputStream console = new FileOutputStream(FileDescriptor.out);
        Vm vm;
        try {
            vm = Vm.create(config, console);
        } catch (KvmException e) {
            err.println("jkvm: cannot start the guest: " + e.getMessage());
            return VmExit.FAILED;
        } catch (RuntimeException e) { // a disk locked by another VM, an option this KVM cannot serve
            err.println("jkvm: cannot start the guest: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        if (verbose) {
            err.println("jkvm: " + vm.loaded().describe().replace("\n", "\njkvm: "));
        }
        VmExit exit;
        // Outermost: a signal during the run or the clean-up below waits for it (disks flushed) before the JVM exits.
        try (ShutdownStop signals = ShutdownStop.install(vm::stop)) {
            try (Terminal terminal = Terminal.rawIfInteractive()) {
                new ConsoleInput(System.in, vm::receiveInput, terminal != null,
                        () -> vm.stop(VmExit.ok("quit from the console (Ctrl-A x)"))).start();
                exit = vm.run(timeoutSeconds * 1000, stallSeconds * 1000, this::printReport);
            }
            console.flush();
            err.flush();
            if (stats || verbose) {
                printStats(vm);
            }
            if (bootTimes) {
                err.println("jkvm: boot times: " + BootTimes.describe());
            }
            vm.close(); // closes the disks, which fsyncs each writable one
            // Before the signal hook is released: once it returns, the JVM halts and a later line is lost.
            if (exit.status() != 0 || verbose) {
                err.println("jkvm: " + exit.reason());
            }
            err.flush();
        }
        // A vCPU thread that did not leave KVM_RUN keeps its VM's mappings (Vm.close); exiting the process ends it.
        return exit.status();
    }

    /** A stall report on stderr, one "jkvm: " line each (it may come from the stall watch's thread). */
    private void printReport(List<String> lines) {
        synchronized (err) {
            for (String l : lines) {
                err.println("jkvm: " + l);
            }
            err.flush();
        }
    }

    private VmConfig validate() {
        if (timeoutSeconds < 0 || stallSeconds < 0) {
            throw new IllegalArgumentException("--timeout and --stall-timeout take a number of seconds, 0 or more");
        }
        if (configFile != null) {
            return fromConfigFile();
        }
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
        long hostRam = Preflight.hostMemory();
        if (hostRam > 0 && ram > hostRam) {
            throw new IllegalArgumentException(String.format("--memory %s is more than this host's %s of RAM: ask "
                    + "for less", memory, MemorySize.format(hostRam)));
        }
        if (cpus < 1 || cpus > MpTable.MAX_CPUS) {
            throw new IllegalArgumentException("--cpus " + cpus + " is out of range: use 1 to " + MpTable.MAX_CPUS);
        }
        if (pollMicros < 0 || pollMicros > 1_000_000) {
            throw new IllegalArgumentException("--poll-us " + pollMicros + " is out of range: use 0 (off) to 1000000");
        }
        VmConfig config = new VmConfig(k, i, extra, ram, cpus, parseDisks(), rng, parseConsole(), parseNotify(),
                parseRegisters(), pollMicros);
        Preflight.check(config, "--memory", "--cpus");
        return config;
    }

    /** The configuration file's VM, with this command's console, notification and register options. */
    private VmConfig fromConfigFile() {
        for (String o : new String[]{"--kernel", "--initrd", "--cmdline", "--memory", "--cpus", "--disk", "--rng"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(o)) {
                throw new IllegalArgumentException(o + " and --config-file both say what to boot: give the "
                        + "configuration file alone, or drop it");
            }
        }
        VmConfig c = ConfigFileReader.load().read(configFile);
        VmConfig config = new VmConfig(c.kernel(), c.initrd(), c.userCmdline(), c.memory(), c.cpus(), c.disks(),
                c.rng(), parseConsole(), parseNotify(), parseRegisters(), pollMicros);
        Preflight.check(config, "machine-config mem_size_mib", "machine-config vcpu_count");
        return config;
    }

    private List<VmConfig.Disk> parseDisks() {
        List<VmConfig.Disk> list = new ArrayList<>();
        for (String spec : disks) {
            String path = spec;
            boolean ro = false;
            if (spec.endsWith(",ro")) {
                path = spec.substring(0, spec.length() - 3);
                ro = true;
            } else if (spec.contains(",")) {
                throw new IllegalArgumentException("--disk " + spec + ": the only option after the path is ',ro'");
            }
            Path p = Path.of(path);
            if (!isBlockDevice(p)) {
                requireReadable(p, "disk image", "--disk");
            } else if (!Files.isReadable(p)) {
                throw new IllegalArgumentException("block device " + p + " is not readable: fix its permissions");
            }
            if (!ro && !Files.isWritable(p)) {
                throw new IllegalArgumentException("disk image " + p + " is not writable: fix its permissions or "
                        + "add ',ro'");
            }
            list.add(new VmConfig.Disk(p, ro));
        }
        return list;
    }

    private VmConfig.Console parseConsole() {
        switch (console) {
            case "serial": return VmConfig.Console.SERIAL;
            case "virtio": return VmConfig.Console.VIRTIO;
            default: throw new IllegalArgumentException("--console " + console + ": use serial or virtio");
        }
    }

    private VmConfig.Notify parseNotify() {
        switch (notify) {
            case "ioeventfd": return VmConfig.Notify.IOEVENTFD;
            case "exit": return VmConfig.Notify.EXIT;
            default: throw new IllegalArgumentException("--notify " + notify + ": use ioeventfd or exit");
        }
    }

    private VmConfig.Registers parseRegisters() {
        switch (registers) {
            case "exit": return VmConfig.Registers.EXIT;
            case "memory": return VmConfig.Registers.MEMORY;
            default: throw new IllegalArgumentException("--registers " + registers + ": use exit or memory");
        }
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

    /** S_IFBLK in st_mode (inode(7)): a block device is a disk too; its size is BLKGETSIZE64's (FileChannel.size). */
    private static boolean isBlockDevice(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 0060000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false; // missing, or no unix view: requireReadable says what is wrong
        }
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
            String where = r == null ? "(none)"
                    : r.name() + " " + MmioRegister.at((int) (e.getKey() - r.base())).specName();
            err.printf("jkvm:   0x%-10x %-28s %d%n", e.getKey(), where, e.getValue());
        }
        Map<String, Long> metrics = vm.deviceMetrics();
        if (!metrics.isEmpty()) {
            err.println("jkvm: device counters:");
            metrics.forEach((k, v) -> err.printf("jkvm:   %-36s %d%n", k, v));
        }
    }
}
