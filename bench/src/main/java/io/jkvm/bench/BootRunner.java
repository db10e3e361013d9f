package io.jkvm.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs the boots and the footprint measurements of {@link BootCommand}, one variant at a time. */
final class BootRunner {
    /** How long the idle guests run before their memory is read: the boot's own page-ins are over by then. */
    private static final long SETTLE_MS = 3000;

    private final BootGuest guest;
    private final long timeoutSeconds;
    private final PrintStream echo;

    BootRunner(BootGuest guest, long timeoutSeconds, PrintStream echo) {
        this.guest = guest;
        this.timeoutSeconds = timeoutSeconds;
        this.echo = echo;
    }

    /** One timed boot to the marker; then the guest powers off, and jkvm prints its boot times. */
    BootSample boot(BootVariant v, int cpus, int repetition) throws InterruptedException {
        try (BootProcess p = BootProcess.start(guest.command(v, cpus, guest.memory(), false), v.environment(),
                echo)) {
            if (!p.awaitMarker(timeoutSeconds)) {
                throw new BenchException(v.name() + " (" + cpus + " vCPU): no \"" + BootProcess.MARKER
                        + "\" within " + timeoutSeconds + " s; its last line: " + p.lastLine());
            }
            long ms = p.markerMs();
            Map<String, Long> steps = new LinkedHashMap<>();
            if (!v.isQemu() && p.awaitExit(60) && p.times() != null) {
                BootTimesLine t = p.times();
                long offset = t.launchedEpochMs() - p.startEpochMs();
                steps.put("launched", offset);
                t.steps().forEach((k, at) -> steps.put(k, at + offset));
            }
            steps.put("init", ms);
            return new BootSample(v.name(), cpus, repetition, ms, steps);
        }
    }

    /** n idle VMs of this much RAM at once, each to its marker; their mean footprint. */
    FootprintSample footprint(BootVariant v, int n, long ram) throws InterruptedException {
        List<BootProcess> running = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                running.add(BootProcess.start(guest.command(v, 1, ram, true), v.environment(), echo));
            }
            for (BootProcess p : running) {
                if (!p.awaitMarker(timeoutSeconds * n)) {
                    throw new BenchException(v.name() + ": an idle guest (" + n + " at once) did not reach \""
                            + BootProcess.MARKER + "\"; its last line: " + p.lastLine());
                }
            }
            Thread.sleep(SETTLE_MS);
            double rss = 0;
            double ownRss = 0;
            double pss = 0;
            double ownPss = 0;
            double threads = 0;
            for (BootProcess p : running) {
                Footprint f;
                try {
                    f = Footprint.of(p.pid(), ram);
                } catch (IOException | RuntimeException e) {
                    throw new BenchException("cannot read /proc/" + p.pid() + " of " + v.name() + ": " + e.getMessage());
                }
                rss += f.rssKib();
                ownRss += f.ownRssKib();
                pss += f.pssKib();
                ownPss += f.ownPssKib();
                threads += f.threads();
            }
            return new FootprintSample(v.name(), n, ram >> 20, rss / n, ownRss / n, pss / n, ownPss / n, threads / n);
        } finally {
            for (BootProcess p : running) {
                p.close();
            }
        }
    }
}
