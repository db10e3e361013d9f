package io.jkvm.devices.fuzz;

import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.virtio.Virtqueue;

/**
 * The driver side of one split virtqueue wherever the input put it, overlapping or not (DriverQueue assumes the sane
 * layout of MmioDriver.setupQueue). Like a guest, it cannot write outside RAM: such writes are dropped.
 */
final class Ring {
    final int index;
    final int size;
    final long desc;
    final long avail;
    final long used;
    private final GuestMemory mem;
    private int nextDesc;
    private int availIdx;

    Ring(GuestMemory mem, int index, int size, long desc, long avail, long used) {
        this.mem = mem;
        this.index = index;
        this.size = size;
        this.desc = desc;
        this.avail = avail;
        this.used = used;
    }

    /** Whether the transport could have taken this layout: a power of 2 and nothing outside RAM. */
    boolean plausible() {
        return size > 0 && size <= Virtqueue.MAX_SIZE && Integer.bitCount(size) == 1
                && FuzzRam.contains(desc, 16L * size) && FuzzRam.contains(avail, 6L + 2L * size)
                && FuzzRam.contains(used, 6L + 8L * size);
    }

    /** The next descriptor slot of the table (round robin, as a driver that frees in order). */
    int takeDescriptor() {
        int d = nextDesc;
        nextDesc = (nextDesc + 1) % Math.max(1, Math.min(size, Virtqueue.MAX_SIZE));
        return d;
    }

    void writeDescriptor(int i, long addr, int len, int flags, int next) {
        writeDescriptorAt(desc + 16L * i, addr, len, flags, next);
    }

    void writeDescriptorAt(long at, long addr, int len, int flags, int next) {
        if (FuzzRam.contains(at, 16)) {
            mem.putLong(at, addr);
            mem.putInt(at + 8, len);
            mem.putShort(at + 12, (short) flags);
            mem.putShort(at + 14, (short) next);
        }
    }

    /** Puts head in the next available slot, then idx (release), as virtqueue_add_split does. */
    void publish(int head) {
        putShort(avail + 4 + 2L * Integer.remainderUnsigned(availIdx, Math.max(1, size)), head);
        setAvailIdx(availIdx + 1);
    }

    void setAvailIdx(int idx) {
        availIdx = idx & 0xffff;
        if (FuzzRam.contains(avail + 2, 2) && ((avail + 2) & 1) == 0) {
            mem.putShortRelease(avail + 2, (short) availIdx);
        } else {
            putShort(avail + 2, availIdx);
        }
    }

    void setAvailFlags(int flags) {
        putShort(avail, flags);
    }

    /** used_event, after the available ring (2.7.6). */
    void setUsedEvent(int v) {
        putShort(avail + 4 + 2L * size, v);
    }

    int usedIdx() {
        return FuzzRam.contains(used + 2, 2) ? mem.getShort(used + 2) & 0xffff : -1;
    }

    private void putShort(long at, int v) {
        if (FuzzRam.contains(at, 2)) {
            mem.putShort(at, (short) v);
        }
    }
}
