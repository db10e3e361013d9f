package io.jkvm.devices.virtio;

/**
 * How long the event loop keeps watching one queue after serving it, before it sleeps: QEMU's adaptive polling
 * (util/aio-posix.c, adjust_polling_time, with poll-max-ns, poll-grow 2 and a halving poll-shrink). What it learns
 * from is how long the queue stayed quiet after it was served (the "block time", polling included):
 * <ul>
 * <li>within the window: the window caught it, keep it;</li>
 * <li>after the window but within the cap: a longer window would have, grow it (from 4 µs, doubling, up to the
 * cap);</li>
 * <li>after the cap: no window we allow would have, halve it (to 0 below 4 µs).</li>
 * </ul>
 * A cap of 0 turns polling off, and a host with one CPU gets no window at all ({@link #forHost}): there the spinning
 * loop would take the CPU the guest's vCPU needs to add the next request. Not thread-safe: one queue, one loop.
 */
final class PollWindow {
    /** QEMU's first window. */
    static final long START_NANOS = 4_000;

    private final long maxNanos;
    private long nanos;

    PollWindow(long maxNanos) {
        if (maxNanos < 0) {
            throw new IllegalArgumentException("negative polling cap " + maxNanos);
        }
        this.maxNanos = maxNanos;
    }

    /** The cap for a host with cpus CPUs: none with one. */
    static long forHost(long maxNanos, int cpus) {
        return cpus <= 1 ? 0 : maxNanos;
    }

    /** The current window, 0 for "sleep at once". */
    long nanos() {
        return nanos;
    }

    /** The queue's next notification (or found work) came blockNanos after it was last served. */
    void blocked(long blockNanos) {
        if (maxNanos == 0 || blockNanos <= nanos) {
            return;
        }
        if (blockNanos > maxNanos) {
            nanos = nanos / 2 < START_NANOS ? 0 : nanos / 2;
        } else {
            nanos = nanos == 0 ? Math.min(START_NANOS, maxNanos) : Math.min(nanos * 2, maxNanos);
        }
    }
}
