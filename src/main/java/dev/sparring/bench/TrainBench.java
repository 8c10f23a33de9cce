package dev.sparring.bench;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.StepGraph;
import dev.sparring.data.ImageDataset;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.train.Metrics;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;
import dev.sparring.train.TrainerDefaults;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Training throughput of a DCGAN on the real {@link Trainer}, with synthetic images that live on the device (a random
 * uint8 dataset uploaded once; the trainer gathers and normalises batches there), so that the numbers are the
 * training step alone: no disk, no host-to-device copies of images.
 *
 * <pre>
 * check   (optional) the first checkSteps steps on the backend and on a reference backend (the CPU twin) from the same
 *         seed: same initial weights, noise and batches, so the per-step losses must agree to float rounding
 * warm-up warmup steps (cuDNN algorithm search, JIT), then the metrics are read and must be finite
 * timed   repeats blocks of iters steps, each between two backend.synchronize() calls; the median block gives
 *         ms/iteration, iterations/s and images/s (real images per second = it/s x batch x critic steps)
 * phases  (optional) phaseIters more iterations of the same step written out phase by phase (as Trainer.step does it),
 *         with a synchronize after each phase: where the time goes (the synchronizes add a little; the sum is printed
 *         beside the timed figure)
 * </pre>
 *
 * GFLOP/s counts the multiply-adds of the convolutions only (2 FLOPs each), for the passes one alternating iteration
 * needs: see {@link #convFlopsPerIteration}.
 */
public final class TrainBench {
    private TrainBench() { }

    /** How often warm-up or a timed block that is still running says how far it got (tests shorten it). */
    static long progressNanos = 10_000_000_000L;

    /**
     * What to train and how long to time it.
     *
     * @param imageSize  DCGAN image side (28, 32 or 64)
     * @param channels   image channels
     * @param nz         latent size
     * @param ngf        generator width
     * @param ndf        critic width
     * @param batch      batch size
     * @param images     synthetic images kept on the device (at least one batch)
     * @param loss       loss spec, as --loss takes it (its defaults give the optimizer, learning rates and critic steps)
     * @param warmup     untimed steps first
     * @param iters      steps per timed block
     * @param repeats    timed blocks (the median is reported)
     * @param phaseIters iterations of the per-phase breakdown (0: none)
     * @param checkSteps steps compared against the reference backend (0: no check)
     * @param seed       seed of the weights, noise, data and pixels
     */
    public record Options(int imageSize, int channels, int nz, int ngf, int ndf, int batch, int images, String loss,
                          int warmup, int iters, int repeats, int phaseIters, int checkSteps, long seed) {
        public Options {
            new Dcgan.Config(imageSize, channels, nz, ngf, ndf);   // validates the model size
            if (batch < 1) throw new UserError("--batch must be >= 1, got " + batch);
            if (images < batch) throw new UserError("--images must be >= --batch (" + batch + "), got " + images);
            if (warmup < 1) throw new UserError("--warmup must be >= 1 (the first steps set up cuDNN and the JIT), got " + warmup);
            if (iters < 1 || repeats < 1) throw new UserError("--iters and --repeats must be >= 1, got " + iters + ", " + repeats);
            if (phaseIters < 0 || checkSteps < 0) throw new UserError("--phase-iters and --check-steps must be >= 0");
        }

        /** PyTorch's DCGAN example: 64 px RGB, nz 100, ngf = ndf = 64, batch 128, the non-saturating loss. */
        public static Options dcgan64() {
            return new Options(64, 3, 100, 64, 64, 128, 1024, "nsgan", 10, 50, 3, 10, 0, 1);
        }

        /** The default {@code sparring train} job: 28 px gray digits, nz 64, ngf = ndf = 32, batch 32, nsgan. */
        public static Options defaultJob() {
            return new Options(28, 1, 64, 32, 32, 32, 1024, "nsgan", 10, 50, 3, 10, 0, 1);
        }
    }

    /** The reference comparison: "ok", "mismatch" or "skipped", the largest |difference| and a printable table. */
    public record Check(String status, double maxDiff, String table) {
        static Check skipped(String why) { return new Check("skipped", 0, why); }
    }

    /**
     * @param msPerIter   each timed block's milliseconds per iteration
     * @param phases      phase name to milliseconds per iteration (empty when not measured)
     * @param last        the metrics of the last timed step
     * @param graph       the step graph's counts when steps ran as a CUDA graph, else null
     */
    public record Result(Options options, String device, String description, int dSteps, long gParams, long dParams,
                         double[] msPerIter, Map<String, Double> phases, Check check, Metrics last, StepGraph.Stats graph) {
        public double medianMs() {
            double[] s = msPerIter.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
        }

        public double itPerSec() { return 1000 / medianMs(); }

        /** Real images through the critic per second. */
        public double imagesPerSec() { return itPerSec() * options.batch() * dSteps; }

        public double gflopPerSec() { return convFlopsPerIteration(options, dSteps) / (medianMs() * 1e6); }

        public double phaseTotalMs() { return phases.values().stream().mapToDouble(Double::doubleValue).sum(); }

        /** One line for people. */
        public String line() {
            Options o = options;
            double min = Arrays.stream(msPerIter).min().orElse(0), max = Arrays.stream(msPerIter).max().orElse(0);
            return String.format(Locale.ROOT, "bench: %s, DCGAN %dpx C %d nz %d ngf %d ndf %d, batch %d, %s (%d critic step%s): "
                            + "%.2f it/s, %.0f img/s, %.2f ms/it (median of %d x %d; %.2f-%.2f), %.0f conv GFLOP/s%s",
                    device, o.imageSize(), o.channels(), o.nz(), o.ngf(), o.ndf(), o.batch(), o.loss(), dSteps, dSteps == 1 ? "" : "s",
                    itPerSec(), imagesPerSec(), medianMs(), o.repeats(), o.iters(), min, max, gflopPerSec(),
                    graph == null ? "" : String.format(Locale.ROOT, ", CUDA graph of %d operations (%d steps replayed)",
                            graph.operations(), graph.replayed()));
        }

        /** The machine-readable form (one JSON object). */
        public Map<String, Object> toMap() {
            Options o = options;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("bench", "sparring-train");
            m.put("device", device);
            m.put("description", description);
            m.put("model", "dcgan");
            m.put("image_size", o.imageSize());
            m.put("channels", o.channels());
            m.put("nz", o.nz());
            m.put("ngf", o.ngf());
            m.put("ndf", o.ndf());
            m.put("batch", o.batch());
            m.put("loss", o.loss());
            m.put("d_steps", dSteps);
            m.put("g_params", gParams);
            m.put("d_params", dParams);
            m.put("warmup", o.warmup());
            m.put("iters", o.iters());
            m.put("repeats", o.repeats());
            m.put("ms_per_it", medianMs());
            List<Object> all = new ArrayList<>();
            for (double v : msPerIter) all.add(v);
            m.put("ms_per_it_blocks", all);
            m.put("it_per_s", itPerSec());
            m.put("img_per_s", imagesPerSec());
            m.put("conv_gflop_per_it", convFlopsPerIteration(o, dSteps) / 1e9);
            m.put("conv_gflop_per_s", gflopPerSec());
            m.put("phases_ms", new LinkedHashMap<String, Object>(phases));
            m.put("cuda_graph", graph != null);
            m.put("graph_operations", graph == null ? null : graph.operations());
            m.put("graph_replayed", graph == null ? null : graph.replayed());
            m.put("check", check.status());
            m.put("check_max_diff", check.maxDiff());
            m.put("last_d_loss", last == null ? null : last.dLoss());
            m.put("last_g_loss", last == null ? null : last.gLoss());
            return m;
        }
    }

    /**
     * Runs the benchmark on {@code be}. {@code reference} makes the backend to check against (null: no check; it is
     * only called when {@code checkSteps > 0}). Progress goes to {@code log}.
     */
    public static Result run(Backend be, Options o, Supplier<Backend> reference, PrintStream log) {
        return run(be, o, reference, log, false);
    }

    /**
     * As {@link #run(Backend, Options, Supplier, PrintStream)}; with {@code graphs}, the checked and the timed steps run
     * through the backend's step graph ({@link Trainer#useStepGraph}), where it has one. The phase breakdown runs op
     * by op (it waits for the device between phases).
     */
    public static Result run(Backend be, Options o, Supplier<Backend> reference, PrintStream log, boolean graphs) {
        return run(be, o, syntheticImages(o), reference, log, graphs, null);
    }

    /**
     * As {@link #run(Backend, Options, Supplier, PrintStream, boolean)}, on {@code data} ({@link #syntheticImages}(o),
     * made by the caller, which may also use it); {@code beforeWarmup} (if not null) runs just before the first warm-up
     * step (the CPU's JIT warm-up waits there).
     */
    public static Result run(Backend be, Options o, ImageDataset data, Supplier<Backend> reference, PrintStream log, boolean graphs,
                             Runnable beforeWarmup) {
        TrainLoss loss = TrainLoss.of(GanLoss.parse(o.loss()));
        Check check = Check.skipped("no reference backend");
        if (o.checkSteps() > 0 && reference != null) {
            log.printf("bench: checking %d step(s) against the reference backend ...%n", o.checkSteps());
            try (Backend ref = reference.get()) {
                check = compare(config(o, o.checkSteps(), o.checkSteps()), be, ref, data, loss, graphs);
            }
            log.println(check.table());
        }

        // a step graph is captured at the third step: the timed steps replay it
        int warmup = graphs ? Math.max(o.warmup(), 3) : o.warmup();
        int logEvery = Math.max(warmup, o.iters());
        TrainConfig cfg = config(o, (long) warmup + (long) o.repeats() * o.iters() + o.phaseIters(), logEvery);
        try (Trainer t = new Trainer(cfg, be, data, loss)) {
            if (graphs && !t.useStepGraph(true)) log.println("bench: the " + be.name() + " backend has no step graphs; steps run op by op");
            if (beforeWarmup != null) beforeWarmup.run();
            log.printf("bench: %d warm-up step(s) ...%n", warmup);
            double[] warmMs = new double[warmup];
            steps(t, warmup, "warm-up", log, warmMs);
            requireFinite(t.drainMetrics(), "warm-up");
            StringBuilder sb = new StringBuilder();
            for (double w : warmMs) sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT, w < 10 ? "%.1f" : "%.0f", w));
            log.println("bench: warm-up steps (ms, untimed): " + sb);
            double[] ms = new double[o.repeats()];
            Metrics last = null;
            for (int r = 0; r < o.repeats(); r++) {
                be.synchronize();
                long t0 = System.nanoTime();
                steps(t, o.iters(), "block " + (r + 1) + "/" + o.repeats(), log, null);
                be.synchronize();
                ms[r] = (System.nanoTime() - t0) / 1e6 / o.iters();
                List<Metrics> ms2 = t.drainMetrics();
                requireFinite(ms2, "timed block " + (r + 1));
                last = ms2.getLast();
                log.printf(Locale.ROOT, "bench: block %d/%d: %.3f ms/it%n", r + 1, o.repeats(), ms[r]);
            }
            Map<String, Double> phases = o.phaseIters() > 0 ? phases(t, o.phaseIters()) : Map.of();
            StepGraph.Stats graph = t.stepGraphStats();
            return new Result(o, be.name(), be.description(), cfg.dSteps(), t.generator().parameterCount(),
                    t.critic().parameterCount(), ms, phases, check, last, graph);
        }
    }

    /**
     * Runs n steps; every {@link #progressNanos} a line says how many were issued, so that a slow block (a GPU-sized
     * job on the CPU) shows it is moving. Reading the clock costs nothing beside a step. With {@code ms}, each step's time
     * as issued (on an asynchronous device the time to queue it).
     */
    private static void steps(Trainer t, int n, String what, PrintStream log, double[] ms) {
        long t0 = System.nanoTime(), shown = t0, last = t0;
        for (int i = 0; i < n; i++) {
            t.step();
            long now = System.nanoTime();
            if (ms != null) ms[i] = (now - last) / 1e6;
            last = now;
            if (now - shown >= progressNanos && i + 1 < n) {
                log.printf(Locale.ROOT, "bench: %s: %d/%d steps issued, %.0f s%n", what, i + 1, n, (now - t0) / 1e9);
                shown = now;
            }
        }
    }

    /** The training configuration of a benchmark run: the loss's own optimizer settings, metrics read in blocks. */
    public static TrainConfig config(Options o, long steps, int logEvery) {
        TrainerDefaults d = TrainerDefaults.of(GanLoss.parse(o.loss()));
        return TrainConfig.builder().data("synthetic").model(TrainConfig.Model.DCGAN).imageSize(o.imageSize()).channels(o.channels())
                .nz(o.nz()).ngf(o.ngf()).ndf(o.ndf()).hidden(128).depth(3).loss(o.loss()).trainerDefaults(d).batch(o.batch())
                .epochs(1).steps(steps).seed(o.seed()).sampleEvery(0).logEvery(Math.max(1, logEvery)).checkpointEvery(0).build();
    }

    /** Random uint8 images (N, C, S, S) drawn from the seed. */
    public static ImageDataset syntheticImages(Options o) {
        int n = o.images(), c = o.channels(), s = o.imageSize();
        long total = (long) n * c * s * s;
        if (total > Integer.MAX_VALUE - 8) {
            throw new UserError("--images " + n + " of " + c + "x" + s + "x" + s + " do not fit in one array; use fewer");
        }
        byte[] px = new byte[(int) total];   // (N, C, S, S)
        new java.util.SplittableRandom(o.seed()).nextBytes(px);
        return new ImageDataset("synthetic-" + n, px, n, c, s, s, null);
    }

    private static void requireFinite(List<Metrics> ms, String when) {
        for (Metrics m : ms) {
            if (!m.finite()) {
                throw new IllegalStateException("bench: non-finite training metrics in the " + when + " (step " + m.step() + "): " + m
                        + "; the backend computes something wrong (run the CUDA parity tests) or the loss diverged");
            }
        }
    }

    // ---------------------------------------------------------------- reference check

    /** Tolerance of the step-by-step comparison: float sums in another order, amplified a little by each Adam step. */
    static final double CHECK_ATOL = 1e-3, CHECK_RTOL = 1e-3;

    static Check compare(TrainConfig cfg, Backend be, Backend ref, ImageDataset data, TrainLoss loss, boolean graphs) {
        List<Metrics> a, b;
        try (Trainer t = new Trainer(cfg, be, data, loss)) {
            t.useStepGraph(graphs);
            for (long i = 0; i < cfg.steps(); i++) t.step();
            a = t.drainMetrics();
        }
        try (Trainer t = new Trainer(cfg, ref, data, loss)) {
            for (long i = 0; i < cfg.steps(); i++) t.step();
            b = t.drainMetrics();
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                "bench: check %s vs %s (|diff| <= %.0e + %.0e |ref|):%n  step  metric        %-14s %-14s |diff|", be.name(), ref.name(),
                CHECK_ATOL, CHECK_RTOL, be.name(), ref.name()));
        double maxDiff = 0;
        boolean ok = true;
        for (int i = 0; i < a.size(); i++) {
            Metrics x = a.get(i), y = b.get(i);
            double[][] pairs = {{x.dLoss(), y.dLoss()}, {x.gLoss(), y.gLoss()}, {x.sigmaReal(), y.sigmaReal()},
                    {x.sigmaFake(), y.sigmaFake()}, {x.gradNormD(), y.gradNormD()}, {x.gradNormG(), y.gradNormG()}};
            String[] names = {"d_loss", "g_loss", "sigma_real", "sigma_fake", "grad_norm_d", "grad_norm_g"};
            for (int k = 0; k < pairs.length; k++) {
                double d = Math.abs(pairs[k][0] - pairs[k][1]);
                boolean good = d <= CHECK_ATOL + CHECK_RTOL * Math.abs(pairs[k][1]);   // NaN fails
                ok &= good;
                maxDiff = Math.max(maxDiff, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
                sb.append(String.format(Locale.ROOT, "%n  %4d  %-12s %-14.7g %-14.7g %.3g%s", x.step(), names[k], pairs[k][0],
                        pairs[k][1], d, good ? "" : "  MISMATCH"));
            }
        }
        return new Check(ok ? "ok" : "mismatch", maxDiff, sb.toString());
    }

    // ---------------------------------------------------------------- phase breakdown

    /** Accumulates wall time per phase, draining the device at each boundary. */
    private static final class PhaseClock {
        final Backend be;
        final Map<String, Double> ms = new LinkedHashMap<>();
        long t;

        PhaseClock(Backend be) { this.be = be; }

        void start() { be.synchronize(); t = System.nanoTime(); }

        void mark(String phase) {
            be.synchronize();
            long now = System.nanoTime();
            ms.merge(phase, (now - t) / 1e6, Double::sum);
            t = now;
        }
    }

    /**
     * Runs {@code iters} more training steps with a listener that drains the device at every phase boundary of
     * {@link Trainer#step()}, and returns milliseconds per iteration by phase.
     */
    static Map<String, Double> phases(Trainer t, int iters) {
        PhaseClock clock = new PhaseClock(t.backend());
        clock.start();
        t.onPhase(clock::mark);
        try {
            for (int it = 0; it < iters; it++) {
                t.step();
                if (t.stepCount() % t.config().logEvery() == 0) t.drainMetrics();
            }
        } finally {
            t.onPhase(null);
        }
        Map<String, Double> perIter = new LinkedHashMap<>();
        clock.ms.forEach((k, v) -> perIter.put(k, v / iters));
        return perIter;
    }

    /** The phase table for people: ms per iteration and share of the phase total. */
    public static String phaseTable(Map<String, Double> phases, double timedMs) {
        double total = phases.values().stream().mapToDouble(Double::doubleValue).sum();
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-12s %10s %6s", "phase", "ms/it", "share"));
        phases.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%n%-12s %10.3f %5.1f%%", k, v, 100 * v / total)));
        sb.append(String.format(Locale.ROOT, "%n%-12s %10.3f   (timed loop without per-phase syncs: %.3f ms/it)", "sum", total, timedMs));
        return sb.toString();
    }

    // ---------------------------------------------------------------- FLOPs

    /**
     * Convolution FLOPs (2 per multiply-add) of one alternating iteration, counted from the layer shapes of
     * {@link Dcgan}: per critic step G forward, D forward on the real and the fake batch, D backward on both
     * (filter gradients of every layer, input gradients of every layer but the first); then for the generator
     * D forward, D backward (input gradients only, every layer), G backward (filter gradients, input gradients of every
     * layer but the first). Every gradient of a convolution costs as much as its forward pass.
     */
    public static double convFlopsPerIteration(Options o, int dSteps) {
        Dcgan.Config c = new Dcgan.Config(o.imageSize(), o.channels(), o.nz(), o.ngf(), o.ndf());
        // per-sample multiply-adds of each layer, in forward order; the same list serves G (reversed sizes) and D
        double[] dMacs = macs(c, c.ndf(), c.channels());
        double[] gMacs = macs(c, c.ngf(), c.channels());   // a transposed conv costs what the conv it transposes costs,
        gMacs[gMacs.length - 1] *= c.nz();                  // but G's first layer maps nz channels, not 1
        double dAll = sum(dMacs, 0), dNotFirst = sum(dMacs, 1);
        double gAll = sum(gMacs, 0), gNotFirstOfG = gAll - gMacs[gMacs.length - 1];   // G's first layer is D's last
        double critic = gAll + 2 * dAll + 2 * (dAll + dNotFirst);
        double generator = dAll + dAll + (gAll + gNotFirstOfG);
        return 2.0 * o.batch() * (dSteps * critic + generator);
    }

    /** Multiply-adds per sample of D's layers (conv from C at imageSize down to 1 at 1x1), widths from {@code width}. */
    private static double[] macs(Dcgan.Config c, int width, int channels) {
        int L = c.stages();
        double[] m = new double[L + 1];
        int side = c.imageSize(), in = channels, out = width;
        for (int i = 0; i < L; i++) {
            side /= 2;                       // stride-2 conv, kernel 4
            m[i] = (double) out * side * side * in * 16;
            in = out;
            out *= 2;
        }
        int k0 = c.baseSize();
        m[L] = (double) in * k0 * k0;        // last conv: in -> 1 channel, k0 x k0 kernel, 1x1 output
        return m;
    }

    private static double sum(double[] a, int from) {
        double s = 0;
        for (int i = from; i < a.length; i++) s += a[i];
        return s;
    }
}
