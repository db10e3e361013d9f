package io.jkvm.api.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jkvm.api.config.BadRequest;
import io.jkvm.api.config.BootSource;
import io.jkvm.api.config.Drive;
import io.jkvm.api.config.Entropy;
import io.jkvm.api.config.JsonBody;
import io.jkvm.api.config.MachineConfig;
import io.jkvm.api.config.NetworkInterface;
import io.jkvm.api.config.Outputs;
import io.jkvm.api.vm.Launcher;
import io.jkvm.api.vm.MicroVm;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Firecracker's API paths mapped onto the {@link MicroVm}: a request in (method, path, body), an {@link ApiResponse}
 * out. No HTTP here, so that every path is tested without a socket. Every refusal is a 400 with a fault message,
 * also for paths jkvm does not implement and unknown ones, as Firecracker answers those.
 */
public final class ApiRouter {
    /** Firecracker's API parts that jkvm does not implement, by path prefix, and what each is. */
    static final Map<String, String> UNIMPLEMENTED = new LinkedHashMap<>();

    static {
        UNIMPLEMENTED.put("/snapshot", "snapshots");
        UNIMPLEMENTED.put("/balloon", "the balloon device");
        UNIMPLEMENTED.put("/vsock", "vsock");
        UNIMPLEMENTED.put("/mmds", "the microVM metadata service (MMDS)");
        UNIMPLEMENTED.put("/cpu-config", "custom CPU templates");
        UNIMPLEMENTED.put("/pmem", "virtio-pmem");
        UNIMPLEMENTED.put("/hotplug", "memory hot-plug");
        UNIMPLEMENTED.put("/serial", "serial output redirection");
        UNIMPLEMENTED.put("/vm/config", "GET /vm/config");
    }

    static final Set<String> ACTIONS = Set.of("InstanceStart", "SendCtrlAltDel", "FlushMetrics");

    private final String id;
    private final String version;
    private final MicroVm vm;
    private final Launcher launcher;
    private final ApiLog log;
    private final MetricsFile metrics;

    public ApiRouter(String id, String version, MicroVm vm, Launcher launcher, ApiLog log, MetricsFile metrics) {
        this.id = id;
        this.version = version;
        this.vm = vm;
        this.launcher = launcher;
        this.log = log;
        this.metrics = metrics;
    }

    /** Answers one request; never throws. */
    public ApiResponse handle(String method, String rawPath, byte[] body) {
        String path = rawPath;
        int q = path.indexOf('?');
        if (q >= 0) {
            path = path.substring(0, q);
        }
        ApiResponse r;
        try {
            r = route(method, path, body);
        } catch (BadRequest e) {
            r = ApiResponse.fault(ApiResponse.BAD_REQUEST, e.getMessage());
        } catch (RuntimeException e) {
            r = ApiResponse.fault(ApiResponse.INTERNAL_ERROR, "internal error: " + e);
        }
        if (r.status() >= 400) {
            log.warn(method + " " + rawPath + ": " + r.status() + " " + r.bodyText());
        } else {
            log.info(method + " " + rawPath + ": " + r.status());
        }
        return r;
    }

    private ApiResponse route(String method, String path, byte[] body) {
        for (Map.Entry<String, String> e : UNIMPLEMENTED.entrySet()) {
            if (path.equals(e.getKey()) || path.startsWith(e.getKey() + "/")) {
                throw new BadRequest(method + " " + path + ": jkvm does not implement " + e.getValue());
            }
        }
        String where = "the " + method + " " + path + " body";
        switch (path) {
            case "/":
                requireMethod(method, path, "GET");
                return ApiResponse.ok(instanceInfo());
            case "/version":
                requireMethod(method, path, "GET");
                return ApiResponse.ok(JsonBody.mapper().createObjectNode().put("firecracker_version", version));
            case "/boot-source":
                requireMethod(method, path, "PUT");
                vm.setBootSource(BootSource.from(JsonBody.parse(where, body)));
                return ApiResponse.noContent();
            case "/machine-config":
                return machineConfig(method, path, where, body);
            case "/entropy":
                requireMethod(method, path, "PUT");
                Entropy.from(JsonBody.parse(where, body));
                vm.setEntropy();
                return ApiResponse.noContent();
            case "/actions":
                requireMethod(method, path, "PUT");
                return action(JsonBody.parse(where, body));
            case "/vm":
                requireMethod(method, path, "PATCH");
                return vmState(JsonBody.parse(where, body));
            case "/logger":
                requireMethod(method, path, "PUT");
                return logger(Outputs.Logger.from(JsonBody.parse(where, body)));
            case "/metrics":
                requireMethod(method, path, "PUT");
                return metrics(Outputs.Metrics.from(JsonBody.parse(where, body)));
            default:
                break;
        }
        if (path.startsWith("/drives/")) {
            String driveId = pathId(path, "/drives/");
            if (method.equals("PATCH")) {
                throw new BadRequest("PATCH " + path + ": jkvm cannot change a drive after InstanceStart");
            }
            requireMethod(method, path, "PUT");
            vm.putDrive(driveId, Drive.from(JsonBody.parse(where, body)));
            return ApiResponse.noContent();
        }
        if (path.startsWith("/network-interfaces/")) {
            pathId(path, "/network-interfaces/");
            requireMethod(method, path, "PUT");
            NetworkInterface.from(JsonBody.parse(where, body));
            return ApiResponse.noContent(); // not reached: from() refuses every interface while jkvm has no net
        }
        throw new BadRequest(method + " " + path + ": no such resource in Firecracker's API");
    }

    private ApiResponse machineConfig(String method, String path, String where, byte[] body) {
        switch (method) {
            case "GET":
                return ApiResponse.ok(vm.machineConfig().toJson());
            case "PUT":
                vm.setMachineConfig(MachineConfig.from(JsonBody.parse(where, body)));
                return ApiResponse.noContent();
            case "PATCH":
                vm.setMachineConfig(MachineConfig.patch(vm.machineConfig(), JsonBody.parse(where, body)));
                return ApiResponse.noContent();
            default:
                throw wrongMethod(method, path, "GET, PUT or PATCH");
        }
    }

    private ApiResponse action(JsonBody b) {
        b.allow(Set.of("action_type"));
        String action = b.oneOf("action_type", true, ACTIONS, null);
        switch (action) {
            case "InstanceStart":
                vm.start(launcher);
                log.info("microVM started");
                return ApiResponse.noContent();
            case "SendCtrlAltDel":
                vm.sendCtrlAltDel();
                return ApiResponse.noContent();
            default: // FlushMetrics
                try {
                    if (!metrics.flush(vm.metrics())) {
                        throw new BadRequest("FlushMetrics is refused: no metrics file; PUT /metrics first");
                    }
                } catch (IOException e) {
                    throw new BadRequest("FlushMetrics failed: cannot write the metrics file: " + e.getMessage(), e);
                }
                return ApiResponse.noContent();
        }
    }

    private ApiResponse vmState(JsonBody b) {
        b.allow(Set.of("state"));
        String state = b.oneOf("state", true, Set.of("Paused", "Resumed"), null);
        if (state.equals("Paused")) {
            vm.pause();
        } else {
            vm.resume();
        }
        log.info("microVM " + state.toLowerCase());
        return ApiResponse.noContent();
    }

    private ApiResponse logger(Outputs.Logger l) {
        try {
            log.open(l.path(), l.level(), l.showLevel());
        } catch (IOException e) {
            throw new BadRequest("the PUT /logger body: field 'log_path' is \"" + l.path() + "\": cannot open it: "
                    + e.getMessage(), e);
        }
        return ApiResponse.noContent();
    }

    private ApiResponse metrics(Outputs.Metrics m) {
        if (metrics.isOpen()) {
            throw new BadRequest("the metrics file is already set; Firecracker's metrics are configured once");
        }
        try {
            metrics.open(m.path());
        } catch (IOException e) {
            throw new BadRequest("the PUT /metrics body: field 'metrics_path' is \"" + m.path() + "\": cannot open "
                    + "it: " + e.getMessage(), e);
        }
        return ApiResponse.noContent();
    }

    private ObjectNode instanceInfo() {
        ObjectNode n = JsonBody.mapper().createObjectNode();
        n.put("id", id);
        n.put("state", vm.state().apiName());
        n.put("vmm_version", version);
        n.put("app_name", "jkvm");
        return n;
    }

    /** The {id} after prefix: one non-empty path segment, percent-decoded. */
    private static String pathId(String path, String prefix) {
        String raw = path.substring(prefix.length());
        if (raw.isEmpty() || raw.contains("/")) {
            throw new BadRequest(path + ": expected " + prefix + "{id} with one non-empty id");
        }
        try {
            return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(path + ": the id is not valid percent-encoding", e);
        }
    }

    private static void requireMethod(String method, String path, String allowed) {
        if (!method.equals(allowed)) {
            throw wrongMethod(method, path, allowed);
        }
    }

    private static BadRequest wrongMethod(String method, String path, String allowed) {
        return new BadRequest(method + " " + path + ": method not allowed; use " + allowed);
    }
}
