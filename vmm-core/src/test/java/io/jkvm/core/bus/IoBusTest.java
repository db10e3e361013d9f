package io.jkvm.core.bus;

import io.jkvm.devices.bus.BusDevice;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IoBusTest {
    static final class Recorder implements BusDevice {
        final List<String> log = new ArrayList<>();

        @Override
        public long read(long offset, int size) {
            log.add("r" + offset + "/" + size);
            return 0x42;
        }

        @Override
        public void write(long offset, int size, long value) {
            log.add("w" + offset + "/" + size + "=" + value);
        }
    }

    @Test
    void dispatchesWithOffsetsRelativeToTheDevice() {
        IoBus bus = new IoBus("pio");
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        bus.add(0x3f8, 8, "serial", a);
        bus.add(0x60, 5, "i8042", b);
        assertEquals(0x42, bus.read(0x3fd, 1));
        bus.write(0x64, 1, 0xfe);
        assertEquals(List.of("r5/1"), a.log);
        assertEquals(List.of("w4/1=254"), b.log);
    }

    @Test
    void unclaimedAccessesReadAllOnesAndAreCounted() {
        IoBus bus = new IoBus("pio");
        bus.add(0x3f8, 8, "serial", new Recorder());
        assertEquals(0xff, bus.read(0x80, 1));
        assertEquals(0xffff_ffffL, bus.read(0x3f7, 4));
        bus.write(0x80, 1, 0);
        assertEquals(2L, bus.unhandledAccesses().get(0x80L));
        assertNull(bus.find(0x400));
    }

    @Test
    void overlappingRangesAreRefused() {
        IoBus bus = new IoBus("mmio");
        bus.add(0xd000_0000L, 0x1000, "virtio0", new Recorder());
        assertThrows(IllegalArgumentException.class, () -> bus.add(0xd000_0800L, 0x1000, "virtio1", new Recorder()));
    }

    /** KVM splits a page-crossing access into exits of 1 to 7 bytes: every size reaches the device or reads ones. */
    @Test
    void everySizeFromOneToEightIsServed() {
        IoBus bus = new IoBus("mmio");
        Recorder dev = new Recorder();
        bus.add(0xd000_0000L, 0x1000, "virtio0", dev);
        for (int size = 1; size <= 8; size++) {
            assertEquals(0x42, bus.read(0xd000_0ffdL, size));
            bus.write(0xd000_0ffdL, size, 7);
            long ones = size == 8 ? -1L : (1L << (8 * size)) - 1;
            assertEquals(ones, bus.read(0xd000_1000L, size), "unclaimed, size " + size);
            bus.write(0xd000_1000L, size, 7);
        }
        assertEquals(16, dev.log.size());
        assertEquals("r4093/3", dev.log.get(4));
        assertEquals(8, bus.unclaimedReads());
        assertEquals(8, bus.unclaimedWrites());
    }

    /** A sweep over unbacked addresses: every access counted, the per-address table stops at its bound. */
    @Test
    void aSweepOverUnclaimedAddressesStaysBounded() {
        IoBus bus = new IoBus("mmio");
        bus.add(0xd000_0000L, 0x1000, "virtio0", new Recorder());
        int n = 200_000;
        for (int i = 0; i < n; i++) {
            bus.read(0xc000_0000L + 8L * i, 8);
            bus.write(0xc000_0000L + 8L * i, 8, i);
        }
        assertEquals(IoBus.TRACKED_ADDRESSES, bus.unhandledAccesses().size());
        assertEquals(2L, bus.unhandledAccesses().get(0xc000_0000L), "the first addresses keep their own counts");
        assertEquals(n, bus.unclaimedReads());
        assertEquals(n, bus.unclaimedWrites());
    }
}
