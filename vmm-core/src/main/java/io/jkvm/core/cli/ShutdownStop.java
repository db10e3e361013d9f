package io.jkvm.core.cli;

import io.jkvm.core.vm.VmExit;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Ends the VM cleanly when a signal asks the JVM to exit: SIGHUP, SIGINT and SIGTERM start its shutdown hooks
 * ({@link Runtime#addShutdownHook}). The hook stops the VM the way a power-off does and waits while jkvm's main
 * thread finishes the run (vCPUs out of KVM_RUN, the terminal restored, devices closed, disks fsynced); the JVM then
 * exits with 128 + the signal's number. The wait is bounded, so a VM that cannot stop still lets the process end.
 */
public final class ShutdownStop implements AutoCloseable {
    static final long STOP_WAIT_SECONDS = 10;

    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    private ShutdownStop(Consumer<VmExit> stop) {
        hook = new Thread(() -> {
            stop.accept(VmExit.signalled());
            try {
                if (!finished.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                    System.err.println("jkvm: the VM did not stop within " + STOP_WAIT_SECONDS
                            + " s of the signal; exiting without a clean stop");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "jkvm-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** From now until {@link #close}, a signal that ends the JVM stops the VM through stop first. */
    public static ShutdownStop install(Consumer<VmExit> stop) {
        return new ShutdownStop(stop);
    }

    /** The run is over: a waiting hook returns, and later exits no longer go through the VM. */
    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Shutting down already: the hook runs, or ran, and finds the run finished.
        }
    }
}
