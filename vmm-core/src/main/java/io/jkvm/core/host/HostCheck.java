package io.jkvm.core.host;

import io.jkvm.core.kvm.Kvm;
import io.jkvm.core.kvm.KvmCap;
import io.jkvm.core.kvm.KvmException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether this host can run a standard guest, decided in one place: /dev/kvm exists and opens read-write, speaks
 * API 12, has every capability jkvm relies on, and the CPU has svm or vmx. The last check matters: a kvm_pvm-backed
 * /dev/kvm passes all the others and then cannot run a standard kernel (see shared/NESTED-KVM.md).
 */
public final class HostCheck {
    public static final String WITH_KVM_HINT = "run jkvm through scripts/with-kvm, which provides an emulated KVM host";

    /** The capabilities jkvm's VM setup and devices use. */
    public static final Map<String, Integer> REQUIRED = requiredCapabilities();

    /** One line of the report. */
    public record Item(String name, boolean ok, String detail) {
    }

    private final List<Item> items = new ArrayList<>();
    private String problem;

    private HostCheck() {
    }

    public static HostCheck run(String device) {
        HostCheck c = new HostCheck();
        c.check(device);
        return c;
    }

    public List<Item> items() {
        return items;
    }

    /** Null when the host can run guests, else one line saying what is wrong and what to do. */
    public String problem() {
        return problem;
    }

    public void requireUsable() {
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
    }

    private void check(String device) {
        Path dev = Path.of(device);
        if (!Files.exists(dev)) {
            fail("device", device + " does not exist", "no " + device + " on this host: " + WITH_KVM_HINT);
            return;
        }
        items.add(new Item("device", true, device + " exists"));
        try (Kvm kvm = Kvm.open(device)) {
            items.add(new Item("permission", true, device + " opens read-write"));
            int api = kvm.apiVersion();
            if (api != Kvm.KVM_API_VERSION) {
                fail("api version", "KVM API version " + api, "KVM API version " + api + " is not "
                        + Kvm.KVM_API_VERSION + ": this kernel's KVM is not supported");
                return;
            }
            items.add(new Item("api version", true, Integer.toString(api)));
            for (Map.Entry<String, Integer> cap : REQUIRED.entrySet()) {
                int v = kvm.checkExtension(cap.getValue());
                if (v <= 0) {
                    fail("KVM_CAP_" + cap.getKey(), "missing", "this host's KVM lacks KVM_CAP_" + cap.getKey()
                            + ", which jkvm needs: " + WITH_KVM_HINT);
                } else {
                    items.add(new Item("KVM_CAP_" + cap.getKey(), true, "yes"));
                }
            }
            int maxVcpus = kvm.checkExtension(KvmCap.MAX_VCPUS);
            items.add(new Item("max vCPUs", maxVcpus > 0, Integer.toString(maxVcpus)));
        } catch (KvmException e) {
            String what = e.errno() == 13 ? "permission" : "open";
            fail(what, e.getMessage(), "cannot open " + device + ": " + e.getMessage());
            return;
        }
        String virt = CpuFlags.read().virtualization();
        if (virt == null) {
            String backend = Files.isDirectory(Path.of("/sys/module/kvm_pvm")) ? " (it is backed by kvm_pvm)" : "";
            fail("cpu virtualization", "no svm/vmx flag" + backend, device + " opens but cannot run a standard guest"
                    + backend + ": the CPU has no svm/vmx flag; " + WITH_KVM_HINT);
        } else {
            items.add(new Item("cpu virtualization", true, virt));
        }
    }

    private void fail(String name, String detail, String problemLine) {
        items.add(new Item(name, false, detail));
        if (problem == null) {
            problem = problemLine;
        }
    }

    private static Map<String, Integer> requiredCapabilities() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("IRQCHIP", KvmCap.IRQCHIP);
        m.put("USER_MEMORY", KvmCap.USER_MEMORY);
        m.put("SET_TSS_ADDR", KvmCap.SET_TSS_ADDR);
        m.put("SET_IDENTITY_MAP_ADDR", KvmCap.SET_IDENTITY_MAP_ADDR);
        m.put("EXT_CPUID", KvmCap.EXT_CPUID);
        m.put("PIT2", KvmCap.PIT2);
        m.put("IOEVENTFD", KvmCap.IOEVENTFD);
        m.put("IRQFD", KvmCap.IRQFD);
        m.put("IMMEDIATE_EXIT", KvmCap.IMMEDIATE_EXIT);
        return m;
    }
}
