package io.jkvm.core.cli;

import java.io.IOException;
import java.io.InputStream;

/**
 * Pumps this process's stdin into the guest console on a daemon thread. On a terminal, Ctrl-A x ends the VM (as in
 * QEMU's -nographic) and Ctrl-A Ctrl-A sends one Ctrl-A; from a pipe or file every byte goes through unchanged.
 */
public final class ConsoleInput {
    /** Where input bytes go: the 8250's receive FIFO or virtio-console's receive queue. */
    public interface Sink {
        void accept(byte b);
    }

    static final int ESCAPE = 0x01; // Ctrl-A

    private final InputStream in;
    private final Sink sink;
    private final boolean interactive;
    private final Runnable quit;

    public ConsoleInput(InputStream in, Sink sink, boolean interactive, Runnable quit) {
        this.in = in;
        this.sink = sink;
        this.interactive = interactive;
        this.quit = quit;
    }

    public Thread start() {
        Thread t = new Thread(this::run, "jkvm-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }

    void run() {
        byte[] buf = new byte[4096];
        boolean escaped = false;
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    int b = buf[i] & 0xff;
                    if (!interactive) {
                        sink.accept((byte) b);
                    } else if (escaped) {
                        escaped = false;
                        if (b == 'x' || b == 'X') {
                            quit.run();
                            return;
                        }
                        sink.accept((byte) b); // Ctrl-A Ctrl-A sends one Ctrl-A; other keys pass through as typed
                    } else if (b == ESCAPE) {
                        escaped = true;
                    } else {
                        sink.accept((byte) b);
                    }
                }
            }
        } catch (IOException e) {
            // stdin closed or unreadable: the guest simply gets no more input.
        }
    }
}
