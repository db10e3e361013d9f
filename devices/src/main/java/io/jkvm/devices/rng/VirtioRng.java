package io.jkvm.devices.rng;

import io.jkvm.devices.virtio.DescriptorChain;
import io.jkvm.devices.virtio.VirtioDeviceBase;

import java.security.SecureRandom;

/**
 * virtio-rng (virtio 1.2, 5.4 "Entropy Device"): one request queue; the device fills each device-writable buffer with
 * random bytes from the host's {@link SecureRandom} (NativePRNG: /dev/urandom on Linux).
 */
public final class VirtioRng extends VirtioDeviceBase {
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

    public VirtioRng() {
        this(new SecureRandom());
    }

    public VirtioRng(SecureRandom random) {
        super(DEVICE_TYPE, "virtio-rng", 0, QUEUE_SIZE); // 5.4.4: no configuration
        this.random = random;
        serve(REQUEST_QUEUE, this::fill);
    }

    @Override
    public long deviceFeatures() {
        return 0;
    }

    private long fill(DescriptorChain chain) {
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
    public RngMetrics metrics() {
        return metrics;
    }
}
