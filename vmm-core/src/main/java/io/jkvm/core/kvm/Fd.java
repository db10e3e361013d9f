package io.jkvm.core.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Pointer;

/** An owned file descriptor whose ioctls throw {@link KvmException} naming the request and errno. */
final class Fd implements AutoCloseable {
    private final String what;
    private volatile int fd;

    Fd(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    int get() {
        return fd;
    }

    int ioctl(Ioctl request, long arg) {
        try {
            return LibC.ioctl(fd, request.number(), arg);
        } catch (LastErrorException e) {
            throw new KvmException(request.name(), e.getErrorCode());
        }
    }

    int ioctl(Ioctl request, Pointer arg) {
        try {
            return LibC.ioctl(fd, request.number(), arg);
        } catch (LastErrorException e) {
            throw new KvmException(request.name(), e.getErrorCode());
        }
    }

    int ioctl(Ioctl request, NativeStruct arg) {
        return ioctl(request, arg.pointer());
    }

    /** Closes once; later calls do nothing, and ioctls after it fail with EBADF. */
    @Override
    public void close() {
        int f;
        synchronized (this) {
            f = fd;
            fd = -1;
        }
        if (f >= 0) {
            try {
                LibC.close(f);
            } catch (LastErrorException e) {
                throw new KvmException("close " + what, e.getErrorCode());
            }
        }
    }

    static int open(String path) {
        try {
            return LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new KvmException("open " + path, e.getErrorCode());
        }
    }

    @Override
    public String toString() {
        return what + " fd " + fd;
    }
}
