package io.jkvm.core.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * An eventfd(2): a 64-bit counter the kernel can signal (KVM_IOEVENTFD) or wait on (KVM_IRQFD). Writes add to the
 * counter; a read returns it and resets it to zero.
 */
public final class EventFd implements AutoCloseable {
    /** The value every {@link #signal()} writes, shared and never changed, so that signalling needs no lock. */
    private static final Memory ONE = new Memory(8);

    static {
        ONE.setLong(0, 1);
    }

    private final Fd fd;
    private final Memory readBuffer = new Memory(8);
    private final Memory writeBuffer = new Memory(8);

    /** A blocking eventfd, close-on-exec. */
    public EventFd() {
        this(0);
    }

    /** @param flags {@link LibC#EFD_NONBLOCK} and/or {@link LibC#EFD_SEMAPHORE}; close-on-exec is always added. */
    public EventFd(int flags) {
        try {
            fd = new Fd(LibC.eventfd(0, flags | LibC.EFD_CLOEXEC), "eventfd");
        } catch (LastErrorException e) {
            throw new KvmException("eventfd", e.getErrorCode());
        }
    }

    public int fd() {
        return fd.get();
    }

    /** Adds 1 to the counter: an interrupt through an irqfd, a wake-up for a reader. Any thread. */
    public void signal() {
        try {
            LibC.write(fd.get(), ONE, 8);
        } catch (LastErrorException e) {
            throw new KvmException("write eventfd", e.getErrorCode());
        }
    }

    /** Adds value (1 to 2^64-2) to the counter. */
    public void write(long value) {
        synchronized (writeBuffer) {
            writeBuffer.setLong(0, value);
            try {
                LibC.write(fd.get(), writeBuffer, 8);
            } catch (LastErrorException e) {
                throw new KvmException("write eventfd", e.getErrorCode());
            }
        }
    }

    /**
     * Returns the counter and resets it (or takes 1 with EFD_SEMAPHORE). Blocks while it is zero; a nonblocking
     * eventfd returns 0 instead, which a successful read never does.
     */
    public long read() {
        synchronized (readBuffer) {
            try {
                LibC.read(fd.get(), readBuffer, 8);
                return readBuffer.getLong(0);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == LibC.EAGAIN) {
                    return 0;
                }
                throw new KvmException("read eventfd", e.getErrorCode());
            }
        }
    }

    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return fd.toString();
    }
}
