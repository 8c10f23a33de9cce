package dev.sparring.bench;

import dev.sparring.UserError;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.gan.loss.GanLosses;
import dev.sparring.train.Metrics;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;
import dev.sparring.train.TrainerDefaults;
import dev.sparring.viz.Figure;
import dev.sparring.viz.ScatterPlot;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The loss benchmark on the 2-D ring: trains the toy MLP GAN on ring8 (8 Gaussians, radius 2, sigma 0.02) once per
 * built-in loss, with the same seed, the same model and the same number of generator steps, on the CPU backend, and
 * writes a markdown table (modes covered, high-quality share, final critic loss against its equilibrium value, wall
 * time) and one PNG with the final scatter plot of every loss.
 *
 * <p>Model, batch and step budget are those of the learning check ({@code RingLearningTest}): MLP 2 x 128, latent size
 * 4, batch 128, 5000 generator steps. By default each loss trains with its own {@link TrainerDefaults} (optimizer,
 * learning rates, beta1, beta2, critic steps k, clipping), as {@code sparring train --loss NAME} would on image data
 * (on 2-D data it now scales the rates: {@code dev.sparring.train.PointDefaults}): Adam(0.5, 0.999) lr 2e-4 for all but
 * WGAN (RMSProp alpha 0.99, 5e-5, k 5, clipping 0.01).
 *
 * <p>The constant default rates leave G's clusters short of the 3-sigma precision at this budget, so a second run,
 * {@code --lr-scale-d 10 --lr-scale-g 5 --decay-at 3000 --decay 5}, multiplies every loss's default rates by the same
 * factors and decays them: for the Adam losses that is the learning check's former schedule, 2e-3/1e-3 for 3000
 * steps then 4e-4/2e-4 (the trainer's step decay, {@code --lr-decay-at 3000 --lr-decay 0.2}; the learning check now
 * trains the 2-D data defaults of {@code sparring train}: the same with equal rates of 2e-3); WGAN keeps RMSProp, k 5
 * and clipping, at 5e-4/2.5e-4 then 1e-4/5e-5. {@code bench/ring/run.sh} without options writes both: ring-losses
 * (trainer defaults) and ring-losses-schedule.
 *
 * <pre>
 * java -cp target/sparring.jar dev.sparring.bench.RingBenchmark [options]      (bench/ring/run.sh builds the jar and runs it)
 *   --steps N          generator steps per loss (default 5000)
 *   --seed S           run seed, the same for every loss (default 1)
 *   --hidden H         MLP hidden units (default 128)
 *   --depth L          MLP hidden layers (default 2)
 *   --nz Z             latent size (default 4)
 *   --batch B          batch size (default 128)
 *   --lr-scale-d F     factor on each loss's default critic learning rate (default 1)
 *   --lr-scale-g F     factor on each loss's default generator learning rate (default 1)
 *   --decay-at N       divide the learning rates by --decay after N steps; 0: no decay (default 0)
 *   --decay F          the divisor, >= 1 (default 5): the trainer's --lr-decay is 1/F
 *   --losses A,B       losses to run (default: every built-in, in catalogue order)
 *   --samples N        fixed-noise samples for the coverage metric and the plots (default 2000)
 *   --out DIR          folder for the report and the plots (default bench/results)
 *   --name BASE        file names BASE.md and BASE.png (default ring-losses)
 *   --command TEXT     the command line to record in the report
 * </pre>
 */
public final class RingBenchmark {
    private RingBenchmark() { }

    /** What every loss shares. */
    public record Settings(long steps, long seed, int hidden, int depth, int nz, int batch, double lrScaleD, double lrScaleG,
                           long decayAt, double decay, int samples, int logEvery) {
        public Settings {
            if (steps < 1) throw new UserError("RingBenchmark: --steps must be >= 1, got " + steps);
            if (samples < 1) throw new UserError("RingBenchmark: --samples must be >= 1, got " + samples);
            if (logEvery < 1 || steps % logEvery != 0 || decayAt % logEvery != 0) {
                throw new UserError("RingBenchmark: --steps (" + steps + ") and --decay-at (" + decayAt + ") must be multiples of " + logEvery);
            }
            if (decayAt < 0 || decayAt >= steps && decayAt != 0) {
                throw new UserError("RingBenchmark: --decay-at must be 0 (no decay) or less than --steps (" + steps + "), got " + decayAt);
            }
            if (!(lrScaleD > 0) || !(lrScaleG > 0) || !(decay >= 1)) {
                throw new UserError("RingBenchmark: --lr-scale-d and --lr-scale-g must be > 0, --decay >= 1");
            }
        }

        public static Settings defaults() { return new Settings(5000, 1, 128, 2, 4, 128, 1, 1, 0, 5, 2000, 100); }

        boolean decays() { return decayAt > 0; }
    }

    /**
     * One loss's run.
     *
     * @param config      the run's configuration (learning rates before the decay, the decay in lrDecayAt/lrDecay)
     * @param dLoss       mean critic loss L_D over the last {@link Settings#logEvery} steps (NaN if the run diverged)
     * @param stepsDone   generator steps trained (fewer than asked when the run diverged)
     * @param points      (samples, 2) the generator's final fixed-noise samples
     */
    public record Result(GanLoss loss, TrainConfig config, Mixture2D.Coverage coverage, double dLoss, double dLossEquilibrium,
                         long stepsDone, boolean diverged, double seconds, float[] points) { }

    /** The run's configuration: the loss's trainer defaults, scaled learning rates and their decay, the shared model, seed and budget. */
    public static TrainConfig config(GanLoss loss, Settings s) {
        TrainerDefaults d = TrainerDefaults.of(loss);
        TrainConfig.Builder c = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).loss(loss.spec())
                .hidden(s.hidden()).depth(s.depth()).nz(s.nz()).batch(s.batch()).trainerDefaults(d)
                .lrD(round(d.lrD() * s.lrScaleD())).lrG(round(d.lrG() * s.lrScaleG()))
                .steps(s.steps()).seed(s.seed()).logEvery(s.logEvery());
        return (s.decays() ? c.lrDecayAt(s.decayAt()).lrDecay(1 / s.decay()) : c).build();
    }

    /** Trains one loss on ring8 on the CPU and measures its final samples. */
    public static Result run(GanLoss loss, Settings s) {
        TrainConfig cfg = config(loss, s);
        Mixture2D ring = (Mixture2D) Datasets.open("ring8", 0, 0);
        TrainLoss tl = TrainLoss.of(loss);
        long t0 = System.nanoTime();
        try (Trainer t = new Trainer(cfg, new CpuBackend(), ring, tl)) {
            return result(loss, cfg, ring, t, train(t), tl, s, t0);
        }
    }

    /** v to 6 significant digits: 2e-4 * 10 is 0.002, not 0.0020000000000000005. */
    private static double round(double v) { return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).doubleValue(); }

    private record Trained(double dLoss, boolean diverged) { }

    /** Steps t to its configured step count, or until a metric is not finite; the mean L_D of the last block. */
    private static Trained train(Trainer t) {
        TrainConfig cfg = t.config();
        double dLoss = Double.NaN;
        while (t.stepCount() < cfg.steps()) {
            t.step();
            if (t.stepCount() % cfg.logEvery() == 0) {
                List<Metrics> block = t.drainMetrics();
                double sum = 0;
                for (Metrics m : block) {
                    if (!m.finite()) return new Trained(Double.NaN, true);
                    sum += m.dLoss();
                }
                dLoss = sum / block.size();
            }
        }
        return new Trained(dLoss, false);
    }

    private static Result result(GanLoss loss, TrainConfig cfg, Mixture2D ring, Trainer t, Trained p, TrainLoss tl, Settings s, long t0) {
        float[] points = t.fixedSamples(s.samples());   // (samples, 2)
        double seconds = (System.nanoTime() - t0) / 1e9;
        return new Result(loss, cfg, ring.coverage(points, s.samples()), p.dLoss(), tl.equilibriumCriticLoss(),
                t.stepCount(), p.diverged(), seconds, points);
    }

    // ------------------------------------------------------------------ report

    /** The markdown report. */
    static String report(List<Result> results, Settings s, String command, String loadBefore, String loadAfter, double totalSeconds) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Built-in GAN losses on the 8-Gaussian ring (CPU)\n\n");
        sb.append("- date: ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        sb.append("- machine: ").append(Machine.cpu()).append(", ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs visible to the JVM\n");
        sb.append("- JDK: ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version")).append('\n');
        sb.append("- load average (1, 5, 15 min) before: ").append(loadBefore).append("; after: ").append(loadAfter)
                .append(" (the machine is shared: wall times are indicative only)\n");
        sb.append("- command: `").append(command).append("`\n");
        sb.append(String.format(Locale.ROOT, "- total wall time: %.0f s%n", totalSeconds));
        sb.append("- data: ring8, 8 Gaussians on a circle of radius 2, sigma 0.02; backend: cpu\n");
        sb.append(String.format(Locale.ROOT, "- model: MLP G and D, %d hidden layers of %d units, latent size %d; batch %d%n",
                s.depth(), s.hidden(), s.nz(), s.batch()));
        sb.append(String.format(Locale.ROOT, "- budget: %d generator steps per loss, seed %d for every loss (same initial weights, noise and data order "
                + "where the settings agree)%n", s.steps(), s.seed()));
        sb.append("- optimizer, beta1, beta2, critic steps k and clipping: each loss's own trainer defaults (`sparring loss list`): Adam beta2 0.999, "
                + "RMSProp alpha 0.99; alternating updates (k critic steps, then one generator step)\n");
        sb.append("- learning rates: ").append(schedule(s)).append('\n');
        sb.append(String.format(Locale.ROOT, "- metrics on %d samples of G on fixed noise after the last step: a sample is high quality (HQ) within "
                + "3 sigma of its nearest mode; a mode is covered when it holds at least a quarter of its fair share (1/8) of HQ samples%n", s.samples()));
        sb.append(String.format(Locale.ROOT, "- final L_D: the mean critic loss over the last %d steps; L_D* its value at equilibrium (p_G = p_data) "
                + "from the loss's design check; L_D* - L_D estimates the divergence the critic sees (0 at equilibrium)%n%n", s.logEvery()));
        sb.append("| loss | optimizer | modes covered | HQ share | final L_D | L_D* | L_D* - L_D | wall time (s) |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            TrainConfig c = r.config();
            String opt = String.format(Locale.ROOT, "%s, lr %s/%s, k %d%s", c.optimizer(), human(c.lrD()), human(c.lrG()), c.dSteps(),
                    c.clip() > 0 ? ", clip " + human(c.clip()) : "");
            String dl = r.diverged() ? "diverged at step " + r.stepsDone() : num(r.dLoss());
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d/%d | %.1f%% | %s | %s | %s | %.1f |%n", r.loss().spec() + twinOf(results, r), opt,
                    r.coverage().modesCovered(), r.coverage().modes(), 100 * r.coverage().highQualityShare(), dl,
                    num(r.dLossEquilibrium()), r.diverged() ? "-" : num(r.dLossEquilibrium() - r.dLoss()), r.seconds()));
        }
        List<String> pass = new ArrayList<>();
        for (Result r : results) {
            if (r.coverage().modesCovered() >= 7 && r.coverage().highQualityShare() >= 0.70) pass.add(r.loss().spec());
        }
        sb.append(String.format(Locale.ROOT, "%nMeets the learning check's bar (>= 7 of 8 modes, >= 70%% HQ): %d of %d losses%s%n",
                pass.size(), results.size(), pass.isEmpty() ? "" : " (" + String.join(", ", pass) + ")"));
        sb.append("\nThe optimizer column shows the learning rates D/G").append(s.decays() ? " before the decay, divided by " + human(s.decay())
                + " after step " + s.decayAt() : "").append(". \"= X\" after a loss name: its final samples are bit for bit those of X "
                + "(the same critic and generator functions up to a constant, trained from the same seed).\n");
        return sb.toString();
    }

    /** " (= X)" when an earlier result X has bit-identical final samples, else "". */
    private static String twinOf(List<Result> results, Result r) {
        for (Result o : results) {
            if (o == r) return "";
            if (java.util.Arrays.equals(o.points(), r.points())) return " (= " + o.loss().spec() + ")";
        }
        return "";
    }

    /** The learning-rate schedule in words. */
    private static String schedule(Settings s) {
        String scale = s.lrScaleD() == 1 && s.lrScaleG() == 1 ? "each loss's default learning rates (`sparring loss list`)"
                : "each loss's default learning rates times " + human(s.lrScaleD()) + " for D and " + human(s.lrScaleG()) + " for G";
        return scale + (s.decays() ? " for the first " + s.decayAt() + " steps, then divided by " + human(s.decay())
                + " for the remaining " + (s.steps() - s.decayAt()) + " (the trainer's step decay, --lr-decay-at " + s.decayAt()
                + " --lr-decay " + human(1 / s.decay()) + ")" : ", constant");
    }

    private static String num(double v) {
        if (Double.isNaN(v)) return "n/a";
        if (Math.abs(v) < 1e-12) return "0";   // also the design check's rounding residue (1.1e-16 for fgan-js)
        return String.format(Locale.ROOT, Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? "%.3g" : "%.4f", v);
    }

    /** 2e-4 as 0.0002, 0.01 as 0.01: the shortest plain decimal. */
    private static String human(double v) { return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); }

    // ------------------------------------------------------------------ the grid of scatter plots

    /** One scatter plot per loss, columns per row, under a title; all panels share the limits [-3, 3]. */
    static Figure grid(List<Result> results, int columns, int panel, String title) {
        Figure f = new Figure(columns, panel, panel).heading(title);
        ScatterPlot.Options o = ScatterPlot.Options.fixed(-3, 3, -3, 3).withSize(panel, panel);
        for (Result r : results) {
            Mixture2D.Coverage c = r.coverage();
            String t = String.format(Locale.ROOT, "%s: %d/8 modes, %.0f%% HQ%s", r.loss().spec(), c.modesCovered(),
                    100 * c.highQualityShare(), r.diverged() ? " (diverged)" : "");
            f.add(new ScatterPlot(r.points(), r.points().length / 2, ringCenters(), t, o));
        }
        return f;
    }

    private static double[][] ringCenters() { return ((Mixture2D) Datasets.open("ring8", 0, 0)).centers(); }

    // ------------------------------------------------------------------ main

    public static void main(String[] args) throws IOException {
        Settings d = Settings.defaults();
        long steps = d.steps(), seed = d.seed();
        int hidden = d.hidden(), depth = d.depth(), nz = d.nz(), batch = d.batch(), samples = d.samples();
        double lrScaleD = d.lrScaleD(), lrScaleG = d.lrScaleG(), decay = d.decay();
        long decayAt = d.decayAt();
        Path out = Path.of("bench", "results");
        String name = "ring-losses";
        String command = "java -cp target/sparring.jar dev.sparring.bench.RingBenchmark " + String.join(" ", args);
        List<String> names = GanLosses.names();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--steps" -> steps = Long.parseLong(value(args, ++i, a));
                case "--seed" -> seed = Long.parseLong(value(args, ++i, a));
                case "--hidden" -> hidden = Integer.parseInt(value(args, ++i, a));
                case "--depth" -> depth = Integer.parseInt(value(args, ++i, a));
                case "--nz" -> nz = Integer.parseInt(value(args, ++i, a));
                case "--batch" -> batch = Integer.parseInt(value(args, ++i, a));
                case "--lr-scale-d" -> lrScaleD = Double.parseDouble(value(args, ++i, a));
                case "--lr-scale-g" -> lrScaleG = Double.parseDouble(value(args, ++i, a));
                case "--decay-at" -> decayAt = Long.parseLong(value(args, ++i, a));
                case "--decay" -> decay = Double.parseDouble(value(args, ++i, a));
                case "--samples" -> samples = Integer.parseInt(value(args, ++i, a));
                case "--losses" -> names = List.of(value(args, ++i, a).split(","));
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--name" -> name = value(args, ++i, a);
                case "--command" -> command = value(args, ++i, a);
                default -> throw new UserError("RingBenchmark: unknown option '" + a + "' (see the class comment for the usage)");
            }
        }
        Settings s = new Settings(steps, seed, hidden, depth, nz, batch, lrScaleD, lrScaleG, decayAt, decay, samples, d.logEvery());
        List<GanLoss> losses = new ArrayList<>();
        for (String n : names) losses.add(GanLoss.parse(n.strip()));   // fails before any training on an unknown name

        String loadBefore = Machine.loadAverage();
        long t0 = System.nanoTime();
        List<Result> results = new ArrayList<>();
        for (GanLoss l : losses) {
            Result r = run(l, s);
            results.add(r);
            System.out.printf(Locale.ROOT, "%-20s %s%s  L_D %s (L_D* %s)  %.1f s%n", l.spec(), r.coverage(),
                    r.diverged() ? ", diverged at step " + r.stepsDone() : "", num(r.dLoss()), num(r.dLossEquilibrium()), r.seconds());
        }
        double total = (System.nanoTime() - t0) / 1e9;
        Files.createDirectories(out);
        Path md = out.resolve(name + ".md"), png = out.resolve(name + ".png");
        Files.writeString(md, report(results, s, command, loadBefore, Machine.loadAverage(), total));
        String title = String.format(Locale.ROOT, "ring8, seed %d, MLP %dx%d, nz %d, batch %d, %d generator steps; %s",
                s.seed(), s.depth(), s.hidden(), s.nz(), s.batch(), s.steps(), s.lrScaleD() == 1 && s.lrScaleG() == 1 && !s.decays()
                        ? "each loss's trainer defaults"
                        : "lr: trainer defaults x " + human(s.lrScaleD()) + " (D), x " + human(s.lrScaleG()) + " (G)"
                        + (s.decays() ? ", / " + human(s.decay()) + " after step " + s.decayAt() : ""));
        grid(results, 6, 300, title).write(png);
        System.out.printf(Locale.ROOT, "wrote %s and %s (%.0f s)%n", md, png, total);
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) throw new UserError("RingBenchmark: " + flag + " needs a value");
        return args[i];
    }
}
