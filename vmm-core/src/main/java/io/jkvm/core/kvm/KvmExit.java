package io.jkvm.core.kvm;

/** kvm_run.exit_reason values (linux/kvm.h, KVM_EXIT_*) and the sub-codes a VMM looks at. */
public final class KvmExit {
    public static final int UNKNOWN = 0;
    public static final int EXCEPTION = 1;
    public static final int IO = 2;
    public static final int HYPERCALL = 3;
    public static final int DEBUG = 4;
    public static final int HLT = 5;
    public static final int MMIO = 6;
    public static final int IRQ_WINDOW_OPEN = 7;
    public static final int SHUTDOWN = 8;
    public static final int FAIL_ENTRY = 9;
    /** KVM_RUN returned EINTR: a signal or immediate_exit (a kick) interrupted it. */
    public static final int INTR = 10;
    public static final int SET_TPR = 11;
    public static final int TPR_ACCESS = 12;
    public static final int NMI = 16;
    public static final int INTERNAL_ERROR = 17;
    public static final int SYSTEM_EVENT = 24;
    public static final int IOAPIC_EOI = 26;
    public static final int HYPERV = 27;
    public static final int X86_RDMSR = 29;
    public static final int X86_WRMSR = 30;
    public static final int X86_BUS_LOCK = 33;
    public static final int NOTIFY = 37;

    /** kvm_run.io.direction. */
    public static final int IO_IN = 0;
    public static final int IO_OUT = 1;

    /** kvm_run.system_event.type. */
    public static final int SYSTEM_EVENT_SHUTDOWN = 1;
    public static final int SYSTEM_EVENT_RESET = 2;
    public static final int SYSTEM_EVENT_CRASH = 3;

    /** kvm_run.internal.suberror. */
    public static final int INTERNAL_ERROR_EMULATION = 1;
    public static final int INTERNAL_ERROR_SIMUL_EX = 2;
    public static final int INTERNAL_ERROR_DELIVERY_EV = 3;
    public static final int INTERNAL_ERROR_UNEXPECTED_EXIT_REASON = 4;

    private static final String[] NAMES = new String[38];

    static {
        String[] known = {"UNKNOWN", "EXCEPTION", "IO", "HYPERCALL", "DEBUG", "HLT", "MMIO", "IRQ_WINDOW_OPEN",
            "SHUTDOWN", "FAIL_ENTRY", "INTR", "SET_TPR", "TPR_ACCESS"};
        System.arraycopy(known, 0, NAMES, 0, known.length);
        NAMES[NMI] = "NMI";
        NAMES[INTERNAL_ERROR] = "INTERNAL_ERROR";
        NAMES[SYSTEM_EVENT] = "SYSTEM_EVENT";
        NAMES[IOAPIC_EOI] = "IOAPIC_EOI";
        NAMES[HYPERV] = "HYPERV";
        NAMES[X86_RDMSR] = "X86_RDMSR";
        NAMES[X86_WRMSR] = "X86_WRMSR";
        NAMES[X86_BUS_LOCK] = "X86_BUS_LOCK";
        NAMES[NOTIFY] = "NOTIFY";
    }

    private KvmExit() {
    }

    /** "KVM_EXIT_MMIO" for 6, "KVM_EXIT_99" for a reason this class does not know. */
    public static String name(int reason) {
        String n = reason >= 0 && reason < NAMES.length ? NAMES[reason] : null;
        return "KVM_EXIT_" + (n != null ? n : Integer.toString(reason));
    }
}
