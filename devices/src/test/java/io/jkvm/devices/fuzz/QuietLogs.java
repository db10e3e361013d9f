package io.jkvm.devices.fuzz;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Silences the devices' warnings while a fuzz class runs ({@code @ExtendWith(QuietLogs.class)}): every hostile input
 * is meant to trigger them, and a million logged DEVICE_NEEDS_RESET lines would only slow the run down. Counters
 * still count; the targets assert on those.
 */
final class QuietLogs implements BeforeAllCallback, AfterAllCallback {
    private final Logger logger = Logger.getLogger("io.jkvm.devices");
    private Level old;

    @Override
    public void beforeAll(ExtensionContext context) {
        old = logger.getLevel();
        logger.setLevel(Level.OFF);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        logger.setLevel(old);
    }
}
