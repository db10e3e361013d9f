package io.jkvm.core.kvm;

/** struct kvm_msr_list with room for a fixed number of MSR indices (KVM_GET_MSR_INDEX_LIST). */
public final class KvmMsrList extends NativeStruct {
    public static final int SIZE = 4;
    public static final int NMSRS = 0;
    public static final int INDICES = 4;

    public KvmMsrList(int capacity) {
        super(SIZE + 4L * capacity);
        buffer.putInt(NMSRS, capacity);
    }

    public int nmsrs() {
        return buffer.getInt(NMSRS);
    }

    public int[] indices() {
        int[] out = new int[nmsrs()];
        for (int i = 0; i < out.length; i++) {
            out[i] = buffer.getInt(INDICES + 4 * i);
        }
        return out;
    }
}
