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
}
