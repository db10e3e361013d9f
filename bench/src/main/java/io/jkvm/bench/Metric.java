package io.jkvm.bench;

import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The figures the table, the CSV and the chart show for each sample. */
enum Metric {
    RPS("rps", "req/s", s -> s.result().rps(), "%.0f"),
    P50_US("p50_us", "p50 us", s -> s.result().p50Us(), "%.0f"),
    P99_US("p99_us", "p99 us", s -> s.result().p99Us(), "%.0f"),
    USER_EXITS("user_exits_per_req", "user exits/req", Sample::userExitsPerRequest, "%.2f"),
    QUEUE_NOTIFY("queue_notify_exits_per_req", "QueueNotify/req", Sample::queueNotifyExitsPerRequest, "%.2f"),
    KVM_MMIO("kvm_mmio_exits_per_req", "KVM mmio/req", s -> s.kvmStatPerRequest("mmio_exits"), "%.2f"),
    KVM_EXITS("kvm_exits_per_req", "KVM exits/req", s -> s.kvmStatPerRequest("exits"), "%.2f"),
    CPU_US("vmm_cpu_us_per_req", "VMM CPU us/req", Sample::cpuMicrosPerRequest, "%.0f");

    final String key;
    final String header;
    private final ToDoubleFunction<Sample> value;
    private final String format;

    Metric(String key, String header, ToDoubleFunction<Sample> value, String format) {
        this.key = key;
        this.header = header;
        this.value = value;
        this.format = format;
    }

    double of(Sample s) {
        return value.applyAsDouble(s);
    }

    /** One value, "n/a" when there is none. */
    String format(double v) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, format, v);
    }

    /** median±half-range, "n/a" when no run had the value. */
    String format(Stats s) {
        if (!s.present()) {
            return "n/a";
        }
        return format(s.median()) + "±" + format(s.halfRange());
    }
}
