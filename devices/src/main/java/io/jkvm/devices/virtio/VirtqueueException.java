package io.jkvm.devices.virtio;

/**
 * The driver broke the split-ring rules (a hostile or buggy guest). The transport answers with DEVICE_NEEDS_RESET;
 * nothing outside guest RAM was touched.
 */
public final class VirtqueueException extends Exception {
    /** What was wrong, for counters and tests. */
    public enum Kind {
        AVAIL_INDEX_JUMP,
        HEAD_OUT_OF_RANGE,
        NEXT_OUT_OF_RANGE,
        CHAIN_TOO_LONG,
        CHAIN_TOO_LARGE,
        BUFFER_OUT_OF_RAM,
        READABLE_AFTER_WRITABLE,
        INDIRECT_NOT_NEGOTIATED,
        INDIRECT_NESTED,
        INDIRECT_WITH_NEXT,
        INDIRECT_BAD_LENGTH,
        INDIRECT_OUT_OF_RAM
    }

    private final Kind kind;

    public VirtqueueException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
