package io.jkvm.core.kvm;

/**
 * struct kvm_clock_data, the argument of KVM_GET_CLOCK and KVM_SET_CLOCK: the guest's kvmclock in nanoseconds.
 * Saved when the vCPUs pause and written back when they resume, it keeps the guest's clock from counting the pause
 * (api.rst 4.43 and 4.44; QEMU does the same on stop and cont).
 */
public final class KvmClockData extends NativeStruct {
    public static final int SIZE = 48;
    public static final int CLOCK = 0;
    public static final int FLAGS = 8;

    public KvmClockData() {
        super(SIZE);
    }

    public long clock() {
        return buffer.getLong(CLOCK);
    }

    /** Sets clock and clears the flags: KVM_SET_CLOCK then takes clock alone (no realtime or TSC anchor). */
    public void set(long clockNanos) {
        clear();
        buffer.putLong(CLOCK, clockNanos);
    }
}
