package io.jkvm.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the guest runs, identical for every VMM and mode: blkbench with the handshake, the queue-depth-1 and the
 * deeper O_DIRECT read workloads on /dev/vda, then /dev/hwrng reads. Counted (requests) or timed (seconds > 0).
 */
record GuestPlan(long requests, long rngRequests, double seconds, int depth, int warmup) {
    static final String PROGRAM = "blkbench";

    List<String> workloads() {
        List<String> w = new ArrayList<>();
        w.add("blk-qd1");
        if (depth > 1) {
            w.add("blk-qd" + depth);
        }
        w.add("rng");
        return w;
    }

    /** The guest command; no double quote in it, as jkvm.run="..." wants. */
    String command() {
        StringBuilder sb = new StringBuilder(PROGRAM).append(" -H -w ").append(warmup);
        if (seconds > 0) {
            sb.append(" -t ").append(String.format(Locale.ROOT, "%.3f", seconds));
        } else {
            sb.append(" -n ").append(requests).append(" -m ").append(rngRequests);
        }
        for (String w : workloads()) {
            sb.append(' ').append(w);
        }
        return sb.toString();
    }

    /** The part of the kernel command line both VMMs append to their own (console, reset method, devices). */
    String kernelCmdline() {
        return "quiet jkvm.run=\"" + command() + "\"";
    }
}
