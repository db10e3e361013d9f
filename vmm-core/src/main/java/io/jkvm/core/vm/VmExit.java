package io.jkvm.core.vm;

/** How a VM ended: the process exit status jkvm should return and a one-line reason. */
public record VmExit(int status, String reason) {
    public static VmExit ok(String reason) {
        return new VmExit(0, reason);
    }

    public static VmExit failed(String reason) {
        return new VmExit(1, reason);
    }
}
