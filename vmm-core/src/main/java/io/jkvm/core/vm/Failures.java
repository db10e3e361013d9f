package io.jkvm.core.vm;

import io.jkvm.core.kvm.KvmException;

/** One line for a failure that ends the VM: what was thrown, and where when it is not a failed KVM call. */
final class Failures {
    private Failures() {
    }

    static String describe(Throwable e) {
        if (e instanceof KvmException) {
            return e.getMessage(); // already names the ioctl and errno
        }
        StackTraceElement[] trace = e.getStackTrace();
        return trace.length == 0 ? e.toString() : e + " at " + trace[0];
    }
}
