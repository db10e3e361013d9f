package io.jkvm.core.kvm;

/**
 * A failed KVM (or libc) call, with the call's name and errno inside, e.g.
 * "KVM_SET_USER_MEMORY_REGION failed: errno 22 (Invalid argument)".
 */
public final class KvmException extends RuntimeException {
    private final String operation;
    private final int errno;

    public KvmException(String operation, int errno) {
        this(operation, errno, "");
    }

    /** With a hint after the errno text: what the caller can do about it. */
    public KvmException(String operation, int errno, String hint) {
        super(operation + " failed: errno " + errno + " (" + LibC.strerror(errno) + ")"
                + (hint.isEmpty() ? "" : "; " + hint));
        this.operation = operation;
        this.errno = errno;
    }

    /** The ioctl (e.g. "KVM_CREATE_VM") or call (e.g. "open /dev/kvm") that failed. */
    public String operation() {
        return operation;
    }

    public int errno() {
        return errno;
    }
}
