package io.jkvm.devices.memory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Guest physical memory: bounds-checked little-endian access at guest physical addresses (GPAs).
 *
 * <p>Backed by direct {@link ByteBuffer}s: in the VMM they view the mmapped RAM that KVM maps into the guest, in
 * tests they are plain allocations. Every access is checked against the regions; an address outside RAM throws
 * {@link GuestMemoryException} and never touches host memory outside the buffers.
 *
 * <p>A {@link ByteBuffer} holds at most 2 GiB, so a large RAM range is given as several adjacent regions. Typed
 * accesses and copies that straddle two adjacent regions still work; {@link #slice} does not, and
 * {@link #contiguousLength} says how far a slice may go.
 */
public final class GuestMemory {
    /** One range of guest RAM. */
    public record Region(long guestAddress, ByteBuffer buffer) {
        public Region {
            if (guestAddress < 0) {
                throw new IllegalArgumentException("negative guest address");
            }
            buffer = buffer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            buffer.clear();
        }

        public long size() {
            return buffer.capacity();
        }

        public long end() {
            return guestAddress + buffer.capacity();
        }
    }

    private static final VarHandle SHORT = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final Region[] regions;
    private final long totalSize;

    public GuestMemory(List<Region> regions) {
        List<Region> sorted = new ArrayList<>(regions);
        sorted.sort(Comparator.comparingLong(Region::guestAddress));
        long total = 0;
        for (int i = 0; i < sorted.size(); i++) {
            Region r = sorted.get(i);
            if (i > 0 && sorted.get(i - 1).end() > r.guestAddress()) {
                throw new IllegalArgumentException(String.format("guest memory regions overlap at 0x%x", r.guestAddress()));
            }
            total += r.size();
        }
        this.regions = sorted.toArray(new Region[0]);
        this.totalSize = total;
    }

    /** Plain memory at GPA 0 for tests and simulated drivers. */
    public static GuestMemory allocate(int size) {
        return new GuestMemory(List.of(new Region(0, ByteBuffer.allocateDirect(size))));
    }

    public List<Region> regions() {
        return List.of(regions);
    }

    /** Bytes of RAM in all regions. */
    public long size() {
        return totalSize;
    }

    /** Whether every byte of [address, address+length) is RAM. */
    public boolean contains(long address, long length) {
        if (length < 0 || address < 0 || address + length < address) {
            return false;
        }
        long a = address;
        long remaining = length;
        while (remaining > 0) {
            int i = indexOf(a);
            if (i < 0) {
                return false;
            }
            long n = Math.min(remaining, regions[i].end() - a);
            a += n;
            remaining -= n;
        }
        return true;
    }

    /** How many bytes from address on lie in the same region (0 when address is not RAM), capped at max. */
    public int contiguousLength(long address, int max) {
        int i = indexOf(address);
        return i < 0 ? 0 : (int) Math.min(max, regions[i].end() - address);
    }

    public byte getByte(long address) {
        Region r = region(address, 1);
        return r.buffer().get(offset(r, address));
    }

    public void putByte(long address, byte value) {
        Region r = region(address, 1);
        r.buffer().put(offset(r, address), value);
    }

    public short getShort(long address) {
        Region r = regionOrNull(address, 2);
        return r != null ? r.buffer().getShort(offset(r, address)) : (short) readSpanning(address, 2);
    }

    public void putShort(long address, short value) {
        Region r = regionOrNull(address, 2);
        if (r != null) {
            r.buffer().putShort(offset(r, address), value);
        } else {
            writeSpanning(address, 2, value);
        }
    }

    public int getInt(long address) {
        Region r = regionOrNull(address, 4);
        return r != null ? r.buffer().getInt(offset(r, address)) : (int) readSpanning(address, 4);
    }

    public void putInt(long address, int value) {
        Region r = regionOrNull(address, 4);
        if (r != null) {
            r.buffer().putInt(offset(r, address), value);
        } else {
            writeSpanning(address, 4, value);
        }
    }

    public long getLong(long address) {
        Region r = regionOrNull(address, 8);
        return r != null ? r.buffer().getLong(offset(r, address)) : readSpanning(address, 8);
    }

    public void putLong(long address, long value) {
        Region r = regionOrNull(address, 8);
        if (r != null) {
            r.buffer().putLong(offset(r, address), value);
        } else {
            writeSpanning(address, 8, value);
        }
    }

    /**
     * A 16-bit load with acquire ordering: later loads cannot move before it. For ring indices (virtio 1.x 2.7.13:
     * the device reads avail->idx before the ring entries it covers). The address must be 2-byte aligned.
     */
    public short getShortAcquire(long address) {
        Region r = region(address, 2);
        return (short) SHORT.getAcquire(r.buffer(), offset(r, address));
    }

    /** A 16-bit store with release ordering: earlier stores are visible before it (used ring idx, 2.7.14). */
    public void putShortRelease(long address, short value) {
        Region r = region(address, 2);
        SHORT.setRelease(r.buffer(), offset(r, address), value);
    }

    public int getIntAcquire(long address) {
        Region r = region(address, 4);
        return (int) INT.getAcquire(r.buffer(), offset(r, address));
    }

    public void putIntRelease(long address, int value) {
        Region r = region(address, 4);
        INT.setRelease(r.buffer(), offset(r, address), value);
    }

    /** Copies guest bytes into dst. */
    public void read(long address, byte[] dst, int off, int len) {
        checkRange(address, len);
        long a = address;
        int done = 0;
        while (done < len) {
            Region r = regions[indexOf(a)];
            int n = (int) Math.min(len - done, r.end() - a);
            r.buffer().get(offset(r, a), dst, off + done, n);
            a += n;
            done += n;
        }
    }

    /** Copies src into guest memory. */
    public void write(long address, byte[] src, int off, int len) {
        checkRange(address, len);
        long a = address;
        int done = 0;
        while (done < len) {
            Region r = regions[indexOf(a)];
            int n = (int) Math.min(len - done, r.end() - a);
            r.buffer().put(offset(r, a), src, off + done, n);
            a += n;
            done += n;
        }
    }

    /** Sets length bytes from address to value. */
    public void fill(long address, long length, byte value) {
        checkRange(address, length);
        long a = address;
        long remaining = length;
        byte[] chunk = new byte[(int) Math.min(remaining, 64 * 1024)];
        java.util.Arrays.fill(chunk, value);
        while (remaining > 0) {
            int n = (int) Math.min(remaining, chunk.length);
            write(a, chunk, 0, n);
            a += n;
            remaining -= n;
        }
    }

    /**
     * A view of [address, address+length) for zero-copy I/O (e.g. FileChannel.read into guest RAM). The range must
     * lie inside one region; see {@link #contiguousLength}.
     */
    public ByteBuffer slice(long address, int length) {
        Region r = region(address, length);
        return r.buffer().slice(offset(r, address), length).order(ByteOrder.LITTLE_ENDIAN);
    }

    private long readSpanning(long address, int size) {
        checkRange(address, size);
        long v = 0;
        for (int i = 0; i < size; i++) {
            v |= (getByte(address + i) & 0xffL) << (8 * i);
        }
        return v;
    }

    private void writeSpanning(long address, int size, long value) {
        checkRange(address, size);
        for (int i = 0; i < size; i++) {
            putByte(address + i, (byte) (value >>> (8 * i)));
        }
    }

    private void checkRange(long address, long length) {
        if (!contains(address, length)) {
            throw new GuestMemoryException(address, length);
        }
    }

    private Region region(long address, long length) {
        Region r = regionOrNull(address, length);
        if (r == null) {
            throw new GuestMemoryException(address, length);
        }
        return r;
    }

    /** The region that holds the whole range, or null when none does (outside RAM, or straddling two regions). */
    private Region regionOrNull(long address, long length) {
        int i = indexOf(address);
        if (i < 0) {
            if (length > 0 && !contains(address, length)) {
                throw new GuestMemoryException(address, length);
            }
            return null;
        }
        Region r = regions[i];
        if (length < 0 || address + length > r.end() || address + length < address) {
            if (!contains(address, length)) {
                throw new GuestMemoryException(address, length);
            }
            return null;
        }
        return r;
    }

    private int indexOf(long address) {
        for (int i = 0; i < regions.length; i++) {
            Region r = regions[i];
            if (address >= r.guestAddress() && address < r.end()) {
                return i;
            }
        }
        return -1;
    }

    private static int offset(Region r, long address) {
        return (int) (address - r.guestAddress());
    }
}
