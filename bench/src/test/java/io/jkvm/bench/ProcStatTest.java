package io.jkvm.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProcStatTest {
    @Test
    void utimePlusStimeInNanosecondsEvenWithParenthesesInTheName() {
        String stat = "4242 (qemu (x) 1) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 3 0 100 0 0";
        assertEquals(325 * 10_000_000L, ProcStat.parse(stat));
    }

    @Test
    void thisProcessHasUsedSomeCpuAndAMissingOneIsUnknown() {
        assertTrue(ProcStat.cpuNanos(ProcessHandle.current().pid()) >= 0);
        assertEquals(-1, ProcStat.cpuNanos(Long.MAX_VALUE));
    }
}
