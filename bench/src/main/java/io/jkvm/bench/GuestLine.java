package io.jkvm.bench;

/** One line of blkbench's protocol, as {@link GuestLineParser} reads it. */
sealed interface GuestLine {
    /** {@code BENCH-START name}: the measured part begins once the host has sampled. */
    record Start(String workload) implements GuestLine {
    }

    /** {@code BENCH-END name}: the measured part is over. */
    record End(String workload) implements GuestLine {
    }

    /** {@code BENCH name=... requests=...}: the guest's figures for the workload that just ended. */
    record Result(WorkloadResult result) implements GuestLine {
    }

    /** {@code BENCH-DONE workloads=N}: every workload ran. */
    record Done(int workloads) implements GuestLine {
    }

    /** {@code BENCH-ERROR name message}: a workload failed inside the guest. */
    record Error(String workload, String message) implements GuestLine {
    }

    /** {@code jkvm-init: exit N}: the guest's /init reports the program's status before it powers off. */
    record InitExit(int status) implements GuestLine {
    }
}
