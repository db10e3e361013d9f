package io.jkvm.devices.fuzz;

import io.jkvm.devices.event.EventLoop;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The event loop behind every fuzzed transport (doorbells, console kicks): one for the whole run, since starting a
 * Netty loop per input would cost more than the input. A hang may leave it stuck; it is then replaced.
 */
final class SharedLoop {
    private static EventLoop loop;
    private static volatile Thread thread;

    private SharedLoop() {
    }

    static synchronized EventLoop get() {
        if (loop == null) {
            loop = new EventLoop("fuzz-loop");
            loop.execute(() -> thread = Thread.currentThread());
        }
        return loop;
    }

    /**
     * Waits until the loop has run everything queued so far (a console kick, a rescheduled wake-up), so that the
     * target's next guest action and write check do not race with it. A loop that does not get there is stuck.
     */
    static void drain() throws InterruptedException {
        EventLoop l = get();
        CountDownLatch done = new CountDownLatch(1);
        l.execute(done::countDown);
        if (!done.await(Bounded.BOUND_MILLIS, TimeUnit.MILLISECONDS)) {
            Thread stuck = thread;
            replace();
            AssertionError hang = new AssertionError("the event loop did not come back within " + Bounded.BOUND_MILLIS
                    + " ms: a queue's wake-up keeps it busy");
            if (stuck != null) {
                hang.initCause(Stuck.at(stuck));
            }
            throw hang;
        }
    }

    /** Leaves the old loop to its daemon thread (closing it waits for the stuck task) and starts afresh. */
    static synchronized void replace() {
        loop = null;
        thread = null;
    }
}
