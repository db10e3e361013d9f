package io.jkvm.devices.virtio;

/**
 * Turns guest writes of {@code datamatch} to a 4-byte MMIO address into signals on an eventfd, so that a queue
 * notification does not exit to userspace (KVM_IOEVENTFD in the VMM). In exit mode the registrar declines and the
 * write arrives through {@link io.jkvm.devices.bus.BusDevice#write} on the vCPU thread instead.
 */
public interface DoorbellRegistrar {
    /** @return true when writes now signal the eventfd, false when they keep arriving as bus writes. */
    boolean register(long address, int datamatch, int eventFd);

    void unregister(long address, int datamatch, int eventFd);

    /** A registrar that never takes a doorbell: every notification exits. */
    DoorbellRegistrar EXIT = new DoorbellRegistrar() {
        @Override
        public boolean register(long address, int datamatch, int eventFd) {
            return false;
        }

        @Override
        public void unregister(long address, int datamatch, int eventFd) {
        }
    };
}
