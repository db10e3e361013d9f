package io.jkvm.api.config;

import java.nio.file.Path;
import java.util.Set;

/** PUT /boot-source, and "boot-source" of the configuration file: the kernel, its initrd and its command line. */
public record BootSource(Path kernel, Path initrd, String bootArgs) {
    static final Set<String> FIELDS = Set.of("kernel_image_path", "initrd_path", "boot_args");

    public static BootSource from(JsonBody b) {
        b.allow(FIELDS);
        Path kernel = HostPaths.readableFile(b.where(), "kernel_image_path",
                b.nonEmptyString("kernel_image_path", true));
        String initrd = b.nonEmptyString("initrd_path", false);
        String args = b.string("boot_args", false);
        return new BootSource(kernel, initrd == null ? null : HostPaths.readableFile(b.where(), "initrd_path", initrd),
                args == null ? "" : args);
    }
}
