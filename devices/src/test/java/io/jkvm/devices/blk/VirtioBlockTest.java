package io.jkvm.devices.blk;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.testing.CapturedLog;
import io.jkvm.devices.testing.CountingIrq;
import io.jkvm.devices.testing.DriverQueue;
import io.jkvm.devices.testing.DriverQueue.Buf;
import io.jkvm.devices.testing.MmioDriver;
import io.jkvm.devices.virtio.DeviceStatus;
import io.jkvm.devices.virtio.DoorbellRegistrar;
import io.jkvm.devices.virtio.MmioRegister;
import io.jkvm.devices.virtio.MmioTransport;
import io.jkvm.devices.virtio.VirtioFeatures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VirtioBlockTest {
    static final int SECTORS = 64;

    @TempDir
    Path dir;
    Path image;
    byte[] original;
    EventLoop loop;
    GuestMemory mem;
    CountingIrq irq;
    VirtioBlock blk;
    MmioTransport transport;
    MmioDriver driver;
    DriverQueue q;

    @BeforeEach
    void setUp() throws IOException {
        image = dir.resolve("disk.img");
        original = new byte[SECTORS * 512];
        new Random(7).nextBytes(original);
        Files.write(image, original);
        loop = new EventLoop("test-loop");
        mem = GuestMemory.allocate(4 << 20);
        irq = new CountingIrq();
    }

    void attach(boolean readOnly) throws IOException {
        attach(readOnly, 0);
    }

    void attach(boolean readOnly, long withoutFeatures) throws IOException {
        blk = VirtioBlock.open(image, readOnly);
        transport = new MmioTransport(blk, mem, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
        driver = new MmioDriver(transport, mem);
        q = driver.start(withoutFeatures, 128)[0];
    }

    @AfterEach
    void tearDown() throws IOException {
        if (transport != null) {
            transport.close();
        }
        loop.close();
        if (blk != null) {
            blk.close();
        }
    }

    /** A virtio_blk_req header in guest RAM. */
    long header(int type, long sector) {
        long h = driver.alloc(16, 8);
        mem.putInt(h, type);
        mem.putInt(h + 4, 0);
        mem.putLong(h + 8, sector);
        return h;
    }

    /** Posts header + data + status as Linux's virtio_blk does (one descriptor each), kicks, returns used. */
    Result submit(int type, long sector, Buf... data) {
        long status = driver.alloc(1, 1);
        mem.putByte(status, (byte) 0x77);
        List<Buf> bufs = new ArrayList<>();
        bufs.add(readable(header(type, sector), 16));
        bufs.addAll(Arrays.asList(data));
        bufs.add(writable(status, 1));
        int head = q.addChain(bufs.toArray(new Buf[0]));
        q.kick();
        DriverQueue.Used u = q.nextUsed();
        assertEquals(head, u.id());
        return new Result(mem.getByte(status), u.len());
    }

    record Result(int status, int len) {
    }

    byte[] fileBytes() throws IOException {
        return Files.readAllBytes(image);
    }

    @Test
    void configAndFeatures() throws IOException {
        attach(false);
        assertEquals(2, driver.read(MmioRegister.DEVICE_ID));
        assertEquals(SECTORS, driver.readConfig(0, 8));
        assertEquals(SECTORS, driver.readConfig(0, 4));
        assertEquals(VirtioBlock.QUEUE_SIZE - 2, driver.readConfig(12, 4));
        assertEquals(512, driver.readConfig(20, 4));
        long f = driver.deviceFeatures();
        assertTrue(VirtioFeatures.has(f, VirtioBlock.F_FLUSH));
        assertTrue(VirtioFeatures.has(f, VirtioBlock.F_BLK_SIZE));
        assertTrue(VirtioFeatures.has(f, VirtioBlock.F_SEG_MAX));
        assertTrue(!VirtioFeatures.has(f, VirtioBlock.F_RO));
    }

    @Test
    void writeReachesTheFileBeforeCompletionThenReadsBack() throws IOException {
        attach(false);
        byte[] data = new byte[3 * 512];
        new Random(1).nextBytes(data);
        long a = driver.alloc(1024, 512);
        long b = driver.alloc(512, 512);
        mem.write(a, data, 0, 1024);
        mem.write(b, data, 1024, 512);
        Result r = submit(BlockRequest.T_OUT, 5, readable(a, 1024), readable(b, 512));
        assertEquals(BlockRequest.S_OK, r.status());
        assertEquals(1, r.len());
        byte[] file = fileBytes();
        assertArrayEquals(data, Arrays.copyOfRange(file, 5 * 512, 8 * 512));
        assertArrayEquals(Arrays.copyOf(original, 5 * 512), Arrays.copyOf(file, 5 * 512), "nothing else changed");

        long in = driver.alloc(3 * 512, 512);
        Result rr = submit(BlockRequest.T_IN, 5, writable(in, 512), writable(in + 512, 1024));
        assertEquals(BlockRequest.S_OK, rr.status());
        assertEquals(3 * 512 + 1, rr.len());
        byte[] back = new byte[3 * 512];
        mem.read(in, back, 0, back.length);
        assertArrayEquals(data, back);
        assertEquals(1, blk.metrics().writes.get());
        assertEquals(1, blk.metrics().reads.get());
        assertEquals(1536, blk.metrics().readBytes.get());
        // EVENT_IDX with used_event left at 0 (this driver never moves it): only the first completion interrupts.
        assertEquals(1, irq.count());
    }

    @Test
    void readsOriginalContentsThroughAnIndirectChainWithAnyFraming() throws IOException {
        attach(false);
        // Header split 5+11, data and status in one writable buffer: 2.7.4 says framing is free.
        long h = header(BlockRequest.T_IN, 10);
        long w = driver.alloc(1024 + 1, 8);
        mem.putByte(w + 1024, (byte) 0x77);
        int head = q.addIndirect(readable(h, 5), readable(h + 5, 11), writable(w, 1025));
        q.kick();
        assertEquals(new DriverQueue.Used(head, 1025), q.nextUsed());
        assertEquals(BlockRequest.S_OK, mem.getByte(w + 1024));
        byte[] got = new byte[1024];
        mem.read(w, got, 0, 1024);
        assertArrayEquals(Arrays.copyOfRange(original, 10 * 512, 12 * 512), got);
    }

    @Test
    void flushAndGetId() throws IOException {
        attach(false);
        assertEquals(BlockRequest.S_OK, submit(BlockRequest.T_FLUSH, 0).status());
        assertEquals(1, blk.metrics().flushes.get());
        long idBuf = driver.alloc(20, 1);
        Result r = submit(BlockRequest.T_GET_ID, 0, writable(idBuf, 20));
        assertEquals(BlockRequest.S_OK, r.status());
        assertEquals(21, r.len());
        byte[] id = new byte[20];
        mem.read(idBuf, id, 0, 20);
        byte[] expect = new byte[20];
        System.arraycopy("disk.img".getBytes(StandardCharsets.US_ASCII), 0, expect, 0, 8);
        assertArrayEquals(expect, id);
    }

    @Test
    void requestsPastTheEndAreRefusedAndNeverWritten() throws IOException {
        attach(false);
        long buf = driver.alloc(1024, 512);
        Arrays.fill(new byte[0], (byte) 0);
        mem.fill(buf, 1024, (byte) 0xEE);
        assertEquals(BlockRequest.S_IOERR, submit(BlockRequest.T_OUT, SECTORS - 1, readable(buf, 1024)).status());
        assertEquals(BlockRequest.S_IOERR, submit(BlockRequest.T_OUT, SECTORS, readable(buf, 512)).status());
        assertEquals(BlockRequest.S_IOERR, submit(BlockRequest.T_OUT, -1L, readable(buf, 512)).status());
        assertEquals(BlockRequest.S_IOERR, submit(BlockRequest.T_IN, SECTORS, writable(buf, 512)).status());
        assertEquals(BlockRequest.S_IOERR, submit(BlockRequest.T_IN, Long.MAX_VALUE / 256, writable(buf, 512)).status());
        assertEquals(5, blk.metrics().outOfRange.get());
        assertArrayEquals(original, fileBytes(), "file untouched and not extended");
        // The last sector itself is fine.
        assertEquals(BlockRequest.S_OK, submit(BlockRequest.T_IN, SECTORS - 1, writable(buf, 512)).status());
    }

    @Test
    void readOnlyDiskRefusesWrites() throws IOException {
        attach(true);
        assertTrue(VirtioFeatures.has(driver.deviceFeatures(), VirtioBlock.F_RO));
        long buf = driver.alloc(512, 512);
        mem.fill(buf, 512, (byte) 0x11);
        assertEquals(BlockRequest.S_IOERR, submit(BlockRequest.T_OUT, 0, readable(buf, 512)).status());
        assertEquals(1, blk.metrics().readOnlyRefused.get());
        assertEquals(0, blk.metrics().writes.get());
        assertArrayEquals(original, fileBytes());
        assertEquals(BlockRequest.S_OK, submit(BlockRequest.T_IN, 0, writable(buf, 512)).status());
        assertEquals(BlockRequest.S_OK, submit(BlockRequest.T_FLUSH, 0).status());
    }

    @Test
    void malformedRequestsGetAStatusNotAReset() throws IOException {
        attach(false);
        long buf = driver.alloc(512, 512);
        assertEquals(BlockRequest.S_UNSUPP, submit(11 /* DISCARD */, 0, readable(buf, 16)).status());
        assertEquals(BlockRequest.S_IOERR, submit(BlockRequest.T_IN, 0, writable(buf, 100)).status());
        // A 10-byte header.
        long status = driver.alloc(1, 1);
        int head = q.addChain(readable(header(BlockRequest.T_IN, 0), 10), writable(status, 1));
        q.kick();
        assertEquals(new DriverQueue.Used(head, 1), q.nextUsed());
        assertEquals(BlockRequest.S_IOERR, mem.getByte(status));
        // No status byte at all: returned with len 0, nothing written.
        head = q.addChain(readable(header(BlockRequest.T_FLUSH, 0), 16));
        q.kick();
        assertEquals(new DriverQueue.Used(head, 0), q.nextUsed());
        assertEquals(1, blk.metrics().unsupported.get());
        assertEquals(2, blk.metrics().invalidRequests.get());
        assertEquals(1, blk.metrics().noStatus.get());
        assertEquals(0, driver.status() & DeviceStatus.DEVICE_NEEDS_RESET);
    }

    @Test
    void hostIoErrorBecomesIoerr() throws IOException {
        attach(false);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(8 * 512); // someone truncated the image under us
        }
        long buf = driver.alloc(1024, 512);
        Result r = submit(BlockRequest.T_IN, 20, writable(buf, 1024));
        assertEquals(BlockRequest.S_IOERR, r.status());
        assertEquals(1, r.len());
        assertEquals(1, blk.metrics().ioErrors.get());
    }

    @Test
    void failingRequestsAreCountedEveryTimeAndLoggedOnce() throws IOException {
        attach(false);
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "rw")) {
            f.setLength(8 * 512);
        }
        try (CapturedLog log = new CapturedLog(VirtioBlock.class)) {
            long buf = driver.alloc(512, 512);
            long start = System.nanoTime();
            for (int i = 0; i < 500; i++) {
                assertEquals(BlockRequest.S_IOERR, submit(BlockRequest.T_IN, 20, writable(buf, 512)).status());
            }
            assertEquals(500, blk.metrics().ioErrors.get());
            long intervals = (System.nanoTime() - start) / io.jkvm.devices.log.RateLimitedLog.INTERVAL_NANOS;
            assertTrue(log.messages().size() <= 1 + intervals, log.messages().size() + " lines");
            assertTrue(log.messages().get(0).contains("read failed: at sector 20"), log.messages().get(0));
        }
    }

    @Test
    void worksWithoutFlushNegotiated() throws IOException {
        attach(false, VirtioFeatures.bit(VirtioBlock.F_FLUSH));
        long buf = driver.alloc(512, 512);
        mem.fill(buf, 512, (byte) 0x42);
        assertEquals(BlockRequest.S_OK, submit(BlockRequest.T_OUT, 3, readable(buf, 512)).status());
        assertEquals(0x42, fileBytes()[3 * 512]);
    }

    @Test
    void missingImageHasAClearError() {
        DiskImageException e = assertThrows(DiskImageException.class,
                () -> VirtioBlock.open(dir.resolve("nope.img"), false));
        assertTrue(e.getMessage().contains("nope.img") && e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(DiskImageException.class, () -> VirtioBlock.open(dir, false));
        assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void lockedImageCannotBeOpenedTwice() throws IOException {
        try (VirtioBlock first = VirtioBlock.open(image, false)) {
            DiskImageException e = assertThrows(DiskImageException.class, () -> VirtioBlock.open(image, false));
            assertTrue(e.getMessage().contains(image.toString()) && e.getMessage().contains("locked"), e.getMessage());
            assertThrows(DiskImageException.class, () -> VirtioBlock.open(image, true));
        }
        try (VirtioBlock a = VirtioBlock.open(image, true); VirtioBlock b = VirtioBlock.open(image, false)) {
            throw new AssertionError("a writer got in next to a reader");
        } catch (DiskImageException expected) {
            assertTrue(expected.getMessage().contains("locked"));
        }
        VirtioBlock.open(image, false).close(); // released: opens again
    }

    @Test
    void lockHoldsAgainstAnotherProcess() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        try (VirtioBlock held = VirtioBlock.open(image, false)) {
            assertEquals("REFUSED", probe(java).split(" ")[0]);
        }
        assertEquals("OPENED", probe(java));
    }

    private String probe(String java) throws Exception {
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName(), image.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String[] lines = out.split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void aRequestOfSegMaxSegmentsIsServedAtEveryQueueSize() throws IOException {
        // Linux keeps seg_max + 2 descriptors per request when it halves its ring, in an indirect table.
        byte[] disk = new byte[256 * 512];
        new Random(9).nextBytes(disk);
        Files.write(image, disk);
        for (int size = VirtioBlock.QUEUE_SIZE; size >= 1; size /= 2) {
            blk = VirtioBlock.open(image, false);
            transport = new MmioTransport(blk, mem, 0xd000_0000L, irq, DoorbellRegistrar.EXIT, loop);
            driver = new MmioDriver(transport, mem);
            q = driver.start(0, size)[0];
            int segMax = (int) driver.readConfig(12, 4);
            assertEquals(VirtioBlock.SEG_MAX, segMax);
            Buf[] bufs = new Buf[segMax + 2];
            bufs[0] = readable(header(BlockRequest.T_IN, 1), 16);
            long data = driver.alloc(512L * segMax, 512);
            for (int i = 0; i < segMax; i++) {
                bufs[1 + i] = writable(data + 512L * i, 512);
            }
            long status = driver.alloc(1, 1);
            mem.putByte(status, (byte) 0x77);
            bufs[segMax + 1] = writable(status, 1);
            int head = q.addIndirect(bufs);
            q.kick();
            assertEquals(0, driver.status() & DeviceStatus.DEVICE_NEEDS_RESET, "queue size " + size);
            assertEquals(new DriverQueue.Used(head, 512 * segMax + 1), q.nextUsed(), "queue size " + size);
            assertEquals(BlockRequest.S_OK, mem.getByte(status));
            byte[] got = new byte[512 * segMax];
            mem.read(data, got, 0, got.length);
            assertArrayEquals(Arrays.copyOfRange(disk, 512, 512 + 512 * segMax), got, "queue size " + size);
            transport.close();
            blk.close();
            transport = null;
            blk = null;
        }
    }
}
