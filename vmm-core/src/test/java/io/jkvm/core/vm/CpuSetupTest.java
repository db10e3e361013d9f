package io.jkvm.core.vm;

import io.jkvm.core.kvm.KvmCpuid2;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The per-vCPU CPUID that jkvm derives from KVM_GET_SUPPORTED_CPUID. */
class CpuSetupTest {
    private static KvmCpuid2 supported() {
        return new KvmCpuid2(3).nent(0)
                .add(0x1, 0, 0, 0x000a0f11, 0x00000800, 0x76d8320b, 0x078bfbff)
                .add(0xb, 0, 1, 1, 1, 0x100, 0)
                .add(0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
    }

    @Test
    void leafOneCarriesTheApicIdTheCpuCountHttAndTheHypervisorBit() {
        KvmCpuid2 c = CpuSetup.cpuidFor(supported(), 3, 4);
        assertEquals(3, c.ebx(0) >>> 24, "APIC ID");
        assertEquals(4, (c.ebx(0) >>> 16) & 0xff, "logical processors");
        assertEquals(0x0800, c.ebx(0) & 0xffff, "CLFLUSH size and brand index kept");
        assertEquals(1, (c.edx(0) >>> 28) & 1, "HTT");
        assertEquals(1, c.ecx(0) >>> 31, "hypervisor bit: Linux looks for KVM's leaves (kvm-clock) only with it");
        assertEquals(0x76d8320b, c.ecx(0) & 0x7fffffff, "other feature bits kept");
        assertEquals(3, c.edx(1), "x2APIC ID in leaf 0xB");
        assertEquals(0x4b4d564b, c.ebx(2), "KVM's signature leaf as KVM gave it");
    }

    @Test
    void oneCpuHasNoHttAndTheSupportedTableIsNotChanged() {
        KvmCpuid2 s = supported();
        KvmCpuid2 c = CpuSetup.cpuidFor(s, 0, 1);
        assertEquals(0, (c.edx(0) >>> 28) & 1);
        assertEquals(0, s.ecx(0) >>> 31, "the supported table is a copy's source, left as it was");
    }
}
