package io.jkvm.core.kvm;

/** One ioctl request: its name in linux/kvm.h (for error messages) and its number. */
public record Ioctl(String name, long number) {
    @Override
    public String toString() {
        return String.format("%s(0x%x)", name, number);
    }
}
