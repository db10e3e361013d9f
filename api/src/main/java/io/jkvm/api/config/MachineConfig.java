package io.jkvm.api.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Set;

/**
 * PUT and GET /machine-config, and "machine-config" of the configuration file. jkvm has vCPUs and RAM; the other
 * fields of Firecracker's MachineConfiguration are accepted at the value that asks for nothing jkvm lacks (smt false,
 * no dirty-page tracking, no CPU template, no huge pages) and refused otherwise, with the reason.
 */
public record MachineConfig(int vcpuCount, long memSizeMib) {
    /** Firecracker's range for vcpu_count (its swagger: minimum 1, maximum 32); jkvm's MP table holds as many. */
    public static final int MAX_VCPUS = 32;
    /** At least what a minimal kernel and its initramfs need; the upper bound is the host's (checked at start). */
    public static final long MIN_MEM_MIB = 16;
    /** Firecracker's defaults before any PUT /machine-config. */
    public static final MachineConfig DEFAULT = new MachineConfig(1, 128);

    static final Set<String> FIELDS = Set.of("vcpu_count", "mem_size_mib", "smt", "track_dirty_pages",
            "cpu_template", "huge_pages");

    public static MachineConfig from(JsonBody b) {
        b.allow(FIELDS);
        int vcpus = (int) b.integer("vcpu_count", true, 1, MAX_VCPUS, 1);
        long mem = b.integer("mem_size_mib", true, MIN_MEM_MIB, 1L << 20, 128);
        if (b.bool("smt", false, false)) {
            throw new BadRequest(b.where() + ": field 'smt' is true: jkvm gives each vCPU its own core (no SMT "
                    + "siblings); set it to false");
        }
        if (b.bool("track_dirty_pages", false, false)) {
            throw new BadRequest(b.where() + ": field 'track_dirty_pages' is true: jkvm has no snapshots, so no "
                    + "dirty-page tracking; set it to false");
        }
        String template = b.string("cpu_template", false);
        if (template != null && !template.equals("None")) {
            throw new BadRequest(b.where() + ": field 'cpu_template' is \"" + template + "\": jkvm has no CPU "
                    + "templates (the guest sees KVM's supported CPUID); use \"None\"");
        }
        String huge = b.string("huge_pages", false);
        if (huge != null && !huge.equals("None")) {
            throw new BadRequest(b.where() + ": field 'huge_pages' is \"" + huge + "\": jkvm backs guest RAM with "
                    + "4 KiB pages only; use \"None\"");
        }
        return new MachineConfig(vcpus, mem);
    }

    /** PATCH /machine-config: the fields given replace those of current; the result is checked as a PUT. */
    public static MachineConfig patch(MachineConfig current, JsonBody patch) {
        patch.allow(FIELDS);
        ObjectNode merged = current.toJson();
        merged.setAll(patch.node());
        return from(JsonBody.of(patch.where(), merged));
    }

    /** The GET /machine-config answer, in Firecracker's field names. */
    public ObjectNode toJson() {
        ObjectNode n = JsonBody.mapper().createObjectNode();
        n.put("vcpu_count", vcpuCount);
        n.put("mem_size_mib", memSizeMib);
        n.put("smt", false);
        n.put("track_dirty_pages", false);
        n.put("huge_pages", "None");
        return n;
    }
}
