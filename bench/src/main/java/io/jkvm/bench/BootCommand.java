package io.jkvm.bench;

import io.jkvm.core.cli.Main;
import io.jkvm.core.cli.MemorySize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.File;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jkvm bench boot}: the time from starting the VMM process to the guest init's marker, for every way this
 * host can start jkvm (JDK, class-data archive) and for QEMU microvm, with 1 and 2 vCPUs, interleaved; jkvm's
 * breakdown of that time ({@code --boot-times}); and each VMM's footprint with an idle guest.
 */
@Command(name = "boot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark boot to init: jkvm (each JDK and class-data archive this host has) against QEMU "
                + "microvm, the same kernel, initramfs and command line, interleaved; with jkvm's breakdown and "
                + "each VMM's footprint (RSS, RSS without the guest's RAM, PSS with several VMs at once, threads).",
                "Prints tables (median ± half the range) and writes results.json, boot.csv, footprint.csv and "
                        + "boot.png."})
final class BootCommand implements Callable<Integer> {
    @Option(names = "--repetitions", paramLabel = "N", description = "Boots per variant and vCPU count "
            + "(default: ${DEFAULT-VALUE}).")
    int repetitions = 5;

    @Option(names = "--cpus", paramLabel = "LIST", split = ",", description = "vCPU counts (default: 1,2).")
    List<Integer> cpus = List.of(1, 2);

    @Option(names = "--variants", paramLabel = "LIST", split = ",", description = "Variants to run, e.g. "
            + "jkvm-17-static,jkvm-25-aot,qemu-microvm (default: every one this host has; see --list).")
    List<String> variants;

    @Option(names = "--list", description = "Print the variants this host has and exit.")
    boolean list;

    @Option(names = "--jdks", paramLabel = "DIR", description = "Where to look for JDKs (default: ${DEFAULT-VALUE}).")
    Path jdks = Path.of("/usr/lib/jvm");

    @Option(names = "--qemu", paramLabel = "PATH", description = "QEMU binary (default: ${DEFAULT-VALUE} on the PATH).")
    String qemu = "qemu-system-x86_64";

    @Option(names = "--memory", paramLabel = "SIZE", description = "Guest RAM of the timed boots and of the idle "
            + "guest (default: ${DEFAULT-VALUE}).")
    String memory = "256M";

    @Option(names = "--footprint-vms", paramLabel = "N", description = "VMs that run at once for the PSS figure "
            + "(default: ${DEFAULT-VALUE}; 0: none).")
    int footprintVms = 8;

    @Option(names = "--footprint-memory", paramLabel = "SIZE", description = "Guest RAM of each of those VMs "
            + "(default: ${DEFAULT-VALUE}).")
    String footprintMemory = "64M";

    @Option(names = "--footprint-variants", paramLabel = "LIST", split = ",", description = "Variants whose "
            + "footprint is measured (default: every variant run).")
    List<String> footprintVariants;

    @Option(names = "--no-footprint", description = "Leave out the footprint measurements.")
    boolean noFootprint;

    @Option(names = "--out", paramLabel = "DIR", description = "Folder for the results (default: "
            + "bench-results/boot-<time>).")
    Path out;

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "Longest one boot may take "
            + "(default: ${DEFAULT-VALUE}).")
    long timeoutSeconds = 300;

    @Option(names = "--verbose", description = "Echo the VMMs' output to stderr.")
    boolean verbose;

    @Spec
    CommandSpec spec;

    private PrintWriter err;

    @Override
    public Integer call() throws Exception {
        err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        Path root = jkvmRoot();
        List<BootVariant> all = new ArrayList<>(BootVariant.jkvmVariants(BootVariant.jdks(jdks)));
        all.add(BootVariant.qemu());
        if (list) {
            all.forEach(v -> stdout.println(v.name()));
            stdout.flush();
            return 0;
        }
        BootGuest guest;
        List<BootVariant> chosen;
        try {
            chosen = variants == null ? all : choose(all, variants);
            if (footprintVariants != null) {
                choose(all, footprintVariants);
            }
            if (repetitions < 1 || cpus.isEmpty() || cpus.stream().anyMatch(c -> c < 1 || c > 64)) {
                throw new IllegalArgumentException("use --repetitions 1 or more and --cpus between 1 and 64");
            }
            if (footprintVms < 0 || timeoutSeconds < 1) {
                throw new IllegalArgumentException("use --footprint-vms 0 or more and --timeout 1 or more");
            }
            guest = BootGuest.of(root, GuestFiles.defaultImages(), findOnPath(qemu), MemorySize.parse(memory),
                    MemorySize.parse(footprintMemory));
        } catch (IllegalArgumentException e) {
            err.println("jkvm: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
        String started = LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE_TIME) + "Z";
        Path folder = out != null ? out : Path.of("bench-results", "boot-" + LocalDateTime.now()
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(folder);

        BootRunner runner = new BootRunner(guest, timeoutSeconds, verbose ? System.err : null);
        try {
            // Unmeasured: each jkvm variant makes its archive on its first start, and the files reach the cache.
            for (BootVariant v : chosen) {
                long t0 = System.nanoTime();
                runner.boot(v, 1, 0);
                log("warm-up %-16s %.1f s", v.name(), (System.nanoTime() - t0) / 1e9);
            }
            List<BootSample> samples = new ArrayList<>();
            for (int rep = 1; rep <= repetitions; rep++) {
                for (int c : cpus) {
                    // Interleaved, the first variant rotating, so that drift spreads over every variant.
                    List<BootVariant> order = new ArrayList<>(chosen);
                    Collections.rotate(order, -(rep - 1));
                    for (BootVariant v : order) {
                        BootSample s = runner.boot(v, c, rep);
                        samples.add(s);
                        log("%d/%d %d vCPU %-16s %6d ms", rep, repetitions, c, v.name(), s.bootMs());
                    }
                }
            }
            List<FootprintSample> footprints = new ArrayList<>();
            if (!noFootprint) {
                for (BootVariant v : footprintVariants == null ? chosen : choose(all, footprintVariants)) {
                    footprints.add(runner.footprint(v, 1, guest.memory()));
                    log("footprint %-16s 1 VM", v.name());
                    if (footprintVms > 0) {
                        footprints.add(runner.footprint(v, footprintVms, guest.footprintMemory()));
                        log("footprint %-16s %d VMs", v.name(), footprintVms);
                    }
                }
            }
            BootReport report = new BootReport(chosen, cpus, samples, footprints);
            stdout.println();
            stdout.print(report.tables());
            stdout.flush();
            BootReport.Info info = new BootReport.Info(started, guest, repetitions, System.getenv("JKVM_JAVA_OPTS"));
            report.writeJson(folder.resolve("results.json"), info);
            report.writeCsv(folder.resolve("boot.csv"), folder.resolve("footprint.csv"));
            BootChart.write(folder.resolve("boot.png"), report, String.format(Locale.ROOT,
                    "%s, %d runs each, interleaved; bars: median, whiskers: ± half the range", memory, repetitions));
            stdout.println("results: " + folder.resolve("results.json") + ", boot.csv, footprint.csv, boot.png");
            stdout.flush();
            return 0;
        } catch (BenchException e) {
            err.println("jkvm: bench boot: " + e.getMessage());
            return 1;
        }
    }

    private static List<BootVariant> choose(List<BootVariant> all, List<String> names) {
        Map<String, BootVariant> byName = new LinkedHashMap<>();
        all.forEach(v -> byName.put(v.name(), v));
        List<BootVariant> chosen = new ArrayList<>();
        for (String n : names) {
            BootVariant v = byName.get(n.strip());
            if (v == null) {
                throw new IllegalArgumentException("'" + n + "' is not a variant of this host; use "
                        + String.join(", ", byName.keySet()));
            }
            if (!chosen.contains(v)) {
                chosen.add(v);
            }
        }
        return chosen;
    }

    private void log(String format, Object... args) {
        err.printf(Locale.ROOT, "bench: " + format + "%n", args);
        err.flush();
    }

    /** The checkout bin/jkvm is in: this class's jar is ROOT/bench/target/jkvm-bench.jar. */
    private static Path jkvmRoot() throws URISyntaxException {
        Path jar = Path.of(BootCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path root = jar.getParent().getParent().getParent();
        if (!Files.isExecutable(root.resolve("bin/jkvm"))) {
            throw new IllegalStateException("bin/jkvm is not in " + root + " (this class came from " + jar + ")");
        }
        return root;
    }

    /** The binary's path: as given when it has a slash, else the first match on PATH. */
    private static Path findOnPath(String name) {
        if (name.contains("/")) {
            if (Files.isExecutable(Path.of(name))) {
                return Path.of(name);
            }
            throw new IllegalArgumentException("--qemu " + name + " is not an executable file");
        }
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name);
            }
        }
        throw new IllegalArgumentException(name + " is not on the PATH: install the Debian package qemu-system-x86 "
                + "or pass --qemu PATH");
    }
}
