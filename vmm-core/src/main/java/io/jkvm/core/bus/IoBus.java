package io.jkvm.core.bus;

import io.jkvm.devices.bus.BusDevice;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Maps guest address ranges (port I/O or MMIO) to devices. Lookup is a binary search over ranges sorted at
 * {@link #seal()}. An access that hits no device, of any size, is ignored as kvmtool's kvm__emulate_mmio does:
 * a read returns all ones (what a bus with nothing on it floats to), a write is dropped. Both are counted, and the
 * first {@link #TRACKED_ADDRESSES} such addresses also one by one; the guest chooses the addresses, so the table
 * stops growing there and later addresses are only in the totals.
 */
public final class IoBus {
    /** A device's range on the bus. */
    public record Range(long base, long length, String name, BusDevice device) {
        boolean contains(long address) {
            return address >= base && address - base < length;
        }
    }

    private final String name;
    private final List<Range> pending = new ArrayList<>();
    private Range[] ranges = new Range[0];
    private long[] bases = new long[0];
    /** Distinct unclaimed addresses counted one by one; a few more when vCPUs add at the same time. */
    public static final int TRACKED_ADDRESSES = 256;

    private final Map<Long, LongAdder> unhandled = new ConcurrentHashMap<>();
    private final LongAdder unclaimedReads = new LongAdder();
    private final LongAdder unclaimedWrites = new LongAdder();

    public IoBus(String name) {
        this.name = name;
    }

    public void add(long base, long length, String deviceName, BusDevice device) {
        Range r = new Range(base, length, deviceName, device);
        for (Range other : pending) {
            if (base < other.base() + other.length() && other.base() < base + length) {
                throw new IllegalArgumentException(String.format("%s bus: %s at 0x%x overlaps %s at 0x%x",
                        name, deviceName, base, other.name(), other.base()));
            }
        }
        pending.add(r);
        seal();
    }

    private void seal() {
        Range[] sorted = pending.toArray(new Range[0]);
        Arrays.sort(sorted, (a, b) -> Long.compare(a.base(), b.base()));
        long[] b = new long[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            b[i] = sorted[i].base();
        }
        bases = b;
        ranges = sorted;
    }

    /** The range holding address, or null. */
    public Range find(long address) {
        long[] b = bases;
        int i = Arrays.binarySearch(b, address);
        if (i < 0) {
            i = -i - 2;
        }
        if (i < 0) {
            return null;
        }
        Range r = ranges[i];
        return r.contains(address) ? r : null;
    }

    public long read(long address, int size) {
        Range r = find(address);
        if (r == null) {
            unclaimedReads.increment();
            countUnhandled(address);
            return size >= 8 ? -1L : (1L << (8 * size)) - 1;
        }
        return r.device().read(address - r.base(), size);
    }

    public void write(long address, int size, long value) {
        Range r = find(address);
        if (r == null) {
            unclaimedWrites.increment();
            countUnhandled(address);
            return;
        }
        r.device().write(address - r.base(), size, value);
    }

    private void countUnhandled(long address) {
        LongAdder n = unhandled.get(address);
        if (n == null) {
            if (unhandled.size() >= TRACKED_ADDRESSES) {
                return;
            }
            n = unhandled.computeIfAbsent(address, a -> new LongAdder());
        }
        n.increment();
    }

    /** Reads that no device claimed (each returned all ones). */
    public long unclaimedReads() {
        return unclaimedReads.sum();
    }

    /** Writes that no device claimed (each dropped). */
    public long unclaimedWrites() {
        return unclaimedWrites.sum();
    }

    /** Accesses to the first {@link #TRACKED_ADDRESSES} addresses no device claims, by address, sorted. */
    public Map<Long, Long> unhandledAccesses() {
        Map<Long, Long> m = new TreeMap<>();
        unhandled.forEach((a, n) -> m.put(a, n.sum()));
        return m;
    }

    public String name() {
        return name;
    }
}
