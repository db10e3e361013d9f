package io.jkvm.core.vm;

import java.util.function.LongSupplier;

/**
 * Calls onStall once when progress (a count that grows with every userspace exit, served request and console
 * byte) has not moved for stallMillis. A guest that is waiting for something that never comes (a lost interrupt, a
 * request the device never completed) then gets a report instead of a silent hang; an idle guest counts as stalled
 * too, so this is for guests that have work to do.
 */
final class StallWatch implements AutoCloseable {
    private final Thread thread;
    private volatile boolean closed;

    private StallWatch(long stallMillis, LongSupplier progress, Runnable onStall) {
        long period = Math.max(10, Math.min(1000, stallMillis / 4));
        thread = new Thread(() -> {
            long last = progress.getAsLong();
            long since = System.nanoTime();
            while (!closed) {
                try {
                    Thread.sleep(period);
                } catch (InterruptedException e) {
                    return;
                }
                long now = progress.getAsLong();
                if (now != last) {
                    last = now;
                    since = System.nanoTime();
                } else if (System.nanoTime() - since >= stallMillis * 1_000_000L) {
                    if (!closed) {
                        onStall.run();
                    }
                    return;
                }
            }
        }, "jkvm-stall-watch");
        thread.setDaemon(true);
    }

    static StallWatch start(long stallMillis, LongSupplier progress, Runnable onStall) {
        StallWatch w = new StallWatch(stallMillis, progress, onStall);
        w.thread.start();
        return w;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
