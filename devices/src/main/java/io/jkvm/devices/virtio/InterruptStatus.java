package io.jkvm.devices.virtio;

import io.jkvm.devices.irq.IrqLine;
import io.jkvm.devices.log.RateLimitedLog;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The InterruptStatus register and the interrupt line behind it (virtio 1.2, 4.2.2 and 4.2.3.4): a bit is set
 * before the edge that makes the driver read it, and InterruptACK clears what the driver saw. Reads and
 * acknowledgements need no lock, so a vCPU in the interrupt handler never waits for a long disk request; raising
 * and rendering into a {@link RegisterPage} happen under the transport's lock, which orders them.
 */
final class InterruptStatus {
    private final AtomicInteger bits = new AtomicInteger();
    private final IrqLine irq;
    private final ReentrantLock lock;
    private final RateLimitedLog warnings;
    private RegisterPage page;

    InterruptStatus(IrqLine irq, ReentrantLock lock, RateLimitedLog warnings) {
        this.irq = irq;
        this.lock = lock;
        this.warnings = warnings;
    }

    /** From now on the page shows this register; lock held. */
    void showOn(RegisterPage page) {
        this.page = page;
        render();
    }

    int get() {
        return bits.get();
    }

    /** Sets bit, shows it, then triggers the interrupt; lock held. */
    void raise(int bit) {
        bits.getAndUpdate(b -> b | bit);
        render();
        try {
            irq.trigger();
        } catch (RuntimeException e) {
            warnings.log(System.Logger.Level.ERROR, "interrupt failed", e.toString(), e);
        }
    }

    /** An InterruptACK write that reached the transport: clears ack's bits. */
    void acknowledge(int ack) {
        bits.getAndUpdate(b -> b & ~ack);
        if (page != null) {
            lock.lock();
            try {
                render();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Device reset: no interrupt pending; lock held. */
    void clear() {
        bits.set(0);
        render();
    }

    /** Release: the page holds the new status before the interrupt that makes the guest read it; lock held. */
    void render() {
        if (page != null) {
            page.renderInterruptStatus(bits.get());
        }
    }
}
