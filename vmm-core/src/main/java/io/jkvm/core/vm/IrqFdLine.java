package io.jkvm.core.vm;

import io.jkvm.core.kvm.EventFd;
import io.jkvm.core.kvm.VmFd;
import io.jkvm.devices.irq.IrqLine;

/** An interrupt line as a KVM_IRQFD: a write to the eventfd injects an edge on the IOAPIC pin, from any thread. */
final class IrqFdLine implements IrqLine, AutoCloseable {
    private final VmFd vm;
    private final EventFd fd;
    private final int gsi;

    IrqFdLine(VmFd vm, int gsi) {
        this.vm = vm;
        this.gsi = gsi;
        this.fd = new EventFd();
        vm.registerIrqfd(fd.fd(), gsi);
    }

    @Override
    public void trigger() {
        fd.signal();
    }

    @Override
    public void close() {
        vm.unregisterIrqfd(fd.fd(), gsi);
        fd.close();
    }
}
