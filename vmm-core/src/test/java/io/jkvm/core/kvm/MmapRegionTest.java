package io.jkvm.core.kvm;

import com.sun.jna.Pointer;
import io.jkvm.devices.memory.GuestMemory;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MmapRegionTest {
    @Test
    void largeRamIsViewedInChunksOfAtMostOneGiB() {
        long size = (2L << 30) + 8192;
        try (MmapRegion ram = MmapRegion.anonymous(size)) {
            assertEquals(0, ram.hostAddress() % MmapRegion.PAGE_SIZE);
            List<GuestMemory.Region> regions = ram.regions(0x100000);
            assertEquals(3, regions.size());
            assertEquals(0x100000, regions.get(0).guestAddress());
            assertEquals(1L << 30, regions.get(0).size());
            assertEquals(0x100000 + (1L << 30), regions.get(1).guestAddress());
            assertEquals(0x100000 + (2L << 30), regions.get(2).guestAddress());
            assertEquals(8192, regions.get(2).size());
            assertTrue(regions.stream().allMatch(r -> r.buffer().isDirect()));

            // The views and the host address are the same memory, across a chunk boundary.
            GuestMemory memory = new GuestMemory(regions);
            long gpa = 0x100000 + (1L << 30) - 4;
            memory.putLong(gpa, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, new Pointer(ram.hostAddress()).getLong((1L << 30) - 4));
            new Pointer(ram.hostAddress()).setInt(size - 4, 0xcafe);
            assertEquals(0xcafe, memory.getInt(0x100000 + size - 4));
        }
    }

    @Test
    void aSubRangeMapsToItsOwnGuestAddress() {
        try (MmapRegion ram = MmapRegion.anonymous(0x4000)) {
            List<GuestMemory.Region> upper = ram.regions(0x2000, 0x2000, 0x1_0000_0000L);
            assertEquals(1, upper.size());
            new Pointer(ram.hostAddress()).setByte(0x2001, (byte) 0x5a);
            assertEquals(0x5a, new GuestMemory(upper).getByte(0x1_0000_0001L));
            assertThrows(IndexOutOfBoundsException.class, () -> ram.regions(0x2000, 0x3000, 0));
        }
    }

    @Test
    void freshMemoryIsZero() {
        try (MmapRegion ram = MmapRegion.anonymous(0x2000)) {
            assertEquals(0, new GuestMemory(ram.regions(0)).getLong(0x1ff8));
        }
    }

    @Test
    void aSizeThatIsNotWholePagesIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MmapRegion.anonymous(5000));
        assertTrue(e.getMessage().contains("multiple of 4096"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MmapRegion.anonymous(0));
    }

    @Test
    void anImpossibleMappingThrowsWithErrno() {
        // 2^62 bytes exceeds the 47-bit user address space even with MAP_NORESERVE: ENOMEM.
        KvmException e = assertThrows(KvmException.class, () -> MmapRegion.anonymous(1L << 62));
        assertEquals(12, e.errno());
        assertTrue(e.getMessage().startsWith("mmap 4611686018427387904 bytes of guest RAM failed: errno 12"),
                e.getMessage());
    }
}
