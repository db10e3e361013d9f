package io.jkvm.core.kvm;

import java.nio.ByteBuffer;

/** A struct kvm_dtable (GDTR or IDTR) inside a {@link KvmSregs}: a view, not a copy. */
public final class KvmDtable {
    public static final int SIZE = 16;
    public static final int BASE = 0;
    public static final int LIMIT = 8;

    private final ByteBuffer buffer;
    private final int at;

    KvmDtable(ByteBuffer buffer, int offset) {
        this.buffer = buffer;
        this.at = offset;
    }

    public long base() {
        return buffer.getLong(at + BASE);
    }

    public int limit() {
        return buffer.getShort(at + LIMIT) & 0xffff;
    }

    public KvmDtable base(long v) {
        buffer.putLong(at + BASE, v);
        return this;
    }

    public KvmDtable limit(int v) {
        buffer.putShort(at + LIMIT, (short) v);
        return this;
    }
}
