package io.jkvm.devices.bus;

/**
 * A device on the MMIO or port I/O bus. The VMM calls it when a guest access to its range exits to userspace.
 * Offsets are relative to the start of the device's range; values are little-endian, {@code size} is 1, 2, 4 or 8.
 * Implementations must not throw on any guest input: an access they do not understand reads as 0 or is ignored.
 */
public interface BusDevice {
    long read(long offset, int size);

    void write(long offset, int size, long value);
}
