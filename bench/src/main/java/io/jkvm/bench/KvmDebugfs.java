package io.jkvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * KVM's per-VM counters of another process (QEMU) in debugfs: {@code /sys/kernel/debug/kvm/<pid>-<fd>/}, one file
 * per statistic, the vCPU ones summed over the VM's vCPUs (virt/kvm/kvm_main.c, kvm_create_vm_debugfs). Read as
 * {@code kvm.<name>}, the names KVM_GET_STATS_FD uses too, so both VMMs' figures come from the same counters.
 */
final class KvmDebugfs implements CounterSource {
    static final Path DEFAULT_ROOT = Path.of("/sys/kernel/debug/kvm");

    private final Path root;
    private final long pid;
    /** Found at the first sample, when the VM surely exists. */
    private List<Path> statFiles;

    KvmDebugfs(Path root, long pid) {
        this.root = root;
        this.pid = pid;
    }

    /**
     * Null when debugfs has the KVM folder, else why not. Mounts debugfs first when it is not mounted (as root; the
     * emulated host's chroot does not mount it).
     */
    static String availability(Path root) {
        if (Files.isDirectory(root)) {
            return Files.isReadable(root) ? null : root + " is not readable: run as root";
        }
        Path debugfs = root.getParent();
        try {
            Process p = new ProcessBuilder("mount", "-t", "debugfs", "debugfs", debugfs.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            if (p.waitFor() != 0) {
                return "mounting debugfs on " + debugfs + " failed (" + out + "): mount it, as root";
            }
        } catch (IOException e) {
            return "cannot run mount to mount debugfs on " + debugfs + ": " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return Files.isDirectory(root) ? null : "debugfs is mounted but has no " + root + ": is the kvm module loaded?";
    }

    @Override
    public Counters sample() {
        if (statFiles == null) {
            statFiles = findStatFiles();
        }
        Map<String, Long> m = new TreeMap<>();
        for (Path f : statFiles) {
            Long v = readNumber(f);
            if (v == null) {
                throw new IllegalStateException("cannot read KVM statistic " + f + " (did the VM end?)");
            }
            m.put(Counters.KVM_PREFIX + f.getFileName(), v);
        }
        return new Counters(m);
    }

    /** The VM folder's plain counters; vcpuN folders are left out (the VM folder has their sums). */
    private List<Path> findStatFiles() {
        Path dir = vmDirectory().orElseThrow(() -> new IllegalStateException("no KVM VM of process " + pid + " in "
                + root));
        List<Path> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(f) && readNumber(f) != null) {
                    found.add(f);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        if (found.isEmpty()) {
            throw new IllegalStateException("no KVM statistics in " + dir);
        }
        return found;
    }

    /**
     * The VM folder of the process: KVM names it "<id>-<vm fd>" after the thread that called KVM_CREATE_VM
     * (task_pid_nr), which for QEMU, whose main thread makes the VM, is the pid; the newest VM (highest fd) when
     * there are several.
     */
    Optional<Path> vmDirectory() {
        String prefix = pid + "-";
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p))
                    .max(Comparator.comparingLong(p -> fdOf(p, prefix)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot list " + root + ": " + e.getMessage(), e);
        }
    }

    private static long fdOf(Path p, String prefix) {
        try {
            return Long.parseLong(p.getFileName().toString().substring(prefix.length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A statistic file holds one decimal number; other files (tables such as mmu_rmaps_stat) give null. */
    private static Long readNumber(Path f) {
        try {
            String s = Files.readString(f).strip();
            return s.matches("\\d+") ? Long.parseLong(s) : null;
        } catch (IOException | NumberFormatException e) {
            return null; // unreadable or not a plain counter
        }
    }
}
