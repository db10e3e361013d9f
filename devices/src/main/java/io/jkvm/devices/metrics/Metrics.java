package io.jkvm.devices.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A named set of {@link Counter}s, one per event worth counting (Firecracker's per-device metrics). Subclasses
 * declare their counters as final fields through {@link #counter}; {@link #snapshot} lists them in that order.
 */
public abstract class Metrics {
    private final Map<String, Counter> counters = new LinkedHashMap<>();

    protected final Counter counter(String name) {
        Counter c = new Counter();
        if (counters.putIfAbsent(name, c) != null) {
            throw new IllegalArgumentException("duplicate counter " + name);
        }
        return c;
    }

    /** Current values by counter name, in declaration order. */
    public final Map<String, Long> snapshot() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, Counter> e : counters.entrySet()) {
            out.put(e.getKey(), e.getValue().get());
        }
        return Collections.unmodifiableMap(out);
    }

    /** The counter called name, or null. */
    public final Counter get(String name) {
        return counters.get(name);
    }
}
