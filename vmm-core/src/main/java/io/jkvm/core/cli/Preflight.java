package io.jkvm.core.cli;

import io.jkvm.core.boot.LinuxLoader;
import io.jkvm.core.host.HostCheck;
import io.jkvm.core.kvm.Kvm;
import io.jkvm.core.kvm.KvmCap;
import io.jkvm.core.vm.VmConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The checks before a VM is created, shared by {@code jkvm run} and {@code jkvm serve}'s InstanceStart: the kernel
 * and initrd can be placed in that much RAM, the RAM fits the host, this host's KVM can run guests and has that many
 * vCPUs. Bad input is an {@link IllegalArgumentException} whose message says what to change.
 */
public final class Preflight {
    private Preflight() {
    }

    /** No usable /dev/kvm: a different exit status from bad input, since no option can fix it. */
    public static final class HostCannotRunGuests extends RuntimeException {
        HostCannotRunGuests(String message) {
            super(message, null, false, false);
        }
    }

    /** The host's side first (no KVM is exit 3 whatever else is wrong), then what the files need. */
    public static void check(VmConfig config, String memoryOption, String cpusOption) {
        long hostRam = hostMemory();
        if (hostRam > 0 && config.memory() > hostRam) {
            throw new IllegalArgumentException(String.format("%s %s is more than this host's %s of RAM: ask for less",
                    memoryOption, MemorySize.format(config.memory()), MemorySize.format(hostRam)));
        }
        // Not a kernel we boot, command line too long, kernel + initrd larger than the RAM: before anything starts.
        LinuxLoader.plan(config.kernel(), config.initrd(), config.kernelCmdline(), config.cpus(), config.memory());
        requireKvm();
        try (Kvm kvm = Kvm.open()) {
            int max = kvm.checkExtension(KvmCap.MAX_VCPUS);
            if (max <= 0) {
                max = kvm.checkExtension(KvmCap.NR_VCPUS);
            }
            if (max > 0 && config.cpus() > max) {
                throw new IllegalArgumentException(cpusOption + " " + config.cpus() + " is more than this host's KVM "
                        + "allows (" + max + "): use at most " + max);
            }
        }
    }

    /** Throws {@link HostCannotRunGuests} when /dev/kvm cannot run a standard guest. */
    public static void requireKvm() {
        HostCheck host = HostCheck.run(Kvm.DEVICE);
        if (host.problem() != null) {
            throw new HostCannotRunGuests(host.problem());
        }
    }

    /** MemTotal from /proc/meminfo in bytes, or 0 when unknown. */
    static long hostMemory() {
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
}
