package io.jkvm.bench;

import java.io.OutputStream;
import java.nio.file.Path;

/** What every boot of the benchmark shares: the guest, its disk, its size, and how long a boot may take. */
record BootSetup(Path kernel, Path initrd, Path disk, long memory, int cpus, GuestPlan plan, long timeoutSeconds,
                 OutputStream echo) {
}
