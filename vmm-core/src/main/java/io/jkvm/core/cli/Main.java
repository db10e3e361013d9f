package io.jkvm.core.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jkvm command line. */
@Command(name = "jkvm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A minimal virtual machine monitor on KVM, written in Java.",
        subcommands = {RunCommand.class, CheckCommand.class, io.jkvm.core.bench.BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status for bad input or a host that cannot run guests (picocli uses 2 for usage errors too). */
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: use 'jkvm run' or 'jkvm check'");
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // One line, not a usage dump: the problem and how to fix it.
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("jkvm: " + ex.getMessage()
                    + " (see 'jkvm " + commandPath(ex.getCommandLine()) + "--help')");
            return EXIT_USAGE;
        });
        return cl;
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
