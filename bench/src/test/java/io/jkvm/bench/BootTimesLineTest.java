package io.jkvm.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class BootTimesLineTest {
    @Test
    void readsTheLauncherTimeAndEveryStepInOrder() {
        BootTimesLine t = BootTimesLine.parse("jkvm: boot times: launched-epoch-ms=1764750000123 exec=12 main=480 "
                + "run=900 first-console-byte=2100");
        assertEquals(1764750000123L, t.launchedEpochMs());
        assertEquals(List.of("exec", "main", "run", "first-console-byte"), List.copyOf(t.steps().keySet()));
        assertEquals(Map.of("exec", 12L, "main", 480L, "run", 900L, "first-console-byte", 2100L), t.steps());
    }

    @Test
    void otherLinesAndLinesWithoutTheLauncherTimeAreNotBootTimes() {
        assertNull(BootTimesLine.parse("jkvm-init: ready"));
        assertNull(BootTimesLine.parse("jkvm: boot times: main-epoch-ms=1764750000123 run=900"));
        assertNull(BootTimesLine.parse("jkvm: boot times: launched-epoch-ms=soon"));
    }
}
