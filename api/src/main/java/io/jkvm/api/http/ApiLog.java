package io.jkvm.api.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * PUT /logger: human-readable lines in a file or named pipe, one per request and per microVM event, filtered by
 * level. Until it is set, nothing is logged (Firecracker logs to stdout then; jkvm's stdout is the guest console).
 */
public final class ApiLog implements AutoCloseable {
    /** Firecracker's levels, most severe first; a line is written when its level is at or above the chosen one. */
    static final List<String> LEVELS = List.of("off", "error", "warning", "info", "debug", "trace");

    private final String id;
    private final LineFile file = new LineFile();
    private int threshold;
    private boolean showLevel;

    public ApiLog(String id) {
        this.id = id;
    }

    /** Opens path for appending (a named pipe: for writing). */
    public synchronized void open(Path path, String level, boolean showLevel) throws IOException {
        file.open(path);
        threshold = LEVELS.indexOf(level);
        this.showLevel = showLevel;
    }

    public void error(String message) {
        write(1, message);
    }

    public void warn(String message) {
        write(2, message);
    }

    public void info(String message) {
        write(3, message);
    }

    private synchronized void write(int level, String message) {
        if (!file.isOpen() || level > threshold) {
            return;
        }
        String line = Instant.now() + " [" + id + (showLevel ? ":" + LEVELS.get(level).toUpperCase() : "") + "] "
                + message;
        try {
            file.writeLine(line.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            // A reader that went away (a pipe) must not stop the API: the line is lost, as Firecracker's would be.
        }
    }

    @Override
    public synchronized void close() {
        file.close();
    }
}
