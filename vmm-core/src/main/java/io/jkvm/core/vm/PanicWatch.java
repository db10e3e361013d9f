package io.jkvm.core.vm;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Passes the guest console through and remembers a kernel panic line. With panic=-1 a panicking guest resets
 * through the same i8042 path as a clean power-off; this is how jkvm tells the two apart and exits non-zero.
 *
 * <p>The 8250 writes here from vCPU threads, virtio-console from the event loop thread: writes are synchronized,
 * so that the match state sees each writer's bytes in order and one writer's chunk is not cut by another's. A
 * chunk goes out in one write, not byte by byte.
 */
final class PanicWatch extends OutputStream {
    private static final byte[] MARK = "Kernel panic - not syncing".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;
    private final StringBuilder line = new StringBuilder();
    private int matched;
    private boolean inPanicLine;
    private volatile String panic;
    private boolean wrote;

    PanicWatch(OutputStream out) {
        this.out = out;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        firstByte();
        watch(b & 0xff); // first: a console that went away must not hide a panic
        out.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        firstByte();
        for (int i = off; i < off + len; i++) {
            watch(b[i] & 0xff);
        }
        out.write(b, off, len);
    }

    @Override
    public synchronized void flush() throws IOException {
        out.flush();
    }

    private void firstByte() {
        if (!wrote) {
            wrote = true;
            BootTimes.reached(BootTimes.Step.FIRST_CONSOLE_BYTE);
        }
    }

    /** The panic message, or null when the guest has not panicked. */
    String panic() {
        return panic;
    }

    private void watch(int b) {
        if (inPanicLine) {
            if (b == '\n' || b == '\r' || line.length() > 200) {
                panic = line.toString().trim();
                inPanicLine = false;
            } else {
                line.append((char) b);
            }
            return;
        }
        matched = b == MARK[matched] ? matched + 1 : (b == MARK[0] ? 1 : 0);
        if (matched == MARK.length) {
            matched = 0;
            inPanicLine = true;
            line.setLength(0);
            line.append("Kernel panic - not syncing");
            panic = line.toString();
        }
    }
}
