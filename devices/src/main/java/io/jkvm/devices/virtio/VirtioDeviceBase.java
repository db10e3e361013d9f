package io.jkvm.devices.virtio;

/**
 * What every device model shares, so that a device says only what its configuration space holds and what a chain
 * of each queue means: identity, queue count and sizes, a read-only {@link ConfigSpace}, the {@link DeviceContext}
 * between activation and reset, and serving a queue through {@link QueueDrain} with the {@link ChainHandler}
 * registered for it.
 */
public abstract class VirtioDeviceBase implements VirtioDevice {
    private final int deviceType;
    private final String name;
    private final int[] queueSizes;
    private final ChainHandler[] handlers;
    /** 2.5 device configuration space, little-endian; read-only unless a device overrides {@link #writeConfig}. */
    protected final ConfigSpace config;
    private volatile DeviceContext context;

    /** A device whose queue i holds at most queueSizes[i] entries (powers of 2), with configSize config bytes. */
    protected VirtioDeviceBase(int deviceType, String name, int configSize, int... queueSizes) {
        this.deviceType = deviceType;
        this.name = name;
        this.queueSizes = queueSizes.clone();
        this.handlers = new ChainHandler[queueSizes.length];
        this.config = new ConfigSpace(configSize);
    }

    /** Declares what the chains of queue index mean; call from the constructor. */
    protected final void serve(int index, ChainHandler handler) {
        handlers[index] = handler;
    }

    @Override
    public final int deviceType() {
        return deviceType;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final int queueCount() {
        return queueSizes.length;
    }

    @Override
    public final int queueMaxSize(int index) {
        return queueSizes[index];
    }

    @Override
    public void readConfig(int offset, byte[] data, int length) {
        config.read(offset, data, length);
    }

    @Override
    public void writeConfig(int offset, byte[] data, int length) {
        // read-only by default
    }

    /** The live context, or null before activation and after reset. */
    public final DeviceContext context() {
        return context;
    }

    @Override
    public void activate(DeviceContext ctx) {
        context = ctx;
    }

    @Override
    public void reset() {
        context = null;
    }

    @Override
    public void process(int queueIndex) throws VirtqueueException {
        DeviceContext ctx = context;
        if (ctx == null || queueIndex < 0 || queueIndex >= handlers.length || handlers[queueIndex] == null) {
            return;
        }
        Virtqueue q = ctx.queue(queueIndex);
        if (q != null) {
            QueueDrain.drain(ctx, q, handlers[queueIndex]);
        }
    }
}
