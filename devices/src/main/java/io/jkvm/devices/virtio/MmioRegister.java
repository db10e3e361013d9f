package io.jkvm.devices.virtio;

/**
 * The virtio-mmio version 2 register file (virtio 1.2, 4.2.2 "MMIO Device Register Layout"), with the spec's names so
 * that a VMM can count MMIO exits per register. {@link #CONFIG} stands for any offset from 0x100 on, {@link #UNKNOWN}
 * for any other offset.
 */
public enum MmioRegister {
    MAGIC_VALUE(0x000, "MagicValue"),
    VERSION(0x004, "Version"),
    DEVICE_ID(0x008, "DeviceID"),
    VENDOR_ID(0x00c, "VendorID"),
    DEVICE_FEATURES(0x010, "DeviceFeatures"),
    DEVICE_FEATURES_SEL(0x014, "DeviceFeaturesSel"),
    DRIVER_FEATURES(0x020, "DriverFeatures"),
    DRIVER_FEATURES_SEL(0x024, "DriverFeaturesSel"),
    QUEUE_SEL(0x030, "QueueSel"),
    QUEUE_NUM_MAX(0x034, "QueueNumMax"),
    QUEUE_NUM(0x038, "QueueNum"),
    QUEUE_READY(0x044, "QueueReady"),
    QUEUE_NOTIFY(0x050, "QueueNotify"),
    INTERRUPT_STATUS(0x060, "InterruptStatus"),
    INTERRUPT_ACK(0x064, "InterruptACK"),
    STATUS(0x070, "Status"),
    QUEUE_DESC_LOW(0x080, "QueueDescLow"),
    QUEUE_DESC_HIGH(0x084, "QueueDescHigh"),
    QUEUE_DRIVER_LOW(0x090, "QueueDriverLow"),
    QUEUE_DRIVER_HIGH(0x094, "QueueDriverHigh"),
    QUEUE_DEVICE_LOW(0x0a0, "QueueDeviceLow"),
    QUEUE_DEVICE_HIGH(0x0a4, "QueueDeviceHigh"),
    SHM_SEL(0x0ac, "SHMSel"),
    SHM_LEN_LOW(0x0b0, "SHMLenLow"),
    SHM_LEN_HIGH(0x0b4, "SHMLenHigh"),
    SHM_BASE_LOW(0x0b8, "SHMBaseLow"),
    SHM_BASE_HIGH(0x0bc, "SHMBaseHigh"),
    QUEUE_RESET(0x0c0, "QueueReset"),
    CONFIG_GENERATION(0x0fc, "ConfigGeneration"),
    CONFIG(0x100, "Config"),
    UNKNOWN(-1, "Unknown");

    /** Device-specific configuration space starts here (4.2.2). */
    public static final int CONFIG_OFFSET = 0x100;
    /** The magic value "virt" in little-endian. */
    public static final int MAGIC = 0x74726976;

    private static final MmioRegister[] BY_WORD = new MmioRegister[CONFIG_OFFSET / 4];

    static {
        java.util.Arrays.fill(BY_WORD, UNKNOWN);
        for (MmioRegister r : values()) {
            if (r.offset >= 0 && r.offset < CONFIG_OFFSET) {
                BY_WORD[r.offset / 4] = r;
            }
        }
    }

    private final int offset;
    private final String specName;

    MmioRegister(int offset, String specName) {
        this.offset = offset;
        this.specName = specName;
    }

    public int offset() {
        return offset;
    }

    /** The register's name in the virtio spec, e.g. "QueueNotify". */
    public String specName() {
        return specName;
    }

    /** The register at offset (relative to the device's base). Unaligned control offsets are {@link #UNKNOWN}. */
    public static MmioRegister at(long offset) {
        if (offset >= CONFIG_OFFSET) {
            return offset < MmioTransport.WINDOW_SIZE ? CONFIG : UNKNOWN;
        }
        if (offset < 0 || (offset & 3) != 0) {
            return UNKNOWN;
        }
        return BY_WORD[(int) (offset >>> 2)];
    }
}
