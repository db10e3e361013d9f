package io.jkvm.core.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A VM's or vCPU's binary statistics fd (KVM_GET_STATS_FD, Documentation/virt/kvm/api.rst 4.133): the header and
 * descriptors are read once; each {@link #read} is one pread of the live counter.
 */
public final class KvmStats implements AutoCloseable {
    /** struct kvm_stats_header. */
    public static final int HEADER_SIZE = 24;
    public static final int HEADER_FLAGS = 0;
    public static final int HEADER_NAME_SIZE = 4;
    public static final int HEADER_NUM_DESC = 8;
    public static final int HEADER_ID_OFFSET = 12;
    public static final int HEADER_DESC_OFFSET = 16;
    public static final int HEADER_DATA_OFFSET = 20;
    /** struct kvm_stats_desc; the name (name_size bytes) follows the fixed part. */
    public static final int DESC_SIZE = 16;
    public static final int DESC_FLAGS = 0;
    public static final int DESC_EXPONENT = 4;
    public static final int DESC_SIZE_FIELD = 6;
    public static final int DESC_OFFSET = 8;
    public static final int DESC_BUCKET_SIZE = 12;
    public static final int DESC_NAME = 16;

    private final Fd fd;
    private final String id;
    private final String[] names;
    /** File offset of each statistic's first u64. */
    private final long[] offsets;
    private final int[] sizes;
    private final Memory value = new Memory(8);

    KvmStats(Fd fd) {
        this.fd = fd;
        try {
            ByteBuffer header = pread(0, HEADER_SIZE);
            int nameSize = header.getInt(HEADER_NAME_SIZE);
            int numDesc = header.getInt(HEADER_NUM_DESC);
            long dataOffset = header.getInt(HEADER_DATA_OFFSET) & 0xffffffffL;
            this.id = cString(pread(header.getInt(HEADER_ID_OFFSET) & 0xffffffffL, nameSize), 0, nameSize);
            int descSize = DESC_SIZE + nameSize;
            ByteBuffer descs = pread(header.getInt(HEADER_DESC_OFFSET) & 0xffffffffL, descSize * numDesc);
            names = new String[numDesc];
            offsets = new long[numDesc];
            sizes = new int[numDesc];
            for (int i = 0; i < numDesc; i++) {
                int at = i * descSize;
                names[i] = cString(descs, at + DESC_NAME, nameSize);
                offsets[i] = dataOffset + (descs.getInt(at + DESC_OFFSET) & 0xffffffffL);
                sizes[i] = descs.getShort(at + DESC_SIZE_FIELD) & 0xffff;
            }
        } catch (RuntimeException e) {
            fd.close();
            throw e;
        }
    }

    /** The id string KVM gives this VM or vCPU, e.g. "kvm-1234/vcpu-0". */
    public String id() {
        return id;
    }

    public List<String> names() {
        return List.of(names);
    }

    /** The index of a statistic for {@link #read(int)}, or -1 when this kernel does not have it. */
    public int indexOf(String name) {
        return Arrays.asList(names).indexOf(name);
    }

    /** The current value of statistic i (its first u64 for a histogram). */
    public synchronized long read(int i) {
        try {
            LibC.pread(fd.get(), value, 8, offsets[i]);
        } catch (LastErrorException e) {
            throw new KvmException("pread kvm stats " + names[i], e.getErrorCode());
        }
        return value.getLong(0);
    }

    public long read(String name) {
        int i = indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no KVM statistic '" + name + "' in " + id + "; it has " + names());
        }
        return read(i);
    }

    /** Every single-valued statistic, by name, in descriptor order. */
    public Map<String, Long> readAll() {
        Map<String, Long> all = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            if (sizes[i] == 1) {
                all.put(names[i], read(i));
            }
        }
        return all;
    }

    @Override
    public void close() {
        fd.close();
    }

    private ByteBuffer pread(long offset, int length) {
        Memory m = new Memory(Math.max(1, length));
        long done = 0;
        while (done < length) {
            long n;
            try {
                n = LibC.pread(fd.get(), m.share(done), length - done, offset + done);
            } catch (LastErrorException e) {
                throw new KvmException("pread kvm stats", e.getErrorCode());
            }
            if (n == 0) {
                throw new IllegalStateException("KVM stats fd ended at " + (offset + done) + ", expected "
                        + (offset + length));
            }
            done += n;
        }
        ByteBuffer copy = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        copy.put(m.getByteBuffer(0, length));
        return copy.flip();
    }

    private static String cString(ByteBuffer b, int at, int max) {
        int n = 0;
        while (n < max && b.get(at + n) != 0) {
            n++;
        }
        byte[] bytes = new byte[n];
        b.get(at, bytes, 0, n);
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
