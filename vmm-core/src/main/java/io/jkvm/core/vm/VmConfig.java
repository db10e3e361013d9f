package io.jkvm.core.vm;

import java.nio.file.Path;

/** What to boot and with how much: the validated form of {@code jkvm run}'s options. */
public record VmConfig(Path kernel, Path initrd, String cmdline, long memory, int cpus) {
    /** What jkvm puts on every guest command line before the user's: the console, and how the guest ends the VM. */
    public static final String BASE_CMDLINE = "console=ttyS0 reboot=k panic=-1";
}
