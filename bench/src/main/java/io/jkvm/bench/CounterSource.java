package io.jkvm.bench;

/** Where a VMM's exit counters are read: called at each marker, on the thread that saw it. */
@FunctionalInterface
interface CounterSource {
    Counters sample();
}
