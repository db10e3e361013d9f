package io.jkvm.core.kvm;

/** struct kvm_ioeventfd, the argument of KVM_IOEVENTFD (Documentation/virt/kvm/api.rst 4.59). */
public final class KvmIoeventfd extends NativeStruct {
    public static final int SIZE = 64;
    public static final int DATAMATCH = 0;
    public static final int ADDR = 8;
    public static final int LEN = 16;
    public static final int FD = 20;
    public static final int FLAGS = 24;

    /** Signal only when the written value equals datamatch. */
    public static final int KVM_IOEVENTFD_FLAG_DATAMATCH = 1 << 0;
    /** addr is an I/O port, not a guest physical address. */
    public static final int KVM_IOEVENTFD_FLAG_PIO = 1 << 1;
    /** Remove the ioeventfd that matches all the other fields. */
    public static final int KVM_IOEVENTFD_FLAG_DEASSIGN = 1 << 2;

    public KvmIoeventfd() {
        super(SIZE);
    }

    public KvmIoeventfd set(long datamatch, long addr, int len, int fd, int flags) {
        buffer.putLong(DATAMATCH, datamatch);
        buffer.putLong(ADDR, addr);
        buffer.putInt(LEN, len);
        buffer.putInt(FD, fd);
        buffer.putInt(FLAGS, flags);
        return this;
    }
}
