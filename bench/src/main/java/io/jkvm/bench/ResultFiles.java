package io.jkvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The raw results: every sample with its counters as JSON, one line per sample as CSV. */
final class ResultFiles {
    /** Counters that get their own CSV column (total over the window; empty when the VMM has no such counter). */
    static final List<String> CSV_COUNTERS = List.of(Counters.USER_EXITS,
            Counters.USER_EXIT_PREFIX + "KVM_EXIT_MMIO", Counters.USER_EXIT_PREFIX + "KVM_EXIT_IO",
            "kvm.exits", "kvm.mmio_exits", "kvm.io_exits", "kvm.halt_exits", "kvm.signal_exits", "kvm.irq_exits");

    private ResultFiles() {
    }

    static void writeJson(Path file, RunInfo info, Results results) throws IOException {
        JsonWriter j = new JsonWriter().beginObject(null);
        j.value("benchmark", "jkvm bench notify").value("started", info.started());
        BootSetup s = info.setup();
        GuestPlan p = s.plan();
        j.beginObject("config")
                .value("kernel", s.kernel().toString()).value("initrd", s.initrd().toString())
                .value("disk", s.disk().toString()).value("memory_bytes", s.memory()).value("cpus", s.cpus())
                .value("repetitions", info.repetitions()).value("requests", p.requests())
                .value("rng_requests", p.rngRequests()).value("seconds", p.seconds()).value("depth", p.depth())
                .value("warmup", p.warmup()).value("guest_command", p.command());
        j.beginArray("qemu_command");
        for (String a : info.qemuCommand()) {
            j.value(null, a);
        }
        j.endArray().value("qemu_counters_problem", info.qemuCountersProblem()).endObject();

        j.beginArray("samples");
        for (Sample x : results.samples()) {
            WorkloadResult r = x.result();
            j.beginObject(null).value("vmm", x.vmm()).value("notify", x.mode()).value("repetition", x.repetition())
                    .value("workload", r.name()).value("requests", r.requests()).value("seconds", r.seconds())
                    .value("rps", r.rps()).value("p50_us", r.p50Us()).value("p99_us", r.p99Us())
                    .value("mean_us", r.meanUs()).value("min_us", r.minUs()).value("max_us", r.maxUs())
                    .value("depth", r.depth()).value("bytes", r.bytes());
            j.beginObject("per_request");
            for (Metric m : Metric.values()) {
                if (m != Metric.RPS && m != Metric.P50_US && m != Metric.P99_US) {
                    j.value(m.key, m.of(x));
                }
            }
            j.endObject().beginObject("counters");
            for (Map.Entry<String, Long> e : x.delta().values().entrySet()) {
                j.value(e.getKey(), e.getValue());
            }
            j.endObject().endObject();
        }
        j.endArray();

        j.beginArray("summary");
        for (String w : results.workloads()) {
            for (String peer : results.peers()) {
                int runs = results.runs(w, peer);
                if (runs == 0) {
                    continue;
                }
                j.beginObject(null).value("workload", w).value("vmm", peer.split(" ")[0])
                        .value("notify", peer.split(" ")[1]).value("runs", runs);
                for (Metric m : Metric.values()) {
                    Stats st = results.stats(w, peer, m);
                    j.beginObject(m.key).value("median", st.median()).value("min", st.min()).value("max", st.max())
                            .endObject();
                }
                j.endObject();
            }
        }
        j.endArray().endObject();
        Files.writeString(file, j.toString());
    }

    static void writeCsv(Path file, Results results) throws IOException {
        List<String> header = new ArrayList<>(List.of("vmm", "notify", "repetition", "workload", "depth", "bytes",
                "requests", "seconds", "mean_us", "min_us", "max_us"));
        for (Metric m : Metric.values()) {
            header.add(m.key);
        }
        header.add("queue_notify_exits");
        for (String c : CSV_COUNTERS) {
            header.add(c.replace('.', '_').toLowerCase(Locale.ROOT));
        }
        StringBuilder sb = new StringBuilder(String.join(",", header)).append('\n');
        for (Sample x : results.samples()) {
            WorkloadResult r = x.result();
            List<String> row = new ArrayList<>(List.of(x.vmm(), x.mode(), Integer.toString(x.repetition()),
                    r.name(), Integer.toString(r.depth()), Long.toString(r.bytes()), Long.toString(r.requests()),
                    number(r.seconds()), number(r.meanUs()), number(r.minUs()), number(r.maxUs())));
            for (Metric m : Metric.values()) {
                row.add(number(m.of(x)));
            }
            row.add(x.delta().has(Counters.USER_EXITS) ? Long.toString(x.queueNotifyExits()) : "");
            for (String c : CSV_COUNTERS) {
                row.add(x.delta().has(c) ? Long.toString(x.delta().get(c)) : "");
            }
            sb.append(String.join(",", row)).append('\n');
        }
        Files.writeString(file, sb.toString());
    }

    /** Empty for a value that does not exist, so that a spreadsheet sees a gap and not a zero. */
    private static String number(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v)
                : String.format(Locale.ROOT, "%.4f", v);
    }
}
