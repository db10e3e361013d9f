package io.jkvm.api.config;

import java.nio.file.Path;
import java.util.Set;

/** PUT /logger and PUT /metrics (and "logger", "metrics" of the configuration file): where jkvm writes them. */
public final class Outputs {
    /** Firecracker's levels (case-insensitive there too). */
    public static final Set<String> LEVELS = Set.of("error", "warning", "info", "debug", "trace", "off");

    private Outputs() {
    }

    /** The logger: a file (or named pipe) and a level. */
    public record Logger(Path path, String level, boolean showLevel, boolean showOrigin) {
        static final Set<String> FIELDS = Set.of("log_path", "level", "show_level", "show_log_origin", "module");

        public static Logger from(JsonBody b) {
            b.allow(FIELDS);
            Path p = HostPaths.output(b.where(), "log_path", b.nonEmptyString("log_path", true));
            String level = b.string("level", false);
            if (level != null && !LEVELS.contains(level.toLowerCase(java.util.Locale.ROOT))) {
                throw new BadRequest(String.format("%s: field 'level' is \"%s\": it must be one of Error, Warning, "
                        + "Info, Debug, Trace, Off", b.where(), level));
            }
            b.string("module", false);
            return new Logger(p, level == null ? "info" : level.toLowerCase(java.util.Locale.ROOT),
                    b.bool("show_level", false, false), b.bool("show_log_origin", false, false));
        }
    }

    /** The metrics file: one JSON object per line, one line per flush. */
    public record Metrics(Path path) {
        static final Set<String> FIELDS = Set.of("metrics_path");

        public static Metrics from(JsonBody b) {
            b.allow(FIELDS);
            return new Metrics(HostPaths.output(b.where(), "metrics_path", b.nonEmptyString("metrics_path", true)));
        }
    }
}
