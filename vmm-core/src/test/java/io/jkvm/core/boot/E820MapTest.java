package io.jkvm.core.boot;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.jkvm.core.boot.E820Map.TYPE_RAM;
import static io.jkvm.core.boot.E820Map.TYPE_RESERVED;
import static io.jkvm.core.boot.Layout.GiB;
import static io.jkvm.core.boot.Layout.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class E820MapTest {
    private static final long RESERVED_LOW = MiB - 0x9fc00;

    @Test
    void map256MiB() {
        assertEquals(List.of(
                new E820Map.Entry(0, 0x9fc00, TYPE_RAM),
                new E820Map.Entry(0x9fc00, 0x60400, TYPE_RESERVED),
                new E820Map.Entry(MiB, 255 * MiB, TYPE_RAM)), E820Map.forRam(256 * MiB).entries());
    }

    @Test
    void map3GiBStopsAtTheHole() {
        List<E820Map.Entry> e = E820Map.forRam(3 * GiB).entries();
        assertEquals(3, e.size());
        assertEquals(new E820Map.Entry(MiB, 3 * GiB - MiB, TYPE_RAM), e.get(2));
        assertEquals(0xc000_0000L, e.get(2).end());
    }

    @Test
    void map5GiBContinuesAbove4GiB() {
        List<E820Map.Entry> e = E820Map.forRam(5 * GiB).entries();
        assertEquals(4, e.size());
        assertEquals(new E820Map.Entry(MiB, 3 * GiB - MiB, TYPE_RAM), e.get(2));
        assertEquals(new E820Map.Entry(4 * GiB, 2 * GiB, TYPE_RAM), e.get(3));
        assertFalse(E820Map.forRam(5 * GiB).isUsable(new GuestRange(3 * GiB, 4096)), "the MMIO hole is not RAM");
        assertFalse(E820Map.forRam(5 * GiB).isUsable(new GuestRange(Layout.VIRTIO_MMIO_BASE, 4096)));
    }

    @Test
    void noOverlapsAndEveryRamByteAccountedFor() {
        long[] sizes = {3 * MiB, 64 * MiB, 256 * MiB, 1 * GiB, 3 * GiB - 4096, 3 * GiB, 3 * GiB + 4096, 5 * GiB, 64 * GiB};
        for (long ram : sizes) {
            E820Map map = E820Map.forRam(ram);
            List<E820Map.Entry> e = map.entries();
            for (int i = 1; i < e.size(); i++) {
                assertTrue(e.get(i - 1).end() <= e.get(i).address(), "overlap for " + ram + ": " + map);
            }
            // Everything listed is backed by a RAM range of the layout, and only the EBDA..1 MiB part is withheld.
            for (E820Map.Entry entry : e) {
                GuestRange r = new GuestRange(entry.address(), entry.size());
                assertTrue(Layout.ramRanges(ram).stream().anyMatch(ramRange -> ramRange.contains(r)), r + " not RAM");
            }
            assertEquals(ram - RESERVED_LOW, map.usableBytes(), "usable bytes for " + ram);
            assertTrue(map.isUsable(new GuestRange(Layout.ZERO_PAGE_ADDRESS, BootParams.SIZE)));
            assertFalse(map.isUsable(new GuestRange(Layout.MP_TABLE_ADDRESS, 16)), "the MP table must be reserved");
        }
    }

    @Test
    void ramRangesSplitAtThreeGiB() {
        assertEquals(List.of(new GuestRange(0, 256 * MiB)), Layout.ramRanges(256 * MiB));
        assertEquals(List.of(new GuestRange(0, 3 * GiB), new GuestRange(4 * GiB, 2 * GiB)), Layout.ramRanges(5 * GiB));
    }

    @Test
    void rejectsTooLittleOrUnalignedRam() {
        BootException small = assertThrows(BootException.class, () -> E820Map.forRam(MiB));
        assertEquals("guest memory 1 MiB is too small: the boot layout alone needs 3 MiB; raise --memory", small.getMessage());
        assertThrows(BootException.class, () -> E820Map.forRam(64 * MiB + 1));
    }

    @Test
    void rejectsOverlappingEntries() {
        assertThrows(IllegalArgumentException.class, () -> new E820Map(List.of(
                new E820Map.Entry(0, 2 * MiB, TYPE_RAM), new E820Map.Entry(MiB, MiB, TYPE_RESERVED))));
    }
}
