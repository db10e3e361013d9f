package io.jkvm.core.boot;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.jkvm.core.boot.Layout.GiB;
import static io.jkvm.core.boot.Layout.MiB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayoutTest {
    private static final GuestRange HOLE = GuestRange.between(Layout.MMIO_HOLE_START, Layout.MMIO_HOLE_END);

    @Test
    void lowMemoryStructuresAreDisjointAndUsable() {
        List<GuestRange> low = List.of(
                new GuestRange(Layout.GDT_ADDRESS, Gdt.LIMIT + 1),
                new GuestRange(Layout.IDT_ADDRESS, 8),
                new GuestRange(Layout.ZERO_PAGE_ADDRESS, BootParams.SIZE),
                GuestRange.between(Layout.BOOT_STACK_POINTER & ~0xfffL, Layout.BOOT_STACK_POINTER + 16),
                PageTables.range(),
                new GuestRange(Layout.CMDLINE_ADDRESS, Layout.CMDLINE_AREA_SIZE));
        E820Map e820 = E820Map.forRam(256 * MiB);
        for (int i = 0; i < low.size(); i++) {
            assertTrue(e820.isUsable(low.get(i)), low.get(i) + " usable");
            assertTrue(low.get(i).start() >= 0x500, "clear of the IVT and BIOS data area");
            for (int j = i + 1; j < low.size(); j++) {
                assertFalse(low.get(i).overlaps(low.get(j)), low.get(i) + " overlaps " + low.get(j));
            }
        }
        GuestRange mp = new GuestRange(Layout.MP_TABLE_ADDRESS, MpTable.size(MpTable.MAX_CPUS));
        assertTrue(GuestRange.between(Layout.EBDA_ADDRESS, Layout.HIGH_MEMORY).contains(mp), "MP table in the reserved area");
        assertEquals(0x100200, Layout.KERNEL_ADDRESS + Layout.KERNEL_64BIT_ENTRY_OFFSET);
    }

    @Test
    void deviceAddressesLieInTheHoleWithoutOverlapping() {
        List<GuestRange> devices = new ArrayList<>();
        for (int i = 0; i < Layout.MAX_VIRTIO_DEVICES; i++) {
            devices.add(Layout.virtioMmioWindow(i));
            int irq = Layout.virtioIrq(i);
            assertTrue(irq >= 5 && irq < Layout.IOAPIC_PINS, "irq " + irq);
        }
        assertEquals(new GuestRange(0xd000_0000L, 0x1000), Layout.virtioMmioWindow(0));
        assertEquals(5, Layout.virtioIrq(0));
        assertEquals(23, Layout.virtioIrq(Layout.MAX_VIRTIO_DEVICES - 1));
        devices.add(new GuestRange(Layout.IOAPIC_ADDRESS, 0x1000));
        devices.add(new GuestRange(Layout.LAPIC_ADDRESS, 0x1000));
        devices.add(new GuestRange(Layout.KVM_TSS_ADDRESS, 3 * 0x1000));
        devices.add(new GuestRange(Layout.KVM_IDENTITY_MAP_ADDRESS, 0x1000));
        for (int i = 0; i < devices.size(); i++) {
            assertTrue(HOLE.contains(devices.get(i)), devices.get(i) + " in the hole");
            for (int j = i + 1; j < devices.size(); j++) {
                assertFalse(devices.get(i).overlaps(devices.get(j)), devices.get(i) + " overlaps " + devices.get(j));
            }
        }
        for (GuestRange ram : Layout.ramRanges(64 * GiB)) {
            assertFalse(ram.overlaps(HOLE), "RAM " + ram + " in the hole");
        }
        assertThrows(IllegalArgumentException.class, () -> Layout.virtioMmioWindow(Layout.MAX_VIRTIO_DEVICES));
    }

    @Test
    void identityMapCoversEveryPlaceTheLoaderWrites() {
        assertTrue(Layout.IDENTITY_MAP_SIZE >= Layout.MMIO_HOLE_START, "all of low RAM: kernel, initrd, tables");
        assertEquals(Layout.IDENTITY_MAP_SIZE / GiB, PageTables.PAGE_DIRECTORIES);
    }
}
