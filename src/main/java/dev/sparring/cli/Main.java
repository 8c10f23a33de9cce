package dev.sparring.cli;

import dev.sparring.UserError;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sparring} command line. */
@Command(name = "sparring", mixinStandardHelpOptions = true, version = "sparring 0.1.0",
        description = "A GPU-native GAN training engine for the JVM.",
        subcommands = {TrainCommand.class, SampleCommand.class, ClassifyCommand.class, FidCommand.class, LatentCommand.class, CriticFeaturesCommand.class, NumericsCommand.class, SweepCommand.class, ReportCommand.class, LossCommand.class, FeaturesCommand.class, DoctorCommand.class,
                BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** {@code sparring} alone: the usage on stderr and exit code 2, as for any incomplete command line. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "sparring: give a command (train, sample, classify, fid, latent, critic-features, numerics, sweep, report, loss, features, doctor, bench); "
                + "'sparring <command> --help' says more");
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            // user errors (bad flags, files, data, formulas, a missing GPU) get one clear line
            if (isUserError(ex)) {
                cmd.getErr().println("sparring: " + ex.getMessage());
                return 2;
            }
            // anything else is a bug in Sparring: keep its stack trace and ask for a report
            ex.printStackTrace(cmd.getErr());
            cmd.getErr().println("sparring: internal error (" + ex.getClass().getSimpleName() + "); this is a bug in Sparring, "
                    + "please report it with the command line and the trace above");
            return 70;
        });
        // bench is driven by scripts that append overrides (bench/gpu/session.sh): a later value replaces an earlier one
        cl.getSubcommands().get("bench").setOverwrittenOptionsAllowed(true);
        return cl;
    }

    /**
     * Whether an exception is about the user's input or environment (one line, exit 2) rather than a bug (stack trace,
     * exit 70): {@link UserError} and its kinds (data, formulas), I/O problems with the user's files, a backend that
     * cannot be created, and JSON files that do not parse.
     */
    static boolean isUserError(Throwable ex) {
        return ex instanceof UserError || ex instanceof java.io.IOException || ex instanceof dev.sparring.backend.BackendException
                || ex instanceof dev.sparring.io.JsonException j && j.source() != null;
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        int code = commandLine().execute(args);
        System.exit(code);
    }
}
