package io.jkvm.bench;

import java.util.List;
import java.util.Map;

/**
 * One boot: ms from the VMM process's start to the guest init's marker, and for jkvm the steps of
 * {@code --boot-times} in ms from the same start (so the shell's start of bin/jkvm counts in "launched").
 */
record BootSample(String variant, int cpus, int repetition, long bootMs, Map<String, Long> steps) {
    /** The breakdown's columns, in boot order: bin/jkvm's start, the JVM's, jkvm's steps, the marker. */
    static final List<String> STEPS = List.of("launched", "exec", "main", "run", "vm-created", "kernel-loaded",
            "vm-ready", "first-vcpu-entry", "first-console-byte", "init");
}
