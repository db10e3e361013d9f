package io.jkvm.devices.event;

import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;

import java.io.IOException;

/**
 * A Linux eventfd (non-blocking, close-on-exec): the doorbell KVM writes on a queue notification (KVM_IOEVENTFD) and
 * the event loop waits on.
 */
public final class EventFd implements AutoCloseable {
    private final FileDescriptor fd;

    private EventFd(FileDescriptor fd) {
        this.fd = fd;
    }

    public static EventFd create() {
        return new EventFd(Native.newEventFd());
    }

    /** The file descriptor number, for KVM_IOEVENTFD and friends. */
    public int fd() {
        return fd.intValue();
    }

    FileDescriptor descriptor() {
        return fd;
    }

    public boolean isOpen() {
        return fd.isOpen();
    }

    /** Adds n to the counter, waking any waiter (what KVM does on a matching guest write). */
    public void write(long n) {
        Native.eventFdWrite(fd.intValue(), n);
    }

    /** Resets the counter to 0; returns false when it already was 0. */
    public boolean drain() {
        try {
            Native.eventFdRead(fd.intValue());
            return true;
        } catch (RuntimeException e) {
            // Netty reports EAGAIN (nothing pending) as a RuntimeException.
            return false;
        }
    }

    @Override
    public void close() {
        try {
            fd.close();
        } catch (IOException e) {
            // close(2) on an eventfd only fails for a bad fd, which means it is already gone.
        }
    }

    @Override
    public String toString() {
        return "eventfd " + fd.intValue();
    }
}
