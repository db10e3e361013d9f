package io.jkvm.devices.log;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Warnings a guest can trigger, for one device: each reason is counted every time, logged the first time, and then
 * summarised at most once per interval ("N more of: reason; last: detail"), so that a guest repeating a bad write
 * cannot flood the host's logs. Reasons are fixed strings from the code, never guest data; what the guest wrote goes
 * in the detail. Safe from any thread.
 */
public final class RateLimitedLog {
    /** How often a reason that keeps happening is summarised. */
    public static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Reasons tracked apart; more (a caller bug) share one entry, so the table stays bounded. */
    static final int MAX_REASONS = 64;
    private static final String OTHER = "other";

    private final System.Logger logger;
    private final String subject;
    private final LongSupplier clock;
    private final long interval;
    private final Map<String, Reason> reasons = new HashMap<>();

    /** Logs to logger as "subject: ...", with the system's monotonic clock. */
    public RateLimitedLog(System.Logger logger, String subject) {
        this(logger, subject, System::nanoTime, INTERVAL_NANOS);
    }

    /** clock gives nanoseconds (as {@link System#nanoTime}); interval is the shortest gap between two lines. */
    public RateLimitedLog(System.Logger logger, String subject, LongSupplier clock, long intervalNanos) {
        this.logger = logger;
        this.subject = subject;
        this.clock = clock;
        this.interval = intervalNanos;
    }

    public void warn(String reason, String detail) {
        log(System.Logger.Level.WARNING, reason, detail, null);
    }

    /** Counts one event of reason; logs it (with thrown, if any) unless reason was logged less than an interval ago. */
    public synchronized void log(System.Logger.Level level, String reason, String detail, Throwable thrown) {
        long now = clock.getAsLong();
        Reason r = reasons.get(reason);
        if (r == null) {
            if (reasons.size() >= MAX_REASONS) {
                reason = OTHER;
                r = reasons.get(OTHER);
            }
            if (r == null) {
                reasons.put(reason, new Reason(level, now));
                emit(level, subject + ": " + reason + ": " + detail, thrown);
                return;
            }
        }
        r.total++;
        r.level = level;
        r.lastDetail = detail;
        if (now - r.lastLogged < interval) {
            r.suppressed++;
            return;
        }
        if (r.suppressed == 0) {
            emit(level, subject + ": " + reason + ": " + detail, thrown);
        } else {
            emit(level, summary(reason, r.suppressed + 1, detail), null);
        }
        r.suppressed = 0;
        r.lastLogged = now;
    }

    /** How many events of reason were counted, logged or not. */
    public synchronized long count(String reason) {
        Reason r = reasons.get(reason);
        return r == null ? 0 : r.total;
    }

    /** Logs a summary of every reason with events not yet reported (when the device goes away). */
    public synchronized void flush() {
        for (Map.Entry<String, Reason> e : reasons.entrySet()) {
            Reason r = e.getValue();
            if (r.suppressed > 0) {
                emit(r.level, summary(e.getKey(), r.suppressed, r.lastDetail), null);
                r.suppressed = 0;
                r.lastLogged = clock.getAsLong();
            }
        }
    }

    private String summary(String reason, long n, String lastDetail) {
        return subject + ": " + n + " more of: " + reason + "; last: " + lastDetail;
    }

    private void emit(System.Logger.Level level, String message, Throwable thrown) {
        if (thrown == null) {
            logger.log(level, message);
        } else {
            logger.log(level, message, thrown);
        }
    }

    private static final class Reason {
        System.Logger.Level level;
        long total = 1;
        long suppressed;
        long lastLogged;
        String lastDetail;

        Reason(System.Logger.Level level, long now) {
            this.level = level;
            this.lastLogged = now;
        }
    }
}
