package io.jkvm.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The line that {@code jkvm run --boot-times} prints at exit ({@code jkvm: boot times: launched-epoch-ms=E exec=12
 * main=480 ...}), read back: the launcher's start as epoch ms, and each step in ms after it.
 */
record BootTimesLine(long launchedEpochMs, Map<String, Long> steps) {
    static final String PREFIX = "jkvm: boot times: ";

    /** The parsed line, or null when it is not the boot-times line or has no launcher time. */
    static BootTimesLine parse(String line) {
        int at = line.indexOf(PREFIX);
        if (at < 0) {
            return null;
        }
        long launched = 0;
        Map<String, Long> steps = new LinkedHashMap<>();
        for (String field : line.substring(at + PREFIX.length()).strip().split("\\s+")) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            long value;
            try {
                value = Long.parseLong(field.substring(eq + 1));
            } catch (NumberFormatException e) {
                continue;
            }
            String key = field.substring(0, eq);
            if (key.equals("launched-epoch-ms")) {
                launched = value;
            } else {
                steps.put(key, value);
            }
        }
        return launched == 0 ? null : new BootTimesLine(launched, steps);
    }
}
