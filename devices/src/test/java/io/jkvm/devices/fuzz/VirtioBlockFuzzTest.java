package io.jkvm.devices.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jkvm.devices.blk.BlockRequest;
import io.jkvm.devices.blk.VirtioBlock;
import io.jkvm.devices.testing.DriverQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.jkvm.devices.testing.DriverQueue.readable;
import static io.jkvm.devices.testing.DriverQueue.writable;

/**
 * virtio-blk requests over a real image file (in /dev/shm when there is one, so that fsync costs nothing), and over a
 * read-only one: headers of every type and sector, data of every length and split, status bytes missing or
 * misplaced, on top of everything {@link FuzzGuest} does to the rings. Asserted besides the common checks: the image
 * keeps its size (nothing is written past it), a read-only image keeps every byte, no request ends in an I/O error
 * (on an intact image there is none unless jkvm went past it), and after a reset a read returns the image's bytes
 * and a write lands (or, read-only, is refused with IOERR).
 */
@ExtendWith(QuietLogs.class)
class VirtioBlockFuzzTest {
    static final int SECTORS = 64;
    private static final byte[] ORIGINAL = new byte[SECTORS * BlockRequest.SECTOR_SIZE];
    private static Path dir;
    private static Path rwImage;
    private static Path roImage;
    private static VirtioBlock rw;
    private static VirtioBlock ro;

    @BeforeAll
    static void images() throws IOException {
        new Random(9).nextBytes(ORIGINAL);
        Path shm = Paths.get("/dev/shm");
        dir = Files.createTempDirectory(Files.isWritable(shm) ? shm : Paths.get(System.getProperty("java.io.tmpdir")),
                "jkvm-fuzz-blk");
        rwImage = Files.write(dir.resolve("rw.img"), ORIGINAL);
        roImage = Files.write(dir.resolve("ro.img"), ORIGINAL);
        rw = VirtioBlock.open(rwImage, false);
        ro = VirtioBlock.open(roImage, true);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        rw.close();
        ro.close();
        Files.deleteIfExists(rwImage);
        Files.deleteIfExists(roImage);
        Files.deleteIfExists(dir);
    }

    @FuzzTest
    void requests(FuzzedDataProvider data) throws Throwable {
        Bounded.run("a virtio-blk input", () -> fuzz(rw, rwImage, data));
    }

    @FuzzTest
    void readOnlyRequests(FuzzedDataProvider data) throws Throwable {
        Bounded.run("a read-only virtio-blk input", () -> fuzz(ro, roImage, data));
    }

    private static void fuzz(VirtioBlock blk, Path image, FuzzedDataProvider data) throws Exception {
        long ioErrors = blk.metrics().ioErrors.get();
        try (FuzzGuest g = new FuzzGuest(blk, data)) {
            g.bringUp();
            for (int i = 0; i < 64 && data.remainingBytes() > 0; i++) {
                if (data.consumeInt(0, 2) == 0) {
                    g.post(g.rings[0], request(g, data));
                } else {
                    g.commonStep();
                }
            }
            g.notifyQueue(0);
            g.assertNoDeviceErrors();
            FuzzGuest.check(blk.metrics().ioErrors.get() == ioErrors, "a request failed with an I/O error");
            assertImageIntact(blk, image);
            g.assertIdentity();
            servedAfterReset(g, blk, image, data);
            assertImageIntact(blk, image);
        }
    }

    private static void assertImageIntact(VirtioBlock blk, Path image) throws IOException {
        FuzzGuest.check(Files.size(image) == ORIGINAL.length, "the image is now " + Files.size(image) + " bytes");
        if (blk.isReadOnly()) {
            FuzzGuest.check(Arrays.equals(Files.readAllBytes(image), ORIGINAL), "the read-only image changed");
        }
    }

    /** A virtio_blk_req (5.2.6): header, data, status, each part placed and split as the input says. */
    private static List<FuzzGuest.Buf> request(FuzzGuest g, FuzzedDataProvider data) {
        int[] types = {BlockRequest.T_IN, BlockRequest.T_OUT, BlockRequest.T_FLUSH, BlockRequest.T_GET_ID};
        int type = data.consumeInt(0, 7) == 0 ? data.consumeInt() : types[data.consumeInt(0, types.length - 1)];
        long sector = data.consumeInt(0, 3) == 0 ? data.consumeLong() : data.consumeLong(0, SECTORS + 2);
        long header = g.bufferAddress();
        if (FuzzRam.contains(header, BlockRequest.HEADER_SIZE)) {
            g.mem.putInt(header, type);
            g.mem.putInt(header + 4, 0);
            g.mem.putLong(header + 8, sector);
        }
        List<FuzzGuest.Buf> bufs = new ArrayList<>();
        int headerLen = data.consumeInt(0, 7) == 0 ? g.bufferLength() : BlockRequest.HEADER_SIZE;
        if (data.consumeInt(0, 7) == 0 && headerLen == BlockRequest.HEADER_SIZE) { // split header
            int cut = data.consumeInt(0, BlockRequest.HEADER_SIZE);
            bufs.add(new FuzzGuest.Buf(header, cut, false));
            bufs.add(new FuzzGuest.Buf(header + cut, BlockRequest.HEADER_SIZE - cut, false));
        } else {
            bufs.add(new FuzzGuest.Buf(header, headerLen, false));
        }
        boolean toDevice = type == BlockRequest.T_OUT;
        int segments = data.consumeInt(0, 4);
        for (int i = 0; i < segments; i++) {
            int len = data.consumeInt(0, 3) == 0 ? g.bufferLength()
                    : BlockRequest.SECTOR_SIZE * data.consumeInt(0, 8);
            boolean w = data.consumeInt(0, 15) == 0 ? data.consumeBoolean() : !toDevice;
            bufs.add(new FuzzGuest.Buf(g.bufferAddress(), len, w));
        }
        if (data.consumeInt(0, 7) != 0) {
            bufs.add(new FuzzGuest.Buf(g.bufferAddress(), data.consumeInt(0, 7) == 0 ? g.bufferLength() : 1, true));
        }
        return bufs;
    }

    /** Reset, probe, one read that must return the image's bytes, one write that must land or be refused. */
    private static void servedAfterReset(FuzzGuest g, VirtioBlock blk, Path image, FuzzedDataProvider data)
            throws IOException {
        DriverQueue q = g.driver.start(0, 8)[0];
        int sector = data.consumeInt(0, SECTORS - 1);
        int n = BlockRequest.SECTOR_SIZE;
        long hdr = g.driver.alloc(BlockRequest.HEADER_SIZE, 8);
        long buf = g.driver.alloc(n, 8);
        long status = g.driver.alloc(1, 1);
        g.mem.putInt(hdr, BlockRequest.T_IN);
        g.mem.putLong(hdr + 8, sector);
        g.mem.putByte(status, (byte) 0x7f);
        int head = q.addChain(readable(hdr, 16), writable(buf, n), writable(status, 1));
        q.kick();
        DriverQueue.Used u = q.nextUsed();
        FuzzGuest.check(u != null && u.id() == head && u.len() == n + 1 && g.mem.getByte(status) == BlockRequest.S_OK,
                "a read after a reset was not served: " + u + ", status " + g.mem.getByte(status));
        byte[] got = new byte[n];
        g.mem.read(buf, got, 0, n);
        byte[] want = Arrays.copyOfRange(Files.readAllBytes(image), sector * n, sector * n + n);
        FuzzGuest.check(Arrays.equals(got, want), "a read after a reset returned other bytes than the image's");

        byte[] pattern = new byte[n];
        Arrays.fill(pattern, (byte) data.consumeInt(1, 255));
        g.mem.write(buf, pattern, 0, n);
        g.mem.putInt(hdr, BlockRequest.T_OUT);
        g.mem.putByte(status, (byte) 0x7f);
        head = q.addChain(readable(hdr, 16), readable(buf, n), writable(status, 1));
        q.kick();
        u = q.nextUsed();
        int expected = blk.isReadOnly() ? BlockRequest.S_IOERR : BlockRequest.S_OK;
        FuzzGuest.check(u != null && u.id() == head && u.len() == 1 && g.mem.getByte(status) == expected,
                "a write after a reset was not served: " + u + ", status " + g.mem.getByte(status));
        if (!blk.isReadOnly()) {
            byte[] now = Arrays.copyOfRange(Files.readAllBytes(image), sector * n, sector * n + n);
            FuzzGuest.check(Arrays.equals(now, pattern), "a write after a reset is not in the image");
        }
    }
}
