package io.jkvm.core.vm;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The i8042 as Linux's i8042.c probes it (i8042.noaux, i8042.dumbkbd) and as SendCtrlAltDel feeds it. */
class I8042Test {
    private static final long DATA = 0;
    private static final long CMD = 4;

    private int resets;
    private int irqs;
    private final I8042 kbc = new I8042(() -> resets++, () -> irqs++);

    @Test
    void controlByteReadAndWrittenAsTheProbeDoes() {
        assertEquals(0, kbc.read(CMD, 1) & I8042.STR_OBF, "nothing to flush at boot");
        kbc.write(CMD, 1, I8042.CMD_READ_CTR);
        assertEquals(I8042.STR_OBF, kbc.read(CMD, 1) & I8042.STR_OBF);
        assertEquals(I8042.CTR_KBDINT | I8042.CTR_SYSFLAG | I8042.CTR_XLATE, kbc.read(DATA, 1));
        assertEquals(0, kbc.read(CMD, 1) & I8042.STR_OBF);
        kbc.write(CMD, 1, I8042.CMD_WRITE_CTR);
        kbc.write(DATA, 1, 0x45);
        kbc.write(CMD, 1, I8042.CMD_READ_CTR);
        assertEquals(0x45, kbc.read(DATA, 1));
        kbc.write(CMD, 1, I8042.CMD_SELF_TEST);
        assertEquals(0x55, kbc.read(DATA, 1));
        assertEquals(0, resets);
    }

    @Test
    void resetCommandAndResetLine() {
        kbc.write(CMD, 1, 0xfe);
        assertEquals(1, resets);
        kbc.write(CMD, 1, I8042.CMD_WRITE_OUTPUT_PORT);
        kbc.write(DATA, 1, 0x00);
        assertEquals(2, resets);
    }

    private List<Integer> drain() {
        List<Integer> got = new ArrayList<>();
        while ((kbc.read(CMD, 1) & I8042.STR_OBF) != 0) {
            got.add((int) kbc.read(DATA, 1));
        }
        return got;
    }

    @Test
    void ctrlAltDelTranslatedToSet1AsLinuxKeepsXlate() {
        irqs = 0;
        assertTrue(kbc.sendCtrlAltDel());
        assertEquals(List.of(0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d), drain());
        assertEquals(8, irqs);
    }

    @Test
    void ctrlAltDelIsElevenScancodesOneInterruptEach() {
        kbc.write(CMD, 1, I8042.CMD_WRITE_CTR);
        kbc.write(DATA, 1, I8042.CTR_KBDINT | I8042.CTR_SYSFLAG); // i8042.direct: no translation
        irqs = 0;
        assertTrue(kbc.sendCtrlAltDel());
        List<Integer> got = new ArrayList<>();
        while ((kbc.read(CMD, 1) & I8042.STR_OBF) != 0) {
            got.add((int) kbc.read(DATA, 1));
        }
        assertEquals(List.of(0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14), got);
        assertEquals(11, irqs, "one edge per byte: Linux's handler reads one byte per interrupt");
    }

    @Test
    void noInterruptWhileTheKeyboardIsDisabledAndNoOverflow() {
        irqs = 0;
        kbc.write(CMD, 1, I8042.CMD_KBD_DISABLE);
        assertTrue(kbc.sendCtrlAltDel());
        assertEquals(0, irqs);
        assertTrue(kbc.sendCtrlAltDel(), "16 bytes hold two translated sequences of 8");
        assertFalse(kbc.sendCtrlAltDel(), "but not a third");
    }
}
