package io.jkvm.core.vm;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class PanicWatchTest {
    /** Counts the calls that reach it: each is one write(2) on a FileOutputStream. */
    static final class CountingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int singleWrites;
        int chunkWrites;

        @Override
        public void write(int b) {
            singleWrites++;
            bytes.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            chunkWrites++;
            bytes.write(b, off, len);
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aChunkGoesOutInOneWrite() throws IOException {
        CountingStream out = new CountingStream();
        PanicWatch w = new PanicWatch(out);
        byte[] chunk = ascii("x".repeat(4000) + "\n");
        w.write(chunk, 0, chunk.length);
        assertEquals(1, out.chunkWrites);
        assertEquals(0, out.singleWrites);
        assertArrayEquals(chunk, out.bytes.toByteArray());
        assertNull(w.panic());
    }

    @Test
    void aPanicLineSplitAcrossChunksAndSingleBytesIsFound() throws IOException {
        PanicWatch w = new PanicWatch(new CountingStream());
        byte[] a = ascii("[    1.0] Kernel pa");
        byte[] b = ascii("nic - not syncing: Attempted to kill init! exitcode=0x0000000b");
        w.write(a, 0, a.length);
        w.write(b, 3, b.length - 3 - 10); // with an offset: only "ic - not syncing: ... exitc" goes out
        assertEquals(null, w.panic(), "\"Kernel pa\" then \"ic\" is no panic");

        PanicWatch v = new PanicWatch(new CountingStream());
        v.write(a, 0, a.length);
        v.write(b, 0, b.length);
        v.write('\n');
        assertEquals("Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b", v.panic());
    }

    /**
     * The 8250 (a vCPU thread, byte by byte) and virtio-console (the loop thread, in chunks) write at the same
     * time; a panic line in one chunk is found whatever the other writes around it.
     */
    @Test
    void aWriterOnAnotherThreadDoesNotHideAPanic() throws Exception {
        byte[] line = ascii("Kernel panic - not syncing: VFS: Unable to mount root fs\n");
        for (int round = 0; round < 200; round++) {
            PanicWatch w = new PanicWatch(new CountingStream());
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
            Thread noise = new Thread(() -> {
                try {
                    while (!done.get()) {
                        w.write('.');
                        started.countDown();
                    }
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            noise.start();
            started.await();
            w.write(line, 0, line.length);
            done.set(true);
            noise.join();
            assertEquals("Kernel panic - not syncing: VFS: Unable to mount root fs", w.panic(), "round " + round);
        }
    }
}
