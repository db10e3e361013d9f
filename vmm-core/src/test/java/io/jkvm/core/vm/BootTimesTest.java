package io.jkvm.core.vm;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BootTimesTest {
    @Test
    void stepsAreInMillisecondsAfterTheLauncherAndOnlyTheFirstTimeCounts() throws Exception {
        long launched = System.currentTimeMillis() - 1000;
        System.setProperty("jkvm.launched", String.format("%d.%06d", launched / 1000, launched % 1000 * 1000));
        System.setProperty("jkvm.exec", String.format("%d.%06d", (launched + 25) / 1000, (launched + 25) % 1000 * 1000));
        try {
            BootTimes.reached(BootTimes.Step.VM_CREATED);
            long first = BootTimes.at(BootTimes.Step.VM_CREATED);
            Thread.sleep(5);
            BootTimes.reached(BootTimes.Step.VM_CREATED);
            assertEquals(first, BootTimes.at(BootTimes.Step.VM_CREATED));
            assertEquals(launched, BootTimes.launched());

            Map<String, Long> fields = new LinkedHashMap<>();
            for (String f : BootTimes.describe().split(" ")) {
                String[] kv = f.split("=");
                fields.put(kv[0], Long.parseLong(kv[1]));
            }
            assertEquals(launched, fields.get("launched-epoch-ms"));
            assertEquals(25, fields.get("exec"));
            long vmCreated = fields.get("vm-created");
            assertTrue(vmCreated >= 1000 && vmCreated < 60_000, "vm-created=" + vmCreated);
            assertEquals(first - launched, vmCreated);
        } finally {
            System.clearProperty("jkvm.launched");
            System.clearProperty("jkvm.exec");
        }
    }

    @Test
    void aLauncherTimeThatIsNotANumberCountsAsUnknown() {
        System.setProperty("jkvm.launched", "soon");
        try {
            assertEquals(0, BootTimes.launched());
            assertTrue(BootTimes.describe().startsWith("main-epoch-ms="), BootTimes.describe());
        } finally {
            System.clearProperty("jkvm.launched");
        }
    }
}
