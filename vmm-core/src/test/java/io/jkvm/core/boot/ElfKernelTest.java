package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A vmlinux-shaped ELF file written here: one text and one data+bss segment at 16 MiB, entry at their start. */
class ElfKernelTest {
    static final long MiB = 1L << 20;

    @TempDir
    Path dir;

    /** ELF-64 header, two program headers (PT_LOAD), then the segments' bytes. */
    static byte[] vmlinux(long paddr, long entry, short machine) {
        int text = 0x100;
        int data = 0x40;
        ByteBuffer b = ByteBuffer.allocate(0x1000 + text + data).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(16, (short) 2).putShort(18, machine).putInt(20, 1).putLong(24, entry).putLong(32, 64)
                .putShort(52, (short) 64).putShort(54, (short) 56).putShort(56, (short) 2);
        // text: file 0x1000.., at paddr
        b.putInt(64, 1).putLong(64 + 8, 0x1000).putLong(64 + 16, 0xffffffff81000000L).putLong(64 + 24, paddr)
                .putLong(64 + 32, text).putLong(64 + 40, text);
        // data + 0x1000 bytes of bss, right after
        b.putInt(120, 1).putLong(120 + 8, 0x1000 + text).putLong(120 + 24, paddr + 0x200).putLong(120 + 32, data)
                .putLong(120 + 40, data + 0x1000);
        for (int i = 0; i < text + data; i++) {
            b.put(0x1000 + i, (byte) 0xcc);
        }
        return b.array();
    }

    @Test
    void segmentsGoToTheirPhysicalAddressesAndTheVcpuEntersAtEEntry() throws IOException {
        Path k = Files.write(dir.resolve("vmlinux"), vmlinux(16 * MiB, 16 * MiB, (short) 62));
        assertTrue(ElfKernel.isElf(k));
        GuestMemory mem = GuestMemory.allocate((int) (64 * MiB));
        mem.fill(16 * MiB, 2 * MiB, (byte) 0x55);
        LinuxLoader.Loaded l = LinuxLoader.load(mem, k, null, "console=ttyS0", 1, 64 * MiB);
        assertEquals(16 * MiB, l.cpu().rip());
        assertEquals(new GuestRange(16 * MiB, 0x200 + 0x40 + 0x1000), l.kernel());
        assertEquals((byte) 0xcc, mem.getByte(16 * MiB));
        assertEquals((byte) 0xcc, mem.getByte(16 * MiB + 0xff));
        assertEquals((byte) 0x55, mem.getByte(16 * MiB + 0x100), "the gap between segments is not written");
        assertEquals((byte) 0xcc, mem.getByte(16 * MiB + 0x23f));
        assertEquals((byte) 0, mem.getByte(16 * MiB + 0x240), "bss zeroed");
        assertEquals((byte) 0, mem.getByte(16 * MiB + 0x123f));
        assertEquals((byte) 0x55, mem.getByte(16 * MiB + 0x1240));
        // the zero page a 64-bit entry reads: magic, loader, command line
        long zp = Layout.ZERO_PAGE_ADDRESS;
        assertEquals((short) 0xaa55, mem.getShort(zp + 0x1fe));
        assertEquals(0x53726448, mem.getInt(zp + 0x202));
        assertEquals((byte) 0xff, mem.getByte(zp + 0x210));
        assertEquals((int) Layout.CMDLINE_ADDRESS, mem.getInt(zp + 0x228));
        assertTrue(l.describe().contains("ELF vmlinux"));
    }

    @Test
    void refusals() throws IOException {
        Path arm = Files.write(dir.resolve("arm"), vmlinux(16 * MiB, 16 * MiB, (short) 183));
        assertTrue(assertThrows(BootException.class, () -> ElfKernel.open(arm)).getMessage()
                .contains("not an x86-64 executable (e_type 2, e_machine 183)"));
        Path low = Files.write(dir.resolve("low"), vmlinux(0x1000, 0x1000, (short) 62));
        assertTrue(assertThrows(BootException.class, () -> LinuxLoader.plan(low, null, "", 1, 64 * MiB))
                .getMessage().contains("below 1 MiB"));
        Path entry = Files.write(dir.resolve("entry"), vmlinux(16 * MiB, 0xffffffff81000000L, (short) 62));
        assertTrue(assertThrows(BootException.class, () -> ElfKernel.open(entry)).getMessage()
                .contains("is outside its segments"));
        Path big = Files.write(dir.resolve("big"), vmlinux(60 * MiB, 60 * MiB, (short) 62));
        assertTrue(assertThrows(BootException.class, () -> LinuxLoader.plan(big, null, "", 1, 32 * MiB))
                .getMessage().contains("raise --memory"));
        byte[] cut = vmlinux(16 * MiB, 16 * MiB, (short) 62);
        Path trunc = Files.write(dir.resolve("trunc"), java.util.Arrays.copyOf(cut, 0x1010));
        assertTrue(assertThrows(BootException.class, () -> ElfKernel.open(trunc)).getMessage()
                .contains("does not fit the file"));
    }
}
