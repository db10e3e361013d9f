package io.jkvm.devices.blk;

import io.jkvm.devices.metrics.Counter;
import io.jkvm.devices.metrics.Metrics;

/** Counters of one virtio-blk device (Firecracker's BlockDeviceMetrics, trimmed). */
public final class BlockMetrics extends Metrics {
    public final Counter reads = counter("reads");
    public final Counter writes = counter("writes");
    public final Counter flushes = counter("flushes");
    public final Counter getIds = counter("get_ids");
    public final Counter readBytes = counter("read_bytes");
    public final Counter writeBytes = counter("write_bytes");
    /** Host I/O failed: the driver got VIRTIO_BLK_S_IOERR. */
    public final Counter ioErrors = counter("io_errors");
    /** Requests past the end of the disk. */
    public final Counter outOfRange = counter("out_of_range");
    /** Writes to a read-only disk. */
    public final Counter readOnlyRefused = counter("read_only_refused");
    /** Unknown request types (VIRTIO_BLK_S_UNSUPP). */
    public final Counter unsupported = counter("unsupported");
    /** Malformed requests: short header, partial sectors. */
    public final Counter invalidRequests = counter("invalid_requests");
    /** Chains without a status byte: returned with len 0 and no status. */
    public final Counter noStatus = counter("no_status");
}
