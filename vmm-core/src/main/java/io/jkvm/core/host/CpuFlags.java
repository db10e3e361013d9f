package io.jkvm.core.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CPU's hardware-virtualization flags as /proc/cpuinfo lists them. A /dev/kvm that opens is not enough to run a
 * standard guest: a kvm_pvm-backed one (made for PVM guest kernels) opens on CPUs without svm/vmx, and a standard
 * kernel then hangs or fails in KVM_RUN (see shared/NESTED-KVM.md). The svm or vmx flag is what tells.
 */
public final class CpuFlags {
    private final Set<String> flags;

    private CpuFlags(Set<String> flags) {
        this.flags = flags;
    }

    public static CpuFlags read() {
        return parse(readOrEmpty(Path.of("/proc/cpuinfo")));
    }

    static CpuFlags parse(String cpuinfo) {
        Set<String> flags = new TreeSet<>();
        for (String line : cpuinfo.split("\n")) {
            if (line.startsWith("flags")) {
                int colon = line.indexOf(':');
                for (String f : line.substring(colon + 1).trim().split("\\s+")) {
                    flags.add(f);
                }
                break; // every CPU lists the same flags
            }
        }
        return new CpuFlags(flags);
    }

    /** "svm", "vmx", or null when the CPU offers neither. */
    public String virtualization() {
        return flags.contains("svm") ? "svm" : flags.contains("vmx") ? "vmx" : null;
    }

    private static String readOrEmpty(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
