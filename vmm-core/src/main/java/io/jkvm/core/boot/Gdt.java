package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;

/**
 * The boot GDT for the 64-bit entry. boot.rst ("64-bit Boot Protocol") fixes the selectors: __BOOT_CS = 0x10 must
 * be a flat execute/read code segment and __BOOT_DS = 0x18 a flat read/write data segment. Slot 1 stays null, as
 * nothing uses it. The TSS follows because VMX refuses to enter a guest whose TR is not a busy TSS; in long mode its
 * descriptor takes two slots.
 */
public final class Gdt {
    public static final int BOOT_CS = 0x10;
    public static final int BOOT_DS = 0x18;
    public static final int BOOT_TSS = 0x20;
    /** null, unused, code, data, TSS low, TSS high. */
    public static final int ENTRIES = 6;
    public static final int LIMIT = ENTRIES * 8 - 1;

    /** Present, DPL 0, code, execute/read, accessed; G = 1, L = 1 (64-bit code, so D must be 0). */
    static final long CODE64 = descriptor(0xa09b, 0, 0xfffff);
    /** Present, DPL 0, data, read/write, accessed; G = 1, D/B = 1. */
    static final long DATA = descriptor(0xc093, 0, 0xfffff);
    /** Present, system, type 11 (busy 64-bit TSS). Base 0; the guest never switches tasks on it. */
    static final long TSS = descriptor(0x808b, 0, 0xfffff);

    private Gdt() {
    }

    /**
     * Builds a segment descriptor from flags in the layout of descriptor bits 55:40 (G, D/B, L, AVL in the high
     * nibble, then P, DPL, S, type), a 32-bit base and a 20-bit limit.
     */
    static long descriptor(int flags, long base, int limit) {
        return (base & 0xff00_0000L) << (56 - 24)
                | ((long) flags & 0xf0ff) << 40
                | ((long) limit & 0xf_0000) << (48 - 16)
                | (base & 0xff_ffffL) << 16
                | (limit & 0xffff);
    }

    /** The table as 8-byte slots. */
    public static long[] entries() {
        return new long[] {0, 0, CODE64, DATA, TSS, 0};
    }

    /** Writes the GDT at {@link Layout#GDT_ADDRESS} and an empty IDT at {@link Layout#IDT_ADDRESS}. */
    public static void write(GuestMemory memory) {
        long[] entries = entries();
        for (int i = 0; i < entries.length; i++) {
            memory.putLong(Layout.GDT_ADDRESS + 8L * i, entries[i]);
        }
        memory.putLong(Layout.IDT_ADDRESS, 0);
    }

    public static Segment code() {
        return Segment.fromDescriptor(CODE64, BOOT_CS);
    }

    public static Segment data() {
        return Segment.fromDescriptor(DATA, BOOT_DS);
    }

    public static Segment tss() {
        return Segment.fromDescriptor(TSS, BOOT_TSS);
    }
}
