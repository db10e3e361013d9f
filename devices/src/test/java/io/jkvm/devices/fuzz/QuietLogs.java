package io.jkvm.devices.fuzz;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Silences the devices' warnings while fuzzing: every hostile input is meant to trigger them, and a million logged
 * DEVICE_NEEDS_RESET lines would only slow the run down. Counters still count; the targets assert on those.
 */
final class QuietLogs implements AutoCloseable {
    private final Logger logger = Logger.getLogger("io.jkvm.devices");
    private final Level old = logger.getLevel();

    QuietLogs() {
        logger.setLevel(Level.OFF);
    }

    @Override
    public void close() {
        logger.setLevel(old);
    }
}
