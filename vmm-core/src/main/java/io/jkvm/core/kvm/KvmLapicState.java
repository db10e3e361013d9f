package io.jkvm.core.kvm;

/** struct kvm_lapic_state: the local APIC's 1 KiB register page in xAPIC layout (KVM_GET_LAPIC / KVM_SET_LAPIC). */
public final class KvmLapicState extends NativeStruct {
    /** KVM_APIC_REG_SIZE. */
    public static final int SIZE = 0x400;

    /** LVT LINT0 and LINT1 register offsets (Intel SDM vol. 3, 11.5.1). */
    public static final int APIC_LVT0 = 0x350;
    public static final int APIC_LVT1 = 0x360;
    /** LVT delivery modes, bits 8-10. */
    public static final int APIC_MODE_NMI = 0x4;
    public static final int APIC_MODE_EXTINT = 0x7;

    public KvmLapicState() {
        super(SIZE);
    }

    /** The 32-bit register at a byte offset of the APIC page (registers sit on 16-byte boundaries). */
    public int reg(int offset) {
        return buffer.getInt(offset);
    }

    public KvmLapicState reg(int offset, int value) {
        buffer.putInt(offset, value);
        return this;
    }

    /** An LVT value with its delivery mode replaced (as Linux's SET_APIC_DELIVERY_MODE does). */
    public static int withDeliveryMode(int lvt, int mode) {
        return (lvt & ~0x700) | (mode << 8);
    }
}
