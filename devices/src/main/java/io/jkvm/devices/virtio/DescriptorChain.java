package io.jkvm.devices.virtio;

import io.jkvm.devices.memory.GuestMemory;

/**
 * One popped descriptor chain, flattened: the buffers of its direct and indirect descriptors in order, device-readable
 * ones first. {@link Virtqueue#pop} has already checked every buffer against guest RAM, the chain length and the
 * readable-before-writable rule, so nothing here can reach outside guest RAM.
 *
 * <p>A queue reuses one instance for every pop: a device must finish with a chain (or copy what it needs) before
 * popping the next one.
 */
public final class DescriptorChain {
    private final GuestMemory memory;
    private final int maxCount;
    private long[] addr;
    private int[] len;
    private int count;
    private int head;
    private int firstWritable;
    private long readableLength;
    private long writableLength;

    /** Room for capacity buffers at first, growing (once, kept for reuse) up to maxCount. */
    DescriptorChain(GuestMemory memory, int capacity, int maxCount) {
        this.memory = memory;
        this.maxCount = maxCount;
        this.addr = new long[capacity];
        this.len = new int[capacity];
    }

    void clear(int headIndex) {
        head = headIndex;
        count = 0;
        firstWritable = -1;
        readableLength = 0;
        writableLength = 0;
    }

    /** Appends a buffer; the caller checked bounds and ordering, and keeps the count within maxCount. */
    void add(long address, int length, boolean writable) {
        if (count == addr.length) {
            int n = (int) Math.min(2L * addr.length, maxCount);
            addr = java.util.Arrays.copyOf(addr, n);
            len = java.util.Arrays.copyOf(len, n);
        }
        if (writable) {
            if (firstWritable < 0) {
                firstWritable = count;
            }
            writableLength += Integer.toUnsignedLong(length);
        } else {
            readableLength += Integer.toUnsignedLong(length);
        }
        addr[count] = address;
        len[count] = length;
        count++;
    }

    boolean hasWritable() {
        return firstWritable >= 0;
    }

    public GuestMemory memory() {
        return memory;
    }

    /** The descriptor index that heads the chain: the id to put in the used ring. */
    public int head() {
        return head;
    }

    /** Number of buffers (indirect-table descriptors themselves are not counted). */
    public int count() {
        return count;
    }

    public long addr(int i) {
        return addr[i];
    }

    /** Length of buffer i in bytes (descriptor len is a 32-bit unsigned field). */
    public long len(int i) {
        return Integer.toUnsignedLong(len[i]);
    }

    public boolean isWritable(int i) {
        return firstWritable >= 0 && i >= firstWritable;
    }

    /** Number of device-readable buffers; writable ones follow at this index. */
    public int readableCount() {
        return firstWritable < 0 ? count : firstWritable;
    }

    public long readableLength() {
        return readableLength;
    }

    public long writableLength() {
        return writableLength;
    }

    /** Bytes in all buffers; at most {@link Virtqueue#MAX_CHAIN_BYTES}. */
    public long totalLength() {
        return readableLength + writableLength;
    }

    /**
     * Copies up to n bytes from the device-readable part, starting at byte offset within it (as if the readable
     * buffers were one array). Returns the number copied: less than n at the end of the readable part.
     */
    public int read(long offset, byte[] dst, int off, int n) {
        return copy(0, readableCount(), offset, dst, off, n, false);
    }

    /** Copies up to n bytes into the device-writable part at byte offset within it; returns the number copied. */
    public int write(long offset, byte[] src, int off, int n) {
        return copy(readableCount(), count, offset, src, off, n, true);
    }

    private int copy(int from, int to, long offset, byte[] buf, int off, int n, boolean toGuest) {
        int done = 0;
        long skip = offset;
        for (int i = from; i < to && done < n; i++) {
            long l = len(i);
            if (skip >= l) {
                skip -= l;
                continue;
            }
            int chunk = (int) Math.min(n - done, l - skip);
            if (toGuest) {
                memory.write(addr[i] + skip, buf, off + done, chunk);
            } else {
                memory.read(addr[i] + skip, buf, off + done, chunk);
            }
            done += chunk;
            skip = 0;
        }
        return done;
    }
}
