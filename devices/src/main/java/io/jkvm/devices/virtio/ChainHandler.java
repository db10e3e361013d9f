package io.jkvm.devices.virtio;

/**
 * What one descriptor chain of a queue means to a device: the only part of serving a queue that differs between
 * devices. {@link QueueDrain} pops the chains, hands each one here and returns it to the driver in the used ring.
 */
public interface ChainHandler {
    /**
     * Serves chain and returns the number of bytes written into its device-writable part: the used length
     * (2.7.8). The chain object is reused for the next chain, so copy what must outlive this call.
     */
    long handle(DescriptorChain chain) throws VirtqueueException;

    /** Whether the device can serve another chain now (a receive queue with no input to deliver cannot). */
    default boolean ready() {
        return true;
    }

    /** After the last chain of one wake-up, e.g. to flush what the chains wrote to a backend. */
    default void batchDone() {
    }
}
