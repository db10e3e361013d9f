package io.jkvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The boot benchmark's results: the tables printed, and results.json, boot.csv and footprint.csv. */
final class BootReport {
    /** What the JSON file records about the run besides the results. */
    record Info(String started, BootGuest guest, int repetitions, String javaOptions) {
    }

    private final List<BootVariant> variants;
    private final List<Integer> cpus;
    private final List<BootSample> samples;
    private final List<FootprintSample> footprints;

    BootReport(List<BootVariant> variants, List<Integer> cpus, List<BootSample> samples,
               List<FootprintSample> footprints) {
        this.variants = List.copyOf(variants);
        this.cpus = List.copyOf(cpus);
        this.samples = List.copyOf(samples);
        this.footprints = List.copyOf(footprints);
    }

    List<String> variantNames() {
        return variants.stream().map(BootVariant::name).toList();
    }

    List<Integer> cpus() {
        return cpus;
    }

    /** Boot to init (ms) of one variant and vCPU count. */
    Stats boot(String variant, int c) {
        return Stats.of(samples.stream().filter(s -> s.variant().equals(variant) && s.cpus() == c)
                .mapToDouble(BootSample::bootMs).toArray());
    }

    /** One step of the breakdown (ms from the process start); NONE where the variant has no such step. */
    Stats step(String variant, int c, String step) {
        return Stats.of(samples.stream().filter(s -> s.variant().equals(variant) && s.cpus() == c)
                .mapToDouble(s -> s.steps().containsKey(step) ? s.steps().get(step) : Double.NaN).toArray());
    }

    String tables() {
        StringBuilder sb = new StringBuilder();
        List<String[]> rows = new ArrayList<>();
        List<String> h = new ArrayList<>(List.of("variant"));
        for (int c : cpus) {
            h.add(c + " vCPU ms");
            h.add("/qemu");
        }
        rows.add(h.toArray(new String[0]));
        for (String v : variantNames()) {
            List<String> r = new ArrayList<>(List.of(v));
            for (int c : cpus) {
                Stats s = boot(v, c);
                Stats q = boot(BootVariant.QEMU, c);
                r.add(pm(s));
                r.add(q.present() && s.present() ? String.format(Locale.ROOT, "%.2f", s.median() / q.median()) : "");
            }
            rows.add(r.toArray(new String[0]));
        }
        sb.append("Boot to init (from the VMM process's start; median ± half the range):\n");
        sb.append(Table.format(rows, 1)).append('\n');

        rows = new ArrayList<>();
        List<String> bh = new ArrayList<>(List.of("variant", "vCPUs"));
        bh.addAll(BootSample.STEPS);
        rows.add(bh.toArray(new String[0]));
        for (String v : variantNames()) {
            if (v.equals(BootVariant.QEMU)) {
                continue;
            }
            for (int c : cpus) {
                List<String> r = new ArrayList<>(List.of(v, Integer.toString(c)));
                for (String step : BootSample.STEPS) {
                    Stats s = step(v, c, step);
                    r.add(s.present() ? String.format(Locale.ROOT, "%.0f", s.median()) : "");
                }
                rows.add(r.toArray(new String[0]));
            }
        }
        sb.append("jkvm's breakdown (median ms from the process's start at which each step was reached):\n");
        sb.append(Table.format(rows, 2)).append('\n');

        if (!footprints.isEmpty()) {
            rows = new ArrayList<>();
            rows.add(new String[] {"variant", "VMs x RAM", "RSS MiB", "RSS-guest MiB", "PSS MiB", "PSS-guest MiB",
                    "threads"});
            for (FootprintSample f : footprints) {
                rows.add(new String[] {f.variant(), f.vms() + " x " + f.memoryMib() + "M", mib(f.rssKib()),
                        mib(f.ownRssKib()), mib(f.pssKib()), mib(f.ownPssKib()),
                        String.format(Locale.ROOT, "%.0f", f.threads())});
            }
            sb.append("Footprint with an idle guest (virtio-blk + rng, sleep; per VM, the mean when several run):\n");
            sb.append(Table.format(rows, 2));
        }
        return sb.toString();
    }

    void writeJson(Path file, Info info) throws IOException {
        JsonWriter j = new JsonWriter().beginObject(null);
        j.value("benchmark", "jkvm bench boot").value("started", info.started());
        j.beginObject("config").value("kernel", info.guest().kernel().toString())
                .value("initrd", info.guest().initrd().toString()).value("disk", info.guest().disk().toString())
                .value("memory_bytes", info.guest().memory())
                .value("footprint_memory_bytes", info.guest().footprintMemory())
                .value("repetitions", info.repetitions()).value("jkvm_java_opts", info.javaOptions());
        j.beginArray("variants");
        for (BootVariant v : variants) {
            j.beginObject(null).value("name", v.name()).value("jdk", v.jdk() == null ? null : v.jdk().toString())
                    .value("cds", v.cds()).endObject();
        }
        j.endArray().endObject();
        j.beginArray("boots");
        for (BootSample s : samples) {
            j.beginObject(null).value("variant", s.variant()).value("cpus", s.cpus())
                    .value("repetition", s.repetition()).value("boot_ms", s.bootMs()).beginObject("steps_ms");
            s.steps().forEach(j::value);
            j.endObject().endObject();
        }
        j.endArray().beginArray("summary");
        for (String v : variantNames()) {
            for (int c : cpus) {
                Stats s = boot(v, c);
                j.beginObject(null).value("variant", v).value("cpus", c).value("runs", s.n())
                        .value("median_ms", s.median()).value("min_ms", s.min()).value("max_ms", s.max());
                Stats q = boot(BootVariant.QEMU, c);
                j.value("ratio_to_qemu", q.present() ? s.median() / q.median() : Double.NaN);
                j.beginObject("steps_median_ms");
                for (String step : BootSample.STEPS) {
                    j.value(step, step(v, c, step).median());
                }
                j.endObject().endObject();
            }
        }
        j.endArray().beginArray("footprint");
        for (FootprintSample f : footprints) {
            j.beginObject(null).value("variant", f.variant()).value("vms", f.vms())
                    .value("memory_mib", f.memoryMib()).value("rss_kib", f.rssKib())
                    .value("rss_without_guest_kib", f.ownRssKib()).value("pss_kib", f.pssKib())
                    .value("pss_without_guest_kib", f.ownPssKib()).value("threads", f.threads()).endObject();
        }
        j.endArray().endObject();
        Files.writeString(file, j.toString());
    }

    void writeCsv(Path boots, Path footprint) throws IOException {
        StringBuilder sb = new StringBuilder("variant,cpus,repetition,boot_ms");
        for (String step : BootSample.STEPS) {
            sb.append(',').append(step.replace('-', '_')).append("_ms");
        }
        sb.append('\n');
        for (BootSample s : samples) {
            sb.append(s.variant()).append(',').append(s.cpus()).append(',').append(s.repetition()).append(',')
                    .append(s.bootMs());
            for (String step : BootSample.STEPS) {
                sb.append(',');
                Long at = s.steps().get(step);
                if (at != null) {
                    sb.append(at);
                }
            }
            sb.append('\n');
        }
        Files.writeString(boots, sb.toString());
        sb = new StringBuilder("variant,vms,memory_mib,rss_kib,rss_without_guest_kib,pss_kib,pss_without_guest_kib,"
                + "threads\n");
        for (FootprintSample f : footprints) {
            sb.append(String.format(Locale.ROOT, "%s,%d,%d,%.0f,%.0f,%.0f,%.0f,%.1f%n", f.variant(), f.vms(),
                    f.memoryMib(), f.rssKib(), f.ownRssKib(), f.pssKib(), f.ownPssKib(), f.threads()));
        }
        Files.writeString(footprint, sb.toString());
    }

    private static String pm(Stats s) {
        return s.present() ? String.format(Locale.ROOT, "%.0f±%.0f", s.median(), s.halfRange()) : "";
    }

    private static String mib(double kib) {
        return String.format(Locale.ROOT, "%.1f", kib / 1024);
    }
}
