package io.jkvm.core.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MemorySizeTest {
    @Test
    void parsesUnits() {
        assertEquals(256L << 20, MemorySize.parse("256M"));
        assertEquals(256L << 20, MemorySize.parse("256m"));
        assertEquals(1L << 30, MemorySize.parse("1G"));
        assertEquals(1L << 30, MemorySize.parse("1GiB"));
        assertEquals(512L << 10, MemorySize.parse("512K"));
        assertEquals(4096, MemorySize.parse("4096"));
    }

    @Test
    void rejectsNonsenseWithAHint() {
        for (String bad : new String[] {"", "abc", "-1M", "0", "12Q", "99999999999999999999G"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MemorySize.parse(bad));
            assertTrue(e.getMessage().contains("256M"), e.getMessage());
        }
    }

    @Test
    void formatsRoundSizes() {
        assertEquals("1G", MemorySize.format(1L << 30));
        assertEquals("256M", MemorySize.format(256L << 20));
        assertEquals("1000", MemorySize.format(1000));
    }
}
