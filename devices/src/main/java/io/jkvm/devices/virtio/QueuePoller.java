package io.jkvm.devices.virtio;

import io.jkvm.devices.metrics.Counter;

import java.util.function.LongSupplier;

/**
 * Polling before sleeping, for one queue served on the event loop: after serving it, watch its available index
 * for a {@link PollWindow} with the driver's notifications suppressed (2.7.10: VIRTQ_USED_F_NO_NOTIFY, or an
 * avail_event the driver has passed under VIRTIO_F_EVENT_IDX), so that a guest adding its next request while the
 * loop still watches neither exits nor waits for the loop to wake. Before sleeping, notifications are re-enabled
 * and the index looked at once more (the spec's re-check), since a chain added between the last look and the
 * re-enable is not notified. Not thread-safe: the loop thread only.
 */
final class QueuePoller {
    /** What the poller does to its queue; each call takes the transport's lock. */
    interface Queue {
        /** Suppresses notifications until {@link #resume}; false when the queue is no longer live. */
        boolean suppress();

        boolean hasAvailable();

        /** Re-enables notifications and re-checks: true when chains arrived meanwhile. */
        boolean resume();

        void serve();
    }

    /** Rounds of serve-and-watch per wake-up, so that a busy queue hands the loop back to the other devices. */
    static final int MAX_ROUNDS = 64;

    private final PollWindow window;
    private final LongSupplier clock;
    private final Counter hits;
    private final Counter misses;
    /** When the queue was last left to sleep, or -1. */
    private long idleSince = -1;

    QueuePoller(PollWindow window, LongSupplier clock, Counter hits, Counter misses) {
        this.window = window;
        this.clock = clock;
        this.hits = hits;
        this.misses = misses;
    }

    /**
     * The queue's doorbell rang: learn how long it slept, serve it and poll. Returns true when chains are left for
     * a later turn of the loop (the rounds ran out); notifications are enabled whenever this returns.
     */
    boolean rang(Queue q) {
        if (idleSince >= 0) {
            window.blocked(clock.getAsLong() - idleSince);
            idleSince = -1;
        }
        for (int round = 0; round < MAX_ROUNDS; round++) {
            long w = window.nanos();
            // Suppressed before serving: the drain then leaves them off, and a request the driver adds as soon as
            // it sees its last one used is not notified.
            boolean watching = w > 0 && q.suppress();
            q.serve();
            long start = clock.getAsLong();
            if (!watching) {
                idleSince = start; // the drain re-enabled notifications and re-checked (QueueDrain)
                return false;
            }
            boolean found;
            while (!(found = q.hasAvailable()) && clock.getAsLong() - start < w) {
                Thread.onSpinWait();
            }
            if (!found && !q.resume()) {
                misses.inc();
                idleSince = start;
                return false;
            }
            hits.inc();
            window.blocked(clock.getAsLong() - start);
        }
        return q.resume(); // the last round found work: a later turn of the loop serves it
    }
}
