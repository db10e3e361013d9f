package io.jkvm.devices.virtio;

/** Device-independent feature bits (virtio 1.2, 6 "Reserved Feature Bits"). */
public final class VirtioFeatures {
    /** 2.7.5.3: the driver may use indirect descriptor tables. */
    public static final int RING_INDIRECT_DESC = 28;
    /** 2.7.7 and 2.7.10: used_event / avail_event notification suppression. */
    public static final int RING_EVENT_IDX = 29;
    /** Compliance with virtio 1.x; a version 2 MMIO device requires it (4.2.3.1, Linux virtio_mmio.c). */
    public static final int VERSION_1 = 32;

    /** What every jkvm transport offers on top of the device's own bits. */
    public static final long TRANSPORT = bit(RING_INDIRECT_DESC) | bit(RING_EVENT_IDX) | bit(VERSION_1);

    private VirtioFeatures() {
    }

    public static long bit(int n) {
        return 1L << n;
    }

    public static boolean has(long features, int n) {
        return (features & bit(n)) != 0;
    }
}
