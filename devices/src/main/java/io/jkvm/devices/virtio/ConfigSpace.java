package io.jkvm.devices.virtio;

/**
 * A device's configuration space as little-endian bytes (virtio 1.2, 2.5). Reads past the end return 0 and writes
 * there are dropped, so a driver probing fields the device does not have sees zeros.
 */
public final class ConfigSpace {
    private final byte[] bytes;

    public ConfigSpace(int size) {
        this.bytes = new byte[size];
    }

    public int size() {
        return bytes.length;
    }

    public void putByte(int offset, int v) {
        bytes[offset] = (byte) v;
    }

    public void putShort(int offset, int v) {
        putLe(offset, v, 2);
    }

    public void putInt(int offset, int v) {
        putLe(offset, v, 4);
    }

    public void putLong(int offset, long v) {
        putLe(offset, v, 8);
    }

    public int getByte(int offset) {
        return bytes[offset] & 0xff;
    }

    private void putLe(int offset, long v, int n) {
        for (int i = 0; i < n; i++) {
            bytes[offset + i] = (byte) (v >>> (8 * i));
        }
    }

    /** Copies length bytes at offset into data; bytes outside the space read as 0. */
    public void read(int offset, byte[] data, int length) {
        for (int i = 0; i < length; i++) {
            long o = (long) offset + i;
            data[i] = o >= 0 && o < bytes.length ? bytes[(int) o] : 0;
        }
    }

    /** Stores the bytes of [offset, offset+length) that lie in [from, to); others are read-only. */
    public void write(int offset, byte[] data, int length, int from, int to) {
        for (int i = 0; i < length; i++) {
            long o = (long) offset + i;
            if (o >= from && o < to && o < bytes.length) {
                bytes[(int) o] = data[i];
            }
        }
    }
}
