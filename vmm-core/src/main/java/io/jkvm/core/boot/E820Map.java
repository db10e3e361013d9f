package io.jkvm.core.boot;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The BIOS e820 memory map handed to the kernel in boot_params.e820_table: which guest physical ranges are RAM the
 * kernel may use, and which are reserved. Ranges not listed (the MMIO hole) are neither, as on real hardware.
 */
public final class E820Map {
    /** arch/x86/include/asm/e820/types.h */
    public static final int TYPE_RAM = 1;
    public static final int TYPE_RESERVED = 2;

    /** E820_MAX_ENTRIES_ZEROPAGE: the zero page has room for 128 entries (bootparam.h). */
    public static final int MAX_ENTRIES = 128;

    /** struct boot_e820_entry: packed u64 addr, u64 size, u32 type. */
    public record Entry(long address, long size, int type) {
        public static final int SIZE = 20;

        public long end() {
            return address + size;
        }

        @Override
        public String toString() {
            return String.format("[mem 0x%016x-0x%016x] %s", address, end() - 1,
                    type == TYPE_RAM ? "usable" : type == TYPE_RESERVED ? "reserved" : "type " + type);
        }
    }

    private final List<Entry> entries;

    public E820Map(List<Entry> entries) {
        if (entries.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException("e820 map has " + entries.size() + " entries, the zero page holds " + MAX_ENTRIES);
        }
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            if (e.size() <= 0) {
                throw new IllegalArgumentException("empty e820 entry " + e);
            }
            if (i > 0 && entries.get(i - 1).end() > e.address()) {
                throw new IllegalArgumentException("e820 entries overlap or are unsorted: " + entries.get(i - 1) + ", " + e);
            }
        }
        this.entries = List.copyOf(entries);
    }

    /**
     * The map for {@code ramSize} bytes laid out by {@link Layout#ramRanges}:
     * usable [0, 0x9FC00), reserved [0x9FC00, 1 MiB) (EBDA, VGA hole, BIOS area with the MP table), usable
     * [1 MiB, min(ram, 3 GiB)) and, above 3 GiB of RAM, usable [4 GiB, 4 GiB + ram - 3 GiB).
     */
    public static E820Map forRam(long ramSize) {
        List<Entry> list = new ArrayList<>();
        List<GuestRange> ram = Layout.ramRanges(ramSize);
        GuestRange low = ram.get(0);
        list.add(new Entry(0, Layout.EBDA_ADDRESS, TYPE_RAM));
        list.add(new Entry(Layout.EBDA_ADDRESS, Layout.HIGH_MEMORY - Layout.EBDA_ADDRESS, TYPE_RESERVED));
        list.add(new Entry(Layout.HIGH_MEMORY, low.end() - Layout.HIGH_MEMORY, TYPE_RAM));
        for (GuestRange high : ram.subList(1, ram.size())) {
            list.add(new Entry(high.start(), high.size(), TYPE_RAM));
        }
        return new E820Map(list);
    }

    public List<Entry> entries() {
        return Collections.unmodifiableList(entries);
    }

    /** Bytes the kernel may use as RAM. */
    public long usableBytes() {
        long n = 0;
        for (Entry e : entries) {
            if (e.type() == TYPE_RAM) {
                n += e.size();
            }
        }
        return n;
    }

    /** Whether every byte of the range is in one usable entry. */
    public boolean isUsable(GuestRange range) {
        for (Entry e : entries) {
            if (e.type() == TYPE_RAM && range.start() >= e.address() && range.end() <= e.end()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            sb.append(e).append('\n');
        }
        return sb.toString();
    }
}
