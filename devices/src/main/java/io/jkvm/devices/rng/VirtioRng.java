package io.jkvm.devices.rng;

import io.jkvm.devices.virtio.DescriptorChain;
import io.jkvm.devices.virtio.DeviceContext;
import io.jkvm.devices.virtio.VirtioDevice;
import io.jkvm.devices.virtio.Virtqueue;
import io.jkvm.devices.virtio.VirtqueueException;

import java.security.SecureRandom;

/**
 * virtio-rng (virtio 1.2, 5.4 "Entropy Device"): one request queue; the device fills each device-writable buffer with
 * random bytes from the host's {@link SecureRandom} (NativePRNG: /dev/urandom on Linux).
 */
public final class VirtioRng implements VirtioDevice {
    public static final int DEVICE_TYPE = 4;
    public static final int REQUEST_QUEUE = 0;
    /**
     * 5.4.6.1 lets the device fill less than the whole buffer. Capping a request keeps one guest from holding the
     * event loop while it generates gigabytes.
     */
    public static final int MAX_BYTES_PER_REQUEST = 64 * 1024;

    private static final int QUEUE_SIZE = 256;

    private final SecureRandom random;
    private final RngMetrics metrics = new RngMetrics();
    /** Random bytes generated ahead; each is handed out once. Avoids a SecureRandom call per small request. */
    private final byte[] pool = new byte[4096];
    private int poolUsed = pool.length;
    private DeviceContext context;

    public VirtioRng() {
        this(new SecureRandom());
    }

    public VirtioRng(SecureRandom random) {
        this.random = random;
    }

    @Override
    public int deviceType() {
        return DEVICE_TYPE;
    }

    @Override
    public String name() {
        return "virtio-rng";
    }

    @Override
    public long deviceFeatures() {
        return 0;
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int queueMaxSize(int index) {
        return QUEUE_SIZE;
    }

    @Override
    public void readConfig(int offset, byte[] data, int length) {
        java.util.Arrays.fill(data, 0, length, (byte) 0); // 5.4.4: no configuration
    }

    @Override
    public void writeConfig(int offset, byte[] data, int length) {
    }

    @Override
    public void activate(DeviceContext ctx) {
        this.context = ctx;
    }

    @Override
    public void process(int queueIndex) throws VirtqueueException {
        Virtqueue q = context.queue(REQUEST_QUEUE);
        if (queueIndex != REQUEST_QUEUE || q == null) {
            return;
        }
        do {
            q.disableNotification();
            DescriptorChain chain;
            while ((chain = q.pop()) != null) {
                q.addUsed(chain.head(), fill(chain));
            }
        } while (q.enableNotification());
    }

    private int fill(DescriptorChain chain) {
        metrics.requests.inc();
        long want = Math.min(chain.writableLength(), MAX_BYTES_PER_REQUEST);
        if (want == 0) {
            metrics.emptyRequests.inc();
            return 0;
        }
        int done = 0;
        while (done < want) {
            if (poolUsed == pool.length) {
                random.nextBytes(pool);
                poolUsed = 0;
            }
            int n = (int) Math.min(pool.length - poolUsed, want - done);
            chain.write(done, pool, poolUsed, n);
            poolUsed += n;
            done += n;
        }
        metrics.bytes.add(done);
        return done;
    }

    @Override
    public void reset() {
        context = null;
    }

    @Override
    public RngMetrics metrics() {
        return metrics;
    }
}
