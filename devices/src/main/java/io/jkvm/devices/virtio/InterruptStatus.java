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
 *
 * <p>Where this departs from 4.2.2: with a register page, InterruptACK writes of the used-buffer bit go to an
 * eventfd that nothing reads ({@link Doorbells#armAck}), so the device never hears that the driver "handled" the
 * used buffers, and once raised the bit stays set until a reset or an acknowledgement that exits. That is safe for
 * Linux's {@code vm_interrupt} (drivers/virtio/virtio_mmio.c), which reads InterruptStatus, writes it back to
 * InterruptACK, and, for the used-buffer bit, runs {@code vring_interrupt} on every queue, which looks at each used
 * ring's idx and returns IRQ_NONE when nothing is new:
 * <ul>
 * <li>no buffer is missed: a buffer is in the used ring before its bit is set and the line is raised (see
 * {@link #raise}), so one used before the driver's scan is found by that scan, and one used after it raises the
 * line again, and the next handler reads the bit set (as it would after a real acknowledgement, which could not
 * come before the scan anyway);</li>
 * <li>no interrupt is added: the line is raised once per completion batch, as in exit mode, and an edge (KVM_IRQFD
 * without a resample fd), so a bit left set does not re-assert it; an edge that finds nothing new costs one scan and
 * an IRQ_NONE, which Linux also sees in exit mode when the handler of the previous edge already took the buffers;</li>
 * <li>clearing the bit when a late acknowledgement is finally seen (it would be an event on the loop, after the
 * guest has moved on) could hide a buffer used in between: the next handler would read 0 and return without
 * scanning, and that request would hang.</li>
 * </ul>
 * The configuration-change bit is not offered to the eventfd: its acknowledgement exits and clears it as 4.2.2 says.
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
