package io.jkvm.core.vm;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts per guest address (a port or an MMIO register) without allocating on the exit path: open addressing over
 * primitive arrays, grown off the hot path only when a new address appears. One instance per vCPU thread; read it
 * after the vCPU has stopped.
 */
final class AddressCounts {
    private long[] keys = new long[64];
    private long[] counts = new long[64];
    private boolean[] used = new boolean[64];
    private int size;

    void increment(long address) {
        int mask = keys.length - 1;
        int i = Long.hashCode(address * 0x9E3779B97F4A7C15L) & mask;
        while (used[i]) {
            if (keys[i] == address) {
                counts[i]++;
                return;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        keys[i] = address;
        counts[i] = 1;
        if (++size * 2 > keys.length) {
            grow();
        }
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

    private void grow() {
        long[] oldKeys = keys;
        long[] oldCounts = counts;
        boolean[] oldUsed = used;
        keys = new long[oldKeys.length * 2];
        counts = new long[oldKeys.length * 2];
        used = new boolean[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldUsed[i]) {
                int mask = keys.length - 1;
                int j = Long.hashCode(oldKeys[i] * 0x9E3779B97F4A7C15L) & mask;
                while (used[j]) {
                    j = (j + 1) & mask;
                }
                used[j] = true;
                keys[j] = oldKeys[i];
                counts[j] = oldCounts[i];
                size++;
            }
        }
    }
}
