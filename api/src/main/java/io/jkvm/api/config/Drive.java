package io.jkvm.api.config;

import java.nio.file.Path;
import java.util.Set;

/**
 * PUT /drives/{drive_id}, and an element of "drives" in the configuration file: a virtio-blk disk on a host file.
 * jkvm serves virtio-blk only, synchronously, and acknowledges a flush once it is fsynced, so of Firecracker's
 * optional fields it takes partuuid, cache_type (either value: a flush is always an fsync) and io_engine "Sync".
 */
public record Drive(String id, Path path, boolean root, boolean readOnly, String partuuid) {
    static final Set<String> FIELDS = Set.of("drive_id", "path_on_host", "is_root_device", "is_read_only",
            "partuuid", "cache_type", "io_engine", "rate_limiter", "socket");

    public static Drive from(JsonBody b) {
        b.allow(FIELDS);
        String id = b.nonEmptyString("drive_id", true);
        boolean root = b.bool("is_root_device", true, false);
        if (b.has("socket")) {
            throw new BadRequest(b.where() + ": field 'socket' is given: jkvm has no vhost-user-block; give "
                    + "path_on_host instead");
        }
        if (b.has("rate_limiter")) {
            throw new BadRequest(b.where() + ": field 'rate_limiter' is given: jkvm does not rate-limit drives yet; "
                    + "leave it out");
        }
        b.oneOf("cache_type", false, Set.of("Unsafe", "Writeback"), "Unsafe");
        String engine = b.oneOf("io_engine", false, Set.of("Sync", "Async"), "Sync");
        if (engine.equals("Async")) {
            throw new BadRequest(b.where() + ": field 'io_engine' is \"Async\": jkvm serves drives synchronously "
                    + "(io_uring is not implemented); use \"Sync\"");
        }
        boolean ro = b.bool("is_read_only", false, false);
        String partuuid = b.nonEmptyString("partuuid", false);
        Path path = HostPaths.disk(b.where(), "path_on_host", b.nonEmptyString("path_on_host", true), ro);
        return new Drive(id, path, root, ro, partuuid);
    }

    /** The root= parameter for this drive as guest device name (Firecracker: root=/dev/vda, or the PARTUUID). */
    public String rootArgument(String deviceName) {
        String dev = partuuid != null ? "PARTUUID=" + partuuid : "/dev/" + deviceName;
        return "root=" + dev + (readOnly ? " ro" : " rw");
    }
}
