package io.jkvm.core.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The images guest-images/build made: $JKVM_IMAGES when set (scripts/test sets it, so that nothing is built inside
 * the emulated host), else what guest-images/build prints (fast when cached).
 */
public final class GuestImages {
    private static Path dir;

    private GuestImages() {
    }

    public static synchronized Path dir() {
        if (dir == null) {
            String env = System.getenv("JKVM_IMAGES");
            dir = env != null && !env.isEmpty() ? Path.of(env) : build();
            if (!Files.isRegularFile(dir.resolve("bzImage"))) {
                throw new IllegalStateException("no bzImage in " + dir + ": run guest-images/build");
            }
        }
        return dir;
    }

    public static Path kernel() {
        return dir().resolve("bzImage");
    }

    public static Path initrd() {
        return dir().resolve("initramfs.cpio.gz");
    }

    public static Path rootfs() {
        return dir().resolve("rootfs.ext4");
    }

    private static Path build() {
        try {
            Process p = new ProcessBuilder(Repo.root().resolve("guest-images/build").toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0 || out.isEmpty()) {
                throw new IllegalStateException("guest-images/build failed");
            }
            return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
        } catch (IOException e) {
            throw new IllegalStateException("cannot run guest-images/build: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
