package io.jkvm.core.vm;

/**
 * Holds the vCPU threads outside KVM_RUN while the VM is paused. {@link #pause} returns once every running vCPU is
 * parked here, so that no guest instruction executes after it; a stop releases them all, paused or not.
 */
final class PauseGate {
    private final VmStop stop;
    /** Volatile so that a vCPU checks it before each KVM_RUN without taking the lock. */
    private volatile boolean paused;
    private int parked;

    PauseGate(VmStop stop) {
        this.stop = stop;
    }

    /** Asks the vCPUs to park, kicks them out of KVM_RUN and waits until the live ones (a count) have parked. */
    synchronized void pause(Runnable kickAll, java.util.function.IntSupplier live) throws InterruptedException {
        paused = true;
        kickAll.run();
        while (parked < live.getAsInt() && !stop.stopped()) {
            wait(10); // a vCPU that ends meanwhile no longer counts as live
        }
    }

    synchronized void resume() {
        paused = false;
        notifyAll();
    }

    synchronized boolean paused() {
        return paused;
    }

    /** Wakes parked vCPUs so that they see the stop. */
    synchronized void release() {
        notifyAll();
    }

    /** On a vCPU thread, before each KVM_RUN: waits here while paused (and the VM not stopped). */
    void parkIfPaused() throws InterruptedException {
        if (!paused) {
            return;
        }
        synchronized (this) {
            if (!paused) {
                return;
            }
            parked++;
            notifyAll();
            try {
                while (paused && !stop.stopped()) {
                    wait();
                }
            } finally {
                parked--;
            }
        }
    }
}
