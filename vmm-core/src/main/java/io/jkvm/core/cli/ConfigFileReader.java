package io.jkvm.core.cli;

import io.jkvm.core.vm.VmConfig;

import java.nio.file.Path;

/**
 * Reads Firecracker's JSON configuration file into a {@link VmConfig} for {@code jkvm run --config-file}. The
 * implementation is in the api module (it needs Jackson), on the class path only when bin/jkvm sees the option, so
 * that a plain {@code jkvm run} loads no JSON library. Bad content is an {@link IllegalArgumentException} naming the
 * section, field, value and why.
 */
public interface ConfigFileReader {
    /** The api module's implementation. */
    String IMPLEMENTATION = "io.jkvm.api.cli.FirecrackerConfigReader";

    VmConfig read(Path file);

    /** The api module's reader, or an error saying how to get it on the class path. */
    static ConfigFileReader load() {
        if (ConfigFileReader.class.getClassLoader().getResource(IMPLEMENTATION.replace('.', '/') + ".class") == null) {
            throw new IllegalArgumentException("--config-file needs the api module (target/jkvm-api.jar): build it "
                    + "with 'mvn -B -DskipTests package' and run jkvm through bin/jkvm");
        }
        try {
            return (ConfigFileReader) Class.forName(IMPLEMENTATION).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load " + IMPLEMENTATION, e);
        }
    }
}
