package io.jkvm.core.kvm;

/** struct kvm_irq_level, the argument of KVM_IRQ_LINE: a GSI and the level to drive it to. */
public final class KvmIrqLevel extends NativeStruct {
    public static final int SIZE = 8;
    public static final int IRQ = 0;
    public static final int LEVEL = 4;

    public KvmIrqLevel() {
        super(SIZE);
    }

    public KvmIrqLevel set(int irq, int level) {
        buffer.putInt(IRQ, irq);
        buffer.putInt(LEVEL, level);
        return this;
    }
}
