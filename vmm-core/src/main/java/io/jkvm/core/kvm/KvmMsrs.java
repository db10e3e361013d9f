package io.jkvm.core.kvm;

import java.util.Objects;

/**
 * struct kvm_msrs with room for a fixed number of struct kvm_msr_entry (KVM_GET_MSRS / KVM_SET_MSRS).
 * {@link #nmsrs()} entries are valid.
 */
public final class KvmMsrs extends NativeStruct {
    public static final int SIZE = 8;
    public static final int NMSRS = 0;
    public static final int ENTRIES = 8;
    public static final int ENTRY_SIZE = 16;
    public static final int ENTRY_INDEX = 0;
    public static final int ENTRY_DATA = 8;

    private final int capacity;

    public KvmMsrs(int capacity) {
        super(SIZE + (long) ENTRY_SIZE * capacity);
        this.capacity = capacity;
    }

    public int capacity() {
        return capacity;
    }

    public int nmsrs() {
        return buffer.getInt(NMSRS);
    }

    /** Appends an MSR (its value is ignored by KVM_GET_MSRS, which fills it in). */
    public KvmMsrs add(int index, long data) {
        int i = nmsrs();
        if (i >= capacity) {
            throw new IllegalStateException("kvm_msrs is full (" + capacity + " entries)");
        }
        int at = ENTRIES + ENTRY_SIZE * i;
        buffer.putInt(at + ENTRY_INDEX, index);
        buffer.putInt(at + ENTRY_INDEX + 4, 0);
        buffer.putLong(at + ENTRY_DATA, data);
        buffer.putInt(NMSRS, i + 1);
        return this;
    }

    public int index(int i) {
        return buffer.getInt(ENTRIES + ENTRY_SIZE * Objects.checkIndex(i, nmsrs()) + ENTRY_INDEX);
    }

    public long data(int i) {
        return buffer.getLong(ENTRIES + ENTRY_SIZE * Objects.checkIndex(i, nmsrs()) + ENTRY_DATA);
    }

    /** Empties the list. */
    public void reset() {
        buffer.putInt(NMSRS, 0);
    }
}
