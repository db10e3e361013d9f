package io.jkvm.devices.virtio;

import io.jkvm.devices.metrics.Metrics;

/**
 * A virtio device model, independent of the transport (Firecracker's VirtioDevice trait). The transport owns the
 * register file, feature negotiation and the queues; the device owns its configuration space and the meaning of its
 * requests.
 *
 * <p>Threading: the transport serialises every call below (on the event loop thread, or on a vCPU thread for a
 * notification that exits). A device touches its queues only from {@link #process}.
 */
public interface VirtioDevice {
    /** The virtio device ID (virtio 1.2, 5 "Device Types"): 1 net, 2 block, 3 console, 4 entropy. */
    int deviceType();

    /** Short name for logs, e.g. "virtio-blk". */
    String name();

    /** Device-specific feature bits; the transport adds {@link VirtioFeatures#TRANSPORT}. */
    long deviceFeatures();

    int queueCount();

    /** Largest size the driver may choose for queue index (a power of 2). */
    int queueMaxSize(int index);

    /** Fills data from configuration space at offset; bytes past its end read as 0. */
    void readConfig(int offset, byte[] data, int length);

    /** A driver write to configuration space; ignore what is read-only. */
    void writeConfig(int offset, byte[] data, int length);

    /** DRIVER_OK: the queues the driver made ready are started; keep context until {@link #reset}. */
    void activate(DeviceContext context);

    /**
     * Serves queue index: pop chains, handle them, add them to the used ring. The transport sends the interrupt
     * afterwards if the driver wants one. A {@link VirtqueueException} (the driver broke the ring rules) puts the
     * device in DEVICE_NEEDS_RESET.
     */
    void process(int queueIndex) throws VirtqueueException;

    /** Device reset (status 0): forget the context and any in-flight state, keep the backend open. */
    void reset();

    /** This device's failure and traffic counters. */
    Metrics metrics();
}
