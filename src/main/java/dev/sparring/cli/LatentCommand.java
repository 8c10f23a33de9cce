package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.eval.features.ClassScores;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.io.Json;
import dev.sparring.lab.latent.LatentExpression;
import dev.sparring.lab.latent.LatentPaths;
import dev.sparring.lab.latent.LatentSet;
import dev.sparring.lab.latent.PathSmoothness;
import dev.sparring.lab.latent.PerceptualPathLength;
import dev.sparring.random.NoiseStream;
import dev.sparring.train.Progress;
import dev.sparring.viz.LabelledGrid;
import dev.sparring.viz.LineChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code sparring latent}: experiments on a trained generator's latent space (docs/lab.md).
 * <pre>
 * sparring latent interpolate --checkpoint RUN   strips between random latent pairs, their smoothness, a perceptual path length
 * sparring latent traverse --checkpoint RUN      one row per latent dimension varied alone, and the class changes it causes
 * sparring latent arithmetic --checkpoint RUN --expr "7 - 1 + 4"   class-mean latents combined, decoded and classified
 * </pre>
 * Each writes PNG figures and a summary.json into a new (or empty) output folder. Every image is generated with batch
 * norm fixed to a reference batch's statistics ({@link LatentGenerator}), so that it depends on its own latent alone.
 */
@Command(name = "latent", mixinStandardHelpOptions = true,
        description = {"Experiments on a trained generator's latent space: interpolate, traverse, arithmetic (docs/lab.md).",
                "Each writes PNG figures and summary.json into a new or empty folder (--out; default latent-<command>, numbered -2, -3, ... when taken). "
                        + "Images are generated with batch norm fixed to the statistics of one reference batch of " + LatentGenerator.REFERENCE
                        + " latents, so each depends on its own latent alone (sparring sample normalises each batch by itself)."},
        subcommands = {LatentCommand.Interpolate.class, LatentCommand.Traverse.class, LatentCommand.Arithmetic.class})
public final class LatentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    /** The options every latent command takes. */
    static final class Common {
        @Option(names = "--checkpoint", required = true, description = "a checkpoint file, or a run folder (its newest checkpoint), of a DCGAN")
        Path checkpoint;
        @Option(names = "--out", paramLabel = "DIR", description = "a new or empty folder for the figures and summary.json (default: latent-<command> "
                + "in the working folder, numbered -2, -3, ... when taken)")
        Path out;
        @Option(names = "--seed", defaultValue = "0", description = "seed of the latents drawn")
        long seed;
        @Option(names = "--class", paramLabel = "K", description = "a class-conditional generator (the default run's): every image drawn "
                + "for class K (0 to classes - 1). Default: interpolate gives pair i the class i mod K and traverse start i the class "
                + "i mod K (shown in the row labels); arithmetic needs --class")
        Integer only;
        @Option(names = "--no-progress", description = "plain progress lines instead of a live bar")
        boolean noProgress;
        @Mixin
        DeviceOption device;
        @Mixin
        EmaOption ema;
    }

    // ================================================================ interpolate

    @Command(name = "interpolate", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
            description = {"Strips of images along linear and spherical paths between random latent pairs (interpolate.png), the change "
                    + "between neighbouring images along each (smoothness.png), and a perceptual path length over many pairs.",
                    "Smoothness of a strip: the root mean square difference of neighbouring images' pixels (in [-1, 1]), its mean and largest step; "
                            + "for 28 x 28 digits also of the MNIST classifier's 64 features, and how often the digit changes.",
                    "Perceptual path length (StyleGAN's, 'full' sampling): the mean over --ppl-samples pairs and t ~ U(0, 1) of "
                            + "d(G(p(t)), G(p(t + 1e-4))) / 1e-4^2, values outside the 1st to 99th percentile left out; d is the squared "
                            + "distance of the MNIST classifier's 64 features (digits; StyleGAN uses VGG-16 LPIPS), and also the mean squared "
                            + "pixel difference (any images)."})
    static final class Interpolate implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Common common;
        @Option(names = "--pairs", defaultValue = "3", description = "latent pairs drawn as strips")
        int pairs;
        @Option(names = "--steps", defaultValue = "100", description = "steps from one latent of a pair to the other (steps + 1 images) for the smoothness numbers")
        int steps;
        @Option(names = "--slerp", description = "spherical paths only (default: both, a linear and a spherical strip per pair)")
        boolean slerp;
        @Option(names = "--lerp", description = "linear paths only")
        boolean lerp;
        @Option(names = "--show", defaultValue = "11", description = "images per strip in interpolate.png, evenly spaced from t = 0 to 1")
        int show;
        @Option(names = "--ppl-samples", defaultValue = "1000", description = "pairs for the perceptual path length, per path kind (0: none)")
        int pplSamples;

        @Override
        public Integer call() throws Exception {
            if (pairs < 1) throw new UserError("--pairs must be >= 1, got " + pairs);
            if (steps < 1) throw new UserError("--steps must be >= 1 (the path between a pair is cut into that many steps), got " + steps);
            if (show < 2) throw new UserError("--show must be >= 2 (a strip shows both ends), got " + show);
            if (pplSamples < 0) throw new UserError("--ppl-samples must be >= 0, got " + pplSamples);
            if (slerp && lerp) throw new UserError("--slerp and --lerp: give one (neither draws both)");
            if ((long) pairs * Math.max(steps + 1, show) > 1_000_000) throw new UserError("--pairs x --steps: at most 1,000,000 images per path kind");
            List<LatentPaths.Kind> kinds = slerp ? List.of(LatentPaths.Kind.SLERP) : lerp ? List.of(LatentPaths.Kind.LERP)
                    : List.of(LatentPaths.Kind.LERP, LatentPaths.Kind.SLERP);
            LatentGenerator.Source src = LatentGenerator.open(common.checkpoint);
            int only = LatentGenerator.classOption(common.only, src);
            PrintWriter out = spec.commandLine().getOut();
            try (Backend be = common.device.create()) {
                LatentGenerator lg = new LatentGenerator(be, src, common.ema.use());
                Path dir = OutputFolder.of(common.out, "latent-interpolate");
                int nz = lg.nz, item = lg.item;
                float[] ends = lg.latents(2 * pairs, common.seed, "latent-pairs");
                int rows = pairs * kinds.size();
                float[] figure = new float[rows * show * item];
                String[] labels = new String[rows];
                List<Map<String, Object>> strips = new ArrayList<>();
                LineChart chart = new LineChart("change between neighbouring images").xLabel("t (middle of the step)")
                        .yLabel("RMS pixel difference");
                double[] mids = new double[steps];
                for (int i = 0; i < steps; i++) mids[i] = (i + 0.5) / steps;
                int row = 0;
                for (int p = 0; p < pairs; p++) {
                    double[] a = row(ends, 2 * p, nz), b = row(ends, 2 * p + 1, nz);
                    int cls = classOf(lg, only, p);
                    for (LatentPaths.Kind kind : kinds) {
                        Strip s = strip(lg, kind, a, b, steps, cls);
                        System.arraycopy(lg.images(path(kind, a, b, show), labelsOf(lg, show, cls), show), 0, figure, row * show * item, show * item);
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("pair", p + 1);
                        if (lg.conditional()) m.put("class", cls);
                        m.put("path", kind.key);
                        m.put("angle_deg", Math.toDegrees(LatentPaths.angle(a, b)));
                        m.put("pixels", numbers(s.pixels));
                        if (s.features != null) {
                            m.put("features", numbers(s.features));
                            m.put("classes", classString(s.classes));
                            m.put("class_changes", s.changes());
                        }
                        strips.add(m);
                        labels[row] = String.format(Locale.ROOT, "%d %s%s  %.3f/%.3f%s", p + 1, kind.key, lg.conditional() ? " class " + cls : "",
                                s.pixels.mean(), s.pixels.max(),
                                s.classes == null ? "" : String.format(Locale.ROOT, "  %d>%d, %d change%s", s.classes[0], s.classes[steps],
                                        s.changes(), s.changes() == 1 ? "" : "s"));
                        chart.series((p + 1) + " " + kind.key, mids, s.pixels.steps());
                        row++;
                    }
                }
                LabelledGrid.write(dir.resolve("interpolate.png"), figure, rows, show, lg.c, lg.h, lg.w, labels);
                chart.write(dir.resolve("smoothness.png"));

                Map<String, Object> ppl = new LinkedHashMap<>();
                if (pplSamples > 0) {
                    float[] z12 = lg.latents(2 * pplSamples, common.seed, "latent-ppl");
                    NoiseStream ts = NoiseStream.derive(common.seed, "latent-ppl-t");
                    double[] t = new double[pplSamples];
                    for (int i = 0; i < pplSamples; i++) t[i] = ts.nextDouble();
                    Progress progress = new Progress(System.err, (long) kinds.size() * 2 * pplSamples, "path length", "img/s", !common.noProgress);
                    long base = 0;
                    for (LatentPaths.Kind kind : kinds) {
                        ppl.put(kind.key, pathLength(lg, kind, z12, t, progress, base, only));
                        base += 2L * pplSamples;
                    }
                    progress.finish();
                }

                Map<String, Object> summary = lg.describe(common.seed);
                summary.put("command", "interpolate");
                summary.put("pairs", pairs);
                summary.put("steps", steps);
                summary.put("paths", kinds.stream().map(k -> k.key).toList());
                if (lg.conditional()) summary.put("class_of_pair", only >= 0 ? "all of class " + only : "pair i of class i mod " + lg.classes);
                summary.put("strips", strips);
                summary.put("ppl_epsilon", PerceptualPathLength.EPSILON);
                summary.put("ppl_samples", pplSamples);
                summary.put("ppl", ppl);
                if (!lg.digits()) summary.put("note", NOT_DIGITS);
                Json.writeFile(dir.resolve("summary.json"), summary);

                out.printf(Locale.ROOT, "%d pair%s of %s in %s, %d steps each (smoothness: mean/largest RMS pixel change between neighbours%s)%n",
                        pairs, pairs == 1 ? "" : "s", lg.which(), src.file(), steps, lg.digits() ? "; digit changes" : "");
                if (lg.conditional()) out.println(conditionalNote(lg, only, "pair"));
                for (int r = 0; r < rows; r++) out.println("  " + labels[r]);
                for (var e : ppl.entrySet()) {
                    @SuppressWarnings("unchecked") Map<String, Object> v = (Map<String, Object>) e.getValue();
                    out.printf(Locale.ROOT, "perceptual path length, %s: %s%n", e.getKey(), pplText(v));
                }
                if (!lg.digits()) out.println(NOT_DIGITS);
                out.println("wrote " + dir.resolve("interpolate.png") + ", smoothness.png and summary.json");
            }
            out.flush();
            return 0;
        }

        /** A strip's digits as one string, "0000999..." (one character per image). */
        private static String classString(int[] classes) {
            StringBuilder b = new StringBuilder(classes.length);
            for (int y : classes) b.append((char) ('0' + y));
            return b.toString();
        }

        /** One strip's numbers. */
        private record Strip(PathSmoothness pixels, PathSmoothness features, int[] classes) {
            int changes() {
                int n = 0;
                for (int i = 1; i < classes.length; i++) if (classes[i] != classes[i - 1]) n++;
                return n;
            }
        }

        private static Strip strip(LatentGenerator lg, LatentPaths.Kind kind, double[] a, double[] b, int steps, int cls) throws IOException {
            int n = steps + 1, item = lg.item, f = lg.digits() ? lg.classifier.featureSize() : 0;
            float[] x = new float[n * item], feats = lg.digits() ? new float[n * f] : null;
            int[] classes = lg.digits() ? new int[n] : null;
            lg.decode(path(kind, a, b, n), labelsOf(lg, n, cls), n, null, (done, k, img, p, ft) -> {
                System.arraycopy(img, 0, x, done * item, k * item);
                if (p != null) {
                    System.arraycopy(ft, 0, feats, done * f, k * f);
                    System.arraycopy(LatentGenerator.classes(p, k), 0, classes, done, k);
                }
            });
            return new Strip(PathSmoothness.of(x, n, item), feats == null ? null : PathSmoothness.of(feats, n, f), classes);
        }

        /** The PPL of one path kind, in feature space (digits) and pixel space. */
        private static Map<String, Object> pathLength(LatentGenerator lg, LatentPaths.Kind kind, float[] z12, double[] t, Progress progress, long base,
                int only) throws IOException {
            int n = t.length, nz = lg.nz;
            int[] labels = lg.conditional() ? new int[2 * n] : null;   // both ends of pair i: its class
            if (labels != null) for (int i = 0; i < 2 * n; i++) labels[i] = classOf(lg, only, i / 2);
            double eps = PerceptualPathLength.EPSILON;
            float[] z = new float[2 * n * nz];   // (2n, nz): p(t_i) and p(t_i + eps) side by side
            for (int i = 0; i < n; i++) {
                double[] a = row(z12, 2 * i, nz), b = row(z12, 2 * i + 1, nz);
                put(z, 2 * i, kind.at(a, b, t[i]));
                put(z, 2 * i + 1, kind.at(a, b, t[i] + eps));
            }
            PerceptualPathLength features = new PerceptualPathLength(), pixels = new PerceptualPathLength();
            int item = lg.item;
            lg.decode(z, labels, 2 * n, null, (done, k, img, p, ft) -> {
                for (int i = 0; i < k; i += 2) {   // BATCH is even: a pair never straddles two batches
                    pixels.add(PerceptualPathLength.squaredDistance(img, i * item, (i + 1) * item, item) / item, eps);
                    if (ft != null) {
                        int f = lg.classifier.featureSize();
                        features.add(PerceptualPathLength.squaredDistance(ft, i * f, (i + 1) * f, f), eps);
                    }
                }
                progress.update(base + done + k);
            });
            Map<String, Object> m = new LinkedHashMap<>();
            if (features.count() > 0) m.put("features", pplNumbers(features.result()));
            m.put("pixels", pplNumbers(pixels.result()));
            return m;
        }

        private static Map<String, Object> pplNumbers(PerceptualPathLength.Result r) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ppl", r.ppl());
            m.put("standard_error", r.standardError());
            m.put("mean_all", r.meanAll());
            m.put("kept", r.kept());
            m.put("samples", r.total());
            return m;
        }

        @SuppressWarnings("unchecked")
        private static String pplText(Map<String, Object> v) {
            StringBuilder s = new StringBuilder();
            Map<String, Object> f = (Map<String, Object>) v.get("features"), px = (Map<String, Object>) v.get("pixels");
            if (f != null) s.append(String.format(Locale.ROOT, "%.4g ± %.2g (mnist features), ", (Double) f.get("ppl"), (Double) f.get("standard_error")));
            s.append(String.format(Locale.ROOT, "%.4g ± %.2g (pixels), %d pairs", (Double) px.get("ppl"), (Double) px.get("standard_error"), (Integer) px.get("samples")));
            return s.toString();
        }

        private static Map<String, Object> numbers(PathSmoothness s) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mean_step", s.mean());
            m.put("max_step", s.max());
            m.put("length", s.total());
            return m;
        }

        /** n points from a to b at t = i / (n - 1), (n, nz). */
        private static float[] path(LatentPaths.Kind kind, double[] a, double[] b, int n) {
            float[] z = new float[n * a.length];
            for (int i = 0; i < n; i++) put(z, i, kind.at(a, b, (double) i / (n - 1)));
            return z;
        }
    }

    static final String NOT_DIGITS = "not a generator of 28 x 28 gray digits: the numbers that need the MNIST classifier (classes, features) are left out";

    // ================================================================ traverse

    @Command(name = "traverse", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
            description = {"Each latent dimension varied alone from a common start (traverse.png: one row per dimension, the other "
                    + "coordinates fixed), and per dimension what varying it does over --starts random starts: the share of images whose "
                    + "digit differs from their start's (28 x 28 digits; class_change.png) and the mean RMS pixel change from the start image.",
                    "A dimension that changes the digit often carries class meaning; one that only changes pixels carries style; "
                            + "one that does neither is unused."})
    static final class Traverse implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Common common;
        @Option(names = "--dims", defaultValue = "all", description = "the dimensions: all, or a list i,j,... (0-based)")
        String dims;
        @Option(names = "--range", defaultValue = "-3,3", paramLabel = "LOW,HIGH", description = "the values each dimension takes")
        String range;
        @Option(names = "--steps", defaultValue = "9", description = "values from LOW to HIGH, evenly spaced (both ends included)")
        int steps;
        @Option(names = "--starts", defaultValue = "16", description = "random starts the per-dimension numbers average over (the figure shows the first)")
        int starts;

        @Override
        public Integer call() throws Exception {
            if (steps < 2) throw new UserError("--steps must be >= 2 (LOW and HIGH at least), got " + steps);
            if (starts < 1) throw new UserError("--starts must be >= 1, got " + starts);
            double[] lohi = parseRange(range);
            LatentGenerator.Source src = LatentGenerator.open(common.checkpoint);
            int only = LatentGenerator.classOption(common.only, src);
            int nz = src.cfg().nz();
            int[] d = parseDims(dims, nz);
            long total = (long) starts * d.length * steps;
            if (total > 10_000_000) throw new UserError("--starts x dimensions x --steps is " + total + " images; at most 10,000,000");
            double[] values = new double[steps];
            for (int j = 0; j < steps; j++) values[j] = lohi[0] + j * (lohi[1] - lohi[0]) / (steps - 1);
            PrintWriter out = spec.commandLine().getOut();
            try (Backend be = common.device.create()) {
                LatentGenerator lg = new LatentGenerator(be, src, common.ema.use());
                Path dir = OutputFolder.of(common.out, "latent-traverse");
                int item = lg.item;
                float[] z0 = lg.latents(starts, common.seed, "latent-traverse");
                float[] startImages = new float[starts * item];
                int[] startClasses = new int[starts];
                int[] startLabels = null;   // a conditional generator's class of each start
                if (lg.conditional()) {
                    startLabels = new int[starts];
                    for (int s = 0; s < starts; s++) startLabels[s] = classOf(lg, only, s);
                }
                lg.decode(z0, startLabels, starts, null, (done, k, img, p, f) -> {
                    System.arraycopy(img, 0, startImages, done * item, k * item);
                    if (p != null) System.arraycopy(LatentGenerator.classes(p, k), 0, startClasses, done, k);
                });
                float[] figure = new float[d.length * steps * item];
                long[] changes = new long[d.length];
                double[] pixelChange = new double[d.length];
                Progress progress = new Progress(System.err, total, "traversing", "img/s", !common.noProgress);
                // one start at a time: its d.length x steps latents (row = dimension, column = value)
                int per = d.length * steps;
                for (int s = 0; s < starts; s++) {
                    float[] z = new float[per * nz];
                    for (int r = 0; r < d.length; r++) {
                        for (int j = 0; j < steps; j++) {
                            int at = (r * steps + j) * nz;
                            System.arraycopy(z0, s * nz, z, at, nz);
                            z[at + d[r]] = (float) values[j];
                        }
                    }
                    int start = s;
                    long before = (long) s * per;
                    lg.decode(z, startLabels == null ? null : LatentGenerator.labels(per, startLabels[s]), per, null, (done, k, img, p, f) -> {
                        int[] y = p == null ? null : LatentGenerator.classes(p, k);
                        for (int i = 0; i < k; i++) {
                            int r = (done + i) / steps;
                            if (y != null && y[i] != startClasses[start]) changes[r]++;
                            pixelChange[r] += rmsAgainst(img, i * item, startImages, start * item, item);
                        }
                        if (start == 0) System.arraycopy(img, 0, figure, done * item, k * item);
                        progress.update(before + done + k);
                    });
                }
                progress.finish();
                double[] share = new double[d.length], dimAxis = new double[d.length];
                String[] labels = new String[d.length];
                List<Map<String, Object>> perDim = new ArrayList<>();
                for (int r = 0; r < d.length; r++) {
                    share[r] = (double) changes[r] / ((long) starts * steps);
                    pixelChange[r] /= (long) starts * steps;
                    dimAxis[r] = d[r];
                    labels[r] = (lg.digits() ? String.format(Locale.ROOT, "z%d  %.0f%%", d[r], 100 * share[r])
                            : String.format(Locale.ROOT, "z%d  %.3f", d[r], pixelChange[r])) + (startLabels == null ? "" : "  class " + startLabels[0]);
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("dim", d[r]);
                    if (lg.digits()) m.put("class_change_share", share[r]);
                    m.put("mean_pixel_change", pixelChange[r]);
                    perDim.add(m);
                }
                LabelledGrid.write(dir.resolve("traverse.png"), figure, d.length, steps, lg.c, lg.h, lg.w, labels);
                LineChart chart = lg.digits()
                        ? new LineChart("share of images whose digit differs from the start's").xLabel("latent dimension").yLabel("class change share")
                                .yRange(0, 1).series("class changes", dimAxis, share)
                        : new LineChart("mean RMS pixel change from the start image").xLabel("latent dimension").yLabel("RMS pixel change")
                                .series("pixel change", dimAxis, pixelChange);
                String chartName = lg.digits() ? "class_change.png" : "pixel_change.png";
                chart.write(dir.resolve(chartName));

                Map<String, Object> summary = lg.describe(common.seed);
                summary.put("command", "traverse");
                summary.put("dims", d);
                summary.put("range", lohi);
                summary.put("values", values);
                summary.put("starts", starts);
                if (startLabels != null) summary.put("start_labels", startLabels);
                if (lg.digits()) {
                    summary.put("start_classes", startClasses);
                    summary.put("mean_class_change_share", mean(share));
                }
                summary.put("mean_pixel_change", mean(pixelChange));
                summary.put("per_dim", perDim);
                if (!lg.digits()) summary.put("note", NOT_DIGITS);
                Json.writeFile(dir.resolve("summary.json"), summary);

                out.printf(Locale.ROOT, "%d dimension%s of %s in %s, each from %s to %s in %d values, from %d start%s%n", d.length, d.length == 1 ? "" : "s",
                        lg.which(), src.file(), num(lohi[0]), num(lohi[1]), steps, starts, starts == 1 ? "" : "s");
                if (lg.conditional()) out.println(conditionalNote(lg, only, "start"));
                if (lg.digits()) {
                    Integer[] order = new Integer[d.length];
                    for (int r = 0; r < d.length; r++) order[r] = r;
                    Arrays.sort(order, (x, y) -> Double.compare(share[y], share[x]));
                    StringBuilder top = new StringBuilder();
                    for (int r = 0; r < Math.min(5, d.length); r++) top.append(String.format(Locale.ROOT, "%s z%d %.0f%%", r == 0 ? "" : ",", d[order[r]], 100 * share[order[r]]));
                    out.printf(Locale.ROOT, "share of images whose digit differs from the start's: mean %.1f%%; most:%s%n", 100 * mean(share), top);
                } else {
                    out.println(NOT_DIGITS);
                }
                out.printf(Locale.ROOT, "mean RMS pixel change from the start image: %.4f%n", mean(pixelChange));
                out.println("wrote " + dir.resolve("traverse.png") + ", " + chartName + " and summary.json");
            }
            out.flush();
            return 0;
        }

        private static double rmsAgainst(float[] a, int at, float[] b, int bt, int size) {
            double s = 0;
            for (int j = 0; j < size; j++) {
                double x = (double) a[at + j] - b[bt + j];
                s += x * x;
            }
            return Math.sqrt(s / size);
        }

        static double[] parseRange(String text) {
            String[] p = text.split(",", -1);
            double lo = Double.NaN, hi = Double.NaN;
            if (p.length == 2) {
                try {
                    lo = Double.parseDouble(p[0].strip());
                    hi = Double.parseDouble(p[1].strip());
                } catch (NumberFormatException e) {
                    lo = Double.NaN;
                }
            }
            if (!Double.isFinite(lo) || !Double.isFinite(hi) || !(lo < hi)) {
                throw new UserError("--range " + text + ": write LOW,HIGH, two numbers with LOW < HIGH (e.g. -3,3)");
            }
            return new double[] {lo, hi};
        }

        static int[] parseDims(String text, int nz) {
            if (text.strip().equalsIgnoreCase("all")) {
                int[] all = new int[nz];
                for (int i = 0; i < nz; i++) all[i] = i;
                return all;
            }
            String[] p = text.split(",");
            int[] d = new int[p.length];
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (int i = 0; i < p.length; i++) {
                try {
                    d[i] = Integer.parseInt(p[i].strip());
                } catch (NumberFormatException e) {
                    throw new UserError("--dims " + text + ": '" + p[i].strip() + "' is not a dimension; write all, or i,j,... (0-based)");
                }
                if (d[i] < 0 || d[i] >= nz) throw new UserError("--dims " + text + ": " + d[i] + " is out of range; the latent has " + nz + " dimensions, 0 to " + (nz - 1));
                if (!seen.add(d[i])) throw new UserError("--dims " + text + ": " + d[i] + " is given twice");
            }
            return d;
        }
    }

    // ================================================================ arithmetic

    @Command(name = "arithmetic", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
            description = {"Latent vector arithmetic (Radford et al. 2016, section 6.3.2): each term of --expr is a mean latent, the sum is "
                    + "decoded, with --variants - 1 copies of it with uniform noise in [-noise, noise] added per coordinate, and (for 28 x 28 digits) "
                    + "classified again. A digit 0 to 9 is the mean latent of the first --per-class of the --n samples that the MNIST classifier "
                    + "puts in that class with confidence >= --confidence; a name is the mean of a saved latent set (--z NAME=FILE[:ROWS], from sparring sample --save-z).",
                    "arithmetic.png shows one row per term (its mean's image, then samples of it) and the result row; summary.json the numbers."})
    static final class Arithmetic implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Common common;
        @Option(names = "--expr", required = true, description = "the sum: digits 0 to 9 (class means) and --z names, joined by + and -, "
                + "with optional coefficients: \"7 - 1 + 4\", \"a - b + c\", \"0.5*a + 0.5*b\"")
        String expr;
        @Option(names = "--z", paramLabel = "NAME=FILE[:ROWS]", description = "a saved latent set (.npy (N, nz), as sparring sample --save-z writes it) "
                + "and, after ':', the rows to take (0-based: 3,7,12 or 0-7; default all); repeat for more sets")
        List<String> sets = new ArrayList<>();
        @Option(names = "--n", defaultValue = "4000", description = "samples classified to find the class means (drawn as sparring sample --seed draws them)")
        int n;
        @Option(names = "--confidence", defaultValue = "" + ClassScores.CONFIDENCE, description = "the probability a sample's class needs for the sample to count")
        double confidence;
        @Option(names = "--per-class", defaultValue = "3", description = "confident samples averaged into a class mean, the first in sample order "
                + "(Radford et al. averaged three exemplars); 0: all of them (a mean of many latents is short, near the origin, where the "
                + "generator has seen few latents)")
        int perClass;
        @Option(names = "--variants", defaultValue = "8", description = "images of the result: the sum itself, then noisy copies")
        int variants;
        @Option(names = "--noise", defaultValue = "0.25", description = "half-width of the uniform noise added to each coordinate of the copies")
        double noise;
        @Option(names = "--exemplars", defaultValue = "7", description = "samples of each term shown beside its mean's image")
        int exemplars;

        @Override
        public Integer call() throws Exception {
            if (n < 1) throw new UserError("--n must be >= 1, got " + n);
            if (!(confidence >= 0 && confidence < 1)) throw new UserError("--confidence must be in [0, 1), got " + confidence);
            if (variants < 1) throw new UserError("--variants must be >= 1, got " + variants);
            if (!(noise >= 0) || !Double.isFinite(noise)) throw new UserError("--noise must be >= 0, got " + noise);
            if (exemplars < 0) throw new UserError("--exemplars must be >= 0, got " + exemplars);
            if (perClass < 0) throw new UserError("--per-class must be >= 0 (0: all confident samples), got " + perClass);
            LatentExpression e = LatentExpression.parse(expr);
            Map<String, LatentSet> named = new LinkedHashMap<>();
            for (String spec : sets) {
                LatentSet s = LatentSet.read(spec);
                if (named.put(s.name(), s) != null) throw new UserError("--z " + spec + ": the name " + s.name() + " is given twice");
            }
            for (String name : e.names()) {
                if (!named.containsKey(name)) throw new UserError("--expr \"" + expr + "\" names " + name + ", but no --z " + name + "=FILE.npy gives it");
            }
            LatentGenerator.Source src = LatentGenerator.open(common.checkpoint);
            int only = LatentGenerator.classOption(common.only, src);
            if (src.cfg().conditional() && !e.classes().isEmpty()) {
                throw new UserError("--expr \"" + expr + "\" names class " + e.classes().iterator().next() + ", but --checkpoint " + src.file()
                        + " holds a class-conditional generator: its digit is the label it is given, not a direction in z, so there is no "
                        + "class mean to add; combine saved latents (--z NAME=FILE) and draw them for one class with --class K");
            }
            if (src.cfg().conditional() && only < 0) {
                throw new UserError("--checkpoint " + src.file() + " holds a class-conditional generator: give --class K (0 to "
                        + (src.cfg().classes() - 1) + "), the class every image of the sum and its terms is drawn for");
            }
            int nz = src.cfg().nz();
            for (LatentSet s : named.values()) {
                if (s.nz() != nz) throw new UserError("--z " + s.name() + "=" + s.file() + ": latents of " + s.nz() + " values; the generator takes " + nz);
                if (!e.names().contains(s.name())) System.err.println("sparring: --z " + s.name() + " is not used by --expr");
            }
            if (!e.classes().isEmpty() && !src.digits()) {
                throw new UserError("--expr \"" + expr + "\" names class " + e.classes().iterator().next() + ": class means need the MNIST classifier, "
                        + "and --checkpoint " + src.file() + " draws " + src.cfg().imageSize() + " x " + src.cfg().imageSize() + " images with "
                        + src.cfg().channels() + " channel" + (src.cfg().channels() == 1 ? "" : "s") + "; use saved latent sets (--z NAME=FILE)");
            }
            PrintWriter out = spec.commandLine().getOut();
            try (Backend be = common.device.create()) {
                LatentGenerator lg = new LatentGenerator(be, src, common.ema.use());
                int classes = MnistClassifier.CLASSES;
                double[][] classMean = new double[classes][];
                int[] count = new int[classes], averaged = new int[classes];
                List<List<Integer>> examples = new ArrayList<>();
                for (int k = 0; k < classes; k++) examples.add(new ArrayList<>());
                float[] z = null;
                if (!e.classes().isEmpty()) {
                    z = lg.latents(n, common.seed, "sample");
                    Progress progress = new Progress(System.err, n, "classifying", "img/s", !common.noProgress);
                    lg.decode(z, null, n, progress, (done, k, img, p, f) -> {   // unconditional: refused above otherwise
                        int[] ys = LatentGenerator.classes(p, k);
                        for (int i = 0; i < k; i++) {
                            int y = ys[i];
                            if (p[i * classes + y] < confidence) continue;
                            count[y]++;
                            examples.get(y).add(done + i);
                        }
                    });
                    for (int k : e.classes()) {
                        if (count[k] == 0) {
                            throw new UserError("--expr \"" + expr + "\": no sample of " + n + " was classified as " + k + " with confidence >= " + confidence
                                    + " (found " + found(count) + "); draw more with --n or lower --confidence");
                        }
                    }
                    for (int k = 0; k < classes; k++) {
                        if (count[k] == 0) continue;
                        averaged[k] = perClass == 0 ? count[k] : Math.min(perClass, count[k]);
                        classMean[k] = new double[nz];
                        for (int i : examples.get(k).subList(0, averaged[k])) for (int j = 0; j < nz; j++) classMean[k][j] += z[i * nz + j];
                        for (int j = 0; j < nz; j++) classMean[k][j] /= averaged[k];
                    }
                }
                Path dir = OutputFolder.of(common.out, "latent-arithmetic");
                double[] r = e.evaluate(t -> t.isClass() ? classMean[t.digit()] : named.get(t.name()).mean());
                // the result and its noisy copies
                float[] zr = new float[variants * nz];
                NoiseStream ns = NoiseStream.derive(common.seed, "latent-arithmetic-noise");
                for (int v = 0; v < variants; v++) {
                    for (int j = 0; j < nz; j++) zr[v * nz + j] = (float) (r[j] + (v == 0 ? 0 : noise * (2 * ns.nextDouble() - 1)));
                }
                int[] resultClasses = lg.digits() ? new int[variants] : null;
                float[] resultP = lg.digits() ? new float[variants] : null;
                float[] resultImages = new float[variants * lg.item];
                lg.decode(zr, labelsOf(lg, variants, only), variants, null, (done, k, img, p, f) -> {
                    System.arraycopy(img, 0, resultImages, done * lg.item, k * lg.item);
                    if (p != null) {
                        int[] y = LatentGenerator.classes(p, k);
                        for (int i = 0; i < k; i++) {
                            resultClasses[done + i] = y[i];
                            resultP[done + i] = p[i * classes + y[i]];
                        }
                    }
                });

                // figure: one row per term (mean's image, then exemplars), then the result row
                int cols = Math.max(1 + exemplars, variants);
                List<String> labels = new ArrayList<>();
                List<float[]> rowsZ = new ArrayList<>();
                List<Map<String, Object>> terms = new ArrayList<>();
                for (LatentExpression.Term t : e.terms()) {
                    double[] mean = t.isClass() ? classMean[t.digit()] : named.get(t.name()).mean();
                    List<float[]> zs = new ArrayList<>();
                    zs.add(toFloats(mean));
                    int size;
                    if (t.isClass()) {
                        size = averaged[t.digit()];
                        List<Integer> ex = examples.get(t.digit());
                        for (int i : ex.subList(0, Math.min(exemplars, ex.size()))) zs.add(Arrays.copyOfRange(z, i * nz, (i + 1) * nz));
                    } else {
                        LatentSet s = named.get(t.name());
                        size = s.size();
                        for (int i = 0; i < Math.min(exemplars, s.size()); i++) zs.add(Arrays.copyOfRange(s.z(), i * nz, (i + 1) * nz));
                    }
                    float[] zrow = new float[zs.size() * nz];
                    for (int i = 0; i < zs.size(); i++) System.arraycopy(zs.get(i), 0, zrow, i * nz, nz);
                    rowsZ.add(zrow);
                    String sign = t.coefficient() < 0 ? "-" : "+";
                    double c = Math.abs(t.coefficient());
                    labels.add(sign + " " + (c == 1 ? "" : num(c) + "*") + t.atom() + " (" + size + (t.isClass() ? " of " + count[t.digit()] : "") + ")");
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("term", t.atom());
                    m.put("coefficient", t.coefficient());
                    m.put(t.isClass() ? "averaged" : "latents", size);
                    if (t.isClass()) m.put("confident", count[t.digit()]);
                    if (!t.isClass()) {
                        m.put("file", named.get(t.name()).file().toString());
                        m.put("rows", named.get(t.name()).rows());
                    }
                    m.put("mean_norm", LatentPaths.norm(mean));
                    terms.add(m);
                }
                float[] figure = new float[(rowsZ.size() + 1) * cols * lg.item];
                Arrays.fill(figure, Float.NaN);
                for (int row = 0; row < rowsZ.size(); row++) {
                    float[] zrow = rowsZ.get(row);
                    int k = zrow.length / nz;
                    float[] img = new float[k * lg.item];
                    int[][] y = new int[1][];
                    lg.decode(zrow, labelsOf(lg, k, only), k, null, (done, kk, x, p, f) -> {
                        System.arraycopy(x, 0, img, done * lg.item, kk * lg.item);
                        if (done == 0 && p != null) y[0] = LatentGenerator.classes(p, kk);
                    });
                    System.arraycopy(img, 0, figure, row * cols * lg.item, k * lg.item);
                    if (y[0] != null) terms.get(row).put("mean_decodes_as", y[0][0]);
                }
                System.arraycopy(resultImages, 0, figure, rowsZ.size() * cols * lg.item, variants * lg.item);
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("norm", LatentPaths.norm(r));
                result.put("typical_norm", Math.sqrt(nz));
                String resultLabel = "=";
                if (resultClasses != null) {
                    int[] votes = new int[classes];
                    for (int y : resultClasses) votes[y]++;
                    int best = 0;
                    for (int k = 1; k < classes; k++) if (votes[k] > votes[best]) best = k;
                    result.put("class", resultClasses[0]);
                    result.put("probability", resultP[0]);
                    result.put("variant_classes", resultClasses);
                    result.put("majority", best);
                    result.put("majority_share", (double) votes[best] / variants);
                    resultLabel = String.format(Locale.ROOT, "= %d (%d of %d)", best, votes[best], variants);
                }
                labels.add(resultLabel);
                LabelledGrid.write(dir.resolve("arithmetic.png"), figure, rowsZ.size() + 1, cols, lg.c, lg.h, lg.w, labels.toArray(String[]::new));

                Map<String, Object> summary = lg.describe(common.seed);
                summary.put("command", "arithmetic");
                summary.put("expr", expr);
                summary.put("canonical", e.canonical());
                if (lg.conditional()) summary.put("class", only);
                if (!e.classes().isEmpty()) {
                    summary.put("n", n);
                    summary.put("confidence", confidence);
                    summary.put("per_class", perClass);
                    summary.put("class_counts", count);
                }
                summary.put("terms", terms);
                summary.put("variants", variants);
                summary.put("noise", noise);
                summary.put("result", result);
                if (!lg.digits()) summary.put("note", NOT_DIGITS);
                Json.writeFile(dir.resolve("summary.json"), summary);

                if (resultClasses != null) {
                    out.printf(Locale.ROOT, "%s = %d (p %.2f); its %d variants (noise ±%s): %s; the sum's norm %.2f (a latent's is about %.1f)%n",
                            e.canonical(), resultClasses[0], resultP[0], variants, num(noise), Arrays.toString(resultClasses), LatentPaths.norm(r), Math.sqrt(nz));
                } else {
                    out.println(e.canonical() + " decoded (" + variants + " variants, noise ±" + num(noise) + ")");
                    out.println(NOT_DIGITS);
                }
                if (!e.classes().isEmpty()) {
                    out.println("class means of " + (perClass == 0 ? "all confident samples" : "the first " + perClass + " confident samples")
                            + " of " + n + " from " + lg.which() + " (confident: " + found(count) + ")");
                }
                if (lg.conditional()) out.println("class-conditional generator: every image drawn for class " + only);
                out.println("wrote " + dir.resolve("arithmetic.png") + " and summary.json");
            }
            out.flush();
            return 0;
        }

        private static String found(int[] count) {
            StringBuilder s = new StringBuilder();
            for (int k = 0; k < count.length; k++) s.append(k == 0 ? "" : ", ").append(k).append(": ").append(count[k]);
            return s.toString();
        }
    }

    // ================================================================ helpers

    /** The class of pair or start i of a conditional generator: --class when given (>= 0), else i mod K; -1 when unconditional. */
    static int classOf(LatentGenerator lg, int only, long i) {
        return !lg.conditional() ? -1 : only >= 0 ? only : dev.sparring.train.Conditioning.balanced(i, lg.classes);
    }

    /** n labels of class cls for a conditional generator; null for an unconditional one. */
    static int[] labelsOf(LatentGenerator lg, int n, int cls) { return lg.conditional() ? LatentGenerator.labels(n, cls) : null; }

    /** What a conditional generator's images were drawn for, one line. */
    static String conditionalNote(LatentGenerator lg, int only, String what) {
        return "class-conditional generator: " + (only >= 0 ? "every image drawn for class " + only
                : what + " i drawn for class i mod " + lg.classes + " (--class K: all of class K)") + "; the class is the label, z the style";
    }

    static double[] row(float[] rows, int i, int size) {
        double[] r = new double[size];
        for (int j = 0; j < size; j++) r[j] = rows[i * size + j];
        return r;
    }

    static void put(float[] rows, int i, double[] v) {
        for (int j = 0; j < v.length; j++) rows[i * v.length + j] = (float) v[j];
    }

    static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
