package io.jkvm.devices.virtio;

import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;

/**
 * What an activated device may use, handed to {@link VirtioDevice#activate}. It stays valid until the device is reset;
 * after that its methods do nothing, so a device (or an input thread) holding on to a stale one is harmless.
 */
public interface DeviceContext {
    GuestMemory memory();

    /** The feature bits the driver accepted. */
    long features();

    default boolean hasFeature(int bit) {
        return VirtioFeatures.has(features(), bit);
    }

    /** Queue index as set up by the driver, or null when the driver did not make it ready. */
    Virtqueue queue(int index);

    /**
     * Asks for {@link VirtioDevice#process}(queueIndex) on the event loop thread, soon. Safe from any thread: this is
     * how input arriving elsewhere (a console's stdin) reaches a queue without touching it.
     */
    void kick(int queueIndex);

    /**
     * Changes the configuration space: runs change (which writes it) with the transport's register file held, with
     * ConfigGeneration bumped before and after, so that a driver never reads a torn configuration under the same
     * generation (2.5.1), then sends a configuration change interrupt if the driver is live. Safe from any thread.
     */
    void changeConfig(Runnable change);

    /** A configuration change with nothing to write (the device changed what it reports by other means). */
    default void configChanged() {
        changeConfig(() -> { });
    }

    /** The device cannot go on: sets DEVICE_NEEDS_RESET (and tells the driver) with a logged reason. */
    void fail(String reason);

    /** The loop that serves this device, for a device that has fds of its own (a tap). */
    EventLoop eventLoop();
}
