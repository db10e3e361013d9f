package io.jkvm.core.boot;

import io.jkvm.devices.memory.GuestMemory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GdtTest {
    @Test
    void descriptorsEncodeFlatSegments() {
        // Intel SDM vol. 3, 3.4.5: limit 0xFFFFF with G = 1, base 0, then the access byte and flags nibble.
        assertEquals(0x00af_9b00_0000_ffffL, Gdt.CODE64);
        assertEquals(0x00cf_9300_0000_ffffL, Gdt.DATA);
        assertEquals(0x008f_8b00_0000_ffffL, Gdt.TSS);
        assertEquals(0x1234_5678L, Segment.fromDescriptor(Gdt.descriptor(0x0093, 0x1234_5678L, 0xabcde), 8).base());
        assertEquals(0xabcde, Segment.fromDescriptor(Gdt.descriptor(0x0093, 0, 0xabcde), 8).limit(), "byte granular");
    }

    @Test
    void segmentsDecodeAsBootRstRequires() {
        Segment cs = Gdt.code();
        assertEquals(new Segment(0, 0xffffffff, 0x10, 11, 1, 0, 0, 1, 1, 1, 0, 0), cs);
        Segment ds = Gdt.data();
        assertEquals(new Segment(0, 0xffffffff, 0x18, 3, 1, 0, 1, 1, 0, 1, 0, 0), ds);
        Segment tr = Gdt.tss();
        assertEquals(0x20, tr.selector());
        assertEquals(11, tr.type(), "busy TSS");
        assertEquals(0, tr.s(), "system descriptor");
        assertEquals(1, tr.present());
    }

    @Test
    void tableInMemoryMatchesTheSelectors() {
        GuestMemory mem = GuestMemory.allocate(4096);
        mem.fill(0, 4096, (byte) 0x77);
        Gdt.write(mem);
        BootCpuState s = BootCpuState.longMode(0x100200, Layout.ZERO_PAGE_ADDRESS, Layout.PML4_ADDRESS);
        assertEquals(Layout.GDT_ADDRESS, s.gdt().base());
        assertEquals(47, s.gdt().limit());
        assertEquals(0, mem.getLong(s.gdt().base()), "null descriptor");
        for (Segment seg : new Segment[] {s.cs(), s.ds(), s.es(), s.fs(), s.gs(), s.ss(), s.tr()}) {
            assertTrue(seg.selector() + 7 <= s.gdt().limit());
            long raw = mem.getLong(s.gdt().base() + seg.selector());
            assertEquals(seg, Segment.fromDescriptor(raw, seg.selector()), "register state matches the GDT");
        }
        assertTrue(s.tr().selector() + 15 <= s.gdt().limit(), "16-byte TSS descriptor fits");
        assertEquals(0, mem.getLong(s.gdt().base() + s.tr().selector() + 8), "TSS base bits 63:32");
        assertEquals(0, mem.getLong(s.idt().base()));
        assertEquals(7, s.idt().limit());
    }

    @Test
    void longModeRegisters() {
        BootCpuState s = BootCpuState.longMode(0x100200, 0x7000, 0x9000);
        assertEquals(0x100200, s.rip());
        assertEquals(0x7000, s.rsi());
        assertEquals(0x8ff0, s.rsp());
        assertEquals(0x2, s.rflags(), "IF clear");
        assertEquals(0x8000_0011L, s.cr0(), "PE | ET | PG");
        assertEquals(0x9000, s.cr3());
        assertEquals(0x20, s.cr4(), "PAE");
        assertEquals(0x500, s.efer(), "LME | LMA");
        assertEquals(Gdt.code(), s.cs());
        assertEquals(Gdt.data(), s.ss());
        assertEquals(Gdt.data(), s.es());
        assertEquals(2, s.ldt().type());
    }
}
