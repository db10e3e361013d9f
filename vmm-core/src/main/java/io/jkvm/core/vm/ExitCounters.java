package io.jkvm.core.vm;

import io.jkvm.core.kvm.KvmExit;

import java.util.Map;
import java.util.TreeMap;

/** One vCPU's userspace exits: by reason, and for I/O and MMIO exits by port or guest physical address. */
final class ExitCounters {
    private static final int REASONS = 64;
    private final long[] byReason = new long[REASONS];
    final AddressCounts pio = new AddressCounts();
    final AddressCounts mmio = new AddressCounts();

    void exit(int reason) {
        byReason[reason >= 0 && reason < REASONS ? reason : 0]++;
    }

    /** Exits by reason name, only those that happened. */
    static Map<String, Long> byReason(Iterable<ExitCounters> all) {
        Map<String, Long> m = new TreeMap<>();
        for (ExitCounters c : all) {
            for (int r = 0; r < REASONS; r++) {
                if (c.byReason[r] != 0) {
                    m.merge(KvmExit.name(r), c.byReason[r], Long::sum);
                }
            }
        }
        return m;
    }

    /** Exits for reason (a KvmExit code). */
    long count(int reason) {
        return byReason[reason >= 0 && reason < REASONS ? reason : 0];
    }

    long total() {
        long t = 0;
        for (long n : byReason) {
            t += n;
        }
        return t;
    }
}
