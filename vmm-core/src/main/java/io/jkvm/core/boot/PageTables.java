package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;

/**
 * The boot page tables: a 4-level identity map of the first {@link Layout#IDENTITY_MAP_SIZE} bytes with 2 MiB pages
 * (one PML4, one PDPT, one page directory per GiB). Paging must be on at the 64-bit entry; the kernel's
 * decompressor replaces these tables with its own soon after.
 */
public final class PageTables {
    static final long PRESENT = 1;
    static final long WRITABLE = 1 << 1;
    /** PDE.PS: the entry maps a 2 MiB page rather than pointing at a page table. */
    static final long PAGE_SIZE_2M = 1 << 7;
    static final int ENTRIES_PER_TABLE = 512;

    /** Page directories needed: one per GiB mapped. */
    public static final int PAGE_DIRECTORIES = (int) (Layout.IDENTITY_MAP_SIZE / Layout.GiB);

    private PageTables() {
    }

    /** The guest range the tables occupy. */
    public static GuestRange range() {
        return GuestRange.between(Layout.PML4_ADDRESS, Layout.PD_ADDRESS + PAGE_DIRECTORIES * Layout.PAGE_SIZE);
    }

    /** Writes the tables; returns the value for CR3 (the PML4's address). */
    public static long write(GuestMemory memory) {
        GuestRange r = range();
        memory.fill(r.start(), r.size(), (byte) 0);
        memory.putLong(Layout.PML4_ADDRESS, Layout.PDPT_ADDRESS | PRESENT | WRITABLE);
        for (int gib = 0; gib < PAGE_DIRECTORIES; gib++) {
            long pd = Layout.PD_ADDRESS + gib * Layout.PAGE_SIZE;
            memory.putLong(Layout.PDPT_ADDRESS + 8L * gib, pd | PRESENT | WRITABLE);
            for (int i = 0; i < ENTRIES_PER_TABLE; i++) {
                long physical = gib * Layout.GiB + i * Layout.IDENTITY_PAGE_SIZE;
                memory.putLong(pd + 8L * i, physical | PRESENT | WRITABLE | PAGE_SIZE_2M);
            }
        }
        return Layout.PML4_ADDRESS;
    }
}
