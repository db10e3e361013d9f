package io.jkvm.core.vm;

import io.jkvm.core.kvm.IoEventAddress;
import io.jkvm.core.kvm.VmFd;
import io.jkvm.devices.virtio.DoorbellRegistrar;

/**
 * Doorbells through KVM_IOEVENTFD: a 4-byte guest write of datamatch to the address signals the eventfd inside KVM,
 * and the vCPU runs on without an exit to userspace (Documentation/virt/kvm/api.rst, 4.59 KVM_IOEVENTFD).
 */
final class IoEventFdDoorbells implements DoorbellRegistrar {
    private static final int LENGTH = 4; // QueueNotify is a 32-bit register (virtio 1.x, 4.2.2)

    private final VmFd vm;

    IoEventFdDoorbells(VmFd vm) {
        this.vm = vm;
    }

    @Override
    public boolean register(long address, int datamatch, int eventFd) {
        vm.registerIoevent(eventFd, IoEventAddress.mmio(address), LENGTH, datamatch & 0xffffffffL);
        return true;
    }

    @Override
    public void unregister(long address, int datamatch, int eventFd) {
        vm.unregisterIoevent(eventFd, IoEventAddress.mmio(address), LENGTH, datamatch & 0xffffffffL);
    }
}
