package io.jkvm.core.rtc;

import io.jkvm.devices.bus.BusDevice;

import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * The CMOS real-time clock (Motorola MC146818) at ports 0x70 (index) and 0x71 (data), as much as Linux reads at boot:
 * the time of day in BCD, 24-hour mode, and status registers that say "no update in progress" and "time valid".
 * Without it every x86 kernel spins in mc146818_get_time() waiting for an update that never ends (an unclaimed
 * port reads as 0xff, which has UIP set). The other CMOS bytes are plain RAM. Register map: MC146818A data sheet.
 */
public final class CmosRtc implements BusDevice {
    public static final long BASE = 0x70;
    public static final long LENGTH = 2;

    private static final int SECONDS = 0x00;
    private static final int MINUTES = 0x02;
    private static final int HOURS = 0x04;
    private static final int DAY_OF_WEEK = 0x06;
    private static final int DAY_OF_MONTH = 0x07;
    private static final int MONTH = 0x08;
    private static final int YEAR = 0x09;
    private static final int REG_A = 0x0a;
    private static final int REG_B = 0x0b;
    private static final int REG_C = 0x0c;
    private static final int REG_D = 0x0d;
    private static final int CENTURY = 0x32; // where the PC/AT (and Linux without ACPI FADT) keeps the century

    /** 32.768 kHz time base, 1024 Hz periodic rate; UIP (bit 7) clear. */
    private static final int REG_A_DEFAULT = 0x26;
    /** 24-hour mode; BCD (DM = 0); no interrupts enabled. */
    private static final int REG_B_24H = 0x02;
    /** VRT: the battery is good and the time valid. */
    private static final int REG_D_VALID = 0x80;

    private final Clock clock;
    private final byte[] ram = new byte[128];
    private int index;

    public CmosRtc() {
        this(Clock.systemUTC());
    }

    public CmosRtc(Clock clock) {
        this.clock = clock;
        ram[REG_A] = REG_A_DEFAULT;
        ram[REG_B] = REG_B_24H;
        ram[REG_D] = (byte) REG_D_VALID;
    }

    @Override
    public synchronized long read(long offset, int size) {
        if (offset == 0) {
            return index;
        }
        ZonedDateTime t = ZonedDateTime.now(clock).withZoneSameInstant(ZoneOffset.UTC);
        switch (index) {
            case SECONDS: return bcd(t.getSecond());
            case MINUTES: return bcd(t.getMinute());
            case HOURS: return bcd(t.getHour());
            case DAY_OF_WEEK: return bcd(t.getDayOfWeek().getValue() % 7 + 1); // 1 = Sunday
            case DAY_OF_MONTH: return bcd(t.getDayOfMonth());
            case MONTH: return bcd(t.getMonthValue());
            case YEAR: return bcd(t.getYear() % 100);
            case CENTURY: return bcd(t.getYear() / 100);
            case REG_C: return 0; // no interrupt flags pending
            default: return ram[index] & 0xff;
        }
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        if (offset == 0) {
            index = (int) (value & 0x7f); // bit 7 is the NMI mask on PC hardware, not part of the index
        } else if (index > REG_D) {
            ram[index] = (byte) value; // the clock itself keeps host time; status registers stay as set up
        }
    }

    private static int bcd(int v) {
        return (v / 10) << 4 | (v % 10);
    }
}
