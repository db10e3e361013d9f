package io.jkvm.devices.rng;

import io.jkvm.devices.metrics.Counter;
import io.jkvm.devices.metrics.Metrics;

/** Counters of one virtio-rng device. */
public final class RngMetrics extends Metrics {
    public final Counter requests = counter("requests");
    public final Counter bytes = counter("bytes");
    /** Requests with no device-writable buffer: nothing to fill. */
    public final Counter emptyRequests = counter("empty_requests");
}
