package io.jkvm.bench;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * Named event counters at one instant, or the difference of two. Names carry their source as a prefix:
 * {@code user.} jkvm's own userspace exit counters, {@code kvm.} KVM's statistics, {@code dev.} device counters.
 */
record Counters(Map<String, Long> values) {
    /** jkvm's userspace exits, all reasons. */
    static final String USER_EXITS = "user.exits";
    static final String USER_EXIT_PREFIX = "user.exit.";
    static final String USER_MMIO_PREFIX = "user.mmio.";
    static final String KVM_PREFIX = "kvm.";
    static final String DEV_PREFIX = "dev.";
    /** CPU time (user + system) of the VMM's process, in nanoseconds. */
    static final String CPU_NANOS = "proc.cpu_ns";

    static final Counters NONE = new Counters(Map.of());

    Counters {
        values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    long get(String name) {
        Long v = values.get(name);
        if (v == null) {
            throw new IllegalArgumentException("no counter " + name + " (have " + values.keySet() + ")");
        }
        return v;
    }

    /** this - earlier, for every counter in either (a counter that appeared in between started at 0). */
    Counters minus(Counters earlier) {
        Map<String, Long> d = new TreeMap<>(values);
        earlier.values.forEach((k, v) -> d.merge(k, -v, Long::sum));
        return new Counters(d);
    }

    /** These counters and name = value; a negative value (not known) leaves name out. */
    Counters with(String name, long value) {
        if (value < 0) {
            return this;
        }
        Map<String, Long> d = new TreeMap<>(values);
        d.put(name, value);
        return new Counters(d);
    }

    /** The sum of the counters whose names start with prefix and end with suffix. */
    long sum(String prefix, String suffix) {
        long s = 0;
        for (Map.Entry<String, Long> e : values.entrySet()) {
            if (e.getKey().startsWith(prefix) && e.getKey().endsWith(suffix)) {
                s += e.getValue();
            }
        }
        return s;
    }
}
