package dev.sparring.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sparring} command line. */
@Command(name = "sparring", mixinStandardHelpOptions = true, version = "sparring 0.1.0",
        description = "A GPU-native GAN training engine for the JVM.",
        subcommands = {TrainCommand.class, SampleCommand.class, LossCommand.class, DoctorCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // user errors (bad flags, files, data) get one clear line; bugs keep their stack trace
            if (ex instanceof UserError || ex instanceof IllegalArgumentException || ex instanceof java.io.IOException
                    || ex instanceof dev.sparring.data.DataException || ex instanceof dev.sparring.backend.BackendException) {
                cmd.getErr().println("sparring: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        // bench is driven by scripts that append overrides (bench/gpu/session.sh): a later value replaces an earlier one
        cl.getSubcommands().get("bench").setOverwrittenOptionsAllowed(true);
        return cl;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
