package io.jkvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The benchmark's default guest: $JKVM_IMAGES when set, else the image set guest-images/build made most recently
 * (the same choice as {@code jkvm run} without --kernel).
 */
final class GuestFiles {
    private GuestFiles() {
    }

    static Path defaultImages() {
        String env = System.getenv("JKVM_IMAGES");
        if (env != null && !env.isEmpty()) {
            return Path.of(env);
        }
        String cache = System.getenv("JKVM_CACHE");
        Path dir = (cache != null && !cache.isEmpty() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "jkvm")).resolve("images");
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                return s.filter(d -> Files.isRegularFile(d.resolve("bzImage"))
                                && Files.isRegularFile(d.resolve("initramfs.cpio.gz")))
                        .max(Comparator.comparingLong(GuestFiles::modified))
                        .orElseThrow(() -> noGuest(dir));
            } catch (IOException e) {
                throw noGuest(dir);
            }
        }
        throw noGuest(dir);
    }

    private static IllegalArgumentException noGuest(Path dir) {
        return new IllegalArgumentException("no --kernel given and no guest in " + dir + ": build it with "
                + "guest-images/build, or pass --kernel and --initrd");
    }

    private static long modified(Path d) {
        try {
            return Files.getLastModifiedTime(d.resolve("initramfs.cpio.gz")).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
