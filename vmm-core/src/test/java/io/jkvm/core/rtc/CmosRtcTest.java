package io.jkvm.core.rtc;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CmosRtcTest {
    private final CmosRtc rtc = new CmosRtc(Clock.fixed(Instant.parse("2026-11-25T09:07:05Z"), ZoneOffset.UTC));

    private int reg(int index) {
        rtc.write(0, 1, index | 0x80); // with the NMI-disable bit, as Linux writes it
        return (int) rtc.read(1, 1);
    }

    @Test
    void timeOfDayInBcd() {
        assertEquals(0x05, reg(0x00));
        assertEquals(0x07, reg(0x02));
        assertEquals(0x09, reg(0x04));
        assertEquals(0x25, reg(0x07));
        assertEquals(0x11, reg(0x08));
        assertEquals(0x26, reg(0x09));
        assertEquals(0x20, reg(0x32));
        assertEquals(0x04, reg(0x06)); // Wednesday, with Sunday = 1
    }

    @Test
    void statusSaysNoUpdateInProgressAndValidTime() {
        assertEquals(0, reg(0x0a) & 0x80, "UIP clear");
        assertEquals(0x02, reg(0x0b), "24h, BCD");
        assertEquals(0x80, reg(0x0d), "VRT");
    }

    @Test
    void otherBytesAreRam() {
        rtc.write(0, 1, 0x40);
        rtc.write(1, 1, 0x5a);
        assertEquals(0x5a, reg(0x40));
        rtc.write(0, 1, 0x0b);
        rtc.write(1, 1, 0x00);
        assertEquals(0x02, reg(0x0b), "status registers are not rewritten by the guest");
    }
}
