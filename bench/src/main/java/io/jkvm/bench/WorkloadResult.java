package io.jkvm.bench;

/**
 * What the guest's blkbench measured for one workload (its {@code BENCH name=...} line): requests completed, the
 * measured seconds, requests per second and latency figures in microseconds, the queue depth and the request size.
 */
public record WorkloadResult(String name, long requests, double seconds, double rps, double p50Us, double p99Us,
                             double meanUs, double minUs, double maxUs, int depth, long bytes) {
}
