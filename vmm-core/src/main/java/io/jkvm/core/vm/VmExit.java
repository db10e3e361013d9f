package io.jkvm.core.vm;

/**
 * How a VM ended: the process exit status jkvm should return and a one-line reason. The statuses of a VM that ran
 * are here; those of a VM that never started (bad input 2, a host that cannot run guests 3) are in the CLI, and a
 * signal's is the shell's 128 + N (README, "Exit status").
 */
public record VmExit(int status, String reason) {
    /** The guest powered off or reset the machine, or the user quit from the console. */
    public static final int POWERED_OFF = 0;
    /** The guest failed (kernel panic, triple fault) or the VMM did (a KVM call, an internal error). */
    public static final int FAILED = 1;
    /** --timeout passed first; 124 as timeout(1) from coreutils. */
    public static final int TIMED_OUT = 124;
    /**
     * SIGHUP, SIGINT or SIGTERM: the JVM exits with 128 + N (as a shell reports a process that signal N ended) once
     * jkvm has stopped the VM cleanly; this value stands for that status until the JVM sets it.
     */
    public static final int SIGNALLED = 128;

    public static VmExit ok(String reason) {
        return new VmExit(POWERED_OFF, reason);
    }

    public static VmExit failed(String reason) {
        return new VmExit(FAILED, reason);
    }

    public static VmExit timedOut(String reason) {
        return new VmExit(TIMED_OUT, reason);
    }

    /** Ended by a signal that asked the JVM to exit. */
    public static VmExit signalled() {
        return new VmExit(SIGNALLED, "stopped by a signal (SIGHUP, SIGINT or SIGTERM; exit status 128 + its number)");
    }
}
