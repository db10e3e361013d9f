package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MpTableTest {
    /** What arch/x86/kernel/mpparse.c would take from guest memory; null where it would reject the table. */
    record Parsed(long floatingPointer, long table, int length, int entryCountField, List<int[]> cpus,
                  List<int[]> buses, List<long[]> ioapics, List<int[]> ioInterrupts, List<int[]> localInterrupts) {
    }

    /** default_find_smp_config + smp_scan_config: the three areas, 16-byte steps, the same four checks. */
    static long scan(GuestMemory mem) {
        long[][] areas = {{0, 0x400}, {639 * 0x400, 0x400}, {0xf0000, 0x10000}};
        for (long[] area : areas) {
            for (long a = area[0]; a < area[0] + area[1]; a += 16) {
                if (!mem.contains(a, 16)) {
                    continue;
                }
                if (mem.getInt(a) == 0x5f504d5f            // "_MP_"
                        && mem.getByte(a + 8) == 1
                        && sum(mem, a, 16) == 0
                        && (mem.getByte(a + 9) == 1 || mem.getByte(a + 9) == 4)) {
                    return a;
                }
            }
        }
        return -1;
    }

    /** smp_check_mpc + smp_read_mpc. */
    static Parsed parse(GuestMemory mem) {
        long mpf = scan(mem);
        if (mpf < 0 || mem.getByte(mpf + 11) != 0) {
            return null;
        }
        long mpc = mem.getInt(mpf + 4) & 0xffffffffL;
        int length = mem.getShort(mpc + 4) & 0xffff;
        if (mem.getInt(mpc) != 0x504d4350                  // "PCMP"
                || sum(mem, mpc, length) != 0
                || (mem.getByte(mpc + 6) != 1 && mem.getByte(mpc + 6) != 4)
                || mem.getInt(mpc + 36) == 0) {
            return null;
        }
        List<int[]> cpus = new ArrayList<>();
        List<int[]> buses = new ArrayList<>();
        List<long[]> ioapics = new ArrayList<>();
        List<int[]> ioInts = new ArrayList<>();
        List<int[]> lints = new ArrayList<>();
        int count = 44;
        while (count < length) {
            long e = mpc + count;
            switch (mem.getByte(e)) {
                case 0 -> {
                    cpus.add(new int[] {u8(mem, e + 1), u8(mem, e + 2), u8(mem, e + 3), mem.getInt(e + 4), mem.getInt(e + 8)});
                    count += 20;
                }
                case 1 -> {
                    byte[] type = new byte[6];
                    mem.read(e + 2, type, 0, 6);
                    assertEquals("ISA   ", new String(type, java.nio.charset.StandardCharsets.US_ASCII));
                    buses.add(new int[] {u8(mem, e + 1)});
                    count += 8;
                }
                case 2 -> {
                    ioapics.add(new long[] {u8(mem, e + 1), u8(mem, e + 2), u8(mem, e + 3), mem.getInt(e + 4) & 0xffffffffL});
                    count += 8;
                }
                case 3 -> {
                    ioInts.add(new int[] {u8(mem, e + 1), mem.getShort(e + 2), u8(mem, e + 4), u8(mem, e + 5), u8(mem, e + 6), u8(mem, e + 7)});
                    count += 8;
                }
                case 4 -> {
                    lints.add(new int[] {u8(mem, e + 1), mem.getShort(e + 2), u8(mem, e + 4), u8(mem, e + 5), u8(mem, e + 6), u8(mem, e + 7)});
                    count += 8;
                }
                default -> {
                    return null;                            // "Your mptable is wrong"
                }
            }
        }
        if (count != length) {
            return null;
        }
        return new Parsed(mpf, mpc, length, mem.getShort(mpc + 34) & 0xffff, cpus, buses, ioapics, ioInts, lints);
    }

    private static int sum(GuestMemory mem, long address, int length) {
        int s = 0;
        for (int i = 0; i < length; i++) {
            s += mem.getByte(address + i);
        }
        return s & 0xff;
    }

    private static int u8(GuestMemory mem, long address) {
        return mem.getByte(address) & 0xff;
    }

    private static GuestMemory lowMemory() {
        return GuestMemory.allocate((int) Layout.HIGH_MEMORY);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 8})
    void mpparseFindsTheTableAndEveryEntry(int n) {
        GuestMemory mem = lowMemory();
        GuestRange written = MpTable.write(mem, n);
        Parsed p = parse(mem);
        assertNotNull(p, "mpparse would reject the table");

        assertEquals(Layout.MP_TABLE_ADDRESS, p.floatingPointer());
        assertEquals(Layout.MP_TABLE_ADDRESS + 16, p.table());
        assertEquals(MpTable.size(n), written.size());
        assertEquals(written.size() - 16, p.length());
        assertEquals(MpTable.entryCount(n), p.entryCountField());
        assertEquals(n + 1 + 1 + 24 + 2, p.entryCountField());
        assertEquals(4, mem.getByte(written.start() + 9), "floating pointer spec rev");
        assertEquals(4, mem.getByte(p.table() + 6), "table spec rev");
        assertEquals(0xfee00000, mem.getInt(p.table() + 36));

        assertEquals(n, p.cpus().size());
        for (int i = 0; i < n; i++) {
            int[] cpu = p.cpus().get(i);
            assertEquals(i, cpu[0], "APIC ID");
            assertEquals(0x14, cpu[1]);
            assertEquals(i == 0 ? 3 : 1, cpu[2], "enabled, BSP flag only on CPU 0");
            assertEquals(0x600, cpu[3]);
            assertEquals(0x201, cpu[4]);
        }
        assertEquals(1, p.buses().size());
        assertEquals(1, p.ioapics().size());
        long[] ioapic = p.ioapics().get(0);
        assertEquals(n, ioapic[0], "IOAPIC ID follows the CPUs");
        assertEquals(0x11, ioapic[1]);
        assertEquals(1, ioapic[2], "usable");
        assertEquals(0xfec00000L, ioapic[3]);

        assertEquals(24, p.ioInterrupts().size());
        for (int irq = 0; irq < 24; irq++) {
            int[] e = p.ioInterrupts().get(irq);
            assertEquals(0, e[0], "mp_INT");
            assertEquals(0x5, e[1], "edge, active high");
            assertEquals(0, e[2], "ISA bus");
            assertEquals(irq, e[3]);
            assertEquals(n, e[4], "to the IOAPIC");
            assertEquals(irq, e[5], "pin = IRQ");
        }
        assertEquals(2, p.localInterrupts().size());
        assertEquals(List.of(3, 0xff, 0), List.of(p.localInterrupts().get(0)[0], p.localInterrupts().get(0)[4], p.localInterrupts().get(0)[5]));
        assertEquals(List.of(1, 0xff, 1), List.of(p.localInterrupts().get(1)[0], p.localInterrupts().get(1)[4], p.localInterrupts().get(1)[5]));
    }

    @Test
    void aCorruptedByteFailsTheChecksum() {
        GuestMemory mem = lowMemory();
        MpTable.write(mem, 2);
        long cpu1 = Layout.MP_TABLE_ADDRESS + 16 + 44 + 20;
        mem.putByte(cpu1 + 3, (byte) 3);                   // make CPU 1 a second BSP
        assertNull(parse(mem));

        mem = lowMemory();
        MpTable.write(mem, 2);
        mem.putByte(Layout.MP_TABLE_ADDRESS + 4, (byte) 0x20);   // move physptr
        assertEquals(-1, scan(mem));
    }

    @Test
    void theMostCpusFitInTheBiosArea() {
        assertTrue(MpTable.size(MpTable.MAX_CPUS) <= Layout.MP_TABLE_AREA_SIZE);
        GuestMemory mem = lowMemory();
        MpTable.write(mem, MpTable.MAX_CPUS);
        Parsed p = parse(mem);
        assertNotNull(p);
        assertEquals(254, p.cpus().size());
        assertEquals(253, p.cpus().get(253)[0]);
        assertEquals(254, p.ioapics().get(0)[0]);
    }

    @Test
    void rejectsCpuCountsItCannotDescribe() {
        GuestMemory mem = lowMemory();
        BootException e = assertThrows(BootException.class, () -> MpTable.write(mem, 255));
        assertEquals("cannot boot 255 vCPUs: the MP table describes 1 to 254 (8-bit APIC IDs, one taken by the IOAPIC); "
                + "use --cpus 1..254", e.getMessage());
        assertThrows(BootException.class, () -> MpTable.write(mem, 0));
        assertEquals(-1, scan(mem), "nothing written on refusal");
    }
}
