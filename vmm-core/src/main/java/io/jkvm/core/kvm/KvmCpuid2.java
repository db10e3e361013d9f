package io.jkvm.core.kvm;

import java.util.Objects;

/**
 * struct kvm_cpuid2 with room for a fixed number of struct kvm_cpuid_entry2 (KVM_GET_SUPPORTED_CPUID,
 * KVM_SET_CPUID2). {@link #nent()} is how many entries are valid; {@link #capacity()} how many fit.
 */
public final class KvmCpuid2 extends NativeStruct {
    public static final int SIZE = 8;
    public static final int NENT = 0;
    public static final int ENTRIES = 8;

    public static final int ENTRY_SIZE = 40;
    public static final int ENTRY_FUNCTION = 0;
    public static final int ENTRY_INDEX = 4;
    public static final int ENTRY_FLAGS = 8;
    public static final int ENTRY_EAX = 12;
    public static final int ENTRY_EBX = 16;
    public static final int ENTRY_ECX = 20;
    public static final int ENTRY_EDX = 24;

    /** The entry's index (ecx input) selects a sub-leaf. */
    public static final int KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1;

    private final int capacity;

    public KvmCpuid2(int capacity) {
        super(SIZE + (long) ENTRY_SIZE * capacity);
        this.capacity = capacity;
        nent(capacity);
    }

    public int capacity() {
        return capacity;
    }

    public int nent() {
        return buffer.getInt(NENT);
    }

    public KvmCpuid2 nent(int n) {
        if (n < 0 || n > capacity) {
            throw new IllegalArgumentException("nent " + n + " exceeds capacity " + capacity);
        }
        buffer.putInt(NENT, n);
        return this;
    }

    public int function(int i) { return get(i, ENTRY_FUNCTION); }
    public int index(int i) { return get(i, ENTRY_INDEX); }
    public int flags(int i) { return get(i, ENTRY_FLAGS); }
    public int eax(int i) { return get(i, ENTRY_EAX); }
    public int ebx(int i) { return get(i, ENTRY_EBX); }
    public int ecx(int i) { return get(i, ENTRY_ECX); }
    public int edx(int i) { return get(i, ENTRY_EDX); }

    public KvmCpuid2 eax(int i, int v) { return put(i, ENTRY_EAX, v); }
    public KvmCpuid2 ebx(int i, int v) { return put(i, ENTRY_EBX, v); }
    public KvmCpuid2 ecx(int i, int v) { return put(i, ENTRY_ECX, v); }
    public KvmCpuid2 edx(int i, int v) { return put(i, ENTRY_EDX, v); }

    /** Appends an entry; nent grows by one. */
    public KvmCpuid2 add(int function, int index, int flags, int eax, int ebx, int ecx, int edx) {
        int i = nent();
        if (i >= capacity) {
            throw new IllegalStateException("kvm_cpuid2 is full (" + capacity + " entries)");
        }
        int at = ENTRIES + ENTRY_SIZE * i;
        for (int b = 0; b < ENTRY_SIZE; b++) {
            buffer.put(at + b, (byte) 0);
        }
        put(i, ENTRY_FUNCTION, function).put(i, ENTRY_INDEX, index).put(i, ENTRY_FLAGS, flags);
        put(i, ENTRY_EAX, eax).put(i, ENTRY_EBX, ebx).put(i, ENTRY_ECX, ecx).put(i, ENTRY_EDX, edx);
        buffer.putInt(NENT, i + 1);
        return this;
    }

    /** The entry for a leaf and sub-leaf (the sub-leaf only counts when the entry says so), or -1. */
    public int find(int function, int index) {
        for (int i = 0, n = nent(); i < n; i++) {
            if (function(i) == function
                    && ((flags(i) & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) == 0 || index(i) == index)) {
                return i;
            }
        }
        return -1;
    }

    /** A copy with the same entries and capacity, e.g. to give each vCPU its own APIC ID. */
    public KvmCpuid2 copy() {
        KvmCpuid2 c = new KvmCpuid2(capacity);
        for (int b = 0; b < buffer.capacity(); b++) {
            c.buffer.put(b, buffer.get(b));
        }
        return c;
    }

    private int get(int i, int field) {
        return buffer.getInt(ENTRIES + ENTRY_SIZE * Objects.checkIndex(i, nent()) + field);
    }

    private KvmCpuid2 put(int i, int field, int v) {
        buffer.putInt(ENTRIES + ENTRY_SIZE * Objects.checkIndex(i, capacity) + field, v);
        return this;
    }
}
