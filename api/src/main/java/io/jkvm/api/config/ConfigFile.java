package io.jkvm.api.config;

import io.jkvm.api.vm.MicroVm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Firecracker's {@code --config-file} document (its FullVmConfiguration): the bodies of the pre-boot requests under
 * one object, applied to a {@link MicroVm} in the order Firecracker applies them. The parts jkvm does not
 * implement are refused by name rather than ignored.
 */
public final class ConfigFile {
    /** The sections jkvm does not implement, and what each is. */
    static final Map<String, String> UNIMPLEMENTED = new LinkedHashMap<>();

    static {
        UNIMPLEMENTED.put("balloon", "the balloon device");
        UNIMPLEMENTED.put("vsock", "vsock");
        UNIMPLEMENTED.put("mmds-config", "the microVM metadata service (MMDS)");
        UNIMPLEMENTED.put("cpu-config", "custom CPU templates");
        UNIMPLEMENTED.put("pmem", "virtio-pmem");
        UNIMPLEMENTED.put("memory-hotplug", "memory hot-plug");
    }

    static final Set<String> IMPLEMENTED = Set.of("boot-source", "drives", "machine-config", "network-interfaces",
            "logger", "metrics", "entropy");

    /** What the file asks for besides the microVM itself. */
    public record Extras(Outputs.Logger logger, Outputs.Metrics metrics) {
    }

    private ConfigFile() {
    }

    /** Applies the document to vm (which must not be started); returns its logger and metrics sections. */
    public static Extras apply(JsonBody doc, MicroVm vm) {
        java.util.Set<String> all = new java.util.HashSet<>(IMPLEMENTED);
        all.addAll(UNIMPLEMENTED.keySet());
        doc.allow(all);
        for (Map.Entry<String, String> e : UNIMPLEMENTED.entrySet()) {
            if (doc.has(e.getKey())) {
                throw new BadRequest(doc.where() + ": section '" + e.getKey() + "' is given, but jkvm does not "
                        + "implement " + e.getValue() + "; remove it");
            }
        }
        Outputs.Logger logger = doc.has("logger") ? Outputs.Logger.from(doc.object("logger")) : null;
        Outputs.Metrics metrics = doc.has("metrics") ? Outputs.Metrics.from(doc.object("metrics")) : null;
        JsonBody boot = doc.object("boot-source");
        if (boot == null) {
            throw new BadRequest(doc.where() + ": missing section 'boot-source' (kernel_image_path at least)");
        }
        vm.setBootSource(BootSource.from(boot));
        JsonBody machine = doc.object("machine-config");
        if (machine != null) {
            vm.setMachineConfig(MachineConfig.from(machine));
        }
        List<JsonBody> drives = doc.objects("drives");
        for (JsonBody d : drives) {
            Drive drive = Drive.from(d);
            vm.putDrive(drive.id(), drive);
        }
        for (JsonBody n : doc.objects("network-interfaces")) {
            NetworkInterface.from(n);
        }
        JsonBody entropy = doc.object("entropy");
        if (entropy != null) {
            Entropy.from(entropy);
            vm.setEntropy();
        }
        return new Extras(logger, metrics);
    }
}
