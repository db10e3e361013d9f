package io.jkvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One way to start a VMM for the boot benchmark: jkvm through bin/jkvm with one JDK and one class-data mode
 * ({@code JAVA_HOME}, {@code JKVM_CDS}), or QEMU microvm. Named {@code jkvm-<JDK major>-<off|static|aot>} and
 * {@code qemu-microvm}.
 */
record BootVariant(String name, Path jdk, String cds) {
    static final String QEMU = "qemu-microvm";

    static BootVariant qemu() {
        return new BootVariant(QEMU, null, null);
    }

    boolean isQemu() {
        return jdk == null;
    }

    /** What bin/jkvm gets in its environment. */
    Map<String, String> environment() {
        return isQemu() ? Map.of() : Map.of("JAVA_HOME", jdk.toString(), "JKVM_CDS", cds);
    }

    /** A JDK of /usr/lib/jvm (or wherever), and its feature release. */
    record Jdk(Path home, int major) {
    }

    /** The JDKs >= 17 in this folder (real folders, not their aliases), oldest first. */
    static List<Jdk> jdks(Path folder) {
        List<Jdk> found = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return found;
        }
        try (Stream<Path> s = Files.list(folder)) {
            for (Path d : s.sorted().toList()) {
                if (Files.isSymbolicLink(d) || !Files.isExecutable(d.resolve("bin/java"))) {
                    continue;
                }
                int major = major(d.resolve("release"));
                if (major >= 17) {
                    found.add(new Jdk(d, major));
                }
            }
        } catch (IOException e) {
            return found;
        }
        found.sort(Comparator.comparingInt(Jdk::major));
        return found;
    }

    /** The feature release in a JDK's release file (JAVA_VERSION="25.0.3" gives 25), or 0. */
    static int major(Path release) {
        try {
            for (String line : Files.readAllLines(release)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    return majorOf(line.substring("JAVA_VERSION=".length()).replace("\"", ""));
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }

    static int majorOf(String version) {
        String v = version.startsWith("1.") ? version.substring(2) : version;
        int end = 0;
        while (end < v.length() && Character.isDigit(v.charAt(end))) {
            end++;
        }
        return end == 0 ? 0 : Integer.parseInt(v.substring(0, end));
    }

    /**
     * Every jkvm start this host offers, for these JDKs: each without an archive (off) and with the static one;
     * the AOT cache on JDK 25 and later.
     */
    static List<BootVariant> jkvmVariants(List<Jdk> jdks) {
        List<BootVariant> v = new ArrayList<>();
        for (Jdk j : jdks) {
            v.add(new BootVariant("jkvm-" + j.major() + "-off", j.home(), "off"));
            v.add(new BootVariant("jkvm-" + j.major() + "-static", j.home(), "static"));
            if (j.major() >= 25) {
                v.add(new BootVariant("jkvm-" + j.major() + "-aot", j.home(), "aot"));
            }
        }
        return v;
    }
}
