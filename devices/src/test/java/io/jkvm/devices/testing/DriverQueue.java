package io.jkvm.devices.testing;

import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.virtio.Virtqueue;

/**
 * The driver side of one split virtqueue in simulated guest RAM (rust-vmm's MockSplitQueue): lays out the descriptor
 * table and rings, posts direct, chained and indirect chains, publishes them in the available ring and reads the
 * used ring back. Raw writers let tests build chains no sane driver would.
 */
public final class DriverQueue {
    /** One buffer of a chain. */
    public record Buf(long addr, int len, boolean writable) {
    }

    /** One used ring element. */
    public record Used(int id, int len) {
    }

    private final MmioDriver driver;
    private final GuestMemory mem;
    private final int index;
    private final int size;
    private final long desc;
    private final long avail;
    private final long used;
    private final boolean eventIdx;
    private int nextDesc;
    private int availIdx;
    private int lastUsed;

    public DriverQueue(MmioDriver driver, GuestMemory mem, int index, int size, long desc, long avail, long used,
                boolean eventIdx) {
        this.driver = driver;
        this.mem = mem;
        this.index = index;
        this.size = size;
        this.desc = desc;
        this.avail = avail;
        this.used = used;
        this.eventIdx = eventIdx;
    }

    public static Buf readable(long addr, int len) {
        return new Buf(addr, len, false);
    }

    public static Buf writable(long addr, int len) {
        return new Buf(addr, len, true);
    }

    public int index() {
        return index;
    }

    public int size() {
        return size;
    }

    public long descTable() {
        return desc;
    }

    public long availRing() {
        return avail;
    }

    public long usedRing() {
        return used;
    }

    /** Writes descriptor i of the queue's table. */
    public void writeDescriptor(int i, long addr, int len, int flags, int next) {
        writeDescriptorAt(desc + 16L * i, addr, len, flags, next);
    }

    /** Writes a descriptor anywhere, e.g. into an indirect table. */
    public void writeDescriptorAt(long at, long addr, int len, int flags, int next) {
        mem.putLong(at, addr);
        mem.putInt(at + 8, len);
        mem.putShort(at + 12, (short) flags);
        mem.putShort(at + 14, (short) next);
    }

    /** Takes n consecutive free descriptor slots (wrapping); tests never keep more than size in flight. */
    private int take() {
        int d = nextDesc;
        nextDesc = (nextDesc + 1) % size;
        return d;
    }

    /** Posts bufs as a chain of direct descriptors and publishes it; returns the head index. */
    public int addChain(Buf... bufs) {
        int[] ids = new int[bufs.length];
        for (int i = 0; i < bufs.length; i++) {
            ids[i] = take();
        }
        for (int i = 0; i < bufs.length; i++) {
            Buf b = bufs[i];
            boolean last = i == bufs.length - 1;
            int flags = (b.writable() ? Virtqueue.DESC_F_WRITE : 0) | (last ? 0 : Virtqueue.DESC_F_NEXT);
            writeDescriptor(ids[i], b.addr(), b.len(), flags, last ? 0 : ids[i + 1]);
        }
        publish(ids[0]);
        return ids[0];
    }

    /** Posts bufs through one indirect descriptor whose table lives in fresh guest memory; returns the head. */
    public int addIndirect(Buf... bufs) {
        long table = driver.alloc(16L * bufs.length, 16);
        for (int i = 0; i < bufs.length; i++) {
            Buf b = bufs[i];
            boolean last = i == bufs.length - 1;
            int flags = (b.writable() ? Virtqueue.DESC_F_WRITE : 0) | (last ? 0 : Virtqueue.DESC_F_NEXT);
            writeDescriptorAt(table + 16L * i, b.addr(), b.len(), flags, last ? 0 : i + 1);
        }
        int head = take();
        writeDescriptor(head, table, 16 * bufs.length, Virtqueue.DESC_F_INDIRECT, 0);
        publish(head);
        return head;
    }

    /** Puts head in the next available ring slot and bumps idx with release ordering, as virtqueue_add does. */
    public void publish(int head) {
        mem.putShort(avail + 4 + 2L * (availIdx % size), (short) head);
        availIdx = (availIdx + 1) & 0xffff;
        mem.putShortRelease(avail + 2, (short) availIdx);
    }

    /** Sets avail idx directly (to fake a driver that lies about it). */
    public void setAvailIdx(int idx) {
        availIdx = idx & 0xffff;
        mem.putShortRelease(avail + 2, (short) availIdx);
    }

    public int availIdx() {
        return availIdx;
    }

    public void setAvailFlags(int flags) {
        mem.putShort(avail, (short) flags);
    }

    /** used_event lives after the available ring (2.7.6). */
    public void setUsedEvent(int v) {
        mem.putShort(avail + 4 + 2L * size, (short) v);
    }

    /** avail_event lives after the used ring (2.7.8). */
    public int availEvent() {
        return mem.getShort(used + 4 + 8L * size) & 0xffff;
    }

    public int usedFlags() {
        return mem.getShort(used) & 0xffff;
    }

    public int usedIdx() {
        return mem.getShortAcquire(used + 2) & 0xffff;
    }

    public Used usedAt(int ringIndex) {
        long e = used + 4 + 8L * (ringIndex % size);
        return new Used(mem.getInt(e), mem.getInt(e + 4));
    }

    /** The next used element not yet seen, or null. */
    public Used nextUsed() {
        if (lastUsed == usedIdx()) {
            return null;
        }
        Used u = usedAt(lastUsed);
        lastUsed = (lastUsed + 1) & 0xffff;
        return u;
    }

    /**
     * Linux's virtqueue_kick_prepare: whether the device wants a notification for the chains published since
     * oldAvailIdx (vring_need_event on avail_event with EVENT_IDX, else the used ring's NO_NOTIFY flag).
     */
    public boolean deviceWantsNotification(int oldAvailIdx) {
        if (eventIdx) {
            int event = availEvent();
            return ((availIdx - event - 1) & 0xffff) < ((availIdx - oldAvailIdx) & 0xffff);
        }
        return (usedFlags() & Virtqueue.USED_F_NO_NOTIFY) == 0;
    }

    /** Notifies the device: a QueueNotify write (or the eventfd KVM would signal). */
    public void kick() {
        driver.notifyQueue(index);
    }
}
