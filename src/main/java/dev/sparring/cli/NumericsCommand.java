package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.io.Json;
import dev.sparring.lab.numerics.Game;
import dev.sparring.lab.numerics.GameNumerics;
import dev.sparring.lab.numerics.Games;
import dev.sparring.lab.numerics.Method;
import dev.sparring.lab.numerics.StationaryPoints;
import dev.sparring.lab.numerics.Trajectory;
import dev.sparring.train.Progress;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "numerics", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"The numerics of GAN games (Mescheder, Nowozin and Geiger 2017) on two-dimensional games with analytic gradients: "
                + "player x minimises f(x, y), player y maximises it, and every method steps along the game field v = (-df/dx, df/dy).",
                "Writes field.png (v, the consensus field -grad L with L = |v|^2/2, and v - gamma grad L with its stationary points), "
                + "trajectories.png (each method from the same start over v), distance.png, eigenvalues.png (what each method's "
                + "stability at the equilibrium is read from, with its stability region) and summary.json into a new folder. "
                + "docs/lab.md explains each.",
                "Games: bilinear (f = x y), dirac (the Dirac GAN, f = phi(x y), phi(t) = -log(1 + e^-t)), "
                + "saddle (f = x^4/4 - 2x^3/3 + x^2/20 + x y - y^2/2). A flag left out takes the game's default (in brackets below).",
                "With --checkpoint RUN --eigs K instead of --game: the K largest-magnitude eigenvalues of a trained game's Jacobian "
                + "J = dv/dtheta (v: both players' loss gradients) at the checkpoint, an MLP's or a DCGAN's (unconditional or "
                + "class-conditional), on one batch of real data (with its labels) and of G's samples (with labels drawn uniformly), "
                + "by Arnoldi's method on Jacobian-vector products, printed and drawn in the complex plane (--out FILE.png, default "
                + "eigenvalues.png). Each Arnoldi step is one second-order pass; the progress shows step j of M with its ETA."})
public final class NumericsCommand implements Callable<Integer> {
    /** Stop rather than run past this many steps per method (a few seconds of work each 10^8). */
    static final long MAX_STEPS = 1_000_000_000L;
    /** Methods x steps from which a progress bar is shown. */
    static final long PROGRESS_FROM = 2_000_000L;

    @Spec
    CommandSpec spec;

    /** What to analyse: a game by name, or a trained model's checkpoint (its Jacobian's spectrum). */
    static final class Source {
        @Option(names = "--game", required = true, description = "bilinear, dirac or saddle")
        String game;
        @Option(names = "--checkpoint", required = true, description = "a checkpoint file, or a run folder (its newest checkpoint): "
                + "the eigenvalues of its game Jacobian (MLP and DCGAN models)")
        Path checkpoint;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--method", split = ",", defaultValue = "simgd,altgd,consensus",
            description = "the methods to run, comma-separated: simgd (simultaneous GD), altgd (alternating GD: y steps first, "
                    + "then x against the new y), consensus (simultaneous steps along v - gamma grad L)")
    List<String> methods;
    @Option(names = "--lr", description = "step size h [bilinear 0.1, dirac 0.2, saddle 0.02]")
    Double lr;
    @Option(names = "--gamma", description = "consensus weight gamma >= 0 [bilinear 0.5, dirac 1, saddle 5]")
    Double gamma;
    @Option(names = "--steps", description = "steps per method [bilinear 300, dirac 1000, saddle 3000]")
    Long steps;
    @Option(names = "--start", description = "start point x,y of every method [1,1; saddle 1.5,1.5]")
    String start;
    @Option(names = "--out", description = "with --game: a new (or empty) folder for the figures and summary.json (default: "
            + "numerics-<game>-<date>-<time>); with --checkpoint: the eigenvalues' PNG (default: eigenvalues.png)")
    Path out;
    @Option(names = "--eigs", paramLabel = "K", description = "with --checkpoint: how many eigenvalues, largest magnitude first [10]")
    Integer eigs;
    @Option(names = "--krylov", paramLabel = "M", description = "with --checkpoint: Arnoldi steps, one second-order pass each "
            + "[max(4K, 60), at most the parameter count, which gives every eigenvalue exactly]")
    Integer krylov;
    @Option(names = "--batch", description = "with --checkpoint: real points or images and latent vectors in the batch [the run's --batch]")
    Integer batch;
    @Option(names = "--seed", description = "with --checkpoint: seed of the batch and of Arnoldi's start vector [0]")
    Long seed;
    @Mixin
    OverwriteOption overwrite;
    @Mixin
    DeviceOption device;
    @Option(names = "--no-progress", description = "plain progress lines instead of a live bar (with --game shown from " + PROGRESS_FROM
            + " steps in all; with --checkpoint over the Arnoldi steps)")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        if (source.checkpoint != null) {
            refuseWith("--checkpoint", "--method", "--lr", "--gamma", "--steps", "--start");
            return CheckpointSpectrum.run(source.checkpoint, eigs == null ? 10 : eigs, krylov, batch, seed == null ? 0 : seed,
                    out == null ? Path.of("eigenvalues.png") : out, overwrite, device, !noProgress, spec.commandLine().getOut());
        }
        refuseWith("--game", "--eigs", "--krylov", "--batch", "--seed", "--device");
        Game g = Games.byName(source.game);
        GameNumerics.Settings d = GameNumerics.Settings.defaults(g);
        List<Method> ms = new ArrayList<>();
        for (String m : methods) {
            Method k = Method.byFlag(m);
            if (ms.contains(k)) throw new UserError("--method " + String.join(",", methods) + ": " + k.flag() + " is named twice");
            ms.add(k);
        }
        double h = lr == null ? d.lr() : lr, gm = gamma == null ? d.gamma() : gamma;
        long n = steps == null ? d.steps() : steps;
        if (!(h > 0) || !Double.isFinite(h)) throw new UserError("--lr must be a finite number > 0, got " + h);
        if (!(gm >= 0) || !Double.isFinite(gm)) throw new UserError("--gamma must be a finite number >= 0, got " + gm);
        if (n < 1 || n > MAX_STEPS) throw new UserError("--steps must be between 1 and " + MAX_STEPS + ", got " + n);
        double[] z0 = start == null ? new double[] {d.startX(), d.startY()} : point(start);
        GameNumerics.Settings s = new GameNumerics.Settings(g, List.copyOf(ms), h, gm, n, z0[0], z0[1], d.xMin(), d.xMax(), d.yMin(), d.yMax());
        Path dir = OutputFolder.of(out, "numerics-" + g.name() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));

        long total = ms.size() * n;
        Progress progress = total >= PROGRESS_FROM ? new Progress(System.err, total, "stepping", "steps/s", !noProgress) : null;
        GameNumerics r = GameNumerics.run(s, progress == null ? null : progress::update);
        if (progress != null) progress.finish();
        NumericsFigures.write(r, dir);
        Json.writeFile(dir.resolve("summary.json"), r.summary());

        PrintWriter o = spec.commandLine().getOut();
        o.println(g.name() + ": " + g.formula() + String.format(Locale.ROOT, "; h = %s, gamma = %s, %d steps from (%s, %s)",
                NumericsFigures.num(h), NumericsFigures.num(gm), n, NumericsFigures.num(z0[0]), NumericsFigures.num(z0[1])));
        for (Trajectory t : r.trajectories()) {
            o.printf(Locale.ROOT, "  %-17s %-30s spectral radius at the equilibrium %.6f%n", t.method().title(), t.behaviour(),
                    r.updateMatrices().get(t.method()).spectralRadius());
        }
        List<StationaryPoints.Point> spurious = r.consensusZeros().stream().filter(p -> !p.equilibrium()).toList();
        if (spurious.isEmpty()) o.println("  v - gamma grad L has no zero but the equilibrium in the window");
        for (StationaryPoints.Point p : spurious) {
            o.printf(Locale.ROOT, "  spurious zero of v - gamma grad L at (%.4f, %.4f), |v| = %.3g, %s%n", p.x(), p.y(), p.normV(),
                    p.attractsStep() ? "attracting the consensus steps" : "not attracting");
        }
        o.println("wrote " + String.join(", ", NumericsFigures.FILES) + " and summary.json to " + dir);
        o.flush();
        return 0;
    }

    /** Refuses the flags of the other source. */
    private void refuseWith(String source, String... others) {
        var parsed = spec.commandLine().getParseResult();
        for (String o : others) {
            if (parsed.hasMatchedOption(o)) throw new UserError(o + " does not go with " + source + " (numerics --help says which flags go with which)");
        }
    }

    /** "x,y" as two finite numbers. */
    static double[] point(String text) {
        String[] p = text.split(",", -1);
        try {
            if (p.length == 2) {
                double x = Double.parseDouble(p[0].strip()), y = Double.parseDouble(p[1].strip());
                if (Double.isFinite(x) && Double.isFinite(y)) return new double[] {x, y};
            }
        } catch (NumberFormatException ignored) {
            // refused below
        }
        throw new UserError("--start " + text + ": give two finite numbers x,y, e.g. --start 1,0.5");
    }
}
