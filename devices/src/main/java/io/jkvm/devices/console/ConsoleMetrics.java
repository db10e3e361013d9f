package io.jkvm.devices.console;

import io.jkvm.devices.metrics.Counter;
import io.jkvm.devices.metrics.Metrics;

/** Counters of one virtio-console device. */
public final class ConsoleMetrics extends Metrics {
    public final Counter txBytes = counter("tx_bytes");
    public final Counter rxBytes = counter("rx_bytes");
    /** Input bytes thrown away because the guest took none and the host-side buffer was full. */
    public final Counter rxDropped = counter("rx_dropped");
    /** Guest output past {@link VirtioConsole#TX_CHAIN_LIMIT} in one chain, not copied. */
    public final Counter txDropped = counter("tx_dropped");
    /** Writes to the host output that failed (the output is dropped, the guest goes on). */
    public final Counter txErrors = counter("tx_errors");
}
