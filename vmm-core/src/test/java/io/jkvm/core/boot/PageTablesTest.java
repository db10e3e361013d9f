package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;
import org.junit.jupiter.api.Test;

import static io.jkvm.core.boot.Layout.GiB;
import static io.jkvm.core.boot.Layout.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PageTablesTest {
    /** A 4-level walk as the MMU does it for a 2 MiB page; -1 where a level is not present. */
    static long translate(GuestMemory mem, long cr3, long va) {
        long pml4e = mem.getLong((cr3 & ~0xfffL) + 8 * (va >>> 39 & 511));
        if ((pml4e & 1) == 0) {
            return -1;
        }
        long pdpte = mem.getLong((pml4e & 0x000f_ffff_ffff_f000L) + 8 * (va >>> 30 & 511));
        if ((pdpte & 1) == 0) {
            return -1;
        }
        assertEquals(0, pdpte & 0x80, "no 1 GiB pages");
        long pde = mem.getLong((pdpte & 0x000f_ffff_ffff_f000L) + 8 * (va >>> 21 & 511));
        if ((pde & 1) == 0) {
            return -1;
        }
        assertEquals(0x83, pde & 0x83, "present, writable, 2 MiB page");
        return (pde & 0x000f_ffff_ffe0_0000L) | (va & 0x1f_ffffL);
    }

    @Test
    void identityMapsTheFirstFourGiB() {
        GuestMemory mem = GuestMemory.allocate((int) MiB);
        mem.fill(0, MiB, (byte) 0x5a);                       // stale bytes must not leak into the tables
        long cr3 = PageTables.write(mem);
        assertEquals(Layout.PML4_ADDRESS, cr3);

        long[] probes = {0, 0x7000, Layout.CMDLINE_ADDRESS, MiB, MiB + 0x200, 16 * MiB + 12345, GiB - 1, GiB,
                2 * GiB + 0x1234, 3 * GiB - 1, Layout.VIRTIO_MMIO_BASE, Layout.IOAPIC_ADDRESS, Layout.LAPIC_ADDRESS,
                4 * GiB - 1};
        for (long va : probes) {
            assertEquals(va, translate(mem, cr3, va), String.format("va 0x%x", va));
        }
        for (long va = 0; va < 4 * GiB; va += 2 * MiB) {
            assertEquals(va, translate(mem, cr3, va));
        }
        assertEquals(-1, translate(mem, cr3, 4 * GiB), "nothing above 4 GiB");
        assertEquals(-1, translate(mem, cr3, 512 * GiB), "one PML4 entry only");
    }

    @Test
    void tablesLieInUsableLowMemoryBelowTheCommandLine() {
        GuestRange r = PageTables.range();
        assertEquals(GuestRange.between(0x9000, 0xf000), r);
        assertTrue(E820Map.forRam(256 * MiB).isUsable(r));
        assertTrue(r.end() <= Layout.CMDLINE_ADDRESS);
    }
}
