package io.jkvm.devices.fuzz;

import io.jkvm.devices.memory.GuestMemory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * The guest RAM of every fuzz target, reused from input to input: two adjacent regions (so that buffers and ring
 * fields straddle a region boundary) and a third one behind a hole (so that a buffer can start in RAM and end outside
 * it). It takes snapshots and says which bytes changed outside a set of allowed ranges: how the targets prove that a
 * device wrote nothing but the used ring and the writable buffers of the chains it was given.
 */
final class FuzzRam {
    static final long[] BASES = {0x0, 0xc000, 0x20000};
    static final int[] SIZES = {0xc000, 0x4000, 0x1000};
    /** One past the highest RAM address. */
    static final long END = 0x21000;
    /** Where the first two regions meet. */
    static final long SEAM = 0xc000;

    final GuestMemory memory;
    private final ByteBuffer[] buffers = new ByteBuffer[BASES.length];
    private final byte[][] before = new byte[BASES.length][];
    private final byte[][] after = new byte[BASES.length][];
    private final byte[][] zeros = new byte[BASES.length][];

    FuzzRam() {
        List<GuestMemory.Region> regions = new ArrayList<>();
        for (int i = 0; i < BASES.length; i++) {
            buffers[i] = ByteBuffer.allocateDirect(SIZES[i]);
            before[i] = new byte[SIZES[i]];
            after[i] = new byte[SIZES[i]];
            zeros[i] = new byte[SIZES[i]];
            regions.add(new GuestMemory.Region(BASES[i], buffers[i]));
        }
        memory = new GuestMemory(regions);
    }

    void clear() {
        for (int i = 0; i < buffers.length; i++) {
            buffers[i].put(0, zeros[i]);
        }
    }

    /** Whether [address, address+length) is RAM, worked out from the layout above rather than by GuestMemory. */
    static boolean contains(long address, long length) {
        if (address < 0 || length < 0 || address + length < address) {
            return false;
        }
        if (length == 0) {
            return true;
        }
        long end = address + length;
        if (address >= BASES[0] && end <= BASES[1] + SIZES[1]) {
            return true;
        }
        return address >= BASES[2] && end <= BASES[2] + SIZES[2];
    }

    void snapshot() {
        for (int i = 0; i < buffers.length; i++) {
            buffers[i].get(0, before[i]);
        }
    }

    /** The lowest address written since {@link #snapshot} that allowed does not cover, or -1. */
    long firstForeignWrite(BitSet allowed) {
        for (int i = 0; i < buffers.length; i++) {
            buffers[i].get(0, after[i]);
            int from = 0;
            while (from < SIZES[i]) {
                int m = Arrays.mismatch(before[i], from, SIZES[i], after[i], from, SIZES[i]);
                if (m < 0) {
                    break;
                }
                long address = BASES[i] + from + m;
                if (!allowed.get((int) address)) {
                    return address;
                }
                from += m + 1;
            }
        }
        return -1;
    }

    /** Bits [address, address+length) clipped to the address space that RAM spans. */
    static void allow(BitSet mask, long address, long length) {
        if (length <= 0 || address >= END || address + length <= 0) {
            return;
        }
        long from = Math.max(0, address);
        long to = Math.min(END, address + length < address ? END : address + length);
        mask.set((int) from, (int) to);
    }
}
