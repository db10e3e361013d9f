package io.jkvm.core.kvm;

import java.nio.ByteBuffer;

/** A struct kvm_segment inside a {@link KvmSregs}: a view at a fixed offset, not a copy. */
public final class KvmSegment {
    public static final int SIZE = 24;
    public static final int BASE = 0;
    public static final int LIMIT = 8;
    public static final int SELECTOR = 12;
    public static final int TYPE = 14;
    public static final int PRESENT = 15;
    public static final int DPL = 16;
    public static final int DB = 17;
    public static final int S = 18;
    public static final int L = 19;
    public static final int G = 20;
    public static final int AVL = 21;
    public static final int UNUSABLE = 22;

    private final ByteBuffer buffer;
    private final int at;

    KvmSegment(ByteBuffer buffer, int offset) {
        this.buffer = buffer;
        this.at = offset;
    }

    public long base() { return buffer.getLong(at + BASE); }
    public int limit() { return buffer.getInt(at + LIMIT); }
    public int selector() { return buffer.getShort(at + SELECTOR) & 0xffff; }
    public int type() { return u8(TYPE); }
    public int present() { return u8(PRESENT); }
    public int dpl() { return u8(DPL); }
    public int db() { return u8(DB); }
    public int s() { return u8(S); }
    public int l() { return u8(L); }
    public int g() { return u8(G); }
    public int avl() { return u8(AVL); }
    public int unusable() { return u8(UNUSABLE); }

    public KvmSegment base(long v) { buffer.putLong(at + BASE, v); return this; }
    public KvmSegment limit(int v) { buffer.putInt(at + LIMIT, v); return this; }
    public KvmSegment selector(int v) { buffer.putShort(at + SELECTOR, (short) v); return this; }
    public KvmSegment type(int v) { return u8(TYPE, v); }
    public KvmSegment present(int v) { return u8(PRESENT, v); }
    public KvmSegment dpl(int v) { return u8(DPL, v); }
    public KvmSegment db(int v) { return u8(DB, v); }
    public KvmSegment s(int v) { return u8(S, v); }
    public KvmSegment l(int v) { return u8(L, v); }
    public KvmSegment g(int v) { return u8(G, v); }
    public KvmSegment avl(int v) { return u8(AVL, v); }
    public KvmSegment unusable(int v) { return u8(UNUSABLE, v); }

    /** Copies every field of another segment (e.g. the data segment into ds, es, fs, gs and ss). */
    public KvmSegment set(KvmSegment other) {
        for (int i = 0; i < SIZE; i++) {
            buffer.put(at + i, other.buffer.get(other.at + i));
        }
        return this;
    }

    private int u8(int field) {
        return buffer.get(at + field) & 0xff;
    }

    private KvmSegment u8(int field, int v) {
        buffer.put(at + field, (byte) v);
        return this;
    }

    @Override
    public String toString() {
        return String.format("{base=0x%x limit=0x%x sel=0x%x type=%d p=%d dpl=%d db=%d s=%d l=%d g=%d}",
                base(), limit(), selector(), type(), present(), dpl(), db(), s(), l(), g());
    }
}
