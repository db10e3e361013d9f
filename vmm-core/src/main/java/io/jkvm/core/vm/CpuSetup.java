package io.jkvm.core.vm;

import io.jkvm.core.boot.BootCpuState;
import io.jkvm.core.boot.Segment;
import io.jkvm.core.kvm.KvmCpuid2;
import io.jkvm.core.kvm.KvmFpu;
import io.jkvm.core.kvm.KvmLapicState;
import io.jkvm.core.kvm.KvmMsrs;
import io.jkvm.core.kvm.KvmRegs;
import io.jkvm.core.kvm.KvmSegment;
import io.jkvm.core.kvm.KvmSregs;
import io.jkvm.core.kvm.VcpuFd;

/**
 * A vCPU's state at power-on for a Linux 64-bit entry: CPUID, boot MSRs, FPU, LAPIC LINT0/LINT1, and the registers
 * of {@link BootCpuState}. Application processors get the same; they wait for INIT/SIPI in the in-kernel LAPIC and
 * start where the guest's SMP trampoline tells them.
 */
final class CpuSetup {
    // MSR numbers: Intel SDM vol. 4; the same set Firecracker and QEMU give a booting vCPU.
    private static final int MSR_IA32_TSC = 0x10;
    private static final int MSR_IA32_SYSENTER_CS = 0x174;
    private static final int MSR_IA32_SYSENTER_ESP = 0x175;
    private static final int MSR_IA32_SYSENTER_EIP = 0x176;
    private static final int MSR_IA32_MISC_ENABLE = 0x1a0;
    private static final int MSR_MTRR_DEF_TYPE = 0x2ff;
    private static final int MSR_STAR = 0xc0000081;
    private static final int MSR_LSTAR = 0xc0000082;
    private static final int MSR_CSTAR = 0xc0000083;
    private static final int MSR_SYSCALL_MASK = 0xc0000084;
    private static final int MSR_KERNEL_GS_BASE = 0xc0000102;

    private static final long MISC_ENABLE_FAST_STRING = 1;
    /** MTRRs enabled (bit 11), default type write-back (6): without it the guest maps all RAM uncached. */
    private static final long MTRR_ENABLE_WRITEBACK = (1 << 11) | 6;

    private static final int FPU_CONTROL_WORD = 0x37f;  // x87 state after FNINIT
    private static final int MXCSR_DEFAULT = 0x1f80;    // SSE exceptions masked, as after reset

    private CpuSetup() {
    }

    static void configure(VcpuFd vcpu, KvmCpuid2 supported, int cpus, BootCpuState boot) {
        vcpu.setCpuid2(cpuidFor(supported, vcpu.id(), cpus));
        setMsrs(vcpu);
        vcpu.setFpu(new KvmFpu().fcw(FPU_CONTROL_WORD).mxcsr(MXCSR_DEFAULT));
        setLapic(vcpu);
        setSregs(vcpu, boot);
        KvmRegs regs = new KvmRegs();
        regs.rip(boot.rip()).rsp(boot.rsp()).rbp(boot.rsp()).rsi(boot.rsi()).rflags(boot.rflags());
        vcpu.setRegs(regs);
    }

    /**
     * KVM's supported CPUID with this vCPU's topology: its APIC ID in leaf 1 EBX[31:24] and in leaf 0xB EDX
     * (x2APIC ID), the logical processor count in leaf 1 EBX[23:16]. KVM's own leaves (0x40000000: "KVMKVMKVM",
     * 0x40000001: kvm-clock and friends) come from KVM_GET_SUPPORTED_CPUID as they are, but the hypervisor bit
     * (leaf 1 ECX[31]) does not: without it Linux never looks at them, finds no kvm-clock, and (with no PIT or
     * HPET reference to calibrate the TSC against) falls back to jiffies, a 4 ms clock.
     */
    static final int CPUID_1_ECX_HYPERVISOR = 1 << 31;

    static KvmCpuid2 cpuidFor(KvmCpuid2 supported, int apicId, int cpus) {
        KvmCpuid2 c = supported.copy();
        for (int i = 0; i < c.nent(); i++) {
            switch (c.function(i)) {
                case 0x1:
                    c.ebx(i, (c.ebx(i) & 0x0000ffff) | (apicId << 24) | ((cpus & 0xff) << 16));
                    c.ecx(i, c.ecx(i) | CPUID_1_ECX_HYPERVISOR);
                    if (cpus > 1) {
                        c.edx(i, c.edx(i) | (1 << 28)); // HTT: EBX[23:16] is valid
                    }
                    break;
                case 0xb:
                    c.edx(i, apicId);
                    break;
                default:
                    break;
            }
        }
        return c;
    }

    private static void setMsrs(VcpuFd vcpu) {
        KvmMsrs msrs = new KvmMsrs(16)
                .add(MSR_IA32_SYSENTER_CS, 0)
                .add(MSR_IA32_SYSENTER_ESP, 0)
                .add(MSR_IA32_SYSENTER_EIP, 0)
                .add(MSR_STAR, 0)
                .add(MSR_CSTAR, 0)
                .add(MSR_KERNEL_GS_BASE, 0)
                .add(MSR_SYSCALL_MASK, 0)
                .add(MSR_LSTAR, 0)
                .add(MSR_IA32_TSC, 0)
                .add(MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING)
                .add(MSR_MTRR_DEF_TYPE, MTRR_ENABLE_WRITEBACK);
        int set = vcpu.setMsrs(msrs);
        if (set != msrs.nmsrs()) {
            throw new IllegalStateException(String.format("KVM_SET_MSRS set %d of %d boot MSRs; MSR 0x%x was refused",
                    set, msrs.nmsrs(), msrs.index(set)));
        }
    }

    /** LINT0 = ExtINT (the PIC's output), LINT1 = NMI: the virtual wire mode an MP-table guest expects. */
    private static void setLapic(VcpuFd vcpu) {
        KvmLapicState lapic = new KvmLapicState();
        vcpu.getLapic(lapic);
        lapic.reg(KvmLapicState.APIC_LVT0,
                KvmLapicState.withDeliveryMode(lapic.reg(KvmLapicState.APIC_LVT0), KvmLapicState.APIC_MODE_EXTINT));
        lapic.reg(KvmLapicState.APIC_LVT1,
                KvmLapicState.withDeliveryMode(lapic.reg(KvmLapicState.APIC_LVT1), KvmLapicState.APIC_MODE_NMI));
        vcpu.setLapic(lapic);
    }

    private static void setSregs(VcpuFd vcpu, BootCpuState boot) {
        KvmSregs sregs = new KvmSregs();
        vcpu.getSregs(sregs); // keep apic_base and the interrupt bitmap as KVM has them
        copy(boot.cs(), sregs.cs());
        copy(boot.ds(), sregs.ds());
        copy(boot.es(), sregs.es());
        copy(boot.fs(), sregs.fs());
        copy(boot.gs(), sregs.gs());
        copy(boot.ss(), sregs.ss());
        copy(boot.tr(), sregs.tr());
        copy(boot.ldt(), sregs.ldt());
        sregs.gdt().base(boot.gdt().base()).limit(boot.gdt().limit());
        sregs.idt().base(boot.idt().base()).limit(boot.idt().limit());
        sregs.cr0(boot.cr0()).cr3(boot.cr3()).cr4(boot.cr4()).efer(boot.efer());
        vcpu.setSregs(sregs);
    }

    private static void copy(Segment s, KvmSegment k) {
        k.base(s.base()).limit(s.limit()).selector(s.selector()).type(s.type()).present(s.present()).dpl(s.dpl())
                .db(s.db()).s(s.s()).l(s.l()).g(s.g()).avl(s.avl()).unusable(s.unusable());
    }
}
