package io.jkvm.core.boot;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BzImageTest {
    @TempDir
    Path dir;

    @Test
    void parsesTheSetupHeaderOfASyntheticImage() throws IOException {
        TestImages t = new TestImages();
        byte[] file = t.bytes();
        BzImage image = BzImage.open(t.write(dir, "bzImage"));

        assertEquals(0x020f, image.protocol());
        assertEquals("2.15", image.protocolVersion());
        assertEquals(4, image.setupSects());
        assertEquals(5 * 512, image.kernelOffset());
        assertEquals(t.payloadSize, image.kernelSize());
        assertEquals(0x100_0000, image.prefAddress());
        assertEquals(0x20_0000, image.kernelAlignment());
        assertTrue(image.relocatable());
        assertEquals(0x40_0000, image.initSize());
        assertEquals(0x7fff_ffffL, image.initrdAddrMax());
        assertEquals(2047, image.cmdlineSize());
        assertEquals(0x10_0000, image.code32Start());
        assertEquals(BzImage.XLF_KERNEL_64 | BzImage.XLF_CAN_BE_LOADED_ABOVE_4G, image.xloadflags());
        assertEquals(TestImages.VERSION_STRING, image.kernelVersion());
        // boot.rst: the header runs from 0x1f1 to 0x202 + the byte at 0x201.
        assertArrayEquals(Arrays.copyOfRange(file, 0x1f1, TestImages.HEADER_END), image.setupHeader());
    }

    @Test
    void setupSectsZeroMeansFour() throws IOException {
        TestImages t = new TestImages();
        t.setupSects = 0;
        BzImage image = BzImage.open(t.write(dir, "bzImage"));
        assertEquals(4, image.setupSects());
        assertEquals(5 * 512, image.kernelOffset());
    }

    @Test
    void kernelStartsAfterTheSetupSectors() throws IOException {
        TestImages t = new TestImages();
        t.setupSects = 27;
        BzImage image = BzImage.open(t.write(dir, "bzImage"));
        assertEquals(28 * 512, image.kernelOffset());
        assertEquals(t.payloadSize, image.kernelSize());
    }

    @Test
    void runtimeStartFollowsBootRst() throws IOException {
        TestImages t = new TestImages();
        BzImage relocatable = BzImage.open(t.write(dir, "a"));
        // Loaded below pref_address: moves up to it.
        assertEquals(0x100_0000, relocatable.runtimeStart(Layout.KERNEL_ADDRESS));
        // Loaded above it: aligned up to kernel_alignment.
        assertEquals(0x160_0000, relocatable.runtimeStart(0x150_0000));
        assertEquals(GuestRange.between(Layout.KERNEL_ADDRESS, 0x140_0000), relocatable.footprint(Layout.KERNEL_ADDRESS));

        t.relocatable = 0;
        t.prefAddress = 0x200_0000;
        BzImage fixed = BzImage.open(t.write(dir, "b"));
        assertFalse(fixed.relocatable());
        assertEquals(0x200_0000, fixed.runtimeStart(0x150_0000));
    }

    @Test
    void rejectsAShortFile() throws IOException {
        Path p = TestImages.file(dir, "short", TestImages.truncated(new TestImages().bytes(), 700));
        BootException e = assertThrows(BootException.class, () -> BzImage.open(p));
        assertEquals(p + ": not a bzImage: file is 700 bytes, too short for a boot sector and setup header", e.getMessage());
    }

    @Test
    void rejectsAWrongBootSectorMagic() throws IOException {
        TestImages t = new TestImages();
        t.bootFlag = 0x1234;
        Path p = t.write(dir, "vmlinux");
        BootException e = assertThrows(BootException.class, () -> BzImage.open(p));
        assertTrue(e.getMessage().startsWith(p + ": not a bzImage: no boot sector signature 0xAA55"), e.getMessage());
    }

    @Test
    void rejectsAMissingHdrS() throws IOException {
        TestImages t = new TestImages();
        t.headerMagic = 0;
        Path p = t.write(dir, "old");
        BootException e = assertThrows(BootException.class, () -> BzImage.open(p));
        assertTrue(e.getMessage().startsWith(p + ": not a bzImage: no HdrS signature"), e.getMessage());
    }

    @Test
    void rejectsAnElfFile() throws IOException {
        byte[] elf = new byte[4096];
        elf[0] = 0x7f;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        Path p = TestImages.file(dir, "vmlinux", elf);
        BootException e = assertThrows(BootException.class, () -> BzImage.open(p));
        assertTrue(e.getMessage().contains("not a bzImage"), e.getMessage());
    }

    @Test
    void rejectsProtocolsOlderThan212() throws IOException {
        TestImages t = new TestImages();
        t.protocol = 0x020b;
        Path p = t.write(dir, "old");
        BootException e = assertThrows(BootException.class, () -> BzImage.open(p));
        assertEquals(p + ": boot protocol 2.11 is too old: jkvm needs 2.12 or newer for the 64-bit entry point "
                + "(Linux 3.8+); use a newer kernel", e.getMessage());
    }

    @Test
    void acceptsExactly212() throws IOException {
        TestImages t = new TestImages();
        t.protocol = 0x020c;
        assertEquals(0x020c, BzImage.open(t.write(dir, "k")).protocol());
    }

    @Test
    void rejectsA32BitKernel() throws IOException {
        TestImages t = new TestImages();
        t.xloadflags = 0;
        Path p = t.write(dir, "i386");
        BootException e = assertThrows(BootException.class, () -> BzImage.open(p));
        assertTrue(e.getMessage().contains("no 64-bit entry point (XLF_KERNEL_64"), e.getMessage());
    }

    @Test
    void rejectsAZImage() throws IOException {
        TestImages t = new TestImages();
        t.loadflags = 0;
        Path p = t.write(dir, "zImage");
        BootException e = assertThrows(BootException.class, () -> BzImage.open(p));
        assertTrue(e.getMessage().contains("LOADED_HIGH is clear"), e.getMessage());
    }

    @Test
    void rejectsSetupSectorsPastTheEndOfTheFile() throws IOException {
        TestImages t = new TestImages();
        t.setupSects = 200;
        byte[] file = TestImages.truncated(t.bytes(), 4096);
        Path p = TestImages.file(dir, "cut", file);
        BootException e = assertThrows(BootException.class, () -> BzImage.open(p));
        assertTrue(e.getMessage().contains("setup_sects=200 puts the kernel at 102912"), e.getMessage());
    }

    @Test
    void namesAMissingFile() {
        Path p = dir.resolve("nope");
        BootException e = assertThrows(BootException.class, () -> BzImage.open(p));
        assertEquals("cannot read kernel " + p + ": no such file", e.getMessage());
    }

    @Test
    void parsesARealBzImageWhenOneHasBeenBuilt() throws IOException {
        Path path = TestImages.realBzImage().orElse(null);
        Assumptions.assumeTrue(path != null, "no ~/.cache/jkvm/images/*/bzImage yet (guest-images builds it)");
        BzImage image = BzImage.open(path);
        byte[] head = Files.readAllBytes(path);
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);

        assertTrue(image.protocol() >= BzImage.MIN_PROTOCOL, image.toString());
        assertEquals(head.length, image.kernelOffset() + image.kernelSize());
        assertEquals(((head[0x1f1] & 0xff) + 1) * 512L, image.kernelOffset());
        assertEquals(0x202 + (head[0x201] & 0xff) - 0x1f1, image.setupHeader().length);
        assertEquals(b.getInt(0x260) & 0xffffffffL, image.initSize());
        assertTrue(image.initSize() > image.kernelSize(), "init_size covers the decompressed kernel");
        assertEquals(0, image.prefAddress() % image.kernelAlignment(), "pref_address is kernel_alignment aligned");
        assertTrue(image.cmdlineSize() >= 255, "cmdline_size " + image.cmdlineSize());
        assertTrue(Character.isDigit(image.kernelVersion().charAt(0)), image.kernelVersion());
        System.out.println(image);
    }
}
