package io.jkvm.core.cli;

import java.io.IOException;
import java.io.InputStream;

/**
 * Pumps this process's stdin into the guest console. On a terminal, Ctrl-A x ends the VM (as in QEMU's -nographic)
 * and Ctrl-A Ctrl-A sends one Ctrl-A; from a pipe or file every byte goes through unchanged.
 *
 * <p>Two daemon threads: one reads stdin and looks for the escape, one hands bytes to the guest. A guest that
 * does not take input (the 8250 refuses bytes until its driver enables the receive interrupt, and whenever its
 * FIFO is full) never stops the reader: bytes wait in a bounded backlog, and on a terminal, once that is full, new
 * ones are dropped and counted, so the escape typed behind them is always seen. Piped input has no escape and
 * must not be lost: there the reader waits for room instead.
 */
public final class ConsoleInput {
    /** Where input bytes go: the 8250's receive FIFO or virtio-console's receive queue. */
    public interface Sink {
        /** Takes b, or returns false when the guest cannot take it yet; it is offered again later. */
        boolean offer(byte b);
    }

    static final int ESCAPE = 0x01; // Ctrl-A
    /** Bytes held for a guest that is not taking them: more than a paste into a shell prompt. */
    static final int BACKLOG = 64 * 1024;
    /** How long the feeder waits before offering a refused byte again: the guest reads its FIFO in this time. */
    private static final long RETRY_MILLIS = 2;

    private final InputStream in;
    private final Sink sink;
    private final boolean interactive;
    private final Runnable quit;

    // The backlog, a ring guarded by this.
    private final byte[] backlog = new byte[BACKLOG];
    private int head;
    private int count;
    private boolean quitting;
    private long dropped;

    public ConsoleInput(InputStream in, Sink sink, boolean interactive, Runnable quit) {
        this.in = in;
        this.sink = sink;
        this.interactive = interactive;
        this.quit = quit;
    }

    /** Starts the reader (returned) and the feeder. */
    public Thread start() {
        Thread t = new Thread(this::run, "jkvm-stdin");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Bytes typed while the backlog was full, thrown away. */
    public synchronized long dropped() {
        return dropped;
    }

    /** Reads stdin until it ends (and the backlog has gone to the guest) or Ctrl-A x. */
    void run() {
        Thread feeder = new Thread(this::feed, "jkvm-stdin-feed");
        feeder.setDaemon(true);
        feeder.start();
        byte[] buf = new byte[4096];
        boolean escaped = false;
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    int b = buf[i] & 0xff;
                    if (!interactive) {
                        hold(b);
                    } else if (escaped) {
                        escaped = false;
                        if (b == 'x' || b == 'X') {
                            endFeeder();
                            quit.run();
                            return;
                        }
                        hold(b); // Ctrl-A Ctrl-A sends one Ctrl-A; other keys pass through as typed
                    } else if (b == ESCAPE) {
                        escaped = true;
                    } else {
                        hold(b);
                    }
                }
            }
        } catch (IOException e) {
            // stdin closed or unreadable: the guest simply gets no more input.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        drained();
    }

    private synchronized void hold(int b) throws InterruptedException {
        while (count == BACKLOG) {
            if (interactive) {
                dropped++;
                return;
            }
            wait();
        }
        backlog[(head + count) % BACKLOG] = (byte) b;
        count++;
        notifyAll();
    }

    private synchronized void endFeeder() {
        quitting = true;
        notifyAll();
    }

    /** Waits until the guest has taken what stdin gave before it ended. */
    private synchronized void drained() {
        try {
            while (count > 0 && !quitting) {
                wait();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        endFeeder();
    }

    private void feed() {
        try {
            while (true) {
                byte b;
                synchronized (this) {
                    while (count == 0 && !quitting) {
                        wait();
                    }
                    if (quitting) {
                        return;
                    }
                    b = backlog[head];
                }
                if (sink.offer(b)) {
                    synchronized (this) {
                        head = (head + 1) % BACKLOG;
                        count--;
                        notifyAll();
                    }
                } else {
                    Thread.sleep(RETRY_MILLIS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
