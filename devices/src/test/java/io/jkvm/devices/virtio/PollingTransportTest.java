package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.testing.RecordingRegistrar;
import io.jkvm.devices.testing.TestDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A driver doing one request at a time against the transport on a real event loop and eventfds, notifying only
 * when the device asks (as virtqueue_kick_prepare): with polling, most requests are found by the watching loop and
 * need no doorbell; every request completes either way.
 */
class PollingTransportTest {
    static final long BASE = 0xd000_0000L;
    static final int REQUESTS = 300;

    EventLoop loop = new EventLoop("test-loop");
    MmioTransport transport;

    @AfterEach
    void tearDown() {
        if (transport != null) {
            transport.close();
        }
        loop.close();
    }

    @ParameterizedTest(name = "without EVENT_IDX: {0}")
    @ValueSource(booleans = {false, true})
    void requestsPostedWhileTheLoopWatchesNeedNoDoorbell(boolean withoutEventIdx) {
        assumeTrue(Runtime.getRuntime().availableProcessors() > 1, "no polling on a single-CPU host");
        GuestMemory mem = GuestMemory.allocate(1 << 20);
        RecordingRegistrar kvm = new RecordingRegistrar();
        transport = new MmioTransport(new TestDevice(1, 8), mem, BASE, new CountingIrq(), kvm, loop);
        transport.pollBeforeSleeping(20_000_000); // 20 ms: far longer than this driver takes between requests
        MmioDriver driver = new MmioDriver(transport, mem, BASE, kvm);
        DriverQueue q = driver.start(withoutEventIdx ? 1L << VirtioFeatures.RING_EVENT_IDX : 0, 8)[0];
        long buf = driver.alloc(8, 8);
        int notified = 0;
        for (int i = 0; i < REQUESTS; i++) {
            int old = q.availIdx();
            q.addChain(writable(buf, 8));
            if (q.deviceWantsNotification(old)) {
                q.kick();
                notified++;
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (q.nextUsed() == null) {
                assertTrue(System.nanoTime() < deadline, "request " + i + " never completed (lost notification?)");
                Thread.onSpinWait();
            }
        }
        VirtioMetrics m = transport.metrics();
        assertTrue(m.doorbellWakeups.get() <= notified, "a wake-up only for a notification: " + m.snapshot());
        assertTrue(m.pollHits.get() > REQUESTS / 2, "most requests found by polling: " + m.snapshot());
        assertTrue(notified < REQUESTS / 2, notified + " notifications for " + REQUESTS + " requests");
    }
}
