package io.jkvm.core.kvm;

import com.sun.jna.Memory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KvmRun's accessors over a kvm_run laid out by hand as the kernel writes it (offsets: KvmAbiTest). */
class KvmRunTest {
    private final Memory page = new Memory(8192);
    private final KvmRun run;

    KvmRunTest() {
        page.clear();
        run = new KvmRun(page, 8192);
    }

    @Test
    void portOutputReadsTheDataPage() {
        page.setInt(8, KvmExit.IO);
        page.setByte(32, (byte) KvmExit.IO_OUT);
        page.setByte(33, (byte) 2);
        page.setShort(34, (short) 0xcf8);
        page.setInt(36, 3);
        page.setLong(40, 4096);
        page.setShort(4096, (short) 0x1234);
        page.setShort(4098, (short) 0xfffe);
        page.setShort(4100, (short) 0x0001);

        assertEquals(KvmExit.IO, run.exitReason());
        assertEquals(KvmExit.IO_OUT, run.ioDirection());
        assertEquals(2, run.ioSize());
        assertEquals(0xcf8, run.ioPort());
        assertEquals(3, run.ioCount());
        assertEquals(4096, run.ioDataOffset());
        assertEquals(0x1234, run.ioData());
        assertEquals(0xfffe, run.ioData(1), "zero-extended, not sign-extended");
        assertEquals(1, run.ioData(2));
        assertEquals("KVM_EXIT_IO out port 0xcf8 size 2 count 3 data 0x1234", run.describe());
    }

    @Test
    void portInputWritesOnlyTheAccessSize() {
        page.setByte(33, (byte) 1);
        page.setShort(34, (short) 0xffff);
        page.setLong(40, 4096);
        page.setInt(4096, 0xaaaaaaaa);
        run.setIoData(0x1ff);
        assertEquals(0xaaaaaaff, page.getInt(4096));
        assertEquals(0xffff, run.ioPort(), "port is unsigned");
    }

    @Test
    void mmioDataHasTheExitsLength() {
        page.setInt(8, KvmExit.MMIO);
        page.setLong(32, 0xd0000010L);
        page.setLong(40, 0x8877665544332211L);
        page.setByte(52, (byte) 1);
        for (int len : new int[]{1, 2, 4, 8}) {
            page.setInt(48, len);
            long mask = len == 8 ? -1L : (1L << (8 * len)) - 1;
            assertEquals(0x8877665544332211L & mask, run.mmioData(), "len " + len);
        }
        assertEquals(0xd0000010L, run.mmioPhysAddr());
        assertTrue(run.mmioIsWrite());

        page.setByte(52, (byte) 0);
        page.setInt(48, 2);
        page.setLong(40, 0);
        run.setMmioData(0xabcdef);
        assertEquals(0xcdef, page.getLong(40), "a 2-byte read gets 2 bytes");
        assertFalse(run.mmioIsWrite());
        assertEquals("KVM_EXIT_MMIO read 0xd0000010 len 2 data 0xcdef", run.describe());
    }

    /** A page-crossing access arrives in pieces of any length from 1 to 8 (arch/x86/kvm/x86.c). */
    @Test
    void mmioDataOfEveryLengthFromOneToEight() {
        page.setInt(8, KvmExit.MMIO);
        page.setLong(32, 0xd0000ffdL);
        for (int len = 1; len <= 8; len++) {
            page.setInt(48, len);
            page.setLong(40, 0x8877665544332211L);
            long mask = len == 8 ? -1L : (1L << (8 * len)) - 1;
            assertEquals(0x8877665544332211L & mask, run.mmioData(), "load, len " + len);

            page.setLong(40, 0);
            run.setMmioData(0x0102030405060708L);
            assertEquals(0x0102030405060708L & mask, page.getLong(40), "store writes only len bytes, len " + len);
        }
    }

    @Test
    void failureUnions() {
        page.setInt(8, KvmExit.FAIL_ENTRY);
        page.setLong(32, 0x80000021L);
        page.setInt(40, 1);
        assertEquals(0x80000021L, run.failEntryHardwareEntryFailureReason());
        assertEquals(1, run.failEntryCpu());

        page.setInt(8, KvmExit.INTERNAL_ERROR);
        page.setInt(32, KvmExit.INTERNAL_ERROR_EMULATION);
        page.setInt(36, 2);
        page.setLong(48, 0x77);
        assertEquals(KvmExit.INTERNAL_ERROR_EMULATION, run.internalSuberror());
        assertEquals(2, run.internalNdata());
        assertEquals(0x77, run.internalData(1));

        page.setInt(8, KvmExit.SYSTEM_EVENT);
        page.setInt(32, KvmExit.SYSTEM_EVENT_RESET);
        page.setInt(36, 1);
        page.setLong(40, 5);
        assertEquals(KvmExit.SYSTEM_EVENT_RESET, run.systemEventType());
        assertEquals(1, run.systemEventNdata());
        assertEquals(5, run.systemEventData(0));
        assertEquals("KVM_EXIT_SYSTEM_EVENT type 2", run.describe());
    }

    @Test
    void immediateExitIsByteOne() {
        run.immediateExit(true);
        assertEquals(1, page.getByte(1));
        assertTrue(run.immediateExit());
        run.immediateExit(false);
        assertEquals(0, page.getByte(1));
        run.requestInterruptWindow(true);
        assertEquals(1, page.getByte(0));
    }
}
