package io.jkvm.core.vm;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts per guest address (a port or an MMIO register) without allocating on the exit path: open addressing over
 * primitive arrays, grown off the hot path only when a new address appears. The guest chooses the addresses, so
 * the table holds the first {@link #TRACKED} of them and counts the exits at any other in one {@link #other()}
 * bucket: a sweep over unbacked memory costs a fixed amount of VMM memory. One instance per vCPU thread; read it
 * after the vCPU has stopped.
 */
final class AddressCounts {
    /** Distinct addresses counted one by one: every register of a dozen virtio windows, with room to spare. */
    static final int TRACKED = 1024;

    private long[] keys = new long[64];
    private long[] counts = new long[64];
    private boolean[] used = new boolean[64];
    private int size;
    private long other;

    void increment(long address) {
        int mask = keys.length - 1;
        int i = slot(address, mask);
        while (used[i]) {
            if (keys[i] == address) {
                counts[i]++;
                return;
            }
            i = (i + 1) & mask;
        }
        if (size == TRACKED) {
            other++;
            return;
        }
        used[i] = true;
        keys[i] = address;
        counts[i] = 1;
        // At most half full (TRACKED * 2 slots at the end), so a probe always finds a free slot.
        if (++size * 2 > keys.length) {
            grow();
        }
    }

    /** Exits at addresses beyond the first {@link #TRACKED}. */
    long other() {
        return other;
    }

    /** Distinct addresses counted one by one. */
    int tracked() {
        return size;
    }

    void addTo(Map<Long, Long> totals) {
        for (int i = 0; i < keys.length; i++) {
            if (used[i]) {
                totals.merge(keys[i], counts[i], Long::sum);
            }
        }
    }

    Map<Long, Long> toMap() {
        Map<Long, Long> m = new TreeMap<>();
        addTo(m);
        return m;
    }

    private static int slot(long address, int mask) {
        return Long.hashCode(address * 0x9E3779B97F4A7C15L) & mask;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldCounts = counts;
        boolean[] oldUsed = used;
        keys = new long[oldKeys.length * 2];
        counts = new long[oldKeys.length * 2];
        used = new boolean[oldKeys.length * 2];
        int mask = keys.length - 1;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldUsed[i]) {
                int j = slot(oldKeys[i], mask);
                while (used[j]) {
                    j = (j + 1) & mask;
                }
                used[j] = true;
                keys[j] = oldKeys[i];
                counts[j] = oldCounts[i];
            }
        }
    }
}
