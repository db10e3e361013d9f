package io.jkvm.devices.testing;

import io.jkvm.devices.metrics.Counter;
import io.jkvm.devices.metrics.Metrics;
import io.jkvm.devices.virtio.DescriptorChain;
import io.jkvm.devices.virtio.DeviceContext;
import io.jkvm.devices.virtio.VirtioDeviceBase;
import io.jkvm.devices.virtio.VirtqueueException;

import java.util.ArrayList;
import java.util.List;

/**
 * A device for transport and queue tests: it records every chain it pops (head, readable bytes, writable length),
 * fills the writable part with 0xA5 and returns the chain with len = writable length.
 */
public final class TestDevice extends VirtioDeviceBase {
    public static final int DEVICE_TYPE = 0x42;
    public static final long FEATURE_FOO = 1L << 3;

    /** One chain as the device saw it. */
    public record Seen(int queue, int head, int buffers, byte[] readable, long writableLength) {
    }

    public static final class TestMetrics extends Metrics {
        public final Counter activations = counter("activations");
        public final Counter resets = counter("resets");
    }

    private final TestMetrics metrics = new TestMetrics();
    private final List<Seen> seen = new ArrayList<>();
    private volatile String processThread;

    public TestDevice(int queueCount, int maxSize) {
        super(DEVICE_TYPE, "virtio-test", 8, sizes(queueCount, maxSize));
        config.putInt(0, 0x11223344);
        config.putShort(4, 0x5566);
        for (int i = 0; i < queueCount; i++) {
            int queue = i;
            serve(i, c -> record(queue, c));
        }
    }

    private static int[] sizes(int queueCount, int maxSize) {
        int[] s = new int[queueCount];
        java.util.Arrays.fill(s, maxSize);
        return s;
    }

    public synchronized List<Seen> seen() {
        return new ArrayList<>(seen);
    }

    /** Name of the thread that last ran process(). */
    public String processThread() {
        return processThread;
    }

    @Override
    public long deviceFeatures() {
        return FEATURE_FOO;
    }

    @Override
    public void writeConfig(int offset, byte[] data, int length) {
        config.write(offset, data, length, 6, 8); // bytes 6..7 are writable
    }

    public int configByte(int offset) {
        return config.getByte(offset);
    }

    @Override
    public void activate(DeviceContext ctx) {
        metrics.activations.inc();
        super.activate(ctx);
    }

    @Override
    public void process(int queueIndex) throws VirtqueueException {
        processThread = Thread.currentThread().getName();
        super.process(queueIndex);
    }

    private long record(int queue, DescriptorChain c) {
        byte[] r = new byte[(int) c.readableLength()];
        c.read(0, r, 0, r.length);
        byte[] fill = new byte[(int) c.writableLength()];
        java.util.Arrays.fill(fill, (byte) 0xA5);
        int written = c.write(0, fill, 0, fill.length);
        synchronized (this) {
            seen.add(new Seen(queue, c.head(), c.count(), r, c.writableLength()));
        }
        return written;
    }

    @Override
    public void reset() {
        metrics.resets.inc();
        super.reset();
    }

    @Override
    public TestMetrics metrics() {
        return metrics;
    }
}
