package io.jkvm.api.config;

/**
 * A request (or a configuration file) that jkvm refuses: the API answers 400 with {@code {"fault_message": ...}},
 * {@code jkvm run --config-file} prints the message and exits 2. The message names the field, the value and why.
 */
public final class BadRequest extends IllegalArgumentException {
    public BadRequest(String message) {
        super(message, null);
    }

    public BadRequest(String message, Throwable cause) {
        super(message, cause);
    }
}
