package io.jkvm.api.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The file behind PUT /logger and PUT /metrics: a regular file appended to (created when missing), or a named pipe
 * opened for writing, as Firecracker accepts either; each line is flushed as it is written.
 */
final class LineFile implements AutoCloseable {
    private OutputStream out;

    /** Opens path, replacing the file opened before (closed only once the new one is open). */
    synchronized void open(Path path) throws IOException {
        OutputStream o = Files.isRegularFile(path) || !Files.exists(path)
                ? Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND)
                : Files.newOutputStream(path, StandardOpenOption.WRITE);
        close();
        out = o;
    }

    synchronized boolean isOpen() {
        return out != null;
    }

    /** Writes line and a newline; false when no file is open. */
    synchronized boolean writeLine(byte[] line) throws IOException {
        if (out == null) {
            return false;
        }
        out.write(line);
        out.write('\n');
        out.flush();
        return true;
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                // best effort: a reader of a pipe that went away leaves nothing to tell
            }
            out = null;
        }
    }
}
