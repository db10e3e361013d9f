package io.jkvm.devices.virtio;

/**
 * The device side of serving one queue, written once for every device (virtio 1.2, 2.7.10 "Available Buffer
 * Notification Suppression" and 2.7.13 "Supplying Buffers to The Device"): with notifications suppressed, pop each
 * available chain, let a {@link ChainHandler} serve it and put it in the used ring; then re-enable notifications and
 * look again, because a chain the driver added in between is not notified.
 */
public final class QueueDrain {
    private QueueDrain() {
    }

    /** Serves the chains available on q with handler. */
    public static void drain(DeviceContext context, Virtqueue q, ChainHandler handler) throws VirtqueueException {
        try {
            do {
                q.disableNotification();
                DescriptorChain chain;
                while (handler.ready() && (chain = q.pop()) != null) {
                    q.addUsed(chain, handler.handle(chain));
                }
            } while (q.enableNotification() && handler.ready());
        } finally {
            handler.batchDone();
        }
    }
}
