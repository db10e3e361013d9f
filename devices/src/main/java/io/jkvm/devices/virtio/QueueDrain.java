package io.jkvm.devices.virtio;

/**
 * The device side of serving one queue, written once for every device (virtio 1.2, 2.7.10 "Available Buffer
 * Notification Suppression" and 2.7.13 "Supplying Buffers to The Device"): with notifications suppressed, pop each
 * available chain, let a {@link ChainHandler} serve it and put it in the used ring; then re-enable notifications and
 * look again, because a chain the driver added in between is not notified.
 *
 * <p>One wake-up serves at most one queue's worth: {@link Virtqueue#size} chains and re-checks together. A driver
 * that keeps adding chains (or a layout whose re-check never settles) then cannot hold the thread, which may be the
 * loop that serves every device or a vCPU whose QueueNotify write must return. The rest is asked for on the event
 * loop with notifications still suppressed, as QEMU's virtio-net TX bottom half reschedules itself after a full
 * burst (hw/net/virtio-net.c, virtio_net_tx_bh).
 */
public final class QueueDrain {
    private QueueDrain() {
    }

    /**
     * Serves the chains available on q with handler. Returns true when the budget ran out and the rest was handed
     * to the event loop through {@link DeviceContext#kick}.
     */
    public static boolean drain(DeviceContext context, Virtqueue q, ChainHandler handler) throws VirtqueueException {
        int budget = q.size();
        try {
            while (true) {
                q.disableNotification();
                while (handler.ready()) {
                    if (budget == 0) {
                        context.kick(q.index());
                        return true;
                    }
                    DescriptorChain chain = q.pop();
                    if (chain == null) {
                        break;
                    }
                    budget--;
                    q.addUsed(chain, handler.handle(chain));
                }
                if (!q.enableNotification() || !handler.ready()) {
                    return false;
                }
                if (budget-- == 0) {
                    context.kick(q.index());
                    return true;
                }
            }
        } finally {
            handler.batchDone();
        }
    }
}
