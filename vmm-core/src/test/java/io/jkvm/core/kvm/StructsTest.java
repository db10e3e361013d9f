package io.jkvm.core.kvm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The structure accessors write where the constants (checked by KvmAbiTest) say. */
class StructsTest {
    @Test
    void sregsSegmentsAreViewsAtTheirOffsets() {
        KvmSregs s = new KvmSregs();
        s.cs().base(0x1000).limit(0xfffff).selector(0x10).type(11).present(1).dpl(0).db(0).s(1).l(1).g(1);
        s.ds().set(s.cs()).selector(0x18).type(3).l(0);
        s.gdt().base(0x500).limit(0x1f);
        s.cr0(0x80050033L).efer(0x500);

        assertEquals(0x1000, s.buffer().getLong(KvmSregs.CS + KvmSegment.BASE));
        assertEquals(0x10, s.buffer().getShort(KvmSregs.CS + KvmSegment.SELECTOR));
        assertEquals(1, s.buffer().get(KvmSregs.CS + KvmSegment.L));
        assertEquals(0x18, s.buffer().getShort(KvmSregs.DS + KvmSegment.SELECTOR));
        assertEquals(0x1000, s.ds().base());
        assertEquals(0, s.ds().l());
        assertEquals(1, s.ds().g());
        assertEquals(3, s.ds().type());
        assertEquals(11, s.cs().type(), "copying into ds leaves cs alone");
        assertEquals(0x1f, s.buffer().getShort(KvmSregs.GDT + KvmDtable.LIMIT));
        assertEquals(0x80050033L, s.buffer().getLong(KvmSregs.CR0));
        assertEquals(0x500, s.efer());
    }

    @Test
    void regsNumberedRegisters() {
        KvmRegs r = new KvmRegs().rip(0x100000).rsi(0x7000).rflags(2).r(15, 42);
        assertEquals(0x100000, r.buffer().getLong(KvmRegs.RIP));
        assertEquals(0x7000, r.rsi());
        assertEquals(42, r.buffer().getLong(KvmRegs.R8 + 7 * 8));
        assertEquals(42, r.r(15));
        assertThrows(IllegalArgumentException.class, () -> r.r(7));
    }

    @Test
    void cpuidEntriesCanBeAddedFoundAndCopied() {
        KvmCpuid2 c = new KvmCpuid2(4).nent(0);
        c.add(0, 0, 0, 0xd, 0x68747541, 0x444d4163, 0x69746e65);
        c.add(7, 0, KvmCpuid2.KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0, 1, 2, 3);
        c.add(7, 1, KvmCpuid2.KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0, 4, 5, 6);
        assertEquals(3, c.nent());
        assertEquals(3, c.buffer().getInt(KvmCpuid2.NENT));
        assertEquals(2, c.find(7, 1));
        assertEquals(1, c.find(7, 0));
        assertEquals(0, c.find(0, 99), "leaf 0 has no significant index");
        assertEquals(-1, c.find(0x40000000, 0));
        assertEquals(5, c.buffer().getInt(KvmCpuid2.ENTRIES + 2 * KvmCpuid2.ENTRY_SIZE + KvmCpuid2.ENTRY_ECX));

        KvmCpuid2 copy = c.copy();
        copy.ebx(1, 99);
        assertEquals(99, copy.ebx(1));
        assertEquals(1, c.ebx(1), "the copy is independent");
        assertEquals(3, copy.nent());
        assertThrows(IndexOutOfBoundsException.class, () -> c.eax(3));
        assertThrows(IllegalArgumentException.class, () -> c.nent(5));
    }

    @Test
    void msrsAppend() {
        KvmMsrs m = new KvmMsrs(2).add(0x174, 0x10).add(0xc0000080, 0x500);
        assertEquals(2, m.buffer().getInt(KvmMsrs.NMSRS));
        assertEquals(0xc0000080, m.index(1));
        assertEquals(0x500, m.buffer().getLong(KvmMsrs.ENTRIES + KvmMsrs.ENTRY_SIZE + KvmMsrs.ENTRY_DATA));
        assertThrows(IllegalStateException.class, () -> m.add(1, 1));
        m.reset();
        assertEquals(0, m.nmsrs());
    }

    @Test
    void lapicDeliveryMode() {
        int masked = 0x10000 | (0x4 << 8);
        assertEquals(0x10000 | 0x700, KvmLapicState.withDeliveryMode(masked, KvmLapicState.APIC_MODE_EXTINT));
        KvmLapicState l = new KvmLapicState().reg(KvmLapicState.APIC_LVT1, 0x400);
        assertEquals(0x400, l.buffer().getInt(0x360));
    }

    @Test
    void inArgumentStructs() {
        KvmIoeventfd io = new KvmIoeventfd().set(0xbeef, 0x500, 2, 7, KvmIoeventfd.KVM_IOEVENTFD_FLAG_PIO);
        assertEquals(0xbeef, io.buffer().getLong(0));
        assertEquals(0x500, io.buffer().getLong(8));
        assertEquals(2, io.buffer().getInt(16));
        assertEquals(7, io.buffer().getInt(20));
        assertEquals(2, io.buffer().getInt(24));
        KvmUserspaceMemoryRegion r = new KvmUserspaceMemoryRegion().set(1, 2, 0x1000, 0x2000, 0x7f0000000000L);
        assertEquals(0x7f0000000000L, r.buffer().getLong(24));
        assertEquals(0x2000, r.buffer().getLong(16));
    }
}
