package io.jkvm.bench;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code jkvm bench}: the benchmarks. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (run them through scripts/with-kvm "
        + "where this host has no usable /dev/kvm).", subcommands = {BootCommand.class, NotifyCommand.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing benchmark: use 'jkvm bench boot' or 'jkvm bench notify'");
    }
}
