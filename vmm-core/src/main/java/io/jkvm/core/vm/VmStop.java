package io.jkvm.core.vm;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The first reason to end the VM wins; whoever waits for it is released. */
final class VmStop {
    private final CountDownLatch latch = new CountDownLatch(1);
    private volatile VmExit exit;
    private final Runnable onStop;

    VmStop(Runnable onStop) {
        this.onStop = onStop;
    }

    void stop(VmExit e) {
        synchronized (this) {
            if (exit != null) {
                return;
            }
            exit = e;
        }
        latch.countDown();
        onStop.run();
    }

    boolean stopped() {
        return exit != null;
    }

    /** Waits for the end; after timeoutMillis (0: never) runs beforeTimeout (null: nothing) and stops the VM. */
    VmExit await(long timeoutMillis, Runnable beforeTimeout) throws InterruptedException {
        if (timeoutMillis > 0) {
            if (!latch.await(timeoutMillis, TimeUnit.MILLISECONDS)) {
                if (beforeTimeout != null) {
                    beforeTimeout.run();
                }
                stop(VmExit.timedOut("timed out after " + timeoutMillis + " ms"));
            }
        } else {
            latch.await();
        }
        return exit;
    }
}
