package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.metrics.Counter;
import io.jkvm.devices.metrics.Metrics;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;


import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The poll loop over a real queue and a simulated driver that, as Linux's virtqueue_kick_prepare, notifies only
 * when the device's suppression says so; the clock is the test's.
 */
class QueuePollerTest {
    static final class Counters extends Metrics {
        final Counter hits = counter("hits");
        final Counter misses = counter("misses");
    }

    final GuestMemory mem = GuestMemory.allocate(1 << 20);
    final MmioDriver driver = new MmioDriver(new NullBus(), mem);
    final Counters counters = new Counters();
    long now;

    /** Only ring memory is used; the queue is set up directly, as the transport would on DRIVER_OK. */
    static final class NullBus implements io.jkvm.devices.bus.BusDevice {
        @Override
        public long read(long offset, int size) {
            return 0;
        }

        @Override
        public void write(long offset, int size, long value) {
        }
    }

    /** A queue of 8 with eventIdx or not, its rings in mem; the test plays driver through DriverQueue. */
    final class Fixture implements QueuePoller.Queue {
        final Virtqueue q = new Virtqueue(mem, 0, 8);
        final DriverQueue dq;
        int served;
        boolean suppressed;
        /** Runs on every look at the available index (the driver acting while the loop watches). */
        Runnable onLook = () -> { };

        Fixture(boolean eventIdx) {
            long desc = driver.alloc(16 * 8, 16);
            long avail = driver.alloc(6 + 2 * 8, 2);
            long used = driver.alloc(6 + 8 * 8, 4);
            q.setSize(8);
            q.setDescTable(desc);
            q.setAvailRing(avail);
            q.setUsedRing(used);
            q.setReady(true);
            long features = VirtioFeatures.TRANSPORT & (eventIdx ? -1L : ~(1L << VirtioFeatures.RING_EVENT_IDX));
            q.start(features);
            dq = new DriverQueue(driver, mem, 0, 8, desc, avail, used, eventIdx);
        }

        /** What a driver does: post a chain; returns whether it would notify. */
        boolean post() {
            int old = dq.availIdx();
            dq.addChain(writable(driver.alloc(8, 8), 8));
            return dq.deviceWantsNotification(old);
        }

        @Override
        public boolean suppress() {
            q.watch(true);
            suppressed = true;
            return true;
        }

        @Override
        public boolean hasAvailable() {
            now += 1_000; // each look costs 1 µs of the test's clock
            onLook.run();
            return q.hasAvailable();
        }

        @Override
        public boolean resume() {
            suppressed = false;
            q.watch(false);
            return q.enableNotification();
        }

        @Override
        public void serve() {
            try {
                QueueDrain.drain(new NoKicks(), q, new ChainHandler() {
                    @Override
                    public long handle(DescriptorChain chain) {
                        served++;
                        return 0;
                    }
                });
            } catch (VirtqueueException e) {
                throw new AssertionError(e);
            }
        }
    }

    QueuePoller poller(long capNanos) {
        PollWindow w = new PollWindow(capNanos);
        while (w.nanos() < capNanos) {
            w.blocked(w.nanos() + 1);
        }
        return new QueuePoller(w, () -> now, counters.hits, counters.misses);
    }

    @ParameterizedTest(name = "eventIdx={0}")
    @ValueSource(booleans = {false, true})
    void aChainPostedWhileTheLoopWatchesIsServedWithoutANotification(boolean eventIdx) {
        Fixture f = new Fixture(eventIdx);
        QueuePoller p = poller(20_000);
        assertTrue(f.post());
        int[] looks = {0};
        f.onLook = () -> {
            if (++looks[0] == 5) {
                assertFalse(f.post(), "notifications are suppressed while the loop watches");
            }
        };
        assertFalse(p.rang(f));
        assertEquals(2, f.served);
        assertEquals(1, counters.hits.get());
        assertEquals(1, counters.misses.get());
        assertFalse(f.suppressed, "notifications are on again before the loop sleeps");
        assertTrue(f.post(), "and the next chain is notified");
    }

    /**
     * The window runs out; the driver posts its chain after the loop's last look but before notifications are on
     * again, so it does not notify: the re-check after re-enabling finds it.
     */
    @ParameterizedTest(name = "eventIdx={0}")
    @ValueSource(booleans = {false, true})
    void aChainPostedBetweenTheLastLookAndTheReEnableIsNotLost(boolean eventIdx) {
        Fixture f = new Fixture(eventIdx);
        QueuePoller p = poller(10_000);
        f.post();
        boolean[] raced = {false};
        QueuePoller.Queue racing = new QueuePoller.Queue() {
            @Override
            public boolean suppress() {
                return f.suppress();
            }

            @Override
            public boolean hasAvailable() {
                return f.hasAvailable();
            }

            @Override
            public boolean resume() {
                if (!raced[0]) {
                    raced[0] = true;
                    assertFalse(f.post(), "still suppressed: the driver does not notify");
                }
                return f.resume();
            }

            @Override
            public void serve() {
                f.serve();
            }
        };
        assertFalse(p.rang(racing));
        assertEquals(2, f.served, "the re-check served it");
        assertFalse(f.q.hasAvailable());
        assertFalse(f.suppressed);
    }

    @Test
    void withNoWindowTheLoopServesAndSleepsAtOnce() {
        Fixture f = new Fixture(false);
        QueuePoller p = new QueuePoller(new PollWindow(50_000), () -> now, counters.hits, counters.misses);
        f.post();
        assertFalse(p.rang(f));
        assertEquals(1, f.served);
        assertFalse(f.suppressed);
        assertEquals(0, counters.misses.get());
    }

    @Test
    void aQueueThatNeverEmptiesHandsTheLoopBackAfterItsRounds() {
        Fixture f = new Fixture(false);
        QueuePoller p = poller(50_000);
        f.post();
        QueuePoller.Queue busy = new QueuePoller.Queue() {
            @Override
            public boolean suppress() {
                return f.suppress();
            }

            @Override
            public boolean hasAvailable() {
                return f.hasAvailable();
            }

            @Override
            public boolean resume() {
                return f.resume();
            }

            @Override
            public void serve() {
                f.serve();
                f.post(); // the guest's next request is there by the time one is served
            }
        };
        assertTrue(p.rang(busy), "more is left for a later turn");
        assertEquals(QueuePoller.MAX_ROUNDS, counters.hits.get());
        assertEquals(QueuePoller.MAX_ROUNDS, f.served);
        assertFalse(f.suppressed, "notifications are on while the loop does other work");
    }

    static final class NoKicks implements DeviceContext {
        @Override
        public GuestMemory memory() {
            return null;
        }

        @Override
        public long features() {
            return 0;
        }

        @Override
        public Virtqueue queue(int index) {
            return null;
        }

        @Override
        public void kick(int queueIndex) {
        }

        @Override
        public void changeConfig(Runnable change) {
            change.run();
        }

        @Override
        public void fail(String reason) {
        }

        @Override
        public EventLoop eventLoop() {
            return null;
        }
    }
}
