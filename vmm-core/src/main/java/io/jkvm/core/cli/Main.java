package io.jkvm.core.cli;

import io.jkvm.core.vm.BootTimes;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jkvm command line. */
@Command(name = "jkvm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A minimal virtual machine monitor on KVM, written in Java.",
        footer = {"%nThe benchmarks: jkvm bench --help. Firecracker's API: jkvm serve --help."},
        subcommands = {RunCommand.class, CheckCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for bad input (picocli uses 2 for usage errors too). The others are in RunCommand's help. */
    public static final int EXIT_USAGE = 2;
    /** Exit status when this host cannot run guests (no usable /dev/kvm): no option of jkvm's can fix that. */
    public static final int EXIT_NO_KVM = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: use 'jkvm run' or 'jkvm check'");
    }

    public static void main(String[] args) {
        BootTimes.reached(BootTimes.Step.MAIN);
        System.exit(commandLine().execute(args));
    }

    /** 'jkvm bench' (module bench), on the class path only when bin/jkvm runs a benchmark. */
    private static final String BENCH_COMMAND = "io.jkvm.bench.BenchCommand";
    /** 'jkvm serve' (module api), on the class path only when bin/jkvm serves the API. */
    private static final String SERVE_COMMAND = "io.jkvm.api.cli.ServeCommand";

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (String name : new String[]{BENCH_COMMAND, SERVE_COMMAND}) {
            Object command = optionalCommand(name);
            if (command != null) {
                cl.addSubcommand(command);
            }
        }
        // One line, not a usage dump: the problem and how to fix it.
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("jkvm: " + ex.getMessage()
                    + " (see 'jkvm " + commandPath(ex.getCommandLine()) + "--help')");
            return EXIT_USAGE;
        });
        return cl;
    }

    /** A module's command when its jar is on the class path, else null (jkvm run loads none of it). */
    private static Object optionalCommand(String name) {
        if (Main.class.getClassLoader().getResource(name.replace('.', '/') + ".class") == null) {
            return null;
        }
        try {
            return Class.forName(name).getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot load " + name, e);
        }
    }

    private static String commandPath(CommandLine cl) {
        String name = cl.getCommandName();
        return "jkvm".equals(name) ? "" : name + " ";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jkvm " + (v == null ? "(development build)" : v)};
        }
    }
}
