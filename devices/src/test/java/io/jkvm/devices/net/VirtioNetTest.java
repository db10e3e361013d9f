package io.jkvm.devices.net;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.FrameBackend;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.virtio.DeviceStatus;
import io.jkvm.devices.virtio.DoorbellRegistrar;
import io.jkvm.devices.virtio.MmioTransport;
import io.jkvm.devices.virtio.VirtioFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioNetTest {
    static final byte[] MAC = {0x02, 0x6a, 0x6b, 0x76, 0x6d, 0x01};
    static final long MRG = VirtioFeatures.bit(VirtioNet.F_MRG_RXBUF);

    EventLoop loop;
    GuestMemory mem;
    CountingIrq irq;
    FrameBackend backend;
    VirtioNet net;
    MmioTransport transport;
    MmioDriver driver;
    DriverQueue rx;
    DriverQueue tx;

    @BeforeEach
    void setUp() {
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(4 << 20);
        irq = new CountingIrq();
        backend = new FrameBackend(true);
        net = new VirtioNet(backend, MAC);
        transport = new MmioTransport(net, mem, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
    }

    @AfterEach
    void tearDown() {
        transport.close();
        loop.close();
    }

    void start(long without) {
        DriverQueue[] qs = driver.start(without, 16, 16);
        rx = qs[VirtioNet.RECEIVEQ];
        tx = qs[VirtioNet.TRANSMITQ];
    }

    /** A frame with an empty header and payload bytes derived from seed. */
    static byte[] frame(int payload, int seed) {
        byte[] f = new byte[VirtioNetHeader.SIZE + payload];
        for (int i = 0; i < payload; i++) {
            f[VirtioNetHeader.SIZE + i] = (byte) (seed * 31 + i * 7);
        }
        return f;
    }

    long buffer(int len) {
        return driver.alloc(len, 8);
    }

    long put(byte[] b) {
        long a = buffer(b.length);
        mem.write(a, b, 0, b.length);
        return a;
    }

    byte[] guest(long addr, int len) {
        byte[] b = new byte[len];
        mem.read(addr, b, 0, len);
        return b;
    }

    static void await(BooleanSupplier cond, String what) throws InterruptedException {
        for (int i = 0; i < 1000 && !cond.getAsBoolean(); i++) {
            Thread.sleep(2);
        }
        assertTrue(cond.getAsBoolean(), what);
    }

    /** Waits on the loop to go idle by running a task through it twice (tasks kick tasks). */
    void settle() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            Object done = new Object();
            boolean[] ran = {false};
            loop.execute(() -> {
                synchronized (done) {
                    ran[0] = true;
                    done.notifyAll();
                }
            });
            synchronized (done) {
                while (!ran[0]) {
                    done.wait(2000);
                }
            }
        }
    }

    @Test
    void configSpaceHoldsTheMacAndLinkUp() {
        start(0);
        for (int i = 0; i < 6; i++) {
            assertEquals(MAC[i] & 0xff, driver.readConfig(i, 1));
        }
        assertEquals(VirtioNet.S_LINK_UP, driver.readConfig(6, 2));
        long f = driver.deviceFeatures();
        for (int bit : new int[] {VirtioNet.F_MAC, VirtioNet.F_STATUS, VirtioNet.F_MRG_RXBUF, VirtioNet.F_CSUM,
                VirtioNet.F_GUEST_CSUM, VirtioNet.F_HOST_TSO4, VirtioNet.F_HOST_TSO6, VirtioNet.F_GUEST_TSO4,
                VirtioNet.F_GUEST_TSO6, VirtioFeatures.RING_EVENT_IDX, VirtioFeatures.VERSION_1}) {
            assertTrue(VirtioFeatures.has(f, bit), "offers bit " + bit);
        }
    }

    @Test
    void offloadsFollowWhatTheDriverAccepted() {
        start(VirtioFeatures.bit(VirtioNet.F_GUEST_TSO6));
        assertTrue(backend.guestCsum());
        assertTrue(backend.guestTso4());
        assertFalse(backend.guestTso6());
    }

    @Test
    void noOffloadsWithoutABackendThatTakesThem() {
        FrameBackend plain = new FrameBackend(false);
        long f = new VirtioNet(plain, MAC).deviceFeatures();
        assertFalse(VirtioFeatures.has(f, VirtioNet.F_CSUM));
        assertFalse(VirtioFeatures.has(f, VirtioNet.F_GUEST_TSO4));
        assertTrue(VirtioFeatures.has(f, VirtioNet.F_MRG_RXBUF));
    }

    @Test
    void transmitsEachChainAsOneFrameHeaderIncluded() {
        start(0);
        byte[] f = frame(1000, 1);
        VirtioNetHeader h = new VirtioNetHeader().clear();
        h.flags = VirtioNetHeader.F_NEEDS_CSUM;
        h.gsoType = VirtioNetHeader.GSO_TCPV4;
        h.gsoSize = 1448;
        h.hdrLen = 54;
        h.csumStart = 34;
        h.csumOffset = 16;
        h.build(f, 0);
        // header and frame in separate descriptors, as Linux's xmit_skb lays them out without ANY_LAYOUT
        long a = put(Arrays.copyOfRange(f, 0, 12));
        long b = put(Arrays.copyOfRange(f, 12, f.length));
        tx.addChain(readable(a, 12), readable(b, f.length - 12));
        tx.kick();
        List<byte[]> sent = backend.sent();
        assertEquals(1, sent.size());
        assertArrayEquals(f, sent.get(0));
        assertEquals(new DriverQueue.Used(0, 0), tx.nextUsed());
        NetMetrics m = net.metrics();
        assertEquals(1, m.txFrames.get());
        assertEquals(1000, m.txBytes.get());
        assertEquals(1, m.txGsoFrames.get());
    }

    @Test
    void aBatchOfChainsCostsOneInterrupt() {
        start(0);
        for (int i = 0; i < 10; i++) {
            tx.addChain(readable(put(frame(60, i)), 72));
        }
        long before = irq.count();
        tx.kick();
        assertEquals(10, backend.sent().size());
        assertEquals(1, irq.count() - before);
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(frame(60, i), backend.sent().get(i));
        }
    }

    @Test
    void hostileTransmitChainsAreCompletedCountedAndNotSent() {
        start(VirtioFeatures.bit(VirtioNet.F_HOST_TSO6));
        byte[] gso6 = frame(200, 3);
        gso6[0] = VirtioNetHeader.F_NEEDS_CSUM;
        gso6[1] = VirtioNetHeader.GSO_TCPV6;
        gso6[4] = 100;
        gso6[6] = 54;
        gso6[8] = 16;
        tx.addChain(readable(put(new byte[5]), 5));                            // shorter than a header
        tx.addChain(readable(put(new byte[12]), 12));                          // a header and nothing
        tx.addChain(readable(put(frame(2, 0)), 14));                           // shorter than Ethernet
        long big = buffer(40000);
        tx.addChain(readable(big, 40000), readable(big, 40000));               // past 64 KiB
        tx.addChain(readable(put(gso6), gso6.length));                         // TSO6 not negotiated
        tx.addChain(writable(buffer(100), 100));                               // nothing to read
        tx.addChain(readable(put(frame(60, 9)), 72));                          // a good one after them
        tx.kick();
        NetMetrics m = net.metrics();
        assertEquals(3, m.txDropShort.get(), "5 bytes, 14 bytes, no readable part");
        assertEquals(1, m.txDropEmpty.get());
        assertEquals(1, m.txDropOversize.get());
        assertEquals(1, m.txDropBadHeader.get());
        assertEquals(1, m.txFrames.get());
        assertEquals(1, backend.sent().size());
        assertArrayEquals(frame(60, 9), backend.sent().get(0));
        int used = 0;
        while (tx.nextUsed() != null) {
            used++;
        }
        assertEquals(7, used, "every chain completed");
        assertEquals(0, driver.status() & DeviceStatus.DEVICE_NEEDS_RESET);
    }

    @Test
    void withoutMrgRxBufAFrameFillsOneBufferWithNumBuffersOne() throws InterruptedException {
        start(MRG);
        long a = buffer(2048);
        mem.fill(a, 2048, (byte) 0x55);
        rx.addChain(writable(a, 2048));
        rx.kick();
        byte[] f = frame(500, 4);
        f[10] = 7; // whatever the backend left there, the device writes num_buffers
        backend.offer(f);
        await(() -> rx.usedIdx() == 1, "frame delivered");
        DriverQueue.Used u = rx.nextUsed();
        assertEquals(f.length, u.len());
        byte[] got = guest(a, f.length);
        assertEquals(1, new VirtioNetHeader().parse(got, 0).numBuffers);
        assertArrayEquals(Arrays.copyOfRange(f, 12, f.length), Arrays.copyOfRange(got, 12, f.length));
        assertEquals(0x55, mem.getByte(a + f.length) & 0xff, "nothing past the frame");
        assertEquals(1, net.metrics().rxFrames.get());
        assertEquals(500, net.metrics().rxBytes.get());
    }

    @Test
    void withMrgRxBufAFrameSpreadsOverBuffersAndNumBuffersCountsThem() throws InterruptedException {
        start(0);
        long[] bufs = new long[5];
        for (int i = 0; i < bufs.length; i++) {
            bufs[i] = buffer(1024);
            rx.addChain(writable(bufs[i], 1024));
        }
        rx.kick();
        byte[] f = frame(3000, 5); // 3012 bytes: 1024 + 1024 + 964
        backend.offer(f);
        await(() -> rx.usedIdx() == 3, "three buffers used at once");
        settle();
        assertEquals(3, rx.usedIdx(), "no more than three");
        int[] lens = {1024, 1024, 964};
        byte[] got = new byte[f.length];
        int off = 0;
        for (int i = 0; i < 3; i++) {
            DriverQueue.Used u = rx.nextUsed();
            assertEquals(i, u.id());
            assertEquals(lens[i], u.len());
            mem.read(bufs[i], got, off, u.len());
            off += u.len();
        }
        assertEquals(3, new VirtioNetHeader().parse(got, 0).numBuffers);
        assertArrayEquals(Arrays.copyOfRange(f, 12, f.length), Arrays.copyOfRange(got, 12, f.length));
        assertEquals(3, net.metrics().rxBuffers.get());
        // the next frame starts in the fourth buffer
        backend.offer(frame(100, 6));
        await(() -> rx.usedIdx() == 4, "second frame");
        DriverQueue.Used u = rx.nextUsed();
        assertEquals(3, u.id());
        assertEquals(1, new VirtioNetHeader().parse(guest(bufs[3], 12), 0).numBuffers);
    }

    @Test
    void theHeaderMaySitInPiecesAcrossDescriptors() throws InterruptedException {
        start(0);
        long a = buffer(10);
        long b = buffer(2000);
        rx.addChain(writable(a, 10), writable(b, 2000));
        rx.kick();
        backend.offer(frame(100, 2));
        await(() -> rx.usedIdx() == 1, "delivered");
        assertEquals(1, mem.getByte(b) & 0xff, "num_buffers low byte in the second descriptor");
        assertEquals(0, mem.getByte(b + 1) & 0xff);
    }

    @Test
    void noBuffersStopsReadingUntilTheDoorbellAndLosesNothing() throws InterruptedException {
        start(0);
        await(() -> backend.readInterest(), "reading on while the backend is idle");
        for (int i = 0; i < 20; i++) {
            backend.offer(frame(200 + i, i));
        }
        await(() -> !backend.readInterest() && net.metrics().rxStalls.get() == 1, "reading off with no buffers");
        settle();
        assertEquals(19, backend.waiting(), "one frame held by the device, the rest left in the backend");
        assertEquals(1, net.metrics().rxStalls.get());
        int changes = backend.interestChanges();
        settle();
        assertEquals(changes, backend.interestChanges(), "no spinning while stalled");
        assertEquals(0, rx.usedIdx());

        int next = 0;
        for (int batch : new int[] {8, 8, 4}) {
            java.util.Map<Integer, Long> byHead = new java.util.HashMap<>();
            for (int i = 0; i < batch; i++) {
                long a = buffer(1024);
                byHead.put(rx.addChain(writable(a, 1024)), a);
            }
            rx.kick(); // the RX doorbell resumes delivery
            int want = next + batch;
            await(() -> rx.usedIdx() == want, "frames up to " + want);
            for (int i = 0; i < batch; i++, next++) {
                DriverQueue.Used u = rx.nextUsed();
                byte[] f = frame(200 + next, next);
                assertEquals(f.length, u.len(), "frame " + next);
                byte[] got = guest(byHead.get(u.id()), f.length);
                assertArrayEquals(Arrays.copyOfRange(f, 12, f.length), Arrays.copyOfRange(got, 12, f.length),
                        "frame " + next + " in order and whole");
            }
        }
        assertEquals(20, net.metrics().rxFrames.get());
        assertEquals(0, net.metrics().rxDropOversize.get());
        await(() -> backend.readInterest(), "reading on again once the backend is empty");
    }

    @Test
    void withMrgRxBufTooFewBuffersForAFrameStallsUntilMoreCome() throws InterruptedException {
        start(0);
        long a = buffer(64);
        rx.addChain(writable(a, 64));
        rx.kick();
        backend.offer(frame(200, 1)); // 212 bytes: four 64-byte buffers
        await(() -> net.metrics().rxStalls.get() == 1 && !backend.readInterest(), "stalled on one buffer");
        settle();
        assertEquals(1, net.metrics().rxStalls.get(), "waiting, not spinning");
        assertEquals(0, rx.usedIdx());
        long[] more = {buffer(64), buffer(64), buffer(64)};
        for (long m : more) {
            rx.addChain(writable(m, 64));
        }
        rx.kick();
        await(() -> rx.usedIdx() == 4, "delivered over four buffers");
        assertEquals(4, new VirtioNetHeader().parse(guest(a, 12), 0).numBuffers);
    }

    @Test
    void aFrameLargerThanTheBufferIsDroppedWholeAndTheBufferKept() throws InterruptedException {
        start(MRG);
        long a = buffer(256);
        rx.addChain(writable(a, 256));
        rx.kick();
        backend.offer(frame(1000, 1));
        backend.offer(frame(100, 2));
        await(() -> rx.usedIdx() == 1, "the small frame delivered");
        DriverQueue.Used u = rx.nextUsed();
        assertEquals(112, u.len());
        assertArrayEquals(Arrays.copyOfRange(frame(100, 2), 12, 112), Arrays.copyOfRange(guest(a, 112), 12, 112));
        assertEquals(1, net.metrics().rxDropOversize.get());
    }

    @Test
    void withMrgRxBufAFrameLargerThanTheWholeRingIsDropped() throws InterruptedException {
        start(0);
        for (int i = 0; i < 16; i++) {
            rx.addChain(writable(buffer(64), 64));
        }
        rx.kick();
        backend.offer(frame(2000, 1)); // 16 * 64 = 1024 bytes is all the ring can ever hold
        backend.offer(frame(50, 2));
        await(() -> rx.usedIdx() == 1, "the small frame delivered");
        assertEquals(62, rx.nextUsed().len());
        assertEquals(1, net.metrics().rxDropOversize.get());
    }

    @Test
    void receiveChainsTooSmallForAHeaderAreReturnedEmpty() throws InterruptedException {
        start(0);
        rx.addChain(writable(buffer(8), 8));
        rx.addChain(readable(buffer(64), 64));
        long a = buffer(512);
        rx.addChain(writable(a, 512));
        rx.kick();
        backend.offer(frame(100, 1));
        await(() -> rx.usedIdx() == 3, "three chains back");
        assertEquals(new DriverQueue.Used(0, 0), rx.nextUsed());
        assertEquals(new DriverQueue.Used(1, 0), rx.nextUsed());
        assertEquals(new DriverQueue.Used(2, 112), rx.nextUsed());
        assertEquals(2, net.metrics().rxBadChains.get());
    }

    @Test
    void aDeviceThatNeedsResetIsNotWokenByInputAgainAndAgain() throws InterruptedException {
        start(0);
        backend.offer(frame(60, 0));
        await(() -> net.metrics().rxStalls.get() == 1, "a frame held");
        rx.setAvailIdx(1000); // more chains than the ring holds: DEVICE_NEEDS_RESET on the next pass
        rx.kick();
        assertTrue((driver.status() & DeviceStatus.DEVICE_NEEDS_RESET) != 0);
        backend.offer(frame(60, 1));
        settle();
        int changes = backend.interestChanges();
        settle();
        assertFalse(backend.readInterest(), "reading off");
        assertEquals(changes, backend.interestChanges(), "and left off");
        assertEquals(1, backend.waiting(), "the frame stays in the backend for the next driver");
    }

    @Test
    void resetDropsTheHeldFrameAndStopsReading() throws InterruptedException {
        start(0);
        backend.offer(frame(100, 1));
        await(() -> !backend.readInterest() && net.metrics().rxStalls.get() == 1, "held, stalled");
        driver.reset();
        assertEquals(1, net.metrics().rxDropReset.get());
        assertFalse(backend.readInterest());
        start(0);
        long a = buffer(512);
        rx.addChain(writable(a, 512));
        rx.kick();
        backend.offer(frame(60, 2));
        await(() -> rx.usedIdx() == 1, "a new driver receives");
        assertEquals(72, rx.nextUsed().len());
        assertNull(rx.nextUsed());
    }
}
