package io.jkvm.core.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/** The guest that guest-images/build made most recently: the default when {@code jkvm run} has no --kernel. */
final class DefaultGuest {
    record Files3(Path kernel, Path initrd) {
    }

    private DefaultGuest() {
    }

    static Path imagesDir() {
        String cache = System.getenv("JKVM_CACHE");
        Path base = cache != null && !cache.isEmpty() ? Path.of(cache)
                : Path.of(System.getProperty("user.home"), ".cache", "jkvm");
        return base.resolve("images");
    }

    static Files3 find() {
        Path dir = imagesDir();
        Optional<Path> newest = Optional.empty();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                newest = s.filter(d -> Files.isRegularFile(d.resolve("bzImage"))
                                && Files.isRegularFile(d.resolve("initramfs.cpio.gz")))
                        .max(Comparator.comparingLong(DefaultGuest::modified));
            } catch (IOException e) {
                newest = Optional.empty();
            }
        }
        Path d = newest.orElseThrow(() -> new IllegalArgumentException("no --kernel given and no default guest in "
                + dir + ": build it with guest-images/build, or pass --kernel and --initrd"));
        return new Files3(d.resolve("bzImage"), d.resolve("initramfs.cpio.gz"));
    }

    private static long modified(Path d) {
        try {
            return Files.getLastModifiedTime(d.resolve("bzImage")).toMillis()
                    + Files.getLastModifiedTime(d.resolve("initramfs.cpio.gz")).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
