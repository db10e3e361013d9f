package io.jkvm.devices.virtio;

/** Device status field bits (virtio 1.2, 2.1 "Device Status Field"). */
public final class DeviceStatus {
    public static final int ACKNOWLEDGE = 1;
    public static final int DRIVER = 2;
    public static final int DRIVER_OK = 4;
    public static final int FEATURES_OK = 8;
    public static final int DEVICE_NEEDS_RESET = 64;
    public static final int FAILED = 128;

    private DeviceStatus() {
    }

    /** "ACKNOWLEDGE|DRIVER|FEATURES_OK" style rendering for logs. */
    public static String describe(int status) {
        if (status == 0) {
            return "0";
        }
        StringBuilder sb = new StringBuilder();
        append(sb, status, ACKNOWLEDGE, "ACKNOWLEDGE");
        append(sb, status, DRIVER, "DRIVER");
        append(sb, status, FEATURES_OK, "FEATURES_OK");
        append(sb, status, DRIVER_OK, "DRIVER_OK");
        append(sb, status, DEVICE_NEEDS_RESET, "DEVICE_NEEDS_RESET");
        append(sb, status, FAILED, "FAILED");
        int other = status & ~(ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK | DEVICE_NEEDS_RESET | FAILED);
        if (other != 0) {
            append(sb, other, other, String.format("0x%x", other));
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, int status, int bit, String name) {
        if ((status & bit) != 0) {
            if (sb.length() > 0) {
                sb.append('|');
            }
            sb.append(name);
        }
    }
}
