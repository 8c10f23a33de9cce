package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.gan.loss.CheckReport;
import dev.sparring.gan.loss.FormulaException;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.gan.loss.GanLosses;
import dev.sparring.train.TrainerDefaults;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code sparring loss}: the loss workshop.
 * <pre>
 * sparring loss list                         the built-in losses: formulas, parameters, divergence, reference, defaults
 * sparring loss check SPEC [--png FILE]      verifies a design and explains the verdict; exit 0 pass, 1 fail, 2 bad SPEC
 * </pre>
 * SPEC is what {@code --loss} takes: {@code lsgan:a=0,b=1,c=1} or {@code "phi=-exp(-t); psi=-exp(t); beta=exp(t)"}.
 */
@Command(name = "loss", mixinStandardHelpOptions = true,
        description = "GAN losses: list the built-ins, check a design (built-in or formula).",
        subcommands = {LossCommand.Check.class, LossCommand.List.class})
public final class LossCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = {"Verifies a loss design numerically and explains the verdict: the critic's range Omega, rho = psi' of one sign, "
                    + "omega^-1 = -phi'/psi' strictly monotone, the optimum t* = omega(r) for r = q/p in [1e-4, 1e4], d(r) convex "
                    + "(and which f-divergence it is), the generator loss, and the equilibrium values at p = q.",
                    "Exit code: 0 pass, 1 fail, 2 the specification cannot be read."})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "SPEC",
                description = "a built-in (NAME or NAME:a=..,b=.. or NAME:v1,v2) or a formula \"phi=...; psi=...[; beta=...][; out=...][; name=value]\"")
        String lossSpec;

        @Option(names = "--png", paramLabel = "FILE", description = "also draw the design to this PNG: phi, psi, beta against t, then f(r) and d(r), omega(r) and r beta(omega(r)) "
                        + "as far as the check got, under the loss and its verdict")
        Path png;

        @CommandLine.Mixin
        OverwriteOption overwrite;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
            try {
                overwrite.check("--png", png);
            } catch (UserError e) {
                err.println("sparring: " + e.getMessage());
                err.flush();
                return 2;
            }
            GanLoss loss;
            try {
                loss = GanLoss.parse(lossSpec);
                loss.compiled();
            } catch (FormulaException e) {
                err.println(e.getMessage());
                err.flush();
                return 2;
            } catch (UserError e) {
                err.println("--loss: " + e.getMessage());
                err.flush();
                return 2;
            }
            CheckReport report = loss.check();
            out.print(report.text());
            if (png != null) {
                try {
                    CheckFigure.write(report, png);
                    out.println("\nplot: " + png.toAbsolutePath());
                } catch (IOException e) {
                    err.println("loss check: cannot write --png " + png + ": " + e.getMessage());
                    err.flush();
                    out.flush();
                    return 2;
                }
            }
            out.flush();
            return report.passed() ? 0 : 1;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the built-in losses with their formulas.")
    static final class List implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--names", description = "only the names, one per line")
        boolean namesOnly;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (namesOnly) {
                for (String n : GanLosses.names()) out.println(n);
                out.flush();
                return 0;
            }
            out.println("Convention: the critic outputs t and maximises E_real phi(t) + E_fake psi(t); the generator minimises E_fake beta(t).");
            out.println("Select with --loss NAME[:params], e.g. lsgan:a=-1,b=1,c=0 or lsgan:-1,1,0; or a formula (see docs/losses.md).");
            for (GanLosses.Builtin b : GanLosses.builtins()) {
                GanLoss l = b.create();
                out.println();
                StringBuilder head = new StringBuilder(b.name());
                if (!b.params().isEmpty()) {
                    head.append(':');
                    for (int i = 0; i < b.params().size(); i++) {
                        GanLosses.Param p = b.params().get(i);
                        head.append(i == 0 ? "" : ",").append(p.name()).append('=').append(fmt(p.defaultValue()));
                    }
                }
                out.println(head + "  -  " + b.title());
                out.println("    phi(t)  = " + l.phi());
                out.println("    psi(t)  = " + l.psi());
                out.println("    beta(t) = " + l.beta());
                for (GanLosses.Param p : b.params()) out.println("    " + p.name() + ": " + p.meaning());
                out.println("    critic optimum: " + b.divergence());
                out.println("    range: " + b.range());
                out.println("    defaults: " + TrainerDefaults.of(l).describe());
                out.println("    reference: " + b.reference());
            }
            out.flush();
            return 0;
        }

        private static String fmt(double v) {
            return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
        }
    }

    /** Runs {@code sparring loss ...} on its own (the main command wires it in as a subcommand). */
    public static void main(String[] args) {
        System.exit(new CommandLine(new LossCommand()).execute(args));
    }
}
