package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventFd;
import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.log.RateLimitedLog;

import java.util.function.Consumer;

/**
 * The eventfds of one transport's window, from creation to close: a doorbell per ready queue, watched on the
 * {@link EventLoop} and offered to the {@link DoorbellRegistrar} for QueueNotify ({@code base + 0x50}) with
 * datamatch = queue index, and, with a register page, the eventfd that takes InterruptACK writes of
 * {@link MmioTransport#INT_USED_BUFFER} (not watched: nothing needs to hear them). Where the registrar declines (exit mode) the writes keep arriving through
 * {@link MmioTransport#write} on the vCPU thread. Not thread-safe: the transport calls it under its lock.
 */
final class Doorbells {
    private final long notifyAddress;
    private final long ackAddress;
    private final DoorbellRegistrar registrar;
    private final EventLoop loop;
    private final RateLimitedLog warnings;
    private final Doorbell[] queues;
    /** The eventfd KVM signals for InterruptACK writes of the used-buffer bit, or null. */
    private EventFd ack;

    Doorbells(long base, int queueCount, DoorbellRegistrar registrar, EventLoop loop, RateLimitedLog warnings) {
        this.notifyAddress = base + MmioRegister.QUEUE_NOTIFY.offset();
        this.ackAddress = base + MmioRegister.INTERRUPT_ACK.offset();
        this.registrar = registrar;
        this.loop = loop;
        this.warnings = warnings;
        this.queues = new Doorbell[queueCount];
    }

    /**
     * Gives queue index a doorbell; onRing runs on the loop thread each time it rings, with the doorbell, which is
     * {@link Doorbell#live} until {@link #release}. Throws when no eventfd can be created.
     */
    void arm(int index, Consumer<Doorbell> onRing) {
        EventFd fd = EventFd.create();
        Doorbell d = new Doorbell(index);
        d.subscription = loop.subscribe(fd, () -> onRing.accept(d));
        d.inKvm = offer(notifyAddress, index, fd, "queue " + index + " doorbell");
        queues[index] = d;
    }

    /** Takes queue index's doorbell back from the registrar and the loop, if it has one. */
    void release(int index) {
        Doorbell d = queues[index];
        if (d == null) {
            return;
        }
        queues[index] = null;
        d.live = false;
        withdraw(notifyAddress, index, d.subscription, d.inKvm, "queue " + index + " doorbell");
    }

    /** Whether queue index's notifications currently go to an eventfd rather than exiting. */
    boolean inKvm(int index) {
        Doorbell d = index >= 0 && index < queues.length ? queues[index] : null;
        return d != null && d.inKvm;
    }

    /**
     * Offers InterruptACK writes of the used-buffer bit to the registrar, so that they cost no exit (see
     * {@link InterruptStatus} for why the device need not see them). KVM_IOEVENTFD needs an eventfd to signal, but
     * nothing needs to hear it: the eventfd is not watched, so an acknowledgement wakes no thread either. Its
     * counter only grows (the kernel's eventfd_signal saturates at 2^64 - 1 rather than fail) until the window
     * closes. Throws when no eventfd can be created.
     */
    void armAck() {
        EventFd fd = EventFd.create();
        if (offer(ackAddress, MmioTransport.INT_USED_BUFFER, fd, "InterruptACK")) {
            ack = fd;
        } else {
            fd.close();
        }
    }

    /** Whether InterruptACK writes of the used-buffer bit go to an eventfd rather than exiting. */
    boolean ackInKvm() {
        return ack != null;
    }

    /** Undoes {@link #armAck}: the registrar lets go of the eventfd, then it is closed. */
    void releaseAck() {
        if (ack != null) {
            try {
                registrar.unregister(ackAddress, MmioTransport.INT_USED_BUFFER, ack.fd());
            } catch (RuntimeException e) {
                warnings.warn("doorbell not unregistered", "InterruptACK unregister: " + e.getMessage());
            }
            ack.close();
            ack = null;
        }
    }

    /** Offers fd to the registrar for guest writes of datamatch to address; false when those writes will exit. */
    private boolean offer(long address, int datamatch, EventFd fd, String what) {
        try {
            return registrar.register(address, datamatch, fd.fd());
        } catch (RuntimeException e) {
            warnings.warn("doorbell not registered", what + " not registered, its writes will exit: "
                    + e.getMessage());
            return false;
        }
    }

    /** Undoes {@link #offer} (if it took) and closes the eventfd on the loop thread, after KVM let go of it. */
    private void withdraw(long address, int datamatch, EventLoop.Subscription subscription, boolean inKvm,
                          String what) {
        if (inKvm) {
            try {
                registrar.unregister(address, datamatch, subscription.eventFd().fd());
            } catch (RuntimeException e) {
                warnings.warn("doorbell not unregistered", what + " unregister: " + e.getMessage());
            }
        }
        subscription.cancel();
    }

    /** A queue's eventfd on the loop: KVM (or anyone) writing it means "serve this queue". */
    static final class Doorbell {
        final int index;
        private EventLoop.Subscription subscription;
        private boolean inKvm;
        /** False once released; read under the transport's lock, so an event queued before release is dropped. */
        private volatile boolean live = true;

        private Doorbell(int index) {
            this.index = index;
        }

        boolean live() {
            return live;
        }
    }
}
