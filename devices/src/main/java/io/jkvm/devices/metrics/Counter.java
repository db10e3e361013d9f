package io.jkvm.devices.metrics;

import java.util.concurrent.atomic.AtomicLong;

/** A monotonically increasing count of one event, safe to bump from any thread and read from another. */
public final class Counter {
    private final AtomicLong value = new AtomicLong();

    public void inc() {
        value.incrementAndGet();
    }

    public void add(long n) {
        value.addAndGet(n);
    }

    public long get() {
        return value.get();
    }
}
