package io.jkvm.core.guest;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's root, found upwards from the working directory (Maven runs tests in vmm-core/). */
public final class Repo {
    private Repo() {
    }

    public static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null) {
            if (Files.isRegularFile(p.resolve("bin/jkvm")) && Files.isDirectory(p.resolve("vmm-core"))) {
                return p;
            }
            p = p.getParent();
        }
        throw new IllegalStateException("not inside the jkvm repository: " + Path.of("").toAbsolutePath());
    }
}
