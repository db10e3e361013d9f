package io.jkvm.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * The guest console as lines: each complete line goes to a consumer on the writing thread, so that for jkvm the
 * consumer runs on the vCPU that printed the newline, while the guest waits for it. Optionally echoes every byte.
 */
final class LineSplitter extends OutputStream {
    /** Longer lines are passed on in pieces; blkbench's lines are far shorter. */
    static final int MAX_LINE = 4096;

    private final Consumer<String> lines;
    private final OutputStream echo;
    private final byte[] buf = new byte[MAX_LINE];
    private int len;

    LineSplitter(Consumer<String> lines, OutputStream echo) {
        this.lines = lines;
        this.echo = echo;
    }

    @Override
    public synchronized void write(int b) throws IOException {
        if (echo != null) {
            echo.write(b);
        }
        if (b == '\n') {
            emit();
            return;
        }
        if (len == MAX_LINE) {
            emit();
        }
        buf[len++] = (byte) b;
    }

    @Override
    public synchronized void write(byte[] b, int off, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            write(b[off + i]);
        }
    }

    @Override
    public synchronized void flush() throws IOException {
        if (echo != null) {
            echo.flush();
        }
    }

    /** Passes on a last line without a newline. */
    @Override
    public synchronized void close() {
        if (len > 0) {
            emit();
        }
    }

    private void emit() {
        String line = new String(buf, 0, len, StandardCharsets.UTF_8);
        len = 0;
        lines.accept(line);
    }
}
