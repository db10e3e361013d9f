package io.jkvm.devices.virtio;

import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.virtio.VirtqueueException.Kind;

import java.lang.invoke.VarHandle;

/**
 * The device side of one split virtqueue (virtio 1.2, 2.7 "Split Virtqueues"): reads the available ring, walks
 * descriptor chains into a reusable {@link DescriptorChain}, writes the used ring and decides when the driver wants a
 * used buffer notification.
 *
 * <p>The guest is not trusted: ring areas are checked against guest RAM when the queue is made ready, every buffer
 * when its chain is popped, chains are bounded by the queue size, and a broken chain is a {@link VirtqueueException}
 * (the transport then sets DEVICE_NEEDS_RESET). Not thread-safe: the transport serialises all calls.
 */
public final class Virtqueue {
    /** 2.7.5 descriptor flags. */
    public static final int DESC_F_NEXT = 1;
    public static final int DESC_F_WRITE = 2;
    public static final int DESC_F_INDIRECT = 4;
    /** 2.7.6 avail->flags: the driver does not want used buffer notifications (without EVENT_IDX). */
    public static final int AVAIL_F_NO_INTERRUPT = 1;
    /** 2.7.8 used->flags: the device does not want available buffer notifications (without EVENT_IDX). */
    public static final int USED_F_NO_NOTIFY = 1;
    /** 2.7: the largest queue size, the highest power of 2 that fits in 16 bits. */
    public static final int MAX_SIZE = 32768;
    /** 2.7.5.2: no chain is longer than 2^32 bytes in total. */
    public static final long MAX_CHAIN_BYTES = 1L << 32;
    /**
     * The most descriptors an indirect table may hold: as many as a 16-bit next field can name. A table's own
     * length is its budget, not the queue size (rust-vmm's virtio-queue, QEMU's virtqueue_split_pop): Linux halves
     * its ring when allocation fails but keeps building tables of seg_max + 2 entries.
     */
    public static final int MAX_INDIRECT_ENTRIES = 1 << 16;

    static final int DESCRIPTOR_SIZE = 16;

    private final GuestMemory memory;
    private final int index;
    private final int maxSize;
    private final DescriptorChain chain;

    // Layout as programmed by the driver through the transport.
    private int size;
    private long descTable;
    private long availRing;
    private long usedRing;
    private boolean ready;

    // Running state, valid once started.
    private boolean started;
    private boolean eventIdx;
    private boolean indirect;
    private int nextAvail;
    private int nextUsed;
    private int checkedUsed;
    /** The event loop is watching the avail index (QueuePoller): notifications stay off through a drain. */
    private boolean watched;

    public Virtqueue(GuestMemory memory, int index, int maxSize) {
        if (maxSize < 1 || maxSize > MAX_SIZE || Integer.bitCount(maxSize) != 1) {
            throw new IllegalArgumentException("queue size must be a power of 2 up to 32768, not " + maxSize);
        }
        this.memory = memory;
        this.index = index;
        this.maxSize = maxSize;
        this.chain = new DescriptorChain(memory, maxSize, maxSize + MAX_INDIRECT_ENTRIES);
        reset();
    }

    public int index() {
        return index;
    }

    public int maxSize() {
        return maxSize;
    }

    /** Queue size chosen by the driver (QueueNum). */
    public int size() {
        return size;
    }

    public boolean isReady() {
        return ready;
    }

    boolean isStarted() {
        return started;
    }

    public long descTable() {
        return descTable;
    }

    public long availRing() {
        return availRing;
    }

    public long usedRing() {
        return usedRing;
    }

    /** Index of the next available ring entry the device will read. */
    public int nextAvail() {
        return nextAvail;
    }

    /** The used ring idx the device has published. */
    public int nextUsed() {
        return nextUsed;
    }

    void setSize(int n) {
        size = n;
    }

    void setDescTable(long a) {
        descTable = a;
    }

    void setAvailRing(long a) {
        availRing = a;
    }

    void setUsedRing(long a) {
        usedRing = a;
    }

    /** Back to the state after device reset: not ready, size = max, no rings. */
    void reset() {
        ready = false;
        started = false;
        size = maxSize;
        descTable = 0;
        availRing = 0;
        usedRing = 0;
        nextAvail = 0;
        nextUsed = 0;
        checkedUsed = 0;
        watched = false;
    }

    /**
     * Checks the driver's layout before the queue is made ready: a power-of-2 size no larger than the maximum, and
     * each part aligned, wholly inside guest RAM and apart from the other two (table in 2.7). Returns null when fine,
     * else the reason.
     */
    String validate() {
        if (size < 1 || size > maxSize || Integer.bitCount(size) != 1) {
            return String.format("queue size %d is not a power of 2 in 1..%d", size, maxSize);
        }
        if ((descTable & 15) != 0 || (availRing & 1) != 0 || (usedRing & 3) != 0) {
            return String.format("misaligned rings: desc 0x%x (16), driver 0x%x (2), device 0x%x (4)",
                    descTable, availRing, usedRing);
        }
        if (!memory.contains(descTable, 16L * size)) {
            return String.format("descriptor table 0x%x+0x%x is outside guest RAM", descTable, 16L * size);
        }
        if (!memory.contains(availRing, 6L + 2L * size)) {
            return String.format("available ring 0x%x+0x%x is outside guest RAM", availRing, 6L + 2L * size);
        }
        if (!memory.contains(usedRing, 6L + 8L * size)) {
            return String.format("used ring 0x%x+0x%x is outside guest RAM", usedRing, 6L + 8L * size);
        }
        // The sizes of 2.7 count used_event and avail_event, which Linux's vring_size() always leaves room for. The
        // device writes the used ring and reads the other two: where they overlap, its own writes change what it
        // reads (a used->flags on avail->idx makes every notification re-check find "more" for ever).
        if (overlap(descTable, 16L * size, availRing, 6L + 2L * size)
                || overlap(descTable, 16L * size, usedRing, 6L + 8L * size)
                || overlap(availRing, 6L + 2L * size, usedRing, 6L + 8L * size)) {
            return String.format("rings overlap: desc 0x%x+0x%x, driver 0x%x+0x%x, device 0x%x+0x%x",
                    descTable, 16L * size, availRing, 6L + 2L * size, usedRing, 6L + 8L * size);
        }
        return null;
    }

    /** Whether [a, a+alen) and [b, b+blen) share a byte; both lie inside guest RAM, so nothing overflows. */
    private static boolean overlap(long a, long alen, long b, long blen) {
        return a < b + blen && b < a + alen;
    }

    void setReady(boolean r) {
        ready = r;
        if (!r) {
            started = false;
        }
    }

    /** Starts using a ready queue with the negotiated features; the rings are fresh (both idx 0). */
    void start(long features) {
        eventIdx = VirtioFeatures.has(features, VirtioFeatures.RING_EVENT_IDX);
        indirect = VirtioFeatures.has(features, VirtioFeatures.RING_INDIRECT_DESC);
        nextAvail = 0;
        nextUsed = 0;
        checkedUsed = 0;
        watched = false;
        started = true;
    }

    /**
     * The next available chain, or null when the driver has offered nothing new. The returned object is reused by
     * the next call.
     */
    public DescriptorChain pop() throws VirtqueueException {
        // 2.7.13 "Supplying Buffers to The Device": the driver writes ring entries, then a barrier, then idx. The
        // acquire load pairs with that barrier: ring entries and descriptors read after it are at least as new.
        int availIdx = memory.getShortAcquire(availRing + 2) & 0xffff;
        int pending = (availIdx - nextAvail) & 0xffff;
        if (pending == 0) {
            return null;
        }
        if (pending > size) {
            throw new VirtqueueException(Kind.AVAIL_INDEX_JUMP, String.format(
                    "queue %d: avail idx %d is %d entries past the last one seen (%d), queue size is %d",
                    index, availIdx, pending, nextAvail, size));
        }
        int head = memory.getShort(availRing + 4 + 2L * (nextAvail & (size - 1))) & 0xffff;
        if (head >= size) {
            throw new VirtqueueException(Kind.HEAD_OUT_OF_RANGE, String.format(
                    "queue %d: avail ring entry %d names descriptor %d, queue size is %d", index, nextAvail, head, size));
        }
        walk(head);
        nextAvail = (nextAvail + 1) & 0xffff;
        return chain;
    }

    /** How many chains the driver has offered and the device not yet popped (at most the queue size if sane). */
    public int available() {
        return ((memory.getShortAcquire(availRing + 2) & 0xffff) - nextAvail) & 0xffff;
    }

    /** Whether the driver has offered chains not yet popped. */
    public boolean hasAvailable() {
        return ((memory.getShortAcquire(availRing + 2) & 0xffff) != nextAvail);
    }

    private void walk(int head) throws VirtqueueException {
        chain.clear(head);
        long table = descTable;
        long tableEntries = size;
        int i = head;
        boolean inIndirect = false;
        // 2.7.5.3.1: no chain is longer than the queue size, so a longer walk can only be a loop. An indirect table
        // starts a budget of its own length.
        int budget = size;
        while (true) {
            long d = table + (long) DESCRIPTOR_SIZE * i;
            long addr = memory.getLong(d);
            int len = memory.getInt(d + 8);
            int flags = memory.getShort(d + 12) & 0xffff;
            int next = memory.getShort(d + 14) & 0xffff;
            if ((flags & DESC_F_INDIRECT) != 0) {
                long tableLen = Integer.toUnsignedLong(len);
                checkIndirect(inIndirect, flags, addr, tableLen, i);
                table = addr;
                tableEntries = tableLen / DESCRIPTOR_SIZE;
                budget = (int) tableEntries;
                i = 0;
                inIndirect = true;
                continue;
            }
            if (budget-- == 0) {
                throw new VirtqueueException(Kind.CHAIN_TOO_LONG, String.format(
                        "queue %d: chain at head %d is longer than the %s (%d descriptors; a loop?)", index, head,
                        inIndirect ? "indirect table" : "queue size", tableEntries));
            }
            long length = Integer.toUnsignedLong(len);
            if (length > MAX_CHAIN_BYTES - chain.totalLength()) {
                throw new VirtqueueException(Kind.CHAIN_TOO_LARGE, String.format(
                        "queue %d: chain at head %d is longer than 2^32 bytes", index, head));
            }
            if (!memory.contains(addr, length)) {
                throw new VirtqueueException(Kind.BUFFER_OUT_OF_RAM, String.format(
                        "queue %d: descriptor %d buffer 0x%x+0x%x is outside guest RAM", index, i, addr, length));
            }
            boolean writable = (flags & DESC_F_WRITE) != 0;
            if (!writable && chain.hasWritable()) {
                // 2.7.4.2: device-writable elements follow all device-readable ones.
                throw new VirtqueueException(Kind.READABLE_AFTER_WRITABLE, String.format(
                        "queue %d: chain at head %d has a device-readable buffer after a device-writable one",
                        index, head));
            }
            chain.add(addr, len, writable);
            if ((flags & DESC_F_NEXT) == 0) {
                return;
            }
            if (next >= tableEntries) {
                throw new VirtqueueException(Kind.NEXT_OUT_OF_RANGE, String.format(
                        "queue %d: descriptor %d has next %d, the %s has %d entries", index, i, next,
                        inIndirect ? "indirect table" : "queue", tableEntries));
            }
            i = next;
        }
    }

    private void checkIndirect(boolean inIndirect, int flags, long addr, long tableLen, int i)
            throws VirtqueueException {
        // 2.7.5.3.1 "Indirect Descriptors", driver requirements.
        if (!indirect) {
            throw new VirtqueueException(Kind.INDIRECT_NOT_NEGOTIATED, String.format(
                    "queue %d: descriptor %d is indirect but VIRTIO_F_INDIRECT_DESC was not negotiated", index, i));
        }
        if (inIndirect) {
            throw new VirtqueueException(Kind.INDIRECT_NESTED, String.format(
                    "queue %d: indirect descriptor %d inside an indirect table", index, i));
        }
        if ((flags & DESC_F_NEXT) != 0) {
            throw new VirtqueueException(Kind.INDIRECT_WITH_NEXT, String.format(
                    "queue %d: descriptor %d has both INDIRECT and NEXT", index, i));
        }
        if (tableLen == 0 || tableLen % DESCRIPTOR_SIZE != 0 || tableLen > (long) DESCRIPTOR_SIZE * MAX_INDIRECT_ENTRIES) {
            throw new VirtqueueException(Kind.INDIRECT_BAD_LENGTH, String.format(
                    "queue %d: indirect table length %d is not a non-zero multiple of 16 up to %d entries", index,
                    tableLen, MAX_INDIRECT_ENTRIES));
        }
        if (!memory.contains(addr, tableLen)) {
            throw new VirtqueueException(Kind.INDIRECT_OUT_OF_RAM, String.format(
                    "queue %d: indirect table 0x%x+0x%x is outside guest RAM", index, addr, tableLen));
        }
    }

    /**
     * Returns chain to the driver with len bytes written into its device-writable buffers. The used length is a
     * le32 (2.7.8) and no more than the chain's writable part (2.7.8.2): a larger len is cut to that, never wrapped.
     */
    public void addUsed(DescriptorChain chain, long len) {
        long used = Math.max(0, Math.min(len, Math.min(chain.writableLength(), 0xffff_ffffL)));
        addUsed(chain.head(), (int) used);
    }

    /** Returns a chain to the driver: len is the number of bytes written into its device-writable buffers. */
    public void addUsed(int head, int len) {
        long elem = usedRing + 4 + 8L * (nextUsed & (size - 1));
        memory.putInt(elem, head);
        memory.putInt(elem + 4, len);
        nextUsed = (nextUsed + 1) & 0xffff;
        // 2.7.8 device requirements: the element and the buffer contents before idx. The release store orders all
        // earlier writes, including file reads into guest RAM, before the new idx becomes visible.
        memory.putShortRelease(usedRing + 2, (short) nextUsed);
    }

    /**
     * Gives back the last n popped chains, unused: the next pops return them again (Firecracker's undo_pop). For a
     * device that needs several chains for one request and finds too few; popping has no side effect on the rings.
     */
    public void unpop(int n) {
        if (n < 0 || n > size) {
            throw new IllegalArgumentException("cannot unpop " + n + " chains of a queue of " + size);
        }
        nextAvail = (nextAvail - n) & 0xffff;
    }

    /**
     * Writes a used element pos places after the last published one, without publishing it (QEMU's virtqueue_fill):
     * several chains that carry one request become visible together through {@link #flushUsed}.
     */
    public void fillUsed(int pos, int head, int len) {
        long elem = usedRing + 4 + 8L * ((nextUsed + pos) & (size - 1));
        memory.putInt(elem, head);
        memory.putInt(elem + 4, len);
    }

    /** Publishes the count elements written by {@link #fillUsed} with one used idx store (virtqueue_flush). */
    public void flushUsed(int count) {
        nextUsed = (nextUsed + count) & 0xffff;
        // 2.7.8: elements and buffer contents before idx, as in addUsed.
        memory.putShortRelease(usedRing + 2, (short) nextUsed);
    }

    /**
     * Whether the chains used since the last call warrant a used buffer notification (2.7.7): with EVENT_IDX when
     * used idx moved past used_event, otherwise unless the driver set VIRTQ_AVAIL_F_NO_INTERRUPT.
     */
    public boolean needsNotification() {
        if (nextUsed == checkedUsed) {
            return false;
        }
        int old = checkedUsed;
        checkedUsed = nextUsed;
        // The driver stores used_event/flags and then loads used idx; we stored used idx and now load used_event.
        // Without a full (store-load) fence both sides can miss each other and the interrupt is lost.
        VarHandle.fullFence();
        if (eventIdx) {
            int usedEvent = memory.getShort(availRing + 4 + 2L * size) & 0xffff;
            // vring_need_event(): used_event lies in [old, new).
            return ((nextUsed - usedEvent - 1) & 0xffff) < ((nextUsed - old) & 0xffff);
        }
        return (memory.getShort(availRing) & AVAIL_F_NO_INTERRUPT) == 0;
    }

    /**
     * One line for a stall report: the driver's side as guest memory holds it now (avail flags and idx, used_event)
     * and the device's (the next avail entry it will read, the used idx it published and the one it last checked for
     * a notification, used flags and avail_event). Read without the device's lock, from any thread: the device may
     * be stuck holding it, and a report that races a request in flight shows one of the two states.
     */
    public String describe() {
        if (!started) {
            return String.format("queue %d: %s, size %d", index, ready ? "ready, not started" : "not ready", size);
        }
        int availFlags = memory.getShort(availRing) & 0xffff;
        int availIdx = memory.getShortAcquire(availRing + 2) & 0xffff;
        int usedFlags = memory.getShort(usedRing) & 0xffff;
        int usedIdx = memory.getShortAcquire(usedRing + 2) & 0xffff;
        String events = !eventIdx ? "no EVENT_IDX" : String.format("used_event %d, avail_event %d",
                memory.getShort(availRing + 4 + 2L * size) & 0xffff, memory.getShort(usedRing + 4 + 8L * size) & 0xffff);
        return String.format("queue %d: size %d, avail flags 0x%x idx %d (device at %d: %d pending), used flags 0x%x"
                + " idx %d (device published %d, checked for notification at %d), %s", index, size, availFlags,
                availIdx, nextAvail, (availIdx - nextAvail) & 0xffff, usedFlags, usedIdx, nextUsed, checkedUsed, events);
    }

    /** Asks the driver not to notify while the device is draining or watching the queue anyway (2.7.10). */
    public void disableNotification() {
        if (eventIdx) {
            // An avail_event behind every entry the driver can add next: vring_need_event(event, new, old) is false
            // for old >= nextAvail, so the driver stays quiet until enableNotification moves it.
            memory.putShort(usedRing + 4 + 8L * size, (short) (nextAvail - 1));
        } else {
            memory.putShort(usedRing, (short) USED_F_NO_NOTIFY);
        }
    }

    /**
     * Starts or ends a watch by the event loop: while on, notifications stay suppressed and
     * {@link #enableNotification} only looks, so that a chain the driver adds just after a drain finds them off
     * and is left to the watching loop. Ending it leaves them suppressed: the watcher re-enables and re-checks.
     */
    void watch(boolean on) {
        watched = on;
        if (on) {
            disableNotification();
        }
    }

    /**
     * Asks for a notification on the next available chain, then re-checks: returns true when chains arrived in the
     * meantime and the caller must keep popping (they would not be notified). While the loop watches the queue
     * ({@link #watch}), notifications stay off and this only looks.
     */
    public boolean enableNotification() {
        if (watched) {
            return hasAvailable();
        }
        if (eventIdx) {
            memory.putShort(usedRing + 4 + 8L * size, (short) nextAvail);
        } else {
            memory.putShort(usedRing, (short) 0);
        }
        // 2.7.10: the store of avail_event/flags must be visible before we re-read avail idx, mirroring the driver's
        // barrier between writing idx and reading avail_event (2.7.13.4).
        VarHandle.fullFence();
        return hasAvailable();
    }
}
