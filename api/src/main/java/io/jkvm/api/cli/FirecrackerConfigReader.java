package io.jkvm.api.cli;

import io.jkvm.api.config.BadRequest;
import io.jkvm.api.config.ConfigFile;
import io.jkvm.api.config.JsonBody;
import io.jkvm.api.vm.MicroVm;
import io.jkvm.core.cli.ConfigFileReader;
import io.jkvm.core.vm.VmConfig;

import java.nio.file.Path;

/**
 * {@code jkvm run --config-file}: the document applied to a fresh {@link MicroVm}, as the API would apply the same
 * bodies, and its VM configuration. A logger or metrics section is refused here: without the API there is no
 * request to log and no FlushMetrics; {@code jkvm run --stats} prints the counters.
 */
public final class FirecrackerConfigReader implements ConfigFileReader {
    @Override
    public VmConfig read(Path file) {
        MicroVm vm = new MicroVm();
        ConfigFile.Extras extras = ConfigFile.apply(JsonBody.read(file), vm);
        if (extras.logger() != null || extras.metrics() != null) {
            throw new BadRequest("configuration file " + file + ": sections 'logger' and 'metrics' are for jkvm "
                    + "serve; jkvm run prints its counters with --stats");
        }
        return vm.vmConfig();
    }
}
