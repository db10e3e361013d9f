package io.jkvm.core.kvm;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The C library calls a VMM needs, bound by JNA direct mapping ({@link Native#register}): each call is one JNI
 * transition with no proxy, reflection or argument boxing, which matters for KVM_RUN on the exit path.
 *
 * <p>Calls that set errno declare {@link LastErrorException}: JNA clears errno before the call and throws when it is
 * set afterwards, so the errno read is the call's own, taken before any other code can run on the thread. glibc's
 * syscall wrappers leave errno alone on success, so a successful call never throws. Variadic functions
 * ({@code ioctl}, {@code open}) cannot be direct-mapped as such; they are declared with fixed arguments, which the
 * x86-64 calling convention passes in the same registers.
 */
public final class LibC {
    public static final int O_RDONLY = 0;
    public static final int O_RDWR = 2;
    public static final int O_CLOEXEC = 0x80000;

    public static final int PROT_READ = 0x1;
    public static final int PROT_WRITE = 0x2;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_NORESERVE = 0x4000;
    /** mmap's error return, (void *) -1. */
    public static final long MAP_FAILED = -1L;

    public static final int EFD_SEMAPHORE = 1;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;

    public static final int EBADF = 9;
    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int E2BIG = 7;
    public static final int EINVAL = 22;
    public static final int EEXIST = 17;
    public static final int ENOENT = 2;

    /** Ignored by HotSpot's own handler (signals_posix.cpp), yet it interrupts a blocking KVM_RUN: the vCPU kick. */
    public static final int SIGPIPE = 13;

    static {
        Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private LibC() {
    }

    public static native int open(String path, int flags) throws LastErrorException;

    public static native int close(int fd) throws LastErrorException;

    public static native int ioctl(int fd, long request, long arg) throws LastErrorException;

    public static native int ioctl(int fd, long request, Pointer arg) throws LastErrorException;

    /** @return the mapping's address as a number (never {@link #MAP_FAILED}: that throws). */
    public static native long mmap(long addr, long length, int prot, int flags, int fd, long offset)
            throws LastErrorException;

    public static native int munmap(long addr, long length) throws LastErrorException;

    public static native int eventfd(int initval, int flags) throws LastErrorException;

    public static native long read(int fd, Pointer buf, long count) throws LastErrorException;

    public static native long write(int fd, Pointer buf, long count) throws LastErrorException;

    public static native long pread(int fd, Pointer buf, long count, long offset) throws LastErrorException;

    public static native int getpid();

    /** The calling thread's kernel thread id (glibc 2.30+). */
    public static native int gettid();

    public static native int tgkill(int tgid, int tid, int sig) throws LastErrorException;

    /** The C library's text for an errno value, e.g. 22 gives "Invalid argument". */
    public static native String strerror(int errnum);
}
