package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.testing.TestDevice;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Split ring behaviour seen from a driver: chain shapes, used ring contents, notification suppression. */
class VirtqueueTest {
    static final long EVENT_IDX = VirtioFeatures.bit(VirtioFeatures.RING_EVENT_IDX);

    EventLoop loop;
    GuestMemory mem;
    CountingIrq irq;
    TestDevice device;
    MmioTransport transport;
    MmioDriver driver;

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(1 << 20);
        irq = new CountingIrq();
        device = new TestDevice(1, 16);
        transport = new MmioTransport(device, mem, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
    }

    @AfterEach
    void tearDown() {
        transport.close();
        loop.close();
    }

    private long text(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        long a = driver.alloc(b.length, 1);
        mem.write(a, b, 0, b.length);
        return a;
    }

    @Test
    void directChainedAndIndirectChains() {
        DriverQueue q = driver.start(0, 16)[0];
        long w1 = driver.alloc(10, 1);
        long w2 = driver.alloc(6, 1);
        int h1 = q.addChain(readable(text("one"), 3));
        int h2 = q.addChain(readable(text("tw"), 2), readable(text("o"), 1), writable(w1, 10), writable(w2, 6));
        int h3 = q.addIndirect(readable(text("thr"), 3), readable(text("ee"), 2), writable(driver.alloc(4, 1), 4));
        q.kick();

        List<TestDevice.Seen> seen = device.seen();
        assertEquals(3, seen.size());
        assertEquals("one", new String(seen.get(0).readable(), StandardCharsets.US_ASCII));
        assertEquals("two", new String(seen.get(1).readable(), StandardCharsets.US_ASCII));
        assertEquals(4, seen.get(1).buffers());
        assertEquals(16, seen.get(1).writableLength());
        assertEquals("three", new String(seen.get(2).readable(), StandardCharsets.US_ASCII));
        assertEquals(3, seen.get(2).buffers());

        assertEquals(new DriverQueue.Used(h1, 0), q.nextUsed());
        assertEquals(new DriverQueue.Used(h2, 16), q.nextUsed());
        assertEquals(new DriverQueue.Used(h3, 4), q.nextUsed());
        assertNull(q.nextUsed());
        byte[] expect = new byte[6];
        java.util.Arrays.fill(expect, (byte) 0xA5);
        byte[] got = new byte[6];
        mem.read(w2, got, 0, 6);
        assertArrayEquals(expect, got); // the write crossed into the second writable buffer
        assertEquals(3, q.usedIdx());
        assertEquals(1, irq.count()); // one interrupt for the batch
    }

    @Test
    void directDescriptorsFollowedByIndirectTable() {
        DriverQueue q = driver.start(0, 16)[0];
        long table = driver.alloc(32, 16);
        q.writeDescriptorAt(table, text("cd"), 2, Virtqueue.DESC_F_NEXT, 1);
        q.writeDescriptorAt(table + 16, driver.alloc(8, 1), 8, Virtqueue.DESC_F_WRITE, 0);
        q.writeDescriptor(0, text("ab"), 2, Virtqueue.DESC_F_NEXT, 1);
        // 2.7.5.3.2: the WRITE flag on the descriptor naming a table is ignored.
        q.writeDescriptor(1, table, 32, Virtqueue.DESC_F_INDIRECT | Virtqueue.DESC_F_WRITE, 0);
        q.publish(0);
        q.kick();
        TestDevice.Seen s = device.seen().get(0);
        assertEquals("abcd", new String(s.readable(), StandardCharsets.US_ASCII));
        assertEquals(8, s.writableLength());
        assertEquals(new DriverQueue.Used(0, 8), q.nextUsed());
        assertEquals(0, driver.status() & DeviceStatus.DEVICE_NEEDS_RESET);
    }

    @Test
    void ringIndicesWrapAt65536() {
        DriverQueue q = driver.start(0, 4)[0];
        long buf = driver.alloc(4, 4);
        for (int i = 0; i < 70_000; i++) {
            q.addChain(writable(buf, 4));
            q.kick();
            assertNotNull(q.nextUsed());
        }
        assertEquals(70_000 & 0xffff, q.usedIdx());
        assertEquals(0, driver.status() & DeviceStatus.DEVICE_NEEDS_RESET);
    }

    @Test
    void eventIdxUsedEventDecidesInterrupts() {
        DriverQueue q = driver.start(0, 16)[0];
        assertTrue(VirtioFeatures.has(transport.driverFeatures(), VirtioFeatures.RING_EVENT_IDX));
        long buf = driver.alloc(4, 4);
        q.setUsedEvent(2); // interrupt when used idx reaches 3
        q.addChain(writable(buf, 4));
        q.kick();
        assertEquals(1, q.usedIdx());
        assertEquals(0, irq.count());
        q.addChain(writable(buf, 4));
        q.kick();
        assertEquals(0, irq.count());
        q.addChain(writable(buf, 4));
        q.kick();
        assertEquals(3, q.usedIdx());
        assertEquals(1, irq.count());
        q.addChain(writable(buf, 4)); // used_event is behind now: no more interrupts
        q.kick();
        assertEquals(1, irq.count());
        // The flags field is ignored under EVENT_IDX (2.7.7.2).
        q.setAvailFlags(Virtqueue.AVAIL_F_NO_INTERRUPT);
        q.setUsedEvent(4);
        q.addChain(writable(buf, 4));
        q.kick();
        assertEquals(2, irq.count());
    }

    @Test
    void eventIdxAvailEventTellsTheDriverWhenToNotify() {
        DriverQueue q = driver.start(0, 16)[0];
        long buf = driver.alloc(4, 4);
        int old = q.availIdx();
        q.addChain(writable(buf, 4));
        assertTrue(q.deviceWantsNotification(old)); // avail_event starts at 0
        q.kick();
        // After draining, the device asks to hear about the next entry (index 1).
        assertEquals(1, q.availEvent());
        assertEquals(0, q.usedFlags(), "flags stay 0 under EVENT_IDX");
        old = q.availIdx();
        q.addChain(writable(buf, 4));
        q.addChain(writable(buf, 4));
        assertTrue(q.deviceWantsNotification(old));
        q.kick();
        assertEquals(3, q.availEvent());
        // A chain posted without notification while avail_event still says 3 is seen on the next kick.
        old = q.availIdx();
        q.addChain(writable(buf, 4));
        q.kick();
        assertEquals(4, q.usedIdx());
    }

    @Test
    void withoutEventIdxNoInterruptFlagIsHonoured() {
        DriverQueue q = driver.start(EVENT_IDX, 16)[0];
        long buf = driver.alloc(4, 4);
        q.setAvailFlags(Virtqueue.AVAIL_F_NO_INTERRUPT);
        q.addChain(writable(buf, 4));
        q.kick();
        assertEquals(1, q.usedIdx());
        assertEquals(0, irq.count());
        assertEquals(0, driver.read(MmioRegister.INTERRUPT_STATUS));
        q.setAvailFlags(0);
        q.addChain(writable(buf, 4));
        q.kick();
        assertEquals(1, irq.count());
        // The device re-enabled notifications after draining (NO_NOTIFY clear).
        assertEquals(0, q.usedFlags());
        assertTrue(q.deviceWantsNotification(q.availIdx() - 1));
    }

    /** A stall report's view: the driver's and the device's indexes and InterruptStatus. */
    @Test
    void describeShowsBothSidesOfTheRing() {
        assertTrue(transport.describe().get(1).endsWith("queue 0: not ready, size 16"), transport.describe().toString());
        DriverQueue q = driver.start(EVENT_IDX, 16)[0];
        long buf = driver.alloc(4, 4);
        q.addChain(writable(buf, 4));
        q.addChain(writable(buf, 4));
        q.kick();
        q.addChain(writable(buf, 4)); // offered, not notified: one pending
        List<String> lines = transport.describe();
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("virtio-test@0xd0000000: status 0xf, InterruptStatus 0x1, lock free", lines.get(0));
        assertTrue(lines.get(1).contains("avail flags 0x0 idx 3 (device at 2: 1 pending)"), lines.get(1));
        assertTrue(lines.get(1).contains("used flags 0x0 idx 2 (device published 2, checked for notification at 2)"),
                lines.get(1));
        assertTrue(lines.get(1).endsWith(", no EVENT_IDX"), "the test device does not offer it: " + lines.get(1));
    }

    @Test
    void notificationsWithNothingNewSendNoInterrupt() {
        DriverQueue q = driver.start(EVENT_IDX, 16)[0];
        q.kick();
        q.kick();
        assertEquals(0, irq.count());
        assertEquals(0, q.usedIdx());
    }

    @Test
    void indirectRefusedWhenNotNegotiated() {
        DriverQueue q = driver.start(VirtioFeatures.bit(VirtioFeatures.RING_INDIRECT_DESC), 16)[0];
        q.addIndirect(writable(driver.alloc(4, 4), 4));
        q.kick();
        assertTrue((driver.status() & DeviceStatus.DEVICE_NEEDS_RESET) != 0);
        assertTrue(transport.lastError().contains("INDIRECT_DESC was not negotiated"), transport.lastError());
        assertFalse(device.seen().size() > 0);
    }

    @Test
    void aChainMayNameUpTo2To32BytesAndNoMore() throws Exception {
        // 2.7.5.2: 4096 descriptors of 1 MiB are 2^32 bytes; one more descriptor is too many.
        transport.close();
        mem = GuestMemory.allocate(4 << 20);
        device = new TestDevice(1, 8192);
        transport = new MmioTransport(device, mem, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
        DriverQueue q = driver.start(0, 8192)[0];
        long mib = driver.alloc(1 << 20, 4096);
        DriverQueue.Buf[] bufs = new DriverQueue.Buf[4097];
        java.util.Arrays.fill(bufs, readable(mib, 1 << 20));
        q.addChain(java.util.Arrays.copyOf(bufs, 4096));
        Virtqueue vq = device.context().queue(0);
        assertEquals(1L << 32, vq.pop().totalLength());
        q.addChain(bufs);
        VirtqueueException e = org.junit.jupiter.api.Assertions.assertThrows(VirtqueueException.class, vq::pop);
        assertEquals(VirtqueueException.Kind.CHAIN_TOO_LARGE, e.kind(), e.getMessage());
    }
}
