package io.jkvm.core.kvm;

/** Where an ioeventfd listens: an I/O port or a guest physical (MMIO) address. */
public record IoEventAddress(Space space, long address) {
    public enum Space { PIO, MMIO }

    public static IoEventAddress pio(int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException(String.format("I/O port 0x%x is not 16-bit", port));
        }
        return new IoEventAddress(Space.PIO, port);
    }

    public static IoEventAddress mmio(long guestPhysAddr) {
        return new IoEventAddress(Space.MMIO, guestPhysAddr);
    }

    @Override
    public String toString() {
        return String.format("%s 0x%x", space, address);
    }
}
