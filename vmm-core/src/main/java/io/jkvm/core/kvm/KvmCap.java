package io.jkvm.core.kvm;

/** Capability numbers for KVM_CHECK_EXTENSION (linux/kvm.h, KVM_CAP_*). */
public final class KvmCap {
    public static final int IRQCHIP = 0;
    public static final int HLT = 1;
    public static final int USER_MEMORY = 3;
    public static final int SET_TSS_ADDR = 4;
    public static final int EXT_CPUID = 7;
    public static final int CLOCKSOURCE = 8;
    /** The recommended maximum number of vCPUs. */
    public static final int NR_VCPUS = 9;
    public static final int NR_MEMSLOTS = 10;
    public static final int PIT = 11;
    public static final int MP_STATE = 14;
    public static final int SYNC_MMU = 16;
    public static final int USER_NMI = 22;
    public static final int IRQ_ROUTING = 25;
    public static final int IRQFD = 32;
    public static final int PIT2 = 33;
    public static final int PIT_STATE2 = 35;
    public static final int IOEVENTFD = 36;
    public static final int SET_IDENTITY_MAP_ADDR = 37;
    public static final int ADJUST_CLOCK = 39;
    public static final int INTERNAL_ERROR_DATA = 40;
    public static final int VCPU_EVENTS = 41;
    public static final int XSAVE = 55;
    public static final int XCRS = 56;
    public static final int TSC_CONTROL = 60;
    public static final int GET_TSC_KHZ = 61;
    /** The hard maximum number of vCPUs. */
    public static final int MAX_VCPUS = 66;
    public static final int TSC_DEADLINE_TIMER = 72;
    public static final int KVMCLOCK_CTRL = 76;
    public static final int READONLY_MEM = 81;
    public static final int IRQFD_RESAMPLE = 82;
    public static final int IOEVENTFD_NO_LENGTH = 100;
    public static final int IOEVENTFD_ANY_LENGTH = 122;
    public static final int MAX_VCPU_ID = 128;
    public static final int IMMEDIATE_EXIT = 136;
    public static final int BINARY_STATS_FD = 203;

    private KvmCap() {
    }
}
