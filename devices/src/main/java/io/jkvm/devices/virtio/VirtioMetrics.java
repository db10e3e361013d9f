package io.jkvm.devices.virtio;

import io.jkvm.devices.metrics.Counter;
import io.jkvm.devices.metrics.Metrics;

/** Transport-level counters for one virtio-mmio device. */
public final class VirtioMetrics extends Metrics {
    /** QueueNotify writes that exited to the VMM (no ioeventfd took them). */
    public final Counter exitNotifications = counter("exit_notifications");
    /** Doorbell eventfds that woke the event loop. */
    public final Counter doorbellWakeups = counter("doorbell_wakeups");
    /** Chains found by polling a queue after serving it (no notification needed). */
    public final Counter pollHits = counter("poll_hits");
    /** Polling windows that ran out with nothing new (the loop then slept). */
    public final Counter pollMisses = counter("poll_misses");
    /** Used buffer interrupts sent. */
    public final Counter usedInterrupts = counter("used_interrupts");
    /** Configuration change interrupts sent. */
    public final Counter configInterrupts = counter("config_interrupts");
    /** Malformed rings or chains (VirtqueueException). */
    public final Counter badDescriptors = counter("bad_descriptors");
    /** Queues the driver tried to make ready with a bad layout. */
    public final Counter badQueueConfigs = counter("bad_queue_configs");
    /** Unexpected exceptions out of a device model. */
    public final Counter deviceErrors = counter("device_errors");
    /** Times DEVICE_NEEDS_RESET was set. */
    public final Counter needsReset = counter("needs_reset");
    /** FEATURES_OK refused (unknown bits or no VERSION_1). */
    public final Counter featuresRefused = counter("features_refused");
    /** Status writes that broke the initialisation sequence and were ignored. */
    public final Counter badStatusWrites = counter("bad_status_writes");
    /** Accesses to unknown registers, with the wrong width, or to a write-only/read-only register. */
    public final Counter badRegisterAccesses = counter("bad_register_accesses");
    /** Device resets by the driver (status 0). */
    public final Counter resets = counter("resets");
}
