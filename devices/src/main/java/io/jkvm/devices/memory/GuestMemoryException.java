package io.jkvm.devices.memory;

/** A guest physical range that is not (wholly) guest RAM. Guests write such addresses; callers must survive it. */
public final class GuestMemoryException extends RuntimeException {
    private final long address;
    private final long length;

    public GuestMemoryException(long address, long length) {
        super(String.format("guest range 0x%x+0x%x is outside guest RAM", address, length));
        this.address = address;
        this.length = length;
    }

    public long address() {
        return address;
    }

    public long length() {
        return length;
    }
}
