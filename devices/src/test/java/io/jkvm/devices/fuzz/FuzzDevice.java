package io.jkvm.devices.fuzz;

import io.jkvm.devices.memory.GuestMemory;
import io.jkvm.devices.metrics.Metrics;
import io.jkvm.devices.virtio.ConfigSpace;
import io.jkvm.devices.virtio.DescriptorChain;
import io.jkvm.devices.virtio.DeviceContext;
import io.jkvm.devices.virtio.QueueDrain;
import io.jkvm.devices.virtio.VirtioDevice;
import io.jkvm.devices.virtio.Virtqueue;
import io.jkvm.devices.virtio.VirtqueueException;

import java.util.Arrays;

/**
 * A device that serves its queues the way jkvm's devices do ({@link QueueDrain}) and checks the queue under it: every chain popped, and
 * every chain refused, is held against {@link ChainOracle}'s reading of the same descriptors; the used element and
 * idx must read back as written. It fills up to 64 KiB of each chain's writable part with a pattern and returns it
 * with that length.
 */
final class FuzzDevice implements VirtioDevice {
    static final int DEVICE_TYPE = 0x42;
    private static final int MAX_FILL = 64 * 1024;

    private final int queueCount;
    private final int maxSize;
    private final byte[] pattern = new byte[MAX_FILL];
    private final Metrics metrics = new Metrics() {
    };
    private final ConfigSpace config = new ConfigSpace(24);
    private ChainOracle oracle;
    private DeviceContext context;
    private Virtqueue lastQueue;
    private int lastHead;
    private int lastLen;
    /** A broken check hit on the event loop thread, where no caller sees it; the target rethrows it. */
    volatile Error failure;
    long chains;

    FuzzDevice(int queueCount, int maxSize) {
        this.queueCount = queueCount;
        this.maxSize = maxSize;
        Arrays.fill(pattern, (byte) 0x5a);
        config.putLong(0, 0x0123456789abcdefL);
    }

    /** Checks every pop against the oracle from now on (null: no checks). */
    void watch(ChainOracle o) {
        oracle = o;
    }

    @Override
    public int deviceType() {
        return DEVICE_TYPE;
    }

    @Override
    public String name() {
        return "fuzz-device";
    }

    @Override
    public long deviceFeatures() {
        return 0;
    }

    @Override
    public int queueCount() {
        return queueCount;
    }

    @Override
    public int queueMaxSize(int index) {
        return maxSize;
    }

    @Override
    public void readConfig(int offset, byte[] data, int length) {
        config.read(offset, data, length);
    }

    @Override
    public void writeConfig(int offset, byte[] data, int length) {
        config.write(offset, data, length, 8, 16); // bytes 8..15 are writable, the rest read-only
    }

    @Override
    public void activate(DeviceContext ctx) {
        context = ctx;
        if (oracle != null) {
            oracle.activated(ctx);
        }
    }

    @Override
    public void reset() {
        context = null;
        lastQueue = null; // the transport keeps its Virtqueue objects across a reset; the old chain is gone
    }

    @Override
    public Metrics metrics() {
        return metrics;
    }

    @Override
    public void process(int queueIndex) throws VirtqueueException {
        Virtqueue q = context.queue(queueIndex);
        if (q == null) {
            return;
        }
        try {
            QueueDrain.drain(context, q, c -> serve(q, c));
            checkLastUsed(q);
        } catch (VirtqueueException e) {
            checkLastUsed(q); // pop() refused the next chain; the one served before it is in the used ring
            if (oracle != null) {
                oracle.refused(q, q.nextAvail(), e);
            }
            throw e;
        } catch (Error e) {
            failure = e; // on the loop thread (a rescheduled wake-up) nobody else would see it
            throw e;
        }
    }

    /** The chain QueueDrain just popped: held against the oracle, filled, and its used element checked later. */
    private long serve(Virtqueue q, DescriptorChain c) {
        checkLastUsed(q);
        if (oracle != null) {
            oracle.popped(q, (q.nextAvail() - 1) & 0xffff, c);
        }
        chains++;
        int n = (int) Math.min(c.writableLength(), MAX_FILL);
        int written = c.write(0, pattern, 0, n);
        FuzzGuest.check(written == n, "DescriptorChain.write copied " + written + " of " + n + " bytes");
        lastQueue = q;
        lastHead = c.head();
        lastLen = written;
        return written;
    }

    /** 2.7.8: the element at the old used idx holds (id, len) and used idx moved past it. */
    private void checkLastUsed(Virtqueue q) {
        if (lastQueue != q) {
            return;
        }
        lastQueue = null;
        GuestMemory mem = context.memory();
        long elem = q.usedRing() + 4 + 8L * ((q.nextUsed() - 1) & (q.size() - 1));
        FuzzGuest.check(mem.getInt(elem) == lastHead && mem.getInt(elem + 4) == lastLen,
                String.format("used element at 0x%x is (%d, %d), not (%d, %d)", elem, mem.getInt(elem),
                        mem.getInt(elem + 4), lastHead, lastLen));
        FuzzGuest.check((mem.getShort(q.usedRing() + 2) & 0xffff) == q.nextUsed(), "used idx is not the one published");
    }
}
