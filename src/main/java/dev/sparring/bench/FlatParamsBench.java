package dev.sparring.bench;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.Backends;
import dev.sparring.backend.StepGraph;
import dev.sparring.backend.cuda.NativeLibraries;
import dev.sparring.cli.TrainCommand;
import dev.sparring.data.Dataset;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.nn.Network;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What flat parameter memory could win: each network's parameters, gradients and optimizer state in one contiguous
 * buffer with per-layer views (as llm.c), so that zeroing the gradients, their norm, the optimizer step and weight
 * clipping each run over one array. Today these ops take the list of a network's per-layer tensors (one call per
 * network; on CUDA one launch through a table of tensors, but one memset per gradient tensor to zero them). For each
 * training configuration, given as {@code sparring train} flags and resolved as that command resolves them:
 *
 * <pre>
 * phases  the real Trainer, steps timed phase by phase (Trainer.onPhase): milliseconds per generator step in
 *         "zero grads", "grad norms", "optimizers" and "clip" against the whole step. Blocks of steps; medians over
 *         blocks. On the CPU every op has finished when it returns, so the phase marks cost only a clock read; on a
 *         GPU the marks synchronise (as sparring bench's phase table does).
 * layout  each of those ops on copies of a network's per-layer tensors (A: what runs today) and on one tensor of the
 *         same elements (B: what a flat layout would run, the same op on one array), timed in blocks interleaved
 *         A B A B ..., medians: the most that flat memory could save per call, and per step (calls per step x the
 *         difference), against the step time of the phases.
 * device  on the host CUDA simulator (native/cudasim): the kernel launches and memsets of each phase in one step,
 *         from the simulator's call counters, and the operations of the captured step graph; what flat memory would
 *         remove from them. On a real GPU the counters are missing and only the graph's operations are reported.
 * </pre>
 *
 * <pre>
 * java -cp target/sparring.jar dev.sparring.bench.FlatParamsBench [options]    (bench/flat-params/run.sh builds and runs it)
 *   --case "FLAGS"     sparring train flags of one configuration (repeatable; "" is the defaults, the MNIST DCGAN);
 *                      default: "", "--data ring8", "--loss wgan", "--data ring8 --loss wgan"
 *   --device D         cpu, cuda or auto (default cpu)
 *   --warmup N         untimed steps first (default 20)
 *   --steps N          steps per phase block (default 20)
 *   --blocks N         phase blocks (default 7)
 *   --ab-blocks N      A/B rounds per op of the layout measurement (default 15)
 *   --block-ms MS      target length of one A or B block (default 20)
 *   --out FILE         also write the report there
 *   --command TEXT     the command line to record in the report
 * </pre>
 */
public final class FlatParamsBench {
    private FlatParamsBench() { }

    public static final List<String> DEFAULT_CASES = List.of("", "--data ring8", "--loss wgan", "--data ring8 --loss wgan");

    /** What to run. */
    public record Options(List<String> cases, String device, int warmup, int steps, int blocks, int abBlocks, double blockMs) {
        public Options {
            cases = List.copyOf(cases);
            if (cases.isEmpty()) throw new UserError("FlatParamsBench: no --case");
            if (warmup < 1 || steps < 1 || blocks < 1 || abBlocks < 1 || !(blockMs > 0)) {
                throw new UserError("FlatParamsBench: --warmup, --steps, --blocks, --ab-blocks and --block-ms must be >= 1");
            }
        }

        public static Options defaults() { return new Options(DEFAULT_CASES, "cpu", 20, 20, 7, 15, 20); }
    }

    /**
     * One op of the layout measurement on one network: medians of the per-layer and the flat blocks, and the median and
     * quartiles of the paired differences (per-layer block minus the flat block after it), all in microseconds per call.
     */
    public record LayoutRow(String op, String net, int tensors, long elements, int callsPerStep, double perLayerUs, double flatUs,
                            double diffUs, double diffQ1Us, double diffQ3Us) {
        /** What flat memory would save per step by this op, in microseconds (negative: flat is slower). */
        public double savedPerStepUs() { return callsPerStep * diffUs; }
    }

    /** Device calls of one phase per generator step (simulator counters). */
    public record DeviceCalls(double launches, double memsets) { }

    /**
     * @param stepMs        median over blocks of the milliseconds of a generator step (the sum of its phases)
     * @param phaseMs       median over blocks of each phase's milliseconds per step
     * @param phaseShare    median over blocks of each phase's share of the step
     * @param paramOpsShare median over blocks of the share of zero grads, grad norms, optimizers and clip together
     * @param calls         per phase, device calls per step (empty unless on the simulator)
     * @param graphOps      operations of one step's CUDA graph, or -1 without step graphs
     */
    public record CaseResult(String flags, TrainConfig cfg, int gTensors, long gParams, int dTensors, long dParams,
                             double stepMs, Map<String, Double> phaseMs, Map<String, Double> phaseShare, double paramOpsShare,
                             List<LayoutRow> layout, Map<String, DeviceCalls> calls, long graphOps) {
        public double savedPerStepUs() { return layout.stream().mapToDouble(LayoutRow::savedPerStepUs).sum(); }

        /** Memsets that one flat gradient buffer per network would remove per step: one per gradient tensor but one. */
        public long memsetsRemoved() { return (long) cfg.dSteps() * (dTensors - 1) + (gTensors - 1); }
    }

    static final List<String> PARAM_PHASES = List.of("zero grads", "grad norms", "optimizers", "clip");

    // ---------------------------------------------------------------- one configuration

    /** Builds the configuration of {@code sparring train FLAGS} and its data, as that command does. */
    static TrainConfig config(String flags) {
        String[] args = flags.isBlank() ? new String[0] : flags.strip().split("\\s+");
        return TrainCommand.freshConfig(args).toBuilder().logEvery(10).build();
    }

    public static CaseResult run(Backend be, String flags, Options o, PrintStream log) {
        TrainConfig cfg = config(flags);
        Dataset ds = cfg.openData(log::println);
        long total = (long) o.warmup() + (long) o.steps() * o.blocks() + 8;
        cfg = cfg.resolvedFor(ds).toBuilder().steps(total).build();
        log.printf("flat-params: %s: %s, batch %d, %s, %s, k %d%s%n", label(flags), cfg.model(), cfg.batch(), cfg.loss(), cfg.optimizer(),
                cfg.dSteps(), cfg.clip() > 0 ? ", clip " + cfg.clip() : "");
        Optional<MethodHandle> counters = simulatorCounters(be);
        try (Trainer t = new Trainer(cfg, be, ds, TrainLoss.of(GanLoss.parse(cfg.loss())))) {
            for (int i = 0; i < o.warmup(); i++) step(t);
            be.synchronize();

            // phases
            PhaseClock clock = new PhaseClock(be, counters.orElse(null));
            List<Map<String, Double>> blocks = new ArrayList<>();
            t.onPhase(clock::mark);
            try {
                for (int b = 0; b < o.blocks(); b++) {
                    clock.reset();
                    for (int i = 0; i < o.steps(); i++) {
                        clock.start();
                        t.step();
                        if (t.stepCount() % cfg.logEvery() == 0) t.drainMetrics();
                    }
                    Map<String, Double> perStep = new LinkedHashMap<>();
                    clock.ms.forEach((k, v) -> perStep.put(k, v / o.steps()));
                    blocks.add(perStep);
                    double sum = perStep.values().stream().mapToDouble(Double::doubleValue).sum();
                    log.printf(Locale.ROOT, "flat-params:   phases block %d/%d: %.3f ms/step%n", b + 1, o.blocks(), sum);
                }
            } finally {
                t.onPhase(null);
            }
            Map<String, DeviceCalls> calls = new LinkedHashMap<>();
            long stepsCounted = (long) o.steps() * o.blocks();
            clock.launches.forEach((k, v) -> calls.put(k, new DeviceCalls((double) v / stepsCounted, (double) clock.memsets.get(k) / stepsCounted)));

            Map<String, Double> phaseMs = new LinkedHashMap<>(), phaseShare = new LinkedHashMap<>();
            double[] totals = blocks.stream().mapToDouble(m -> m.values().stream().mapToDouble(Double::doubleValue).sum()).toArray();
            for (String phase : blocks.getFirst().keySet()) {
                phaseMs.put(phase, median(blocks.stream().mapToDouble(m -> m.getOrDefault(phase, 0.0)).toArray()));
                double[] shares = new double[blocks.size()];
                for (int b = 0; b < shares.length; b++) shares[b] = blocks.get(b).getOrDefault(phase, 0.0) / totals[b];
                phaseShare.put(phase, median(shares));
            }
            double[] paramShares = new double[blocks.size()];
            for (int b = 0; b < paramShares.length; b++) {
                double s = 0;
                for (String p : PARAM_PHASES) s += blocks.get(b).getOrDefault(p, 0.0);
                paramShares[b] = s / totals[b];
            }

            // layout: per-layer tensors against one flat tensor
            List<LayoutRow> layout = new ArrayList<>();
            layout.addAll(layout(be, t.generator(), "G", 1, cfg, o, log));
            layout.addAll(layout(be, t.critic(), "D", cfg.dSteps(), cfg, o, log));

            // the step graph's operations
            long graphOps = -1;
            if (t.useStepGraph(true)) {
                for (int i = 0; i < 4; i++) step(t);
                StepGraph.Stats st = t.stepGraphStats();
                graphOps = st.captured() > 0 ? st.operations() : -1;
                t.useStepGraph(false);
            }
            return new CaseResult(flags, cfg, t.generator().namedParameters().size(), t.generator().parameterCount(),
                    t.critic().namedParameters().size(), t.critic().parameterCount(), median(totals), phaseMs, phaseShare,
                    median(paramShares), layout, calls, graphOps);
        }
    }

    private static void step(Trainer t) {
        t.step();
        if (t.stepCount() % t.config().logEvery() == 0) t.drainMetrics();
    }

    /** Wall time (and, on the simulator, launches and memsets) per phase, the device drained at each mark. */
    private static final class PhaseClock {
        final Backend be;
        final MethodHandle counters;
        final Map<String, Double> ms = new LinkedHashMap<>();
        final Map<String, Long> launches = new LinkedHashMap<>(), memsets = new LinkedHashMap<>();
        long t;
        long[] c;

        PhaseClock(Backend be, MethodHandle counters) {
            this.be = be;
            this.counters = counters;
        }

        void reset() { ms.clear(); }

        void start() {
            be.synchronize();
            c = read();
            t = System.nanoTime();
        }

        void mark(String phase) {
            be.synchronize();
            long now = System.nanoTime();
            ms.merge(phase, (now - t) / 1e6, Double::sum);
            long[] c2 = read();
            if (c2 != null) {
                launches.merge(phase, c2[LAUNCH] - c[LAUNCH], Long::sum);
                memsets.merge(phase, c2[MEMSET] - c[MEMSET], Long::sum);
            }
            c = c2;
            t = System.nanoTime();
        }

        private long[] read() {
            if (counters == null) return null;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment out = a.allocate(JAVA_LONG, COUNTERS);
                int have = (int) counters.invokeExact(out, COUNTERS);
                if (have < COUNTERS) throw new IllegalStateException("the simulator has " + have + " counters, expected " + COUNTERS);
                return out.toArray(JAVA_LONG);
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // cudasim_counters order (native/cudasim/driver.cpp): ..., memsets (6), launches (7), ...
    private static final int MEMSET = 6, LAUNCH = 7, COUNTERS = 8;

    /** The host CUDA simulator's call counters, when the backend runs on it. */
    static Optional<MethodHandle> simulatorCounters(Backend be) {
        if (!be.name().equals("cuda")) return Optional.empty();
        return NativeLibraries.require(NativeLibraries.CUDA).bindOptional("cudasim_counters", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    }

    // ---------------------------------------------------------------- layout: per-layer against flat

    /**
     * The ops of one network on copies of its per-layer tensors and on flat tensors of the same elements. The gradients
     * that the optimizer and the norm read are copies of the network's last gradients (nonzero: a zero gradient would
     * let Adam's moments decay into subnormal numbers, which are slow); zeroing runs on separate copies.
     */
    private static List<LayoutRow> layout(Backend be, Network net, String name, int calls, TrainConfig cfg, Options o, PrintStream log) {
        List<Tensor> values = net.values(), grads = net.grads();
        long n = net.parameterCount();
        List<Tensor> owned = new ArrayList<>();
        Side a = new Side(be, owned, values, grads, false), b = new Side(be, owned, values, grads, true);
        Tensor out = be.zeros(2);
        owned.add(out);
        try {
            List<LayoutRow> rows = new ArrayList<>();
            float lr = (float) (name.equals("G") ? cfg.lrG() : cfg.lrD()), beta1 = (float) cfg.beta1(), beta2 = (float) cfg.beta2();
            Map<String, SideOp> ops = new LinkedHashMap<>();
            ops.put("zero grads", s -> { for (Tensor g : s.zeroed) be.fill(g, 0f); });
            ops.put("grad norms", s -> be.sumSquares(s.g, out, 0));
            switch (cfg.optimizer()) {
                // step 10 at every call: the bias corrections are computed per call either way
                case ADAM -> ops.put("optimizers (adam)", s -> be.adamStep(s.p, s.g, s.s1, s.s2, lr, beta1, beta2, 1e-8f, 0f, 10));
                case RMSPROP -> ops.put("optimizers (rmsprop)", s -> be.rmspropStep(s.p, s.g, s.s1, lr, beta2, 1e-8f));
                case SGD -> ops.put("optimizers (sgd)", s -> be.sgdStep(s.p, s.g, s.s1, lr, 0.9f, 2));
            }
            if (cfg.clip() > 0 && name.equals("D")) ops.put("clip", s -> be.clamp(s.p, (float) -cfg.clip(), (float) cfg.clip()));
            for (var e : ops.entrySet()) {
                verify(be, e.getKey() + " of " + name, e.getValue(), a, b, out);
                double[] us = ab(be, e.getValue(), a, b, o);
                rows.add(new LayoutRow(e.getKey(), name, values.size(), n, calls, us[0], us[1], us[2], us[3], us[4]));
                log.printf(Locale.ROOT, "flat-params:   %s %-20s per-layer %8.2f us, flat %8.2f us%n", name, e.getKey(), us[0], us[1]);
            }
            return rows;
        } finally {
            for (Tensor t : owned) t.close();
        }
    }

    /**
     * Sets the flat side to the per-layer side's values (the timed ops before ran a different number of times on each),
     * runs {@code op} once on each side and refuses to time it unless both computed the same: every tensor of the flat
     * side equal to the per-layer side's tensors laid end to end, and the same sum of squares (bit for bit on the CPU,
     * where both sum in the same order; to 1e-6 relative elsewhere, where the grid differs).
     */
    static void verify(Backend be, String what, SideOp op, Side a, Side b, Tensor out) {
        List<List<Tensor>> la = List.of(a.p, a.g, a.s1, a.s2, a.zeroed), lb = List.of(b.p, b.g, b.s1, b.s2, b.zeroed);
        for (int i = 0; i < la.size(); i++) be.copyFromHost(joined(be, la.get(i)), lb.get(i).getFirst());
        op.run(a);
        float sumA = be.download(out)[0];
        op.run(b);
        float sumB = be.download(out)[0];
        boolean exact = be.name().equals("cpu");
        if (exact ? Float.floatToIntBits(sumA) != Float.floatToIntBits(sumB) : Math.abs(sumA - sumB) > 1e-6 * Math.abs(sumA)) {
            throw new IllegalStateException("FlatParamsBench: " + what + ": sum of squares " + sumA + " per layer, " + sumB + " flat");
        }
        String[] names = {"parameters", "gradients", "state 1", "state 2", "zeroed gradients"};
        for (int i = 0; i < la.size(); i++) {
            float[] joined = joined(be, la.get(i)), flat = be.download(lb.get(i).getFirst());
            if (!Arrays.equals(joined, flat)) {
                throw new IllegalStateException("FlatParamsBench: " + what + ": the " + names[i] + " differ between the per-layer and the flat tensors");
            }
        }
    }

    private static float[] joined(Backend be, List<Tensor> ts) {
        float[] all = new float[Math.toIntExact(ts.stream().mapToLong(Tensor::size).sum())];
        int at = 0;
        for (Tensor t : ts) {
            float[] v = be.download(t);
            System.arraycopy(v, 0, all, at, v.length);
            at += v.length;
        }
        return all;
    }

    @FunctionalInterface
    private interface SideOp {
        void run(Side s);
    }

    /** Parameters, gradients, two state slots and gradients to zero: per layer (as the network has them) or flat. */
    private static final class Side {
        final List<Tensor> p, g, s1, s2, zeroed;

        Side(Backend be, List<Tensor> owned, List<Tensor> values, List<Tensor> grads, boolean flat) {
            this.p = copies(be, owned, values, flat);
            this.g = copies(be, owned, grads, flat);
            this.zeroed = copies(be, owned, grads, flat);
            this.s1 = zerosLike(be, owned, p);
            this.s2 = zerosLike(be, owned, p);
            // the optimizer's state as after some steps (nonzero and positive, as a second moment is)
            for (List<Tensor> s : List.of(s1, s2)) {
                for (Tensor t : s) {
                    float[] v = new float[t.sizeInt()];
                    Arrays.fill(v, 1e-6f);
                    be.copyFromHost(v, t);
                }
            }
        }

        private static List<Tensor> copies(Backend be, List<Tensor> owned, List<Tensor> ts, boolean flat) {
            List<Tensor> out = new ArrayList<>();
            if (flat) {
                float[] all = joined(be, ts);
                out.add(be.upload(all, all.length));
            } else {
                for (Tensor t : ts) out.add(be.upload(be.download(t), t.shape()));
            }
            owned.addAll(out);
            return out;
        }

        private static List<Tensor> zerosLike(Backend be, List<Tensor> owned, List<Tensor> ts) {
            List<Tensor> out = new ArrayList<>();
            for (Tensor t : ts) out.add(be.zeros(t.shape()));
            owned.addAll(out);
            return out;
        }
    }

    /**
     * Microseconds per call of {@code op} on a (per layer) and b (flat), blocks interleaved a b a b ...: the medians of
     * a and of b, then the median, first and third quartile of the paired differences a - b.
     */
    private static double[] ab(Backend be, SideOp op, Side a, Side b, Options o) {
        // warm-up (the JIT) for 5 blocks' time, and calibration: calls per block so that a block lasts about blockMs
        double perCall = 0;
        for (Side s : new Side[]{a, b}) {
            long t0 = System.nanoTime();
            int calls = 0;
            while (System.nanoTime() - t0 < 5e6 * o.blockMs() || calls < 3) {
                op.run(s);
                calls++;
                if (calls % 16 == 0) be.synchronize();
            }
            be.synchronize();
            perCall = Math.max(perCall, (System.nanoTime() - t0) / 1e3 / calls);
        }
        int reps = (int) Math.max(1, Math.min(1_000_000, o.blockMs() * 1e3 / perCall));
        double[] ta = new double[o.abBlocks()], tb = new double[o.abBlocks()], d = new double[o.abBlocks()];
        for (int r = 0; r < o.abBlocks(); r++) {
            ta[r] = block(be, op, a, reps);
            tb[r] = block(be, op, b, reps);
            d[r] = ta[r] - tb[r];
        }
        return new double[]{median(ta), median(tb), median(d), quantile(d, 0.25), quantile(d, 0.75)};
    }

    private static double block(Backend be, SideOp op, Side s, int reps) {
        be.synchronize();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) op.run(s);
        be.synchronize();
        return (System.nanoTime() - t0) / 1e3 / reps;
    }

    /** The q-quantile, linear between the order statistics. */
    static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double at = q * (s.length - 1);
        int i = (int) Math.floor(at);
        return i + 1 < s.length ? s[i] + (at - i) * (s[i + 1] - s[i]) : s[i];
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
    }

    // ---------------------------------------------------------------- report

    static String label(String flags) { return flags.isBlank() ? "(defaults)" : flags.strip(); }

    /** The markdown tables of one configuration. */
    public static String report(CaseResult r, Options o) {
        TrainConfig c = r.cfg();
        StringBuilder sb = new StringBuilder();
        String model = c.model() == dev.sparring.train.TrainConfig.Model.MLP ? String.format(Locale.ROOT, "MLP %d x %d, nz %d", c.depth(), c.hidden(), c.nz())
                : String.format(Locale.ROOT, "DCGAN %d px, nz %d, ngf %d, ndf %d", c.imageSize(), c.nz(), c.ngf(), c.ndf());
        sb.append(String.format(Locale.ROOT, "### `%s`%n%n%s on %s, batch %d, loss %s, %s, k = %d%s; G %,d parameters in %d tensors, "
                        + "D %,d in %d.%n%n", ("sparring train " + r.flags().strip()).strip(), model, c.data(), c.batch(), c.loss(), c.optimizer(), c.dSteps(),
                c.clip() > 0 ? ", clip " + c.clip() : "", r.gParams(), r.gTensors(), r.dParams(), r.dTensors()));
        sb.append(String.format(Locale.ROOT, "Step: **%.3f ms** (median of %d blocks of %d steps).%n%n", r.stepMs(), o.blocks(), o.steps()));
        boolean counted = !r.calls().isEmpty();
        sb.append(counted ? "| phase | ms/step | share | launches/step | memsets/step |\n|---|---:|---:|---:|---:|\n"
                : "| phase | ms/step | share |\n|---|---:|---:|\n");
        for (var e : r.phaseMs().entrySet()) {
            String p = e.getKey();
            String name = PARAM_PHASES.contains(p) ? "**" + p + "**" : p;
            sb.append(String.format(Locale.ROOT, "| %s | %.4f | %.2f %% |", name, e.getValue(), 100 * r.phaseShare().get(p)));
            if (counted) {
                DeviceCalls d = r.calls().get(p);
                sb.append(String.format(Locale.ROOT, " %s | %s |", num(d.launches()), num(d.memsets())));
            }
            sb.append('\n');
        }
        sb.append(String.format(Locale.ROOT, "%nZero grads, grad norms, optimizers and clip together: **%.2f %%** of the step (median of the "
                + "blocks' shares).%n%n", 100 * r.paramOpsShare()));
        sb.append("| op | net | tensors | elements | calls/step | per-layer us/call | flat us/call | difference us/call (quartiles) "
                + "| flat saves us/step |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (LayoutRow l : r.layout()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %,d | %d | %.2f | %.2f | %.2f (%.2f, %.2f) | %.2f |%n", l.op(), l.net(),
                    l.tensors(), l.elements(), l.callsPerStep(), l.perLayerUs(), l.flatUs(), l.diffUs(), l.diffQ1Us(), l.diffQ3Us(),
                    l.savedPerStepUs()));
        }
        sb.append(String.format(Locale.ROOT, "%nFlat layout: **%+.1f us per step = %+.2f %% of the step** (calls per step x the median "
                + "paired difference of %d interleaved A/B blocks per op; positive: flat is faster).%n", r.savedPerStepUs(),
                100 * r.savedPerStepUs() / (1e3 * r.stepMs()), o.abBlocks()));
        if (r.graphOps() >= 0) {
            sb.append(String.format(Locale.ROOT, "%nCUDA graph of one step: %d operations; one gradient buffer per network would replace "
                    + "%d memsets by %d (%d fewer, %.1f %% of the operations).%n", r.graphOps(),
                    r.memsetsRemoved() + c.dSteps() + 1, c.dSteps() + 1, r.memsetsRemoved(), 100.0 * r.memsetsRemoved() / r.graphOps()));
        }
        return sb.toString();
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
    }

    // ---------------------------------------------------------------- main

    public static void main(String[] args) throws IOException {
        Options d = Options.defaults();
        List<String> cases = new ArrayList<>();
        String device = d.device();
        int warmup = d.warmup(), steps = d.steps(), blocks = d.blocks(), abBlocks = d.abBlocks();
        double blockMs = d.blockMs();
        Path out = null;
        String command = "java -cp target/sparring.jar dev.sparring.bench.FlatParamsBench " + String.join(" ", args);
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--case" -> cases.add(value(args, ++i, a));
                case "--device" -> device = value(args, ++i, a);
                case "--warmup" -> warmup = Integer.parseInt(value(args, ++i, a));
                case "--steps" -> steps = Integer.parseInt(value(args, ++i, a));
                case "--blocks" -> blocks = Integer.parseInt(value(args, ++i, a));
                case "--ab-blocks" -> abBlocks = Integer.parseInt(value(args, ++i, a));
                case "--block-ms" -> blockMs = Double.parseDouble(value(args, ++i, a));
                case "--out" -> out = Path.of(value(args, ++i, a));
                case "--command" -> command = value(args, ++i, a);
                default -> throw new UserError("FlatParamsBench: unknown option '" + a + "' (see the class comment for the usage)");
            }
        }
        Options o = new Options(cases.isEmpty() ? d.cases() : cases, device, warmup, steps, blocks, abBlocks, blockMs);
        String loadBefore = Machine.loadAverage();
        StringBuilder sb = new StringBuilder();
        try (Backend be = Backends.create(o.device(), System.err)) {
            sb.append(String.format(Locale.ROOT, "## Flat parameter memory: what it could win%n%n- command: `%s`%n- backend: %s (%s)%n- machine: %s, "
                            + "%d cores, Java %s%n- warm-up %d steps; phases: %d blocks of %d steps; layout: %d A/B blocks of about %.0f ms per op%n",
                    command, be.name(), be.description(), Machine.cpu(), Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), o.warmup(), o.blocks(), o.steps(), o.abBlocks(), o.blockMs()));
            sb.append("- load average before: ").append(loadBefore).append('\n');
            List<String> reports = new ArrayList<>();
            for (String flags : o.cases()) reports.add(report(run(be, flags, o, System.err), o));
            sb.append("- load average after: ").append(Machine.loadAverage()).append("\n\n");
            for (String r : reports) sb.append(r).append('\n');
        }
        System.out.print(sb);
        if (out != null) {
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(out, sb.toString());
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) throw new UserError("FlatParamsBench: " + flag + " needs a value");
        return args[i];
    }
}
