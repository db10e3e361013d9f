package io.jkvm.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest of the boot benchmark and the command lines that boot it. Timed boots: kernel and initramfs only,
 * the guest command {@code true} (init prints its marker, runs it, powers off). The idle guest of the footprint:
 * the same plus the ext4 image read-only on virtio-blk and virtio-rng, running {@code sleep}.
 */
record BootGuest(Path jkvm, Path kernel, Path initrd, Path disk, Path qemu, long memory, long footprintMemory) {
    private static final String TIMED = "jkvm.run=true";
    private static final String IDLE = "jkvm.run=\"sleep 3600\"";

    static BootGuest of(Path root, Path images, Path qemu, long memory, long footprintMemory) {
        Path k = images.resolve("bzImage");
        Path i = images.resolve("initramfs.cpio.gz");
        Path d = images.resolve("rootfs.ext4");
        for (Path p : List.of(k, i, d)) {
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(p + " is missing; build the guest with guest-images/build");
            }
        }
        return new BootGuest(root.resolve("bin/jkvm"), k, i, d, qemu, memory, footprintMemory);
    }

    List<String> command(BootVariant v, int cpus, long ram, boolean idle) {
        String guestCommand = idle ? IDLE : TIMED;
        List<String> c = new ArrayList<>();
        if (v.isQemu()) {
            c.addAll(List.of(qemu.toString(), "-M", "microvm,acpi=off,x-option-roms=off", "-accel", "kvm",
                    "-cpu", "host", "-m", (ram >> 20) + "M", "-smp", Integer.toString(cpus),
                    "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot", "-serial", "stdio",
                    "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                    // No ACPI, so no power-off: the guest's reboot -f with reboot=t ends QEMU through -no-reboot.
                    "-append", "console=ttyS0 reboot=t panic=-1 " + guestCommand));
            if (idle) {
                c.addAll(List.of("-drive", "id=d0,file=" + disk.toString().replace(",", ",,")
                                + ",format=raw,if=none,readonly=on", "-device", "virtio-blk-device,drive=d0",
                        "-device", "virtio-rng-device"));
            }
        } else {
            c.addAll(List.of(jkvm.toString(), "run", "--kernel", kernel.toString(), "--initrd", initrd.toString(),
                    "--memory", (ram >> 20) + "M", "--cpus", Integer.toString(cpus), "--cmdline", guestCommand,
                    "--boot-times"));
            if (idle) {
                c.addAll(List.of("--disk", disk + ",ro", "--rng"));
            }
        }
        return c;
    }
}
