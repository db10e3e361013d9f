package io.jkvm.core.kvm;

/**
 * struct kvm_fpu: x87 and SSE state in fxsave layout (KVM_GET_FPU / KVM_SET_FPU). x86 KVM neither reads nor writes
 * mxcsr through these ioctls (kvm_arch_vcpu_ioctl_{get,set}_fpu skip it): it stays at its reset value 0x1f80.
 */
public final class KvmFpu extends NativeStruct {
    public static final int SIZE = 416;
    /** 8 registers of 16 bytes each. */
    public static final int FPR = 0;
    public static final int FCW = 128;
    public static final int FSW = 130;
    public static final int FTWX = 132;
    public static final int LAST_OPCODE = 134;
    public static final int LAST_IP = 136;
    public static final int LAST_DP = 144;
    /** 16 registers of 16 bytes each. */
    public static final int XMM = 152;
    public static final int MXCSR = 408;

    public KvmFpu() {
        super(SIZE);
    }

    public int fcw() { return buffer.getShort(FCW) & 0xffff; }
    public int fsw() { return buffer.getShort(FSW) & 0xffff; }
    public int ftwx() { return buffer.get(FTWX) & 0xff; }
    public int lastOpcode() { return buffer.getShort(LAST_OPCODE) & 0xffff; }
    public long lastIp() { return buffer.getLong(LAST_IP); }
    public long lastDp() { return buffer.getLong(LAST_DP); }
    public int mxcsr() { return buffer.getInt(MXCSR); }

    public KvmFpu fcw(int v) { buffer.putShort(FCW, (short) v); return this; }
    public KvmFpu fsw(int v) { buffer.putShort(FSW, (short) v); return this; }
    public KvmFpu ftwx(int v) { buffer.put(FTWX, (byte) v); return this; }
    public KvmFpu lastOpcode(int v) { buffer.putShort(LAST_OPCODE, (short) v); return this; }
    public KvmFpu lastIp(long v) { buffer.putLong(LAST_IP, v); return this; }
    public KvmFpu lastDp(long v) { buffer.putLong(LAST_DP, v); return this; }
    public KvmFpu mxcsr(int v) { buffer.putInt(MXCSR, v); return this; }
}
