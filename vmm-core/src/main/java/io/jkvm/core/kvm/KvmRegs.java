package io.jkvm.core.kvm;

/** struct kvm_regs: the general-purpose registers, rip and rflags (KVM_GET_REGS / KVM_SET_REGS). */
public final class KvmRegs extends NativeStruct {
    public static final int SIZE = 144;
    public static final int RAX = 0;
    public static final int RBX = 8;
    public static final int RCX = 16;
    public static final int RDX = 24;
    public static final int RSI = 32;
    public static final int RDI = 40;
    public static final int RSP = 48;
    public static final int RBP = 56;
    /** r8 to r15 follow rbp, 8 bytes each. */
    public static final int R8 = 64;
    public static final int RIP = 128;
    public static final int RFLAGS = 136;

    public KvmRegs() {
        super(SIZE);
    }

    public long rax() { return buffer.getLong(RAX); }
    public long rbx() { return buffer.getLong(RBX); }
    public long rcx() { return buffer.getLong(RCX); }
    public long rdx() { return buffer.getLong(RDX); }
    public long rsi() { return buffer.getLong(RSI); }
    public long rdi() { return buffer.getLong(RDI); }
    public long rsp() { return buffer.getLong(RSP); }
    public long rbp() { return buffer.getLong(RBP); }
    public long rip() { return buffer.getLong(RIP); }
    public long rflags() { return buffer.getLong(RFLAGS); }

    /** r8 to r15: n is 8..15. */
    public long r(int n) {
        return buffer.getLong(rOffset(n));
    }

    public KvmRegs rax(long v) { buffer.putLong(RAX, v); return this; }
    public KvmRegs rbx(long v) { buffer.putLong(RBX, v); return this; }
    public KvmRegs rcx(long v) { buffer.putLong(RCX, v); return this; }
    public KvmRegs rdx(long v) { buffer.putLong(RDX, v); return this; }
    public KvmRegs rsi(long v) { buffer.putLong(RSI, v); return this; }
    public KvmRegs rdi(long v) { buffer.putLong(RDI, v); return this; }
    public KvmRegs rsp(long v) { buffer.putLong(RSP, v); return this; }
    public KvmRegs rbp(long v) { buffer.putLong(RBP, v); return this; }
    public KvmRegs rip(long v) { buffer.putLong(RIP, v); return this; }
    public KvmRegs rflags(long v) { buffer.putLong(RFLAGS, v); return this; }

    public KvmRegs r(int n, long v) {
        buffer.putLong(rOffset(n), v);
        return this;
    }

    private static int rOffset(int n) {
        if (n < 8 || n > 15) {
            throw new IllegalArgumentException("r" + n + ": only r8 to r15 are numbered");
        }
        return R8 + 8 * (n - 8);
    }
}
