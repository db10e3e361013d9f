package io.jkvm.api.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jkvm.api.config.JsonBody;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * PUT /metrics: one JSON object per line, one line per flush (FlushMetrics, the periodic flush, and the last one at
 * exit), as Firecracker writes its metrics. The counters are jkvm's, under jkvm's names (exits by reason, device
 * counters); "utc_timestamp_ms" says when.
 */
public final class MetricsFile implements AutoCloseable {
    private final LineFile file = new LineFile();
    private long flushes;

    public synchronized void open(Path path) throws IOException {
        file.open(path);
    }

    public synchronized boolean isOpen() {
        return file.isOpen();
    }

    /** Writes one line; false when no metrics file is set. */
    public synchronized boolean flush(Map<String, Long> counters) throws IOException {
        if (!file.isOpen()) {
            return false;
        }
        ObjectNode line = JsonBody.mapper().createObjectNode();
        line.put("utc_timestamp_ms", System.currentTimeMillis());
        line.put("flushes", ++flushes);
        ObjectNode c = line.putObject("jkvm");
        counters.forEach(c::put);
        return file.writeLine(JsonBody.mapper().writeValueAsBytes(line));
    }

    @Override
    public synchronized void close() {
        file.close();
    }
}
