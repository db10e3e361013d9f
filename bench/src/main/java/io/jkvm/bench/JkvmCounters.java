package io.jkvm.bench;

import io.jkvm.core.bus.IoBus;
import io.jkvm.core.vm.Vm;
import io.jkvm.devices.virtio.MmioRegister;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;

/**
 * jkvm's counters of one VM: its own userspace exits by reason ({@code user.exit.KVM_EXIT_MMIO}, ...) and in total
 * ({@code user.exits}), MMIO exits by device and virtio register ({@code user.mmio.virtio-blk0.QueueNotify}), KVM's
 * vCPU statistics ({@code kvm.mmio_exits}, ...) and the devices' counters ({@code dev.virtio-blk0.reads}, ...).
 */
final class JkvmCounters implements CounterSource {
    private final Vm vm;

    JkvmCounters(Vm vm) {
        this.vm = vm;
    }

    @Override
    public Counters sample() {
        Map<String, Long> m = new TreeMap<>();
        long total = 0;
        for (Map.Entry<String, Long> e : vm.exitsByReason().entrySet()) {
            m.put(Counters.USER_EXIT_PREFIX + e.getKey(), e.getValue());
            total += e.getValue();
        }
        m.put(Counters.USER_EXITS, total);
        for (Map.Entry<Long, Long> e : vm.mmioExitsByAddress().entrySet()) {
            m.merge(Counters.USER_MMIO_PREFIX + register(vm.mmioBus(), e.getKey()), e.getValue(), Long::sum);
        }
        vm.kvmVcpuStats().forEach((k, v) -> m.put(Counters.KVM_PREFIX + k, v));
        vm.deviceMetrics().forEach((k, v) -> m.put(Counters.DEV_PREFIX + k, v));
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            m.put(Counters.CPU_NANOS, os.getProcessCpuTime());
        }
        return new Counters(m);
    }

    /** "virtio-blk0.QueueNotify" for a virtio register, "unclaimed.0x..." for an address no device has. */
    static String register(IoBus bus, long address) {
        IoBus.Range r = bus.find(address);
        if (r == null) {
            return String.format("unclaimed.0x%x", address);
        }
        return r.name() + "." + MmioRegister.at(address - r.base()).specName();
    }
}
