package io.jkvm.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** All samples of a benchmark run, grouped by workload and peer (VMM + mode) for the table and the chart. */
final class Results {
    private final List<Sample> samples;

    Results(List<Sample> samples) {
        this.samples = List.copyOf(samples);
    }

    List<Sample> samples() {
        return samples;
    }

    /** Workloads in the order the guest ran them. */
    List<String> workloads() {
        Set<String> w = new LinkedHashSet<>();
        samples.forEach(s -> w.add(s.workload()));
        return new ArrayList<>(w);
    }

    /** Peers ("jkvm ioeventfd", ...) in the order they first ran. */
    List<String> peers() {
        Set<String> p = new LinkedHashSet<>();
        samples.forEach(s -> p.add(s.peer()));
        return new ArrayList<>(p);
    }

    Stats stats(String workload, String peer, Metric m) {
        return Stats.of(samples.stream().filter(s -> s.workload().equals(workload) && s.peer().equals(peer))
                .map(m::of).toList());
    }

    int runs(String workload, String peer) {
        return (int) samples.stream().filter(s -> s.workload().equals(workload) && s.peer().equals(peer)).count();
    }

    /** One row per workload and peer: median±half-range of every metric over the repetitions. */
    String table() {
        List<String[]> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("workload", "vmm", "notify", "runs"));
        for (Metric m : Metric.values()) {
            header.add(m.header);
        }
        rows.add(header.toArray(new String[0]));
        for (String w : workloads()) {
            for (String p : peers()) {
                int runs = runs(w, p);
                if (runs == 0) {
                    continue;
                }
                List<String> row = new ArrayList<>(List.of(w, p.split(" ")[0], p.split(" ")[1],
                        Integer.toString(runs)));
                for (Metric m : Metric.values()) {
                    row.add(m.format(stats(w, p, m)));
                }
                rows.add(row.toArray(new String[0]));
            }
        }
        return Table.format(rows, 3);
    }

    /** requests/s ratios of the medians: ioeventfd over exit for each VMM, and jkvm over QEMU for each mode. */
    List<String> ratios() {
        List<String> out = new ArrayList<>();
        for (String w : workloads()) {
            List<String> parts = new ArrayList<>();
            for (String vmm : List.of("jkvm", "qemu")) {
                ratio(w, vmm + " ioeventfd", vmm + " exit").ifPresent(r -> parts.add(vmm + " ioeventfd/exit " + r));
            }
            ratio(w, "jkvm page", "jkvm exit").ifPresent(r -> parts.add("jkvm page/exit " + r));
            ratio(w, "jkvm page", "qemu ioeventfd").ifPresent(r -> parts.add("jkvm page/qemu ioeventfd " + r));
            for (String mode : List.of("ioeventfd", "exit")) {
                ratio(w, "jkvm " + mode, "qemu " + mode).ifPresent(r -> parts.add("jkvm/qemu " + mode + " " + r));
            }
            if (!parts.isEmpty()) {
                out.add(w + " req/s: " + String.join(", ", parts));
            }
        }
        return out;
    }

    private Optional<String> ratio(String workload, String a, String b) {
        Stats x = stats(workload, a, Metric.RPS);
        Stats y = stats(workload, b, Metric.RPS);
        if (!x.present() || !y.present() || y.median() == 0) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "%.2f", x.median() / y.median()));
    }
}
