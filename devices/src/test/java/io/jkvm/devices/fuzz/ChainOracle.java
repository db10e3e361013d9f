package io.jkvm.devices.fuzz;

import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.virtio.DescriptorChain;
import io.jkvm.devices.virtio.DeviceContext;
import io.jkvm.devices.virtio.VirtioFeatures;
import io.jkvm.devices.virtio.Virtqueue;
import io.jkvm.devices.virtio.VirtqueueException;

import java.util.ArrayList;
import java.util.List;

/**
 * The spec's reading of an available ring entry, written apart from {@link Virtqueue} to hold it to account: a chain
 * (virtio 1.2, 2.7.5 and 2.7.5.3) is valid when its head is below the queue size, every buffer lies in RAM, no
 * device-readable buffer follows a device-writable one (2.7.4.2), indirect tables are negotiated, not nested, not
 * combined with NEXT, a non-zero multiple of 16 bytes in RAM, each next index is inside its table, no table is walked
 * more often than it has entries (a loop), and the chain totals at most 2^32 bytes (2.7.5.2). A chain may run through
 * an indirect table longer than the queue (2.7.5.3.1 limits it to the table's own length).
 *
 * <p>What pop() returns must be exactly the valid reading; what it refuses must be invalid. A chain that reaches an
 * indirect table from a descriptor chained in the direct table ("mixed") may go either way: Linux never builds one and
 * the spec neither allows nor forbids it explicitly.
 */
final class ChainOracle {
    private static final long MAX_CHAIN_BYTES = 1L << 32;

    private final GuestMemory mem;
    private boolean indirect;

    ChainOracle(GuestMemory mem) {
        this.mem = mem;
    }

    void activated(DeviceContext ctx) {
        indirect = ctx.hasFeature(VirtioFeatures.RING_INDIRECT_DESC);
    }

    /** What the entry at avail slot means: its buffers, or why it is no chain. */
    private static final class Reading {
        final List<long[]> bufs = new ArrayList<>();
        String invalid;
        boolean mixed;
    }

    void popped(Virtqueue q, int slot, DescriptorChain c) {
        Reading r = read(q, slot);
        if (r.invalid != null) {
            throw new AssertionError("pop() returned a chain the spec forbids: " + r.invalid);
        }
        boolean same = r.bufs.size() == c.count();
        for (int i = 0; same && i < c.count(); i++) {
            long[] b = r.bufs.get(i);
            same = b[0] == c.addr(i) && b[1] == c.len(i) && (b[2] != 0) == c.isWritable(i);
        }
        if (!same) {
            throw new AssertionError("pop() returned " + describe(c) + " where the descriptors say " + describe(r));
        }
    }

    void refused(Virtqueue q, int slot, VirtqueueException e) {
        Reading r = read(q, slot);
        if (r.invalid == null && !r.mixed) {
            throw new AssertionError("pop() refused a valid chain of " + r.bufs.size() + " buffers ("
                    + e.kind() + ": " + e.getMessage() + ")");
        }
    }

    private Reading read(Virtqueue q, int slot) {
        Reading r = new Reading();
        int size = q.size();
        int availIdx = mem.getShort(q.availRing() + 2) & 0xffff;
        int pending = (availIdx - slot) & 0xffff;
        if (pending > size) {
            r.invalid = "avail idx " + availIdx + " is " + pending + " entries ahead, more than the queue size";
            return r;
        }
        int head = mem.getShort(q.availRing() + 4 + 2L * (slot & (size - 1))) & 0xffff;
        if (head >= size) {
            r.invalid = "head " + head + " is not below the queue size " + size;
            return r;
        }
        long table = q.descTable();
        long entries = size;
        long i = head;
        long visited = 0;
        long total = 0;
        boolean inIndirect = false;
        boolean writableSeen = false;
        while (true) {
            if (++visited > entries) {
                r.invalid = "the chain loops";
                return r;
            }
            long d = table + 16 * i;
            long addr = mem.getLong(d);
            long len = Integer.toUnsignedLong(mem.getInt(d + 8));
            int flags = mem.getShort(d + 12) & 0xffff;
            int next = mem.getShort(d + 14) & 0xffff;
            if ((flags & Virtqueue.DESC_F_INDIRECT) != 0) {
                if (!indirect || inIndirect || (flags & Virtqueue.DESC_F_NEXT) != 0 || len == 0 || len % 16 != 0
                        || !FuzzRam.contains(addr, len)) {
                    r.invalid = "a bad indirect descriptor";
                    return r;
                }
                r.mixed = visited > 1;
                table = addr;
                entries = len / 16;
                i = 0;
                visited = 0;
                inIndirect = true;
                continue;
            }
            if (!FuzzRam.contains(addr, len)) {
                r.invalid = String.format("buffer 0x%x+0x%x is not RAM", addr, len);
                return r;
            }
            boolean writable = (flags & Virtqueue.DESC_F_WRITE) != 0;
            if (!writable && writableSeen) {
                r.invalid = "a device-readable buffer after a device-writable one";
                return r;
            }
            writableSeen |= writable;
            total += len;
            if (total > MAX_CHAIN_BYTES) {
                r.invalid = "more than 2^32 bytes";
                return r;
            }
            r.bufs.add(new long[] {addr, len, writable ? 1 : 0});
            if ((flags & Virtqueue.DESC_F_NEXT) == 0) {
                return r;
            }
            if (next >= entries) {
                r.invalid = "next " + next + " is past the table's " + entries + " entries";
                return r;
            }
            i = next;
        }
    }

    private static String describe(DescriptorChain c) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < c.count(); i++) {
            sb.append(String.format("%s0x%x+0x%x%s", i == 0 ? "" : " ", c.addr(i), c.len(i), c.isWritable(i) ? "w" : ""));
        }
        return sb.append(']').toString();
    }

    private static String describe(Reading r) {
        StringBuilder sb = new StringBuilder("[");
        for (long[] b : r.bufs) {
            sb.append(String.format("%s0x%x+0x%x%s", sb.length() == 1 ? "" : " ", b[0], b[1], b[2] != 0 ? "w" : ""));
        }
        return sb.append(']').toString();
    }
}
