package io.jkvm.devices.net;

import io.jkvm.devices.metrics.Counter;
import io.jkvm.devices.metrics.Metrics;

/** virtio-net's counters: traffic each way, and every frame not delivered, by reason. */
public final class NetMetrics extends Metrics {
    public final Counter rxFrames = counter("rx_frames");
    public final Counter rxBytes = counter("rx_bytes");
    /** Frames the backend handed over as one offloaded (GSO) super-frame. */
    public final Counter rxGsoFrames = counter("rx_gso_frames");
    /** Receive chains used for frames (more than rx_frames with MRG_RXBUF). */
    public final Counter rxBuffers = counter("rx_buffers");
    /** Times the receive queue ran out of buffers with a frame waiting: reading stopped until the guest posted more. */
    public final Counter rxStalls = counter("rx_stalls");
    /** Frames larger than the buffers the guest can ever offer: dropped whole, never truncated. */
    public final Counter rxDropOversize = counter("rx_drop_oversize");
    /** Receive chains too short for a header, or with no writable part: returned empty. */
    public final Counter rxBadChains = counter("rx_bad_chains");
    /** A frame read before a device reset, which the next driver never asked for. */
    public final Counter rxDropReset = counter("rx_drop_reset");
    public final Counter rxErrors = counter("rx_errors");
    public final Counter txFrames = counter("tx_frames");
    public final Counter txBytes = counter("tx_bytes");
    /** Frames the guest sent as one offloaded (GSO) super-frame. */
    public final Counter txGsoFrames = counter("tx_gso_frames");
    public final Counter txDropShort = counter("tx_drop_short");
    public final Counter txDropEmpty = counter("tx_drop_empty");
    public final Counter txDropOversize = counter("tx_drop_oversize");
    public final Counter txDropBadHeader = counter("tx_drop_bad_header");
    /** Frames the backend refused (the tap's write failed). */
    public final Counter txErrors = counter("tx_errors");
}
