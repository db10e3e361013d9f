package io.jkvm.bench;

/** A benchmark run failed: a VMM did not start, the guest failed, or the run timed out. */
public final class BenchException extends RuntimeException {
    public BenchException(String message) {
        super(message);
    }
}
