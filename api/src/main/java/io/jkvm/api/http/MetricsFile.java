package io.jkvm.api.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jkvm.api.config.JsonBody;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * PUT /metrics: one JSON object per line, one line per flush (FlushMetrics, the periodic flush, and the last one at
 * exit), as Firecracker writes its metrics. The counters are jkvm's, under jkvm's names (exits by reason, device
 * counters); "utc_timestamp_ms" says when.
 */
public final class MetricsFile implements AutoCloseable {
    private OutputStream out;
    private long flushes;

    public synchronized void open(Path path) throws IOException {
        OutputStream o = Files.isRegularFile(path) || !Files.exists(path)
                ? Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND)
                : Files.newOutputStream(path, StandardOpenOption.WRITE);
        close();
        out = o;
    }

    public synchronized boolean isOpen() {
        return out != null;
    }

    /** Writes one line; false when no metrics file is set. */
    public synchronized boolean flush(Map<String, Long> counters) throws IOException {
        if (out == null) {
            return false;
        }
        ObjectNode line = JsonBody.mapper().createObjectNode();
        line.put("utc_timestamp_ms", System.currentTimeMillis());
        line.put("flushes", ++flushes);
        ObjectNode c = line.putObject("jkvm");
        counters.forEach(c::put);
        out.write(JsonBody.mapper().writeValueAsBytes(line));
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
                // best effort, as the log
            }
            out = null;
        }
    }
}
