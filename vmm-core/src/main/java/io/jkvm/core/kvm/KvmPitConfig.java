package io.jkvm.core.kvm;

/** struct kvm_pit_config, the argument of KVM_CREATE_PIT2. */
public final class KvmPitConfig extends NativeStruct {
    public static final int SIZE = 64;
    public static final int FLAGS = 0;

    /** Emulate the PC speaker port 0x61 in the kernel, as QEMU and Firecracker do, so it does not exit. */
    public static final int KVM_PIT_SPEAKER_DUMMY = 1;

    public KvmPitConfig(int flags) {
        super(SIZE);
        buffer.putInt(FLAGS, flags);
    }
}
