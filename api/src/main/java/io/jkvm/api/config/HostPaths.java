package io.jkvm.api.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Checks of the host files a request names, so that a missing file is a 400 now rather than a failed boot later. */
final class HostPaths {
    private HostPaths() {
    }

    static Path readableFile(String where, String field, String value) {
        Path p = path(where, field, value);
        if (!Files.exists(p)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": no such file", where, field, value));
        }
        if (!Files.isRegularFile(p)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": not a regular file", where, field, value));
        }
        if (!Files.isReadable(p)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": not readable (permissions)", where, field,
                    value));
        }
        return p;
    }

    /** A disk: a regular file or a block device, readable, and writable unless readOnly. */
    static Path disk(String where, String field, String value, boolean readOnly) {
        Path p = path(where, field, value);
        if (!Files.exists(p)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": no such file", where, field, value));
        }
        if (!Files.isRegularFile(p) && !isBlockDevice(p)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": neither a regular file nor a block device",
                    where, field, value));
        }
        if (!Files.isReadable(p)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": not readable (permissions)", where, field,
                    value));
        }
        if (!readOnly && !Files.isWritable(p)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": not writable; set is_read_only to true or "
                    + "fix its permissions", where, field, value));
        }
        return p;
    }

    /**
     * A file that jkvm creates or appends to (logger, metrics): its folder must exist. Firecracker opens it at once;
     * so does jkvm, in the caller.
     */
    static Path output(String where, String field, String value) {
        Path p = path(where, field, value);
        Path dir = p.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": its folder does not exist", where, field,
                    value));
        }
        if (Files.isDirectory(p)) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": a folder, not a file", where, field, value));
        }
        return p;
    }

    private static Path path(String where, String field, String value) {
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            throw new BadRequest(String.format("%s: field '%s' is \"%s\": not a path (%s)", where, field, value,
                    e.getReason()));
        }
    }

    /** S_IFBLK in st_mode (inode(7)). */
    private static boolean isBlockDevice(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 0060000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }
}
