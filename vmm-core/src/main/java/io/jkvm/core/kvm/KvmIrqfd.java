package io.jkvm.core.kvm;

/** struct kvm_irqfd, the argument of KVM_IRQFD (api.rst 4.75). */
public final class KvmIrqfd extends NativeStruct {
    public static final int SIZE = 32;
    public static final int FD = 0;
    public static final int GSI = 4;
    public static final int FLAGS = 8;
    public static final int RESAMPLEFD = 12;

    public static final int KVM_IRQFD_FLAG_DEASSIGN = 1 << 0;
    public static final int KVM_IRQFD_FLAG_RESAMPLE = 1 << 1;

    public KvmIrqfd() {
        super(SIZE);
    }

    public KvmIrqfd set(int fd, int gsi, int flags) {
        buffer.putInt(FD, fd);
        buffer.putInt(GSI, gsi);
        buffer.putInt(FLAGS, flags);
        buffer.putInt(RESAMPLEFD, 0);
        return this;
    }
}
