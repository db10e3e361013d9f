package io.jkvm.core.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;
import io.jkvm.devices.memory.GuestMemory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM: an anonymous shared mapping (MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, so pages are only taken
 * when the guest touches them) whose host address goes to KVM_SET_USER_MEMORY_REGION and whose direct
 * {@link ByteBuffer} views build the {@link GuestMemory} the devices use. A ByteBuffer holds at most 2 GiB, so the
 * views come in chunks of at most 1 GiB.
 */
public final class MmapRegion implements AutoCloseable {
    public static final long PAGE_SIZE = 4096;
    /** The largest view; a power of two so that chunks stay page- and huge-page-aligned. */
    public static final long MAX_CHUNK = 1L << 30;

    private final long address;
    private final long size;
    private boolean closed;

    private MmapRegion(long address, long size) {
        this.address = address;
        this.size = size;
    }

    /** Maps size bytes (a positive multiple of 4 KiB) of zeroed memory. */
    public static MmapRegion anonymous(long size) {
        if (size <= 0 || size % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("guest RAM size " + size + " must be a positive multiple of 4096");
        }
        try {
            long a = LibC.mmap(0, size, LibC.PROT_READ | LibC.PROT_WRITE,
                    LibC.MAP_SHARED | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
            return new MmapRegion(a, size);
        } catch (LastErrorException e) {
            throw new KvmException("mmap " + size + " bytes of guest RAM", e.getErrorCode(),
                    "ask for less guest memory");
        }
    }

    /** The host virtual address of the first byte, for KVM_SET_USER_MEMORY_REGION's userspace_addr. */
    public long hostAddress() {
        return address;
    }

    public long size() {
        return size;
    }

    /** A direct buffer over [offset, offset+length) of the mapping. */
    public ByteBuffer view(long offset, int length) {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IndexOutOfBoundsException(String.format("view 0x%x+0x%x of a 0x%x-byte mapping", offset,
                    length, size));
        }
        return new Pointer(address).getByteBuffer(offset, length);
    }

    /** The whole mapping as guest RAM starting at guestAddress, in chunks of at most {@link #MAX_CHUNK}. */
    public List<GuestMemory.Region> regions(long guestAddress) {
        return regions(0, size, guestAddress);
    }

    /**
     * [offset, offset+length) of the mapping as guest RAM starting at guestAddress, e.g. the part above a hole in
     * the guest physical map.
     */
    public List<GuestMemory.Region> regions(long offset, long length, long guestAddress) {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new IndexOutOfBoundsException(String.format("range 0x%x+0x%x of a 0x%x-byte mapping", offset,
                    length, size));
        }
        List<GuestMemory.Region> out = new ArrayList<>();
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(MAX_CHUNK, length - done);
            out.add(new GuestMemory.Region(guestAddress + done, view(offset + done, n)));
            done += n;
        }
        return out;
    }

    /** Unmaps; every view and GuestMemory built on it must be out of use (an access afterwards crashes). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            LibC.munmap(address, size);
        } catch (LastErrorException e) {
            throw new KvmException("munmap guest RAM", e.getErrorCode());
        }
    }
}
