package io.jkvm.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * The host's half of blkbench's handshake: at {@code BENCH-START} and {@code BENCH-END} it samples the counters
 * and then acknowledges (the guest waits for the acknowledgement, so no request falls outside the window), and it
 * pairs each result line with the counters' movement. The first problem is kept and reported through onFailure
 * (which ends the VM); {@link #finish} then throws it.
 */
final class MarkerProtocol implements Consumer<String> {
    private static final int RECENT_LINES = 25;

    private final CounterSource counters;
    private final Runnable ack;
    private final Consumer<String> onFailure;
    private final List<WorkloadSample> samples = new ArrayList<>();
    private final Deque<String> recent = new ArrayDeque<>();
    private String running;
    private String ended;
    private Counters atStart;
    private Counters atEnd;
    private boolean done;
    private Integer initExit;
    private String failure;

    MarkerProtocol(CounterSource counters, Runnable ack, Consumer<String> onFailure) {
        this.counters = counters;
        this.ack = ack;
        this.onFailure = onFailure;
    }

    @Override
    public void accept(String line) {
        String failed;
        synchronized (this) {
            remember(line);
            if (failure != null) {
                return;
            }
            failed = step(line);
            if (failed == null) {
                return;
            }
            failure = failed;
        }
        onFailure.accept(failed);
    }

    /** Handles one line; returns why the run failed, or null. */
    private String step(String line) {
        GuestLine g;
        try {
            g = GuestLineParser.parse(line);
        } catch (BenchOutputException e) {
            return e.getMessage();
        }
        if (g == null) {
            return null;
        }
        try {
            if (g instanceof GuestLine.Start s) {
                if (running != null || ended != null) {
                    return "guest output out of order: BENCH-START " + s.workload() + " while "
                            + (running != null ? running + " is running" : ended + " has no result line yet");
                }
                atStart = counters.sample();
                running = s.workload();
                ack.run();
            } else if (g instanceof GuestLine.End e) {
                if (!e.workload().equals(running)) {
                    return "guest output out of order: BENCH-END " + e.workload() + " but the running workload is "
                            + running;
                }
                atEnd = counters.sample();
                running = null;
                ended = e.workload();
                ack.run();
            } else if (g instanceof GuestLine.Result r) {
                if (!r.result().name().equals(ended)) {
                    return "guest output out of order: a result for " + r.result().name() + " but the workload that "
                            + "ended is " + ended;
                }
                samples.add(new WorkloadSample(r.result(), atEnd.minus(atStart)));
                ended = null;
            } else if (g instanceof GuestLine.Done d) {
                if (d.workloads() != samples.size()) {
                    return "the guest says " + d.workloads() + " workloads ran, the host saw " + samples.size();
                }
                done = true;
            } else if (g instanceof GuestLine.Error e) {
                return "blkbench failed in the guest, workload " + e.workload() + ": " + e.message();
            } else if (g instanceof GuestLine.InitExit x) {
                initExit = x.status();
            }
        } catch (RuntimeException e) {
            return "reading the exit counters at \"" + line.strip() + "\" failed: " + e.getMessage();
        }
        return null;
    }

    /**
     * The samples of a completed run, in the guest's order, after checking that they are the workloads asked for.
     * vmEnd says how the VM ended, for the message when the guest did not finish.
     */
    synchronized List<WorkloadSample> finish(List<String> workloads, String vmEnd) {
        if (failure != null) {
            throw new BenchException(failure + lastLines());
        }
        if (!done) {
            String why;
            if (initExit != null && initExit == 127) {
                why = "the guest has no blkbench (status 127): rebuild the initramfs with guest-images/build";
            } else if (initExit != null) {
                why = "the guest's benchmark program exited with status " + initExit + " before BENCH-DONE";
            } else {
                why = "the guest stopped before BENCH-DONE (" + vmEnd + ")";
            }
            throw new BenchException(why + lastLines());
        }
        if (initExit == null || initExit != 0) {
            throw new BenchException("the guest's /init did not report exit 0 after BENCH-DONE (" + vmEnd + ")"
                    + lastLines());
        }
        List<String> seen = samples.stream().map(s -> s.result().name()).toList();
        if (!seen.equals(workloads)) {
            throw new BenchException("the guest ran " + seen + ", the host asked for " + workloads);
        }
        return List.copyOf(samples);
    }

    private void remember(String line) {
        if (recent.size() == RECENT_LINES) {
            recent.removeFirst();
        }
        recent.addLast(line.strip());
    }

    private String lastLines() {
        return recent.isEmpty() ? "" : "; last console lines:\n  " + String.join("\n  ", recent);
    }
}
