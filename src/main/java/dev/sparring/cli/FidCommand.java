package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Dataset;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.eval.DeviceMoments;
import dev.sparring.eval.FeatureMoments;
import dev.sparring.eval.FeatureStatistics;
import dev.sparring.eval.FrechetDistance;
import dev.sparring.eval.StatisticsFile;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.eval.features.MnistClassifierTraining;
import dev.sparring.io.Json;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.linalg.SqrtTrace;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainingRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code sparring fid A B}: the Fréchet distance between two sets of images, each a pytorch-fid statistics file
 * (.npz), a run folder or checkpoint (N samples drawn as {@code sparring sample} draws them), or image data that
 * {@code --data} takes (mnist, an IDX file, a folder), through the {@code mnist} feature network. {@code --save-stats}
 * writes one set's statistics instead. Two .npz files need no feature network at all.
 */
@Command(name = "fid", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Fréchet distance between two sets of images, through the MNIST classifier's features (F = 64).",
                "A and B: a .npz of statistics (pytorch-fid's mu and sigma), a run folder or checkpoint (--n samples), "
                        + "or image data as --data takes it (mnist, an IDX file, a folder; 28 x 28 gray).",
                "sparring fid A --save-stats OUT.npz writes A's statistics instead."})
public final class FidCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..2", paramLabel = "SOURCE", description = "A and B (one with --save-stats)")
    java.util.List<String> sources;
    @Option(names = "--n", defaultValue = "10000", description = "samples drawn from a run folder or checkpoint, and at most as many images taken from image data")
    int n;
    @Option(names = "--seed", defaultValue = "0", description = "latent noise seed of the samples (as sparring sample --seed)")
    long seed;
    @Option(names = "--batch", defaultValue = "256", description = "images generated and passed through the feature network at a time")
    int batch;
    @Option(names = "--features", defaultValue = "mnist", description = "feature network: mnist (the classifier in the jar)")
    String features;
    @Option(names = "--save-stats", paramLabel = "OUT.npz", description = "write the statistics of the one SOURCE (pytorch-fid's format, with n and the network)")
    Path saveStats;
    @Option(names = "--json", description = "print one JSON object: fid, n_a, n_b, features, feature_size, sqrt_trace (the method), sqrt_trace_device")
    boolean json;
    @Mixin
    OverwriteOption overwrite;
    @Mixin
    DeviceOption device;
    @Mixin
    EmaOption ema;

    @Override
    public Integer call() throws IOException {
        if (n < 2) throw new UserError("--n must be >= 2, got " + n);
        if (batch < 1) throw new UserError("--batch must be >= 1, got " + batch);
        if (!features.equals("mnist")) throw new UserError("--features " + features + ": only mnist is available (inception is not built yet)");
        if (saveStats != null && sources.size() != 1) throw new UserError("--save-stats takes one SOURCE, got " + sources.size());
        if (saveStats == null && sources.size() != 2) throw new UserError("give two SOURCEs to compare (or one with --save-stats)");
        if (saveStats != null) overwrite.check("--save-stats", saveStats);
        PrintWriter out = spec.commandLine().getOut();
        boolean needsNetwork = sources.stream().anyMatch(s -> !isNpz(s));
        FeatureStatistics[] stats = new FeatureStatistics[sources.size()];
        FrechetDistance.Result onDevice = null;       // on a GPU the FID is computed there (docs/metrics.md)
        if (needsNetwork || device.name.equals("cuda")) {
            try (Backend be = device.create()) {
                MnistClassifier net = needsNetwork ? MnistClassifier.bundled(be) : null;
                for (int i = 0; i < stats.length; i++) stats[i] = statistics(sources.get(i), net);
                if (saveStats == null && !be.name().equals("cpu")) {
                    onDevice = FrechetDistance.between(be, stats[0], stats[1], SqrtTrace.Method.AUTO);
                }
            }
        } else {
            for (int i = 0; i < stats.length; i++) stats[i] = StatisticsFile.read(Path.of(sources.get(i)));
        }
        for (FeatureStatistics s : stats) {
            if (s.count() < s.features()) {
                System.err.printf("note: %s: %,d samples for %d features, so its covariance is rank-deficient (at most rank %,d)%n",
                        s.source(), s.count(), s.features(), s.count() - 1);
            }
        }
        if (saveStats != null) {
            StatisticsFile.write(saveStats, stats[0]);
            out.printf("wrote the statistics of %s (%,d images, %d features, network %s) to %s%n", stats[0].source(), stats[0].count(),
                    stats[0].features(), stats[0].network().isEmpty() ? "unknown" : stats[0].network(), saveStats);
        } else {
            FrechetDistance.Result r = onDevice != null ? onDevice : FrechetDistance.between(stats[0], stats[1]);
            double fid = Math.max(0, r.distance());   // d^2 >= 0: a negative value is round-off of equal statistics
            String network = !stats[0].network().isEmpty() ? stats[0].network() : stats[1].network();
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("fid", fid);
                m.put("n_a", stats[0].count());
                m.put("n_b", stats[1].count());
                m.put("features", network.isEmpty() ? "unknown" : network);
                m.put("feature_size", stats[0].features());
                m.put("sqrt_trace", r.method().label());
                m.put("sqrt_trace_device", r.backend());
                out.println(Json.write(m));
            } else {
                out.printf(Locale.ROOT, "FID %.6g%n  A: %s (%,d images)%n  B: %s (%,d images)%n  features: %s, F = %d%n", fid,
                        stats[0].source(), stats[0].count(), stats[1].source(), stats[1].count(),
                        network.isEmpty() ? "unknown" : network, stats[0].features());
                out.printf(Locale.ROOT, "  square-root trace: %s, on %s%s%n", r.method().label(), r.backend(),
                        r.iterations() > 0 ? " (" + r.iterations() + " iterations)" : "");
            }
        }
        out.flush();
        return 0;
    }

    private static boolean isNpz(String source) { return source.toLowerCase(Locale.ROOT).endsWith(".npz"); }

    /** The feature statistics of one source. */
    private FeatureStatistics statistics(String source, MnistClassifier net) throws IOException {
        if (isNpz(source)) return StatisticsFile.read(Path.of(source));
        try (Moments moments = new Moments(net)) {
            return statistics(source, net, moments);
        }
    }

    private FeatureStatistics statistics(String source, MnistClassifier net, Moments moments) throws IOException {
        Path path = pathOrNull(source);
        if (path != null && (Files.isDirectory(path.resolve("checkpoints")) || source.endsWith(".safetensors"))) {
            Path file = TrainingRun.findCheckpoint(path, "SOURCE");
            SafeTensorsFile f = TrainingRun.open(file);
            TrainConfig cfg = Checkpoint.config(f);
            CheckpointGenerator.requireDigits(cfg, file.toString());
            int b = Math.min(batch, n);
            CheckpointGenerator gen = new CheckpointGenerator(net.backend(), f, cfg, b, ema.use());
            gen.generate(n, b, seed, (done, k, samples) -> moments.add(samples, k));
            return moments.statistics(net.name(), file + " (samples of " + gen.which() + ", --seed " + seed + ")");
        }
        Dataset ds = Datasets.open(source, MnistClassifier.SIZE, 1);
        if (!(ds instanceof ImageDataset images)) throw new UserError(source + ": not images (2-D points have no image features)");
        int[] items = java.util.stream.IntStream.range(0, Math.min(n, images.size())).toArray();
        MnistClassifierTraining.forEachBatch(net.backend(), images, items, batch, (start, t) -> moments.add(t, t.dim(0)));
        return moments.statistics(net.name(), images.name());
    }

    /**
     * The moments of a source's features: on the CPU {@link FeatureMoments} (rows read back), on a GPU
     * {@link DeviceMoments} (rows stay on the device; the same float64 numerics).
     */
    private static final class Moments implements AutoCloseable {
        private final MnistClassifier net;
        private final FeatureMoments host;
        private final DeviceMoments device;

        Moments(MnistClassifier net) {
            this.net = net;
            boolean cpu = net.backend().name().equals("cpu");
            host = cpu ? new FeatureMoments(net.featureSize()) : null;
            device = cpu ? null : new DeviceMoments(net.backend(), net.featureSize());
        }

        void add(Tensor images, int n) {
            if (host != null) host.add(net.features(images), n);
            else device.add(net.featureTensor(images), n);
        }

        FeatureStatistics statistics(String network, String source) {
            return host != null ? host.statistics(network, source) : device.statistics(network, source);
        }

        @Override
        public void close() { if (device != null) device.close(); }
    }

    private static Path pathOrNull(String s) {
        try {
            return Path.of(s);
        } catch (java.nio.file.InvalidPathException e) {
            return null;
        }
    }
}
