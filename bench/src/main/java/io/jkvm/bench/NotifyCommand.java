package io.jkvm.bench;

import io.jkvm.core.cli.MemorySize;
import io.jkvm.core.host.HostCheck;
import io.jkvm.core.kvm.Kvm;
import io.jkvm.core.vm.VmConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code jkvm bench notify}: the same guest workload (blkbench: O_DIRECT reads at depth 1 and deeper, hwrng reads)
 * under jkvm with --notify ioeventfd and exit, and under QEMU microvm with and without ioeventfd, each several
 * times, interleaved. Prints one table and writes results.json, results.csv and notify.png.
 */
@Command(name = "notify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark exit-free queue notifications: jkvm --notify ioeventfd vs. exit, with QEMU microvm "
                + "(ioeventfd on and off) as the peer, the same guest, disk and workload.",
                "Prints a table (median ± half the range over the repetitions) and writes the raw results as JSON "
                        + "and CSV and a PNG chart."})
final class NotifyCommand implements Callable<Integer> {
    @Option(names = "--repetitions", paramLabel = "N", description = "Boots per VMM and mode (default: ${DEFAULT-VALUE}).")
    int repetitions = 3;

    @Option(names = "--requests", paramLabel = "N", description = "Requests per disk workload (default: ${DEFAULT-VALUE}).")
    long requests = 2000;

    @Option(names = "--rng-requests", paramLabel = "N",
            description = "Reads of 64 bytes (one virtio-rng request each) from /dev/hwrng (default: ${DEFAULT-VALUE}).")
    long rngRequests = 1000;

    @Option(names = "--seconds", paramLabel = "S",
            description = "Run each workload for this long instead of a fixed count.")
    double seconds;

    @Option(names = "--depth", paramLabel = "N", description = "Queue depth of the throughput workload: threads "
            + "with one read in flight each (default: ${DEFAULT-VALUE}).")
    int depth = 8;

    @Option(names = "--warmup", paramLabel = "N", description = "Unmeasured requests before each workload "
            + "(default: ${DEFAULT-VALUE}).")
    int warmup = 20;

    @Option(names = "--modes", paramLabel = "LIST", split = ",",
            description = "Modes, comma-separated: ioeventfd, exit, page (jkvm only: ioeventfd plus register "
                    + "reads from memory, --registers memory) and poll (jkvm only: page plus polling, --poll-us) "
                    + "(default: ioeventfd,exit,page,poll).")
    List<String> modes = List.of("ioeventfd", "exit", "page", "poll");

    @Option(names = "--poll-us", paramLabel = "N", description = "The polling cap of the poll mode, in microseconds "
            + "(default: ${DEFAULT-VALUE}).")
    long pollMicros = 50;

    @Option(names = "--no-qemu", description = "Leave out the QEMU microvm peer.")
    boolean noQemu;

    @Option(names = "--qemu", paramLabel = "PATH", description = "QEMU binary (default: ${DEFAULT-VALUE} on the PATH).")
    String qemu = "qemu-system-x86_64";

    @Option(names = "--kernel", paramLabel = "PATH", description = "bzImage (default: the guest built by "
            + "guest-images/build; its initramfs must have blkbench).")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "PATH", description = "initramfs with /usr/bin/blkbench.")
    Path initrd;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Guest RAM (default: ${DEFAULT-VALUE}).")
    String memory = "256M";

    @Option(names = "--scratch", paramLabel = "DIR", description = "Where the 32 MiB disk image goes "
            + "(default: /dev/shm, else the temporary folder).")
    Path scratch;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Folder for results.json, results.csv and notify.png (default: bench-results/notify-<time>).")
    Path out;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Longest one boot may take "
            + "(default: ${DEFAULT-VALUE}).")
    long timeoutSeconds = 600;

    @Option(names = "--verbose", description = "Echo the guests' consoles to stderr.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    private PrintWriter err;

    @Override
    public Integer call() throws Exception {
        err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        Setup setup;
        try {
            setup = validate();
        } catch (RuntimeException e) {
            err.println("jkvm: " + e.getMessage());
            return 2;
        }
        String started = LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME) + "Z";
        Path folder = out != null ? out : Path.of("bench-results", "notify-" + LocalDateTime.now()
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            err.println("jkvm: cannot create the results folder " + folder + ": " + e.getMessage() + "; pass --out");
            return 2;
        }

        List<Sample> samples = new ArrayList<>();
        BootSetup boot;
        try (ScratchDisk disk = ScratchDisk.create(scratch != null ? scratch : ScratchDisk.defaultFolder())) {
            boot = new BootSetup(setup.kernel, setup.initrd, disk.path(), setup.memory, 1, setup.plan,
                    timeoutSeconds, verbose ? System.err : null);
            err.printf("bench: %d repetitions of %s; guest: %s%n", repetitions, labels(setup.peers),
                    setup.plan.command());
            err.flush();
            for (int rep = 1; rep <= repetitions; rep++) {
                // Interleaved, and the starting peer rotates, so that drift (other load, a warming host) spreads
                // over every peer instead of landing on whichever always runs first.
                List<Peer> order = new ArrayList<>(setup.peers);
                Collections.rotate(order, -(rep - 1));
                for (Peer p : order) {
                    long t0 = System.nanoTime();
                    List<WorkloadSample> got;
                    try {
                        got = p.boot(boot);
                    } catch (BenchException | IllegalStateException | IllegalArgumentException e) {
                        err.printf("jkvm: bench notify: %s, repetition %d: %s%n", p.label(), rep, e.getMessage());
                        return 1;
                    }
                    StringBuilder line = new StringBuilder();
                    for (WorkloadSample w : got) {
                        Sample s = new Sample(p.vmm(), p.mode(), rep, w.result(), w.delta());
                        samples.add(s);
                        line.append(String.format(Locale.ROOT, "  %s %.0f req/s %s user exits/req",
                                w.result().name(), w.result().rps(), Metric.USER_EXITS.format(s.userExitsPerRequest())));
                    }
                    err.printf(Locale.ROOT, "bench: %d/%d %-14s%s (%.1f s)%n", rep, repetitions, p.label(), line,
                            (System.nanoTime() - t0) / 1e9);
                    err.flush();
                }
            }
        }

        Results results = new Results(samples);
        stdout.println();
        stdout.print(results.table());
        stdout.println();
        results.ratios().forEach(stdout::println);
        stdout.printf("(median ± half the range over %d runs each; user exits: jkvm's own counters, for QEMU KVM's "
                + "io+mmio+signal exits; KVM figures from KVM_GET_STATS_FD (jkvm) and debugfs (QEMU))%n", repetitions);
        if (setup.qemuCountersProblem != null) {
            stdout.println("QEMU's exit counters are missing: " + setup.qemuCountersProblem);
        }
        stdout.flush();

        RunInfo info = new RunInfo(started, boot, repetitions, setup.qemuCommand, setup.qemuCountersProblem);
        Path json = folder.resolve("results.json");
        Path csv = folder.resolve("results.csv");
        Path png = folder.resolve("notify.png");
        ResultFiles.writeJson(json, info, results);
        ResultFiles.writeCsv(csv, results);
        NotifyChart.write(png, results, String.format(Locale.ROOT, "%s; %d runs each, interleaved; bars: median, "
                + "whiskers: ± half the range", setup.plan.command(), repetitions));
        stdout.println("results: " + json + ", " + csv + ", " + png);
        stdout.flush();
        return 0;
    }

    /** Everything decided before the first boot. */
    private record Setup(Path kernel, Path initrd, long memory, GuestPlan plan, List<Peer> peers,
                         List<String> qemuCommand, String qemuCountersProblem) {
    }

    private Setup validate() {
        if (repetitions < 1) {
            throw new IllegalArgumentException("--repetitions " + repetitions + ": use 1 or more");
        }
        if (requests < 1 || rngRequests < 1) {
            throw new IllegalArgumentException("--requests and --rng-requests must be 1 or more");
        }
        if (seconds < 0 || seconds > 3600 || Double.isNaN(seconds)) {
            throw new IllegalArgumentException("--seconds " + seconds + ": use a time between 0 and 3600");
        }
        if (depth < 2 || depth > 64) {
            throw new IllegalArgumentException("--depth " + depth + ": use 2 to 64 (depth 1 always runs)");
        }
        if (warmup < 0) {
            throw new IllegalArgumentException("--warmup " + warmup + ": use 0 or more");
        }
        if (timeoutSeconds < 1) {
            throw new IllegalArgumentException("--timeout " + timeoutSeconds + ": use 1 or more seconds");
        }
        List<VmConfig.Notify> notifies = new ArrayList<>();
        boolean page = false;
        boolean poll = false;
        for (String m : modes) {
            if (m.strip().equals(JkvmPeer.PAGE_MODE) || m.strip().equals(JkvmPeer.POLL_MODE)) {
                boolean isPage = m.strip().equals(JkvmPeer.PAGE_MODE);
                if (isPage ? page : poll) {
                    throw new IllegalArgumentException("--modes names " + m + " twice");
                }
                if (isPage) {
                    page = true;
                } else {
                    poll = true;
                }
                continue;
            }
            VmConfig.Notify n = switch (m.strip()) {
                case "ioeventfd" -> VmConfig.Notify.IOEVENTFD;
                case "exit" -> VmConfig.Notify.EXIT;
                default -> throw new IllegalArgumentException("--modes " + String.join(",", modes)
                        + ": '" + m + "' is not a mode; use ioeventfd, exit, page and/or poll");
            };
            if (notifies.contains(n)) {
                throw new IllegalArgumentException("--modes names " + m + " twice");
            }
            notifies.add(n);
        }
        Path k = kernel;
        Path i = initrd;
        if (k == null && i == null) {
            Path images = GuestFiles.defaultImages();
            k = images.resolve("bzImage");
            i = images.resolve("initramfs.cpio.gz");
        } else if (k == null || i == null) {
            throw new IllegalArgumentException("pass both --kernel and --initrd, or neither for the default guest");
        }
        requireFile(k, "--kernel");
        requireFile(i, "--initrd");
        long ram = MemorySize.parse(memory);
        if (scratch != null && !Files.isDirectory(scratch)) {
            throw new IllegalArgumentException("--scratch " + scratch + " is not a folder");
        }
        GuestPlan plan = new GuestPlan(requests, rngRequests, seconds, depth, warmup);
        HostCheck.run(Kvm.DEVICE).requireUsable();

        List<Peer> peers = new ArrayList<>();
        for (VmConfig.Notify n : notifies) {
            peers.add(new JkvmPeer(n));
        }
        if (page) {
            peers.add(new JkvmPeer(VmConfig.Notify.IOEVENTFD, VmConfig.Registers.MEMORY));
        }
        if (poll) {
            if (pollMicros < 1) {
                throw new IllegalArgumentException("--poll-us " + pollMicros + ": the poll mode needs 1 or more");
            }
            peers.add(new JkvmPeer(VmConfig.Notify.IOEVENTFD, VmConfig.Registers.MEMORY, pollMicros));
        }
        List<String> qemuCommand = List.of();
        String countersProblem = null;
        if (!noQemu) {
            String binary = findOnPath(qemu);
            countersProblem = KvmDebugfs.availability(KvmDebugfs.DEFAULT_ROOT);
            Path debugfs = countersProblem == null ? KvmDebugfs.DEFAULT_ROOT : null;
            if (countersProblem != null) {
                err.println("jkvm: warning: QEMU's exit counters will be missing: " + countersProblem);
            }
            for (VmConfig.Notify n : notifies) {
                QemuPeer q = new QemuPeer(binary, n == VmConfig.Notify.IOEVENTFD, debugfs);
                peers.add(q);
                if (qemuCommand.isEmpty()) {
                    qemuCommand = q.command(new BootSetup(k, i, Path.of("<scratch disk>"), ram, 1, plan, 0, null));
                }
            }
        }
        return new Setup(k, i, ram, plan, peers, qemuCommand, countersProblem);
    }

    private static void requireFile(Path p, String option) {
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new IllegalArgumentException(option + " " + p + " is not a readable file");
        }
    }

    /** The binary's path: as given when it has a slash, else the first match on PATH. */
    private static String findOnPath(String name) {
        if (name.contains("/")) {
            if (Files.isExecutable(Path.of(name))) {
                return name;
            }
            throw new IllegalArgumentException("--qemu " + name + " is not an executable file");
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new IllegalArgumentException(name + " is not on the PATH: install the Debian package qemu-system-x86, "
                + "pass --qemu PATH, or leave the peer out with --no-qemu");
    }

    private static String labels(List<Peer> peers) {
        return String.join(", ", peers.stream().map(Peer::label).toList());
    }
}
