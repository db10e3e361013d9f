package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.jkvm.core.boot.Layout.MiB;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinuxLoaderTest {
    @TempDir
    Path dir;

    private static byte[] read(GuestMemory mem, GuestRange r) {
        byte[] b = new byte[(int) r.size()];
        mem.read(r.start(), b, 0, b.length);
        return b;
    }

    private static String cString(GuestMemory mem, long address) {
        StringBuilder sb = new StringBuilder();
        for (long a = address; mem.getByte(a) != 0; a++) {
            sb.append((char) mem.getByte(a));
        }
        return sb.toString();
    }

    /** Every range the loader writes besides the initrd; the initrd must overlap none of them. */
    private static List<GuestRange> fixedRanges(LinuxLoader.Loaded l) {
        return List.of(new GuestRange(0, 0x1000), new GuestRange(Layout.ZERO_PAGE_ADDRESS, 4096),
                new GuestRange(0x8000, 0x1000), PageTables.range(), l.cmdline(), l.mpTable(),
                GuestRange.between(l.kernel().start(), Math.max(l.kernel().end(), l.kernelRuntime().end())));
    }

    @Test
    void placesKernelInitrdAndTables() throws IOException {
        long ram = 64 * MiB;
        TestImages t = new TestImages();
        Path kernel = t.write(dir, "bzImage");
        byte[] initrdBytes = TestImages.pattern(5 * (int) MiB + 123, 9);
        Path initrd = TestImages.file(dir, "initrd", initrdBytes);
        GuestMemory mem = GuestMemory.allocate((int) ram);

        LinuxLoader.Loaded l = LinuxLoader.load(mem, kernel, initrd, "console=ttyS0 quiet", 2, ram);

        assertEquals(new GuestRange(MiB, t.payloadSize), l.kernel());
        assertArrayEquals(t.payload(), read(mem, l.kernel()));
        assertEquals(new GuestRange(16 * MiB, 4 * MiB), l.kernelRuntime());

        GuestRange rd = l.initrd();
        assertNotNull(rd);
        assertEquals(initrdBytes.length, rd.size());
        assertArrayEquals(initrdBytes, read(mem, rd));
        assertEquals(0, rd.start() % 4096, "page aligned");
        assertTrue(rd.end() <= ram, "below the end of RAM");
        assertTrue(ram - rd.end() < 4096, "as high as possible");
        assertTrue(E820Map.forRam(ram).isUsable(rd));
        for (GuestRange r : fixedRanges(l)) {
            assertFalse(rd.overlaps(r), rd + " overlaps " + r);
        }

        long zp = l.cpu().rsi();
        assertEquals(Layout.ZERO_PAGE_ADDRESS, zp);
        assertEquals(rd.start(), mem.getInt(zp + 0x218) & 0xffffffffL);
        assertEquals(rd.size(), mem.getInt(zp + 0x21c));
        assertEquals(0, mem.getInt(zp + 0x0c0));
        assertEquals(Layout.CMDLINE_ADDRESS, mem.getInt(zp + 0x228));
        assertEquals("console=ttyS0 quiet", cString(mem, Layout.CMDLINE_ADDRESS));
        assertEquals(3, mem.getByte(zp + 0x1e8), "e820 entries for 64 MiB");
        assertEquals(0x53726448, mem.getInt(zp + 0x202));

        assertEquals(MiB + 0x200, l.cpu().rip(), "64-bit entry = load address + 0x200");
        assertEquals(t.payload()[0x200], mem.getByte(l.cpu().rip()));
        assertEquals(Layout.PML4_ADDRESS, l.cpu().cr3());
        assertEquals(Layout.CMDLINE_ADDRESS, PageTablesTest.translate(mem, l.cpu().cr3(), Layout.CMDLINE_ADDRESS));
        assertEquals(rd.start(), PageTablesTest.translate(mem, l.cpu().cr3(), rd.start()));
        MpTableTest.Parsed mp = MpTableTest.parse(mem);
        assertNotNull(mp);
        assertEquals(2, mp.cpus().size());
        assertEquals(0, mem.getShort(0x40e), "no EBDA pointer in the BIOS data area");
        assertTrue(l.describe().contains("initrd at " + rd), l.describe());
    }

    @Test
    void withoutInitrdTheRamdiskFieldsStayZero() throws IOException {
        Path kernel = new TestImages().write(dir, "bzImage");
        GuestMemory mem = GuestMemory.allocate((int) (32 * MiB));
        LinuxLoader.Loaded l = LinuxLoader.load(mem, kernel, null, "", 1, 32 * MiB);
        assertNull(l.initrd());
        assertEquals(0, mem.getInt(Layout.ZERO_PAGE_ADDRESS + 0x218));
        assertEquals(0, mem.getInt(Layout.ZERO_PAGE_ADDRESS + 0x21c));
        assertEquals(0, mem.getByte(Layout.CMDLINE_ADDRESS), "empty command line is just the NUL");
    }

    @Test
    void initrdStaysBelowInitrdAddrMax() throws IOException {
        TestImages t = new TestImages();
        t.initrdAddrMax = 32 * MiB - 1;
        Path kernel = t.write(dir, "bzImage");
        Path initrd = TestImages.file(dir, "initrd", TestImages.pattern((int) MiB, 1));
        GuestMemory mem = GuestMemory.allocate((int) (64 * MiB));
        GuestRange rd = LinuxLoader.load(mem, kernel, initrd, "", 1, 64 * MiB).initrd();
        assertEquals(new GuestRange(31 * MiB, MiB), rd);
    }

    @Test
    void initrdTooBigForTheKernelLimit() throws IOException {
        TestImages t = new TestImages();
        t.initrdAddrMax = 32 * MiB - 1;
        Path kernel = t.write(dir, "bzImage");
        Path initrd = TestImages.file(dir, "initrd", new byte[(int) (13 * MiB)]);
        GuestMemory mem = GuestMemory.allocate((int) (64 * MiB));
        BootException e = assertThrows(BootException.class, () -> LinuxLoader.load(mem, kernel, initrd, "", 1, 64 * MiB));
        assertEquals("initrd " + initrd + " (13 MiB) does not fit between the kernel's end at 0x1400000 and its "
                + "initrd_addr_max 0x1ffffff: use a smaller initrd", e.getMessage());
    }

    @Test
    void memoryTooSmallSaysHowMuchIsNeededAndThatIsEnough() throws IOException {
        Path kernel = new TestImages().write(dir, "bzImage");
        Path initrd = TestImages.file(dir, "initrd", TestImages.pattern(8 * (int) MiB, 3));
        GuestMemory small = GuestMemory.allocate((int) (24 * MiB));
        BootException e = assertThrows(BootException.class, () -> LinuxLoader.load(small, kernel, initrd, "", 1, 24 * MiB));
        assertEquals("guest memory 24 MiB is too small for the kernel (up to 0x1400000) and initrd " + initrd
                + " (8 MiB): it needs at least 28 MiB; raise --memory", e.getMessage());

        GuestMemory enough = GuestMemory.allocate((int) (28 * MiB));
        GuestRange rd = LinuxLoader.load(enough, kernel, initrd, "", 1, 28 * MiB).initrd();
        assertEquals(new GuestRange(20 * MiB, 8 * MiB), rd, "right after the kernel's runtime footprint");
    }

    @Test
    void memoryTooSmallForTheKernelAlone() throws IOException {
        Path kernel = new TestImages().write(dir, "bzImage");
        GuestMemory mem = GuestMemory.allocate((int) (16 * MiB));
        BootException e = assertThrows(BootException.class, () -> LinuxLoader.load(mem, kernel, null, "", 1, 16 * MiB));
        assertEquals("guest memory 16 MiB is too small for kernel " + kernel + ": it runs at 0x1000000 and needs "
                + "init_size 4 MiB, so at least 20 MiB; raise --memory", e.getMessage());
    }

    @Test
    void commandLineLimitIsCmdlineSize() throws IOException {
        Path kernel = new TestImages().write(dir, "bzImage");
        GuestMemory mem = GuestMemory.allocate((int) (32 * MiB));
        String longest = "x".repeat(2047);
        LinuxLoader.Loaded l = LinuxLoader.load(mem, kernel, null, longest, 1, 32 * MiB);
        assertEquals(2048, l.cmdline().size(), "2047 bytes and the NUL");
        assertEquals(longest, cString(mem, Layout.CMDLINE_ADDRESS));

        BootException e = assertThrows(BootException.class,
                () -> LinuxLoader.load(mem, kernel, null, longest + "y", 1, 32 * MiB));
        assertEquals("kernel command line is 2048 bytes, but bzImage accepts at most 2047 (cmdline_size): shorten it",
                e.getMessage());
    }

    @Test
    void refusesBadRequestsBeforeWritingAnything() throws IOException {
        Path kernel = new TestImages().write(dir, "bzImage");
        GuestMemory mem = GuestMemory.allocate((int) (32 * MiB));
        BootException cpus = assertThrows(BootException.class, () -> LinuxLoader.load(mem, kernel, null, "", 255, 32 * MiB));
        assertTrue(cpus.getMessage().startsWith("cannot boot 255 vCPUs"), cpus.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LinuxLoader.load(mem, kernel, null, "", 1, 64 * MiB),
                "memory smaller than ramSize is a caller bug");
        Path missing = dir.resolve("no-initrd");
        BootException rd = assertThrows(BootException.class, () -> LinuxLoader.load(mem, kernel, missing, "", 1, 32 * MiB));
        assertEquals("cannot read initrd " + missing + ": no such file", rd.getMessage());
        assertEquals(0, mem.getByte(MiB + 1), "kernel not loaded (its byte 1 is 31)");
    }

    /**
     * Guest RAM for ramSize bytes laid out as Layout.ramRanges says, in 1 GiB regions mapped from a sparse file so
     * that a 5 GiB guest costs only the pages the loader touches.
     */
    private GuestMemory sparseMemory(long ramSize) throws IOException {
        List<GuestMemory.Region> regions = new ArrayList<>();
        try (FileChannel ch = FileChannel.open(dir.resolve("ram"), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
            long offset = 0;
            for (GuestRange r : Layout.ramRanges(ramSize)) {
                for (long a = r.start(); a < r.end(); a += Layout.GiB) {
                    long n = Math.min(Layout.GiB, r.end() - a);
                    regions.add(new GuestMemory.Region(a, ch.map(FileChannel.MapMode.READ_WRITE, offset, n)));
                    offset += n;
                }
            }
        }
        return new GuestMemory(regions);
    }

    @Test
    void largeGuestKeepsTheInitrdBelowInitrdAddrMaxAndListsHighRam() throws IOException {
        long ram = 5 * Layout.GiB;
        Path kernel = new TestImages().write(dir, "bzImage");
        byte[] initrdBytes = TestImages.pattern(4 * (int) MiB, 4);
        Path initrd = TestImages.file(dir, "initrd", initrdBytes);
        GuestMemory mem = sparseMemory(ram);

        LinuxLoader.Loaded l = LinuxLoader.load(mem, kernel, initrd, "console=ttyS0", 4, ram);

        assertEquals(new GuestRange(2 * Layout.GiB - 4 * MiB, 4 * MiB), l.initrd(), "ends at initrd_addr_max + 1");
        assertArrayEquals(initrdBytes, read(mem, l.initrd()));
        assertEquals(4, mem.getByte(Layout.ZERO_PAGE_ADDRESS + 0x1e8));
        long fourth = Layout.ZERO_PAGE_ADDRESS + 0x2d0 + 3 * 20;
        assertEquals(4 * Layout.GiB, mem.getLong(fourth));
        assertEquals(2 * Layout.GiB, mem.getLong(fourth + 8));
        assertEquals(E820Map.TYPE_RAM, mem.getInt(fourth + 16));
        assertEquals(4, MpTableTest.parse(mem).cpus().size());
    }

    @Test
    void initrdMayStraddleTwoMemoryRegions() throws IOException {
        TestImages t = new TestImages();
        t.initrdAddrMax = Layout.GiB + 512 * 1024 - 1;
        Path kernel = t.write(dir, "bzImage");
        byte[] initrdBytes = TestImages.pattern((int) MiB, 8);
        Path initrd = TestImages.file(dir, "initrd", initrdBytes);
        long ram = 2 * Layout.GiB;
        GuestMemory mem = sparseMemory(ram);
        assertEquals(2, mem.regions().size());

        GuestRange rd = LinuxLoader.load(mem, kernel, initrd, "", 1, ram).initrd();

        assertEquals(new GuestRange(Layout.GiB - 512 * 1024, MiB), rd);
        assertArrayEquals(initrdBytes, read(mem, rd));
    }

    @Test
    void bootsARealKernelLayoutWhenOneHasBeenBuilt() throws IOException {
        Path kernel = TestImages.realBzImage().orElse(null);
        Assumptions.assumeTrue(kernel != null, "no ~/.cache/jkvm/images/*/bzImage yet (guest-images builds it)");
        long ram = 256 * MiB;
        GuestMemory mem = GuestMemory.allocate((int) ram);
        Path initrd = TestImages.file(dir, "initrd", TestImages.pattern(3 * (int) MiB, 5));
        LinuxLoader.Loaded l = LinuxLoader.load(mem, kernel, initrd, "console=ttyS0", 2, ram);
        System.out.print(l.describe());

        byte[] file = Files.readAllBytes(kernel);
        BzImage image = l.image();
        byte[] loaded = read(mem, l.kernel());
        assertArrayEquals(Arrays.copyOfRange(file, (int) image.kernelOffset(), file.length), loaded);
        assertTrue(l.initrd().start() >= l.kernelRuntime().end());
        assertEquals("console=ttyS0", new String(read(mem, new GuestRange(Layout.CMDLINE_ADDRESS, 13)), StandardCharsets.US_ASCII));
    }
}
