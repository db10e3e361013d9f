package io.jkvm.devices.log;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RateLimitedLogTest {
    /** A System.Logger that keeps what it was given. */
    static final class Recorder implements System.Logger {
        final List<String> lines = new ArrayList<>();
        final List<Throwable> thrown = new ArrayList<>();

        @Override
        public String getName() {
            return "recorder";
        }

        @Override
        public boolean isLoggable(Level level) {
            return true;
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable t) {
            lines.add(level + " " + msg);
            thrown.add(t);
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            lines.add(level + " " + format);
            thrown.add(null);
        }
    }

    final Recorder out = new Recorder();
    long now = 1_000_000_000L;
    final RateLimitedLog log = new RateLimitedLog(out, "virtio-blk@0xd0000000", () -> now,
            TimeUnit.SECONDS.toNanos(5));

    @Test
    void firstOneLoggedThenOneSummaryPerInterval() {
        for (int i = 0; i < 1000; i++) {
            log.warn("status write ignored", "DRIVER before ACKNOWLEDGE #" + i);
            now += TimeUnit.MILLISECONDS.toNanos(1); // 1000 in one second
        }
        assertEquals(List.of("WARNING virtio-blk@0xd0000000: status write ignored: DRIVER before ACKNOWLEDGE #0"),
                out.lines);
        assertEquals(1000, log.count("status write ignored"));

        now += TimeUnit.SECONDS.toNanos(4); // 5 s after the first line
        log.warn("status write ignored", "DRIVER before ACKNOWLEDGE #1000");
        assertEquals("WARNING virtio-blk@0xd0000000: 1000 more of: status write ignored; last: "
                + "DRIVER before ACKNOWLEDGE #1000", out.lines.get(1));
        log.warn("status write ignored", "again");
        assertEquals(2, out.lines.size(), "nothing more within the interval");
        assertEquals(1002, log.count("status write ignored"));
    }

    @Test
    void reasonsAreLimitedApart() {
        log.warn("FEATURES_OK refused", "lack VERSION_1");
        log.warn("status write ignored", "DRIVER before ACKNOWLEDGE");
        log.warn("FEATURES_OK refused", "lack VERSION_1");
        assertEquals(2, out.lines.size());
        assertTrue(out.lines.get(1).contains("status write ignored"));
    }

    @Test
    void aReasonQuietForAnIntervalIsLoggedPlainAgain() {
        log.warn("read failed", "at sector 1");
        now += TimeUnit.SECONDS.toNanos(6);
        log.warn("read failed", "at sector 2");
        assertEquals("WARNING virtio-blk@0xd0000000: read failed: at sector 2", out.lines.get(1));
    }

    @Test
    void flushReportsWhatWasHeldBack() {
        log.warn("read failed", "at sector 1");
        log.warn("read failed", "at sector 2");
        log.warn("read failed", "at sector 3");
        log.flush();
        assertEquals("WARNING virtio-blk@0xd0000000: 2 more of: read failed; last: at sector 3", out.lines.get(1));
        log.flush();
        assertEquals(2, out.lines.size(), "nothing held back any more");
    }

    @Test
    void theFirstThrowableIsKeptAndTheTableStaysBounded() {
        IllegalStateException e = new IllegalStateException("device bug");
        log.log(System.Logger.Level.ERROR, "device error", "queue 0", e);
        assertSame(e, out.thrown.get(0));
        for (int i = 0; i < 10 * RateLimitedLog.MAX_REASONS; i++) {
            log.warn("reason " + i, "x");
        }
        // "device error" and 63 more fill the table; the other 577 share the reason "other" and its one line.
        assertEquals(RateLimitedLog.MAX_REASONS + 1, out.lines.size());
        assertTrue(out.lines.get(RateLimitedLog.MAX_REASONS).contains(": other: x"), out.lines.toString());
        assertEquals(10L * RateLimitedLog.MAX_REASONS - (RateLimitedLog.MAX_REASONS - 1), log.count("other"));
    }
}
