package io.jkvm.bench;

/**
 * One workload of one boot of one VMM and mode, with the per-request figures derived from the counters. Per
 * request means per request the guest completed in the measured window; the counters also saw the few exits of
 * the marker lines and the acknowledgement, which is well under 0.1 per request at the default counts.
 */
record Sample(String vmm, String mode, int repetition, WorkloadResult result, Counters delta) {
    String workload() {
        return result.name();
    }

    String peer() {
        return vmm + " " + mode;
    }

    /**
     * Userspace exits per request: jkvm's own count, every reason; for QEMU, KVM's counters of the exits it returns
     * to userspace (io_exits + mmio_exits + signal_exits). NaN without counters.
     */
    double userExitsPerRequest() {
        if (delta.has(Counters.USER_EXITS)) {
            return perRequest(delta.get(Counters.USER_EXITS));
        }
        if (delta.has("kvm.mmio_exits")) {
            return perRequest(kvm("io_exits") + kvm("mmio_exits") + kvm("signal_exits"));
        }
        return Double.NaN;
    }

    /** MMIO exits on QueueNotify of the device this workload uses (jkvm's per-register counters; NaN for QEMU). */
    double queueNotifyExitsPerRequest() {
        return delta.has(Counters.USER_EXITS) ? perRequest(queueNotifyExits()) : Double.NaN;
    }

    long queueNotifyExits() {
        return delta.sum(Counters.USER_MMIO_PREFIX + device(), ".QueueNotify");
    }

    /** The bus name prefix of the workload's device: the disk for blk-*, the rng for rng. */
    String device() {
        return workload().startsWith("rng") ? "virtio-rng" : "virtio-blk";
    }

    double kvmStatPerRequest(String name) {
        return delta.has(Counters.KVM_PREFIX + name) ? perRequest(kvm(name)) : Double.NaN;
    }

    private long kvm(String name) {
        String key = Counters.KVM_PREFIX + name;
        return delta.has(key) ? delta.get(key) : 0;
    }

    /** CPU time of the VMM's process per request, in microseconds (jkvm's includes the benchmark's own JVM). */
    double cpuMicrosPerRequest() {
        return delta.has(Counters.CPU_NANOS) ? perRequest(delta.get(Counters.CPU_NANOS)) / 1000 : Double.NaN;
    }

    private double perRequest(long n) {
        return (double) n / result.requests();
    }
}
