package io.jkvm.core.boot;

/**
 * The boot vCPU's registers at the kernel's 64-bit entry (boot.rst "64-bit Boot Protocol"): long mode with paging
 * on, CS = __BOOT_CS, DS/ES/SS = __BOOT_DS, interrupts off, rsi = the zero page. Plain values for kvm_regs
 * (rip, rsp, rsi, rflags; all other general registers 0) and kvm_sregs (segments, GDTR, IDTR, CR0, CR3, CR4, EFER;
 * leave apic_base and CR2/CR8 as KVM_GET_SREGS returns them).
 */
public record BootCpuState(long rip, long rsp, long rsi, long rflags,
                           long cr0, long cr3, long cr4, long efer,
                           Segment cs, Segment ds, Segment es, Segment fs, Segment gs, Segment ss,
                           Segment tr, Segment ldt, DescriptorTable gdt, DescriptorTable idt) {

    /** struct kvm_dtable: GDTR or IDTR. */
    public record DescriptorTable(long base, int limit) {
    }

    /** RFLAGS bit 1 is reserved and always 1; IF (bit 9) is 0, as boot.rst requires interrupts disabled. */
    public static final long RFLAGS_RESERVED = 0x2;

    public static final long CR0_PE = 1;
    /** Extension type: hard-wired to 1 on every CPU since the i486; set so the value is what the CPU reports. */
    public static final long CR0_ET = 1 << 4;
    public static final long CR0_PG = 1L << 31;
    public static final long CR4_PAE = 1 << 5;
    public static final long EFER_LME = 1 << 8;
    public static final long EFER_LMA = 1 << 10;

    /**
     * CR0 = PE | ET | PG: protected mode with paging, which long mode requires. Caches stay on (CD and NW clear,
     * unlike the reset value 0x60000010); the kernel sets the rest (WP, NE, MP, AM) itself.
     */
    public static final long CR0 = CR0_PE | CR0_ET | CR0_PG;
    /** CR4 = PAE: 4-level paging needs it; nothing else is needed before the kernel sets CR4 itself. */
    public static final long CR4 = CR4_PAE;
    /** EFER = LME | LMA: long mode enabled and, since paging is on, active. NX is unused by the boot tables. */
    public static final long EFER = EFER_LME | EFER_LMA;

    /**
     * LDTR in its architectural reset state (Intel SDM vol. 3, "Processor State After Reset": selector 0, base 0,
     * limit 0xFFFF, present, type 2 = LDT): valid for both VMX and SVM entry checks, and never used by the kernel.
     */
    public static final Segment LDT = new Segment(0, 0xffff, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0);

    /** The state for a kernel whose 64-bit entry is at rip, with the zero page at zeroPage and paging from cr3. */
    public static BootCpuState longMode(long rip, long zeroPage, long cr3) {
        Segment data = Gdt.data();
        return new BootCpuState(rip, Layout.BOOT_STACK_POINTER, zeroPage, RFLAGS_RESERVED,
                CR0, cr3, CR4, EFER,
                Gdt.code(), data, data, data, data, data, Gdt.tss(), LDT,
                new DescriptorTable(Layout.GDT_ADDRESS, Gdt.LIMIT),
                new DescriptorTable(Layout.IDT_ADDRESS, 8 - 1));
    }
}
