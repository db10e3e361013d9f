package io.jkvm.core.kvm;

/** struct kvm_userspace_memory_region, the argument of KVM_SET_USER_MEMORY_REGION. */
public final class KvmUserspaceMemoryRegion extends NativeStruct {
    public static final int SIZE = 32;
    public static final int SLOT = 0;
    public static final int FLAGS = 4;
    public static final int GUEST_PHYS_ADDR = 8;
    public static final int MEMORY_SIZE = 16;
    public static final int USERSPACE_ADDR = 24;

    /** Log writes to this slot for KVM_GET_DIRTY_LOG. */
    public static final int KVM_MEM_LOG_DIRTY_PAGES = 1;
    /** Guest reads come from the memory; guest writes exit as KVM_EXIT_MMIO (KVM_CAP_READONLY_MEM). */
    public static final int KVM_MEM_READONLY = 1 << 1;

    public KvmUserspaceMemoryRegion() {
        super(SIZE);
    }

    public KvmUserspaceMemoryRegion set(int slot, int flags, long guestPhysAddr, long memorySize, long userspaceAddr) {
        buffer.putInt(SLOT, slot);
        buffer.putInt(FLAGS, flags);
        buffer.putLong(GUEST_PHYS_ADDR, guestPhysAddr);
        buffer.putLong(MEMORY_SIZE, memorySize);
        buffer.putLong(USERSPACE_ADDR, userspaceAddr);
        return this;
    }
}
