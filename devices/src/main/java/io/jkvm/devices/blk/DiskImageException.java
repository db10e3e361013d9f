package io.jkvm.devices.blk;

import java.io.IOException;

/** A disk image cannot be attached; the message names the file, the problem and what to do. */
public final class DiskImageException extends IOException {
    public DiskImageException(String message) {
        super(message);
    }

    public DiskImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
