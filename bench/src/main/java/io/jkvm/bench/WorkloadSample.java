package io.jkvm.bench;

/** One workload of one boot: the guest's figures and how the counters moved between its markers. */
record WorkloadSample(WorkloadResult result, Counters delta) {
}
