package io.jkvm.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * The disk both VMMs read: a file of pseudo-random bytes (not holes, which a file system can answer without
 * touching data) on a tmpfs when there is one, so that the host side of a read is a memory copy for both and the
 * 9p share of the emulated host stays out of the measurement. Deleted on close.
 */
final class ScratchDisk implements AutoCloseable {
    static final long SIZE = 32L << 20;

    private final Path path;

    private ScratchDisk(Path path) {
        this.path = path;
    }

    /** /dev/shm when it is a writable folder, else the JVM's temporary folder. */
    static Path defaultFolder() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    static ScratchDisk create(Path folder) throws IOException {
        Path p = Files.createTempFile(folder, "jkvm-bench-disk-", ".img");
        try (OutputStream out = Files.newOutputStream(p)) {
            SplittableRandom random = new SplittableRandom(0x6a6b766dL);
            byte[] chunk = new byte[1 << 20];
            for (long done = 0; done < SIZE; done += chunk.length) {
                for (int i = 0; i < chunk.length; i += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8; k++) {
                        chunk[i + k] = (byte) (v >>> (8 * k));
                    }
                }
                out.write(chunk);
            }
        } catch (IOException e) {
            Files.deleteIfExists(p);
            throw e;
        }
        return new ScratchDisk(p);
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a left-over temporary file in /dev/shm or /tmp is harmless; nothing to report
        }
    }
}
