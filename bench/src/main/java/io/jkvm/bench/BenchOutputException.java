package io.jkvm.bench;

/** The guest's benchmark output is not what blkbench prints: a malformed line, or markers out of order. */
public final class BenchOutputException extends RuntimeException {
    public BenchOutputException(String message) {
        super(message);
    }
}
