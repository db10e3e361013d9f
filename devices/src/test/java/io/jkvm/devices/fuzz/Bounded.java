package io.jkvm.devices.fuzz;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.Future;

/**
 * Runs one fuzz input on a worker thread and fails when it does not finish in time: a guest that can keep a device
 * busy forever must show up as a finding with the stuck thread's stack, not as a fuzzer that hangs. The bound is far
 * above what any input needs (microseconds to milliseconds) so that a contended machine does not fail it;
 * {@code -Djkvm.fuzz.boundMillis} changes it. The first input of a JVM loads the device classes, and Jazzer instruments
 * each as it loads (over 4 s under load on two cores, in the transport's constructor); until one input has
 * returned, the bound is {@link #FIRST_BOUND_MILLIS}.
 */
final class Bounded {
    /** One input, which may throw anything; a Throwable out of it is the finding. */
    interface Body {
        void run() throws Exception;
    }

    static final long BOUND_MILLIS = Long.getLong("jkvm.fuzz.boundMillis", 3000);
    static final long FIRST_BOUND_MILLIS = Math.max(BOUND_MILLIS, 60_000);

    /** Whether an input has returned in this JVM, so that the classes it needs are loaded and instrumented. */
    private static boolean warm;

    private static ThreadPoolExecutor worker = newWorker();
    private static volatile Thread workerThread;

    private Bounded() {
    }

    private static ThreadPoolExecutor newWorker() {
        return new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "fuzz-input");
            t.setDaemon(true);
            workerThread = t;
            return t;
        });
    }

    static synchronized void run(String what, Body body) throws Throwable {
        Future<?> f = worker.submit(() -> {
            body.run();
            return null;
        });
        long bound = warm ? BOUND_MILLIS : FIRST_BOUND_MILLIS;
        try {
            f.get(bound, TimeUnit.MILLISECONDS);
            warm = true;
        } catch (ExecutionException e) {
            warm = true;
            throw e.getCause();
        } catch (TimeoutException e) {
            Thread stuck = workerThread;
            AssertionError hang = new AssertionError(what + " did not return within " + bound
                    + " ms: the guest can keep it busy");
            hang.initCause(Stuck.at(stuck));
            abandon(stuck);
            throw hang;
        }
    }

    /** Frees the CPU and the transport lock the stuck thread holds, where the JDK still can; a new worker follows. */
    @SuppressWarnings({"deprecation", "removal"})
    private static void abandon(Thread stuck) {
        worker.shutdownNow();
        worker = newWorker();
        try {
            stuck.stop();
        } catch (UnsupportedOperationException e) {
            // JDK 20 and later: the daemon thread spins on; SharedLoop and FuzzRam are replaced instead.
        }
        SharedLoop.replace();
        FuzzGuest.replaceRam();
    }
}
