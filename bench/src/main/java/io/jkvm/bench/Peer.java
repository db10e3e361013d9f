package io.jkvm.bench;

import java.util.List;

/** One VMM in one notification mode: boots the benchmark guest once and returns its workloads' samples. */
interface Peer {
    /** "jkvm" or "qemu". */
    String vmm();

    /** The notification mode: "ioeventfd" or "exit". */
    String mode();

    List<WorkloadSample> boot(BootSetup setup);

    default String label() {
        return vmm() + " " + mode();
    }
}
