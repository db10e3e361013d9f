package io.jkvm.devices.testing;

import io.jkvm.devices.irq.IrqLine;

import java.util.concurrent.TimeUnit;

/** An interrupt line that counts its edges; tests wait on it for work done on the event loop. */
public final class CountingIrq implements IrqLine {
    private long count;

    @Override
    public synchronized void trigger() {
        count++;
        notifyAll();
    }

    public synchronized long count() {
        return count;
    }

    /** Waits until at least n edges happened; returns whether they did within the timeout. */
    public synchronized boolean awaitCount(long n, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (count < n) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
