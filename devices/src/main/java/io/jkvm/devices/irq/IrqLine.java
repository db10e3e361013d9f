package io.jkvm.devices.irq;

/** An interrupt line into the guest. With KVM it is an irqfd: triggering it is an eventfd write, an edge. */
public interface IrqLine {
    void trigger();
}
