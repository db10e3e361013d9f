package io.jkvm.core.boot;

/**
 * The guest cannot be booted as asked: a file that is not a usable kernel, a command line that is too long, an
 * initrd or a vCPU count that does not fit. The message is one line that names the problem and the fix, so the CLI
 * can print it as is.
 */
public final class BootException extends RuntimeException {
    public BootException(String message) {
        super(message);
    }

    public BootException(String message, Throwable cause) {
        super(message, cause);
    }
}
