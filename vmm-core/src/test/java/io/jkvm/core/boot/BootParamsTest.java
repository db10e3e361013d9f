package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static io.jkvm.core.boot.Layout.GiB;
import static io.jkvm.core.boot.Layout.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reads the zero page back at the offsets of arch/x86/include/uapi/asm/bootparam.h, written here as literals. */
class BootParamsTest {
    @TempDir
    Path dir;

    @Test
    void fieldsAtTheirBootparamOffsets() throws IOException {
        TestImages t = new TestImages();
        byte[] file = t.bytes();
        BzImage image = BzImage.open(t.write(dir, "bzImage"));
        E820Map e820 = E820Map.forRam(5 * GiB);
        GuestMemory mem = GuestMemory.allocate(64 * 1024);
        long base = 0x7000;
        new BootParams(image, 0x10_0000)
                .commandLine(0x1_2345_6000L)
                .ramdisk(new GuestRange(0x2_0000_1000L, 0x1_0000_0200L))
                .e820(e820)
                .writeTo(mem, base);

        // Setup header copied from 0x1f1 up to its end; untouched fields keep the image's values.
        assertEquals(4, mem.getByte(base + 0x1f1));
        assertEquals((short) 0xaa55, mem.getShort(base + 0x1fe));
        assertEquals(0x53726448, mem.getInt(base + 0x202));
        assertEquals((short) 0x020f, mem.getShort(base + 0x206));
        assertEquals(0x7fffffff, mem.getInt(base + 0x22c));
        assertEquals(0x20_0000, mem.getInt(base + 0x230));
        assertEquals((short) (BzImage.XLF_KERNEL_64 | BzImage.XLF_CAN_BE_LOADED_ABOVE_4G), mem.getShort(base + 0x236));
        assertEquals(2047, mem.getInt(base + 0x238));
        assertEquals(0x100_0000L, mem.getLong(base + 0x258));
        assertEquals(0x40_0000, mem.getInt(base + 0x260));
        for (int off = 0x1f1; off < TestImages.HEADER_END; off++) {
            if (off < 0x1fa || (off >= 0x1fc && off < 0x210) || (off >= 0x230 && off < 0x26c)) {
                assertEquals(file[off], mem.getByte(base + off), String.format("header byte 0x%x", off));
            }
        }
        // Nothing past the header end, and the sentinel stays 0: only the header was copied.
        for (int off = TestImages.HEADER_END; off < 0x290; off++) {
            assertEquals(0, mem.getByte(base + off), String.format("byte 0x%x past the header", off));
        }
        assertEquals(0, mem.getByte(base + 0x1ef), "sentinel");

        // Loader fields.
        assertEquals((byte) 0xff, mem.getByte(base + 0x210), "type_of_loader");
        assertEquals((byte) 0x81, mem.getByte(base + 0x211), "loadflags = LOADED_HIGH | CAN_USE_HEAP");
        assertEquals((short) 0xde00, mem.getShort(base + 0x224), "heap_end_ptr");
        assertEquals((short) 0xffff, mem.getShort(base + 0x1fa), "vid_mode");
        assertEquals(0x10_0000, mem.getInt(base + 0x214), "code32_start");
        assertEquals(0x2345_6000, mem.getInt(base + 0x228), "cmd_line_ptr");
        assertEquals(1, mem.getInt(base + 0x0c8), "ext_cmd_line_ptr");
        assertEquals(0x0000_1000, mem.getInt(base + 0x218), "ramdisk_image");
        assertEquals(2, mem.getInt(base + 0x0c0), "ext_ramdisk_image");
        assertEquals(0x200, mem.getInt(base + 0x21c), "ramdisk_size");
        assertEquals(1, mem.getInt(base + 0x0c4), "ext_ramdisk_size");

        assertEquals(4, mem.getByte(base + 0x1e8), "e820_entries");
        for (int i = 0; i < 4; i++) {
            E820Map.Entry e = e820.entries().get(i);
            long at = base + 0x2d0 + 20L * i;
            assertEquals(e.address(), mem.getLong(at));
            assertEquals(e.size(), mem.getLong(at + 8));
            assertEquals(e.type(), mem.getInt(at + 16));
        }
        assertEquals(4 * GiB, mem.getLong(base + 0x2d0 + 60));
        assertEquals(0, mem.getLong(base + 0x2d0 + 80), "no fifth entry");
    }

    @Test
    void keepSegmentsIsNotPassedOn() throws IOException {
        TestImages t = new TestImages();
        t.loadflags = BzImage.LOADED_HIGH | BootParams.KEEP_SEGMENTS;
        BootParams p = new BootParams(BzImage.open(t.write(dir, "k")), MiB);
        assertEquals((byte) 0x81, p.bytes()[0x211]);
    }
}
