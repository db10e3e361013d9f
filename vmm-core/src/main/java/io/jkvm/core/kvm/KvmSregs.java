package io.jkvm.core.kvm;

import java.util.Objects;

/** struct kvm_sregs: segment and descriptor-table registers, control registers, EFER, APIC base. */
public final class KvmSregs extends NativeStruct {
    public static final int SIZE = 312;
    public static final int CS = 0;
    public static final int DS = 24;
    public static final int ES = 48;
    public static final int FS = 72;
    public static final int GS = 96;
    public static final int SS = 120;
    public static final int TR = 144;
    public static final int LDT = 168;
    public static final int GDT = 192;
    public static final int IDT = 208;
    public static final int CR0 = 224;
    public static final int CR2 = 232;
    public static final int CR3 = 240;
    public static final int CR4 = 248;
    public static final int CR8 = 256;
    public static final int EFER = 264;
    public static final int APIC_BASE = 272;
    /** (KVM_NR_INTERRUPTS + 63) / 64 = 4 words: a bit per pending interrupt vector. */
    public static final int INTERRUPT_BITMAP = 280;

    private final KvmSegment cs = new KvmSegment(buffer, CS);
    private final KvmSegment ds = new KvmSegment(buffer, DS);
    private final KvmSegment es = new KvmSegment(buffer, ES);
    private final KvmSegment fs = new KvmSegment(buffer, FS);
    private final KvmSegment gs = new KvmSegment(buffer, GS);
    private final KvmSegment ss = new KvmSegment(buffer, SS);
    private final KvmSegment tr = new KvmSegment(buffer, TR);
    private final KvmSegment ldt = new KvmSegment(buffer, LDT);
    private final KvmDtable gdt = new KvmDtable(buffer, GDT);
    private final KvmDtable idt = new KvmDtable(buffer, IDT);

    public KvmSregs() {
        super(SIZE);
    }

    public KvmSegment cs() { return cs; }
    public KvmSegment ds() { return ds; }
    public KvmSegment es() { return es; }
    public KvmSegment fs() { return fs; }
    public KvmSegment gs() { return gs; }
    public KvmSegment ss() { return ss; }
    public KvmSegment tr() { return tr; }
    public KvmSegment ldt() { return ldt; }
    public KvmDtable gdt() { return gdt; }
    public KvmDtable idt() { return idt; }

    public long cr0() { return buffer.getLong(CR0); }
    public long cr2() { return buffer.getLong(CR2); }
    public long cr3() { return buffer.getLong(CR3); }
    public long cr4() { return buffer.getLong(CR4); }
    public long cr8() { return buffer.getLong(CR8); }
    public long efer() { return buffer.getLong(EFER); }
    public long apicBase() { return buffer.getLong(APIC_BASE); }

    public KvmSregs cr0(long v) { buffer.putLong(CR0, v); return this; }
    public KvmSregs cr2(long v) { buffer.putLong(CR2, v); return this; }
    public KvmSregs cr3(long v) { buffer.putLong(CR3, v); return this; }
    public KvmSregs cr4(long v) { buffer.putLong(CR4, v); return this; }
    public KvmSregs cr8(long v) { buffer.putLong(CR8, v); return this; }
    public KvmSregs efer(long v) { buffer.putLong(EFER, v); return this; }
    public KvmSregs apicBase(long v) { buffer.putLong(APIC_BASE, v); return this; }

    /** Word i (0..3) of the pending-interrupt bitmap. */
    public long interruptBitmap(int i) {
        return buffer.getLong(INTERRUPT_BITMAP + 8 * Objects.checkIndex(i, 4));
    }
}
