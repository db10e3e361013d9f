package io.jkvm.devices.event;

import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.testing.RecordingRegistrar;
import io.jkvm.devices.testing.TestDevice;
import io.jkvm.devices.virtio.MmioTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventLoopTest {
    static final long BASE = 0xd000_0000L;

    EventLoop loop;

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
    }

    @AfterEach
    void tearDown() {
        loop.close();
    }

    static boolean isEventFd(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().contains("eventfd");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void signalFromAnotherThreadRunsTheCallbackOnTheLoopAndDrains() throws Exception {
        EventFd fd = EventFd.create();
        AtomicInteger calls = new AtomicInteger();
        AtomicReference<String> thread = new AtomicReference<>();
        CountDownLatch fired = new CountDownLatch(1);
        loop.subscribe(fd, () -> {
            calls.incrementAndGet();
            thread.set(Thread.currentThread().getName());
            fired.countDown();
        });
        Thread writer = new Thread(() -> fd.write(3));
        writer.start();
        assertTrue(fired.await(5, TimeUnit.SECONDS));
        assertTrue(thread.get().startsWith("test-loop"), thread.get());
        Thread.sleep(100);
        assertEquals(1, calls.get(), "the counter was drained: level-triggered epoll does not fire again");
        assertFalse(fd.drain(), "nothing left to read");
    }

    @Test
    void signalBeforeRegistrationCompletesIsNotLost() throws Exception {
        EventFd fd = EventFd.create();
        fd.write(1); // already readable when it joins the loop
        CountDownLatch fired = new CountDownLatch(1);
        loop.subscribe(fd, fired::countDown);
        assertTrue(fired.await(5, TimeUnit.SECONDS));
    }

    @Test
    void cancelClosesTheFdOnTheLoop() throws Exception {
        EventFd fd = EventFd.create();
        int n = fd.fd();
        EventLoop.Subscription s = loop.subscribe(fd, () -> { });
        s.cancel();
        for (int i = 0; i < 100 && fd.isOpen(); i++) {
            Thread.sleep(10);
        }
        assertFalse(fd.isOpen());
        assertFalse(isEventFd(n), "fd " + n + " is no longer an eventfd");
    }

    @Test
    void aThrowingCallbackDoesNotStopTheLoop() throws Exception {
        EventFd bad = EventFd.create();
        EventFd good = EventFd.create();
        CountDownLatch fired = new CountDownLatch(1);
        loop.subscribe(bad, () -> {
            throw new IllegalStateException("device bug");
        });
        loop.subscribe(good, fired::countDown);
        bad.write(1);
        Thread.sleep(50);
        good.write(1);
        assertTrue(fired.await(5, TimeUnit.SECONDS));
    }

    @Test
    void closingTheLoopClosesSubscribedFds() {
        EventFd fd = EventFd.create();
        loop.subscribe(fd, () -> { });
        loop.execute(() -> { }); // make sure the registration ran
        loop.close();
        assertFalse(fd.isOpen());
    }

    /**
     * The production path: KVM_IOEVENTFD writes the queue's eventfd (here from a separate thread, as a vCPU would), the
     * Netty loop wakes, the transport processes the queue on the loop thread, and no QueueNotify exit happens.
     */
    @Test
    void ioeventfdDoorbellIsServedOnTheLoop() throws Exception {
        GuestMemory mem = GuestMemory.allocate(1 << 20);
        CountingIrq irq = new CountingIrq();
        TestDevice device = new TestDevice(2, 16);
        RecordingRegistrar kvm = new RecordingRegistrar();
        MmioTransport t = new MmioTransport(device, mem, BASE, irq, kvm, loop);
        MmioDriver driver = new MmioDriver(t, mem, BASE, kvm);
        DriverQueue[] qs = driver.start(0, 16, 16);
        RecordingRegistrar.Registration reg = kvm.registration(BASE + 0x50, 1);
        assertNotNull(reg, "queue 1's doorbell registered at base + 0x50, datamatch 1");
        assertTrue(t.doorbellInKvm(1));

        long buf = driver.alloc(32, 8);
        int head = qs[1].addChain(writable(buf, 32));
        Thread vcpu = new Thread(qs[1]::kick, "fake-vcpu"); // kick → kvm.ring → eventfd write
        vcpu.start();
        vcpu.join();

        assertTrue(irq.awaitCount(1, 5, TimeUnit.SECONDS), "used buffer interrupt");
        assertEquals(new DriverQueue.Used(head, 32), qs[1].nextUsed());
        assertTrue(device.processThread().startsWith("test-loop"), device.processThread());
        assertEquals(0, t.metrics().exitNotifications.get());
        assertEquals(1, t.metrics().doorbellWakeups.get());
        assertEquals(MmioTransport.INT_USED_BUFFER, driver.handleInterrupt());

        // Many doorbells in a burst coalesce in the eventfd counter; every chain is still served.
        for (int i = 0; i < 10; i++) {
            qs[0].addChain(writable(driver.alloc(8, 8), 8));
            qs[0].kick();
        }
        for (int i = 0; i < 500 && qs[0].usedIdx() < 10; i++) {
            Thread.sleep(10);
        }
        assertEquals(10, qs[0].usedIdx());
        t.close();
        assertEquals(2, kvm.unregistered().size());
    }

    /** Anything a callback or a task throws is logged and handed to the failure listener; the loop goes on. */
    @Test
    void aThrowingCallbackOrTaskReachesTheFailureListener() throws Exception {
        java.util.concurrent.BlockingQueue<Throwable> failures = new java.util.concurrent.LinkedBlockingQueue<>();
        loop.onFailure(failures::add);
        EventFd fd = EventFd.create();
        loop.subscribe(fd, () -> {
            throw new OutOfMemoryError("from a callback");
        });
        fd.write(1);
        Throwable first = failures.poll(5, TimeUnit.SECONDS);
        assertNotNull(first);
        assertEquals("from a callback", first.getMessage());
        loop.execute(() -> {
            throw new IllegalStateException("from a task");
        });
        Throwable second = failures.poll(5, TimeUnit.SECONDS);
        assertNotNull(second);
        assertEquals("from a task", second.getMessage());
        CountDownLatch still = new CountDownLatch(1);
        loop.execute(still::countDown);
        assertTrue(still.await(5, TimeUnit.SECONDS), "the loop still runs tasks");
    }
}
