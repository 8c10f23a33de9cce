package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Dataset;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.eval.DeviceMoments;
import dev.sparring.data.ImageFolder;
import dev.sparring.eval.FeatureMoments;
import dev.sparring.eval.FeatureReservoir;
import dev.sparring.eval.FeatureStatistics;
import dev.sparring.eval.FrechetDistance;
import dev.sparring.eval.ImageNpz;
import dev.sparring.eval.KernelInceptionDistance;
import dev.sparring.eval.NpyArray;
import dev.sparring.eval.Npz;
import dev.sparring.eval.StatisticsFile;
import dev.sparring.eval.features.FeatureNetwork;
import dev.sparring.eval.features.ImageBatches;
import dev.sparring.eval.features.InceptionV3;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.io.Json;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.linalg.SqrtTrace;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.Progress;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code sparring fid A B}: the Fréchet distance (and with {@code --kid} the kernel inception distance) between two
 * sets of images, each a pytorch-fid statistics file (.npz with mu and sigma), an image .npz (one uint8 array
 * (N, H, W, C), as {@code sparring sample --out x.npz} writes), a run folder or checkpoint (N samples drawn as
 * {@code sparring sample} draws them), or image data that {@code --data} takes (mnist, an IDX file, a folder), through
 * the {@code mnist} feature network or pytorch-fid's Inception-v3 ({@code --features inception --inception-weights FILE}).
 * {@code --save-stats} writes one set's statistics instead. Two statistics files need no feature network at all.
 *
 * <p>Memory stays bounded whatever N: each set's features go, a batch at a time, into its {@link FeatureMoments}
 * (the mean and an F × F matrix) and, with {@code --kid}, a {@link FeatureReservoir} that keeps a uniform random sample
 * of at most {@value #KID_KEEP} × {@code --kid-subset-size} rows (all of them when N is no more).
 */
@Command(name = "fid", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Fréchet distance (FID; with --kid also KID) between two sets of images, through the MNIST classifier's features (F = 64) "
                + "or pytorch-fid's Inception-v3 (--features inception, F = 2048).",
                "A and B: a .npz of statistics (pytorch-fid's mu and sigma), a .npz of images (one uint8 array (N, H, W, C), "
                        + "as sparring sample --out x.npz writes), a run folder or checkpoint (--n samples), or image data as --data "
                        + "takes it (mnist, an IDX file, a folder); for mnist the images are made 28 x 28 gray, for inception they are "
                        + "taken as they are: any size, gray (repeated to RGB) or RGB.",
                "sparring fid A --save-stats OUT.npz writes A's statistics instead. A progress bar with ETA goes to stderr."})
public final class FidCommand implements Callable<Integer> {
    /** The seed of the KID's subsets (and of the reservoirs): the same inputs give the same KID. */
    static final long KID_SEED = 0;
    /** With --kid, each set keeps at most this many times --kid-subset-size feature rows (a uniform sample). */
    static final int KID_KEEP = 10;

    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..2", paramLabel = "SOURCE", description = "A and B (one with --save-stats)")
    List<String> sources;
    @Option(names = "--n", defaultValue = "10000", description = "samples drawn from a run folder or checkpoint, and at most as many images taken from image data or an image .npz")
    int n;
    @Option(names = "--seed", defaultValue = "0", description = "latent noise seed of the samples (as sparring sample --seed)")
    long seed;
    @Option(names = "--batch", defaultValue = "256", description = "images generated and passed through the feature network at a time")
    int batch;
    @Option(names = "--features", defaultValue = "mnist", description = "feature network: mnist (the classifier in the jar) "
            + "or inception (pytorch-fid's FID Inception-v3; needs --inception-weights)")
    String features;
    @Option(names = "--inception-weights", paramLabel = "FILE.safetensors", description = "pytorch-fid's Inception weights, "
            + "converted once by bench/inception/convert_weights.py (README, FID with Inception-v3)")
    Path inceptionWeights;
    @Option(names = "--kid", description = "also the kernel inception distance (torch-fidelity's unbiased MMD², cubic kernel), mean ± std over random subsets; "
            + "needs features, so not from a statistics .npz")
    boolean kid;
    @Option(names = "--kid-subsets", defaultValue = "" + KernelInceptionDistance.DEFAULT_SUBSETS, description = "KID: number of random subsets")
    int kidSubsets;
    @Option(names = "--kid-subset-size", defaultValue = "" + KernelInceptionDistance.DEFAULT_SUBSET_SIZE,
            description = "KID: rows per subset, at most each set's number of images")
    int kidSubsetSize;
    @Option(names = "--save-stats", paramLabel = "OUT.npz", description = "write the statistics of the one SOURCE (pytorch-fid's format, with n and the network)")
    Path saveStats;
    @Option(names = "--json", description = "print one JSON object: fid, n_a, n_b, features, feature_size, sqrt_trace (the method), sqrt_trace_device (with --kid: kid_mean, kid_std, kid_subsets, kid_subset_size)")
    boolean json;
    @Option(names = "--no-progress", description = "plain progress lines instead of a live bar")
    boolean noProgress;
    @Mixin
    OverwriteOption overwrite;
    @Mixin
    DeviceOption device;
    @Mixin
    EmaOption ema;

    /** What a SOURCE is. */
    enum Kind { STATISTICS, IMAGE_NPZ, CHECKPOINT, DATA }

    /** A SOURCE as given, what it is, and for an image .npz the array that holds the images. */
    record Source(String arg, Kind kind, String imageKey) { }

    /** One set's statistics, and with --kid its kept feature rows. */
    record Measured(FeatureStatistics stats, FeatureReservoir rows) { }

    @Override
    public Integer call() throws IOException {
        if (n < 2) throw new UserError("--n must be >= 2, got " + n);
        if (batch < 1) throw new UserError("--batch must be >= 1, got " + batch);
        if (!features.equals("mnist") && !features.equals(INCEPTION)) throw new UserError("--features " + features + ": expected mnist or inception");
        if (inceptionWeights != null && !features.equals(INCEPTION)) throw new UserError("--inception-weights is for --features inception");
        if (saveStats != null && sources.size() != 1) throw new UserError("--save-stats takes one SOURCE, got " + sources.size());
        if (saveStats == null && sources.size() != 2) throw new UserError("give two SOURCEs to compare (or one with --save-stats)");
        for (String flag : List.of("--kid-subsets", "--kid-subset-size")) {
            if (!kid && spec.commandLine().getParseResult().hasMatchedOption(flag)) throw new UserError(flag + " sets up the KID: add --kid");
        }
        if (kid && saveStats != null) throw new UserError("--kid compares two sets; --save-stats writes the statistics of one (the KID has none to save)");
        if (kid && kidSubsets < 1) throw new UserError("--kid-subsets must be >= 1, got " + kidSubsets);
        if (kid && kidSubsetSize < 2) throw new UserError("--kid-subset-size must be >= 2, got " + kidSubsetSize);
        if (saveStats != null) overwrite.check("--save-stats", saveStats);
        List<Source> src = new ArrayList<>();
        for (String s : sources) src.add(classify(s));
        if (kid) {
            for (Source s : src) {
                if (s.kind() == Kind.STATISTICS) {
                    throw new UserError(s.arg() + " holds statistics (mu and sigma), not features: --kid needs the images themselves "
                            + "(a run folder or checkpoint, image data, or an image .npz)");
                }
            }
            if (kidSubsetSize > n) throw new UserError(kidTooLarge("the --n " + n + " images taken from each SOURCE", n) + " or raise --n");
        }
        boolean needsNetwork = src.stream().anyMatch(s -> s.kind() != Kind.STATISTICS);
        if (needsNetwork && features.equals(INCEPTION) && inceptionWeights == null) {
            throw new UserError("--features inception needs --inception-weights FILE.safetensors: pytorch-fid's weights "
                    + "(pt_inception-2015-12-05-6726825d.pth) converted once by python3 bench/inception/convert_weights.py (README, FID with Inception-v3)");
        }
        PrintWriter out = spec.commandLine().getOut();
        Measured[] sets = new Measured[src.size()];
        FrechetDistance.Result onDevice = null;       // on a GPU the FID is computed there (docs/metrics.md)
        if (needsNetwork || device.name.equals("cuda")) {
            try (Backend be = device.create()) {
                FeatureNetwork net = !needsNetwork ? null
                        : features.equals(INCEPTION) ? InceptionV3.load(be, inceptionWeights) : MnistClassifier.bundled(be);
                for (int i = 0; i < sets.length; i++) sets[i] = measure(src.get(i), i, net);
                if (saveStats == null && !be.name().equals("cpu")) {
                    onDevice = FrechetDistance.between(be, sets[0].stats(), sets[1].stats(), SqrtTrace.Method.AUTO);
                }
            }
        } else {
            for (int i = 0; i < sets.length; i++) sets[i] = measure(src.get(i), i, null);
        }
        for (Measured m : sets) {
            FeatureStatistics s = m.stats();
            if (s.count() >= 0 && s.count() <= s.features()) {
                System.err.printf("note: %s: %,d samples for %d features, so its covariance is rank-deficient (at most rank %,d); "
                        + "the FID is still defined, but compare it only with FIDs of as many samples%n", s.source(), s.count(), s.features(), s.count() - 1);
            }
        }
        if (saveStats != null) {
            FeatureStatistics s = sets[0].stats();
            StatisticsFile.write(saveStats, s);
            out.printf("wrote the statistics of %s (%,d images, %d features, network %s) to %s%n", s.source(), s.count(),
                    s.features(), s.network().isEmpty() ? "unknown" : s.network(), saveStats);
            out.flush();
            return 0;
        }
        FeatureStatistics a = sets[0].stats(), b = sets[1].stats();
        FrechetDistance.Result r = onDevice != null ? onDevice : FrechetDistance.between(a, b);
        double fid = Math.max(0, r.distance());   // d^2 >= 0: a negative value is round-off of equal statistics
        KernelInceptionDistance.Result k = null;
        if (kid) {
            FeatureReservoir ra = sets[0].rows(), rb = sets[1].rows();
            k = KernelInceptionDistance.compute(ra.rows(), ra.kept(), rb.rows(), rb.kept(), ra.features(), kidSubsets, kidSubsetSize, KID_SEED);
        }
        String network = !a.network().isEmpty() ? a.network() : b.network();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fid", fid);
            m.put("n_a", a.count());
            m.put("n_b", b.count());
            m.put("features", network.isEmpty() ? "unknown" : network);
            m.put("feature_size", a.features());
            m.put("sqrt_trace", r.method().label());
            m.put("sqrt_trace_device", r.backend());
            if (k != null) {
                m.put("kid_mean", k.mean());
                m.put("kid_std", k.std());
                m.put("kid_subsets", k.subsets());
                m.put("kid_subset_size", k.subsetSize());
            }
            out.println(Json.write(m));
        } else {
            out.printf(Locale.ROOT, "FID %.6g%n", fid);
            if (k != null) out.printf(Locale.ROOT, "KID %.6g ± %.2g (%d subsets of %d)%n", k.mean(), k.std(), k.subsets(), k.subsetSize());
            out.printf(Locale.ROOT, "  A: %s (%s images)%n  B: %s (%s images)%n  features: %s, F = %d%n",
                    a.source(), count(a), b.source(), count(b), network.isEmpty() ? "unknown" : network, a.features());
            out.printf(Locale.ROOT, "  square-root trace: %s, on %s%s%n", r.method().label(), r.backend(),
                    r.iterations() > 0 ? " (" + r.iterations() + " iterations)" : "");
        }
        out.flush();
        return 0;
    }

    private static final String INCEPTION = "inception";

    private static String count(FeatureStatistics s) { return s.count() < 0 ? "unknown number of" : String.format(Locale.ROOT, "%,d", s.count()); }

    /** The start of the error for a --kid-subset-size above what a set has. */
    private String kidTooLarge(String what, long count) {
        return "--kid-subset-size " + kidSubsetSize + " is more than " + what + ": lower --kid-subset-size to at most " + count;
    }

    /**
     * What a SOURCE is, from its name and, for a .npz, the headers of its arrays: statistics when it holds mu and sigma,
     * images when it holds one uint8 array of 4 dimensions. A path that does not exist and any other .npz are one-line
     * errors naming the file.
     */
    static Source classify(String arg) {
        String lower = arg.toLowerCase(Locale.ROOT).strip();
        if (lower.isEmpty() || lower.equals("mnist") || lower.startsWith("idx:") || Datasets.isPoints(arg)) return new Source(arg, Kind.DATA, null);
        Path path;
        try {
            path = Path.of(arg);
        } catch (java.nio.file.InvalidPathException e) {
            throw new UserError("SOURCE " + arg + ": not a valid path (" + e.getMessage() + ")");
        }
        if (!Files.exists(path)) {
            throw new UserError(arg + ": no such file or folder (a SOURCE is a .npz, a run folder or checkpoint, mnist, an IDX file or an image folder)");
        }
        if (lower.endsWith(".npz")) {
            Map<String, NpyArray.Header> h = Npz.headers(path);
            if (h.containsKey(StatisticsFile.MU) && h.containsKey(StatisticsFile.SIGMA)) return new Source(arg, Kind.STATISTICS, null);
            List<String> images = h.entrySet().stream().filter(e -> ImageNpz.isImages(e.getValue())).map(Map.Entry::getKey).toList();
            if (images.size() == 1) return new Source(arg, Kind.IMAGE_NPZ, images.get(0));
            if (images.size() > 1) throw new UserError(arg + ": holds " + images.size() + " uint8 image arrays (" + String.join(", ", images) + "); keep one per file");
            throw new UserError(arg + ": neither FID statistics (mu and sigma) nor images (one uint8 array (N, H, W, C)); it holds "
                    + Npz.describe(h));
        }
        if (Files.isDirectory(path.resolve("checkpoints")) || lower.endsWith(".safetensors")) return new Source(arg, Kind.CHECKPOINT, null);
        return new Source(arg, Kind.DATA, null);
    }

    /** The statistics of SOURCE number {@code index} (0: A, 1: B), and with --kid its feature rows. */
    private Measured measure(Source s, int index, FeatureNetwork net) throws IOException {
        if (s.kind() == Kind.STATISTICS) {
            FeatureStatistics st = StatisticsFile.read(Path.of(s.arg()));
            if (st.count() == 0 || st.count() == 1) {
                throw new UserError(s.arg() + ": made from " + st.count() + " feature row(s); the FID needs at least 2 (a covariance of fewer is undefined)");
            }
            return new Measured(st, null);
        }
        String label = saveStats != null ? "features" : "features of " + (index == 0 ? "A" : "B");
        try (Moments moments = new Moments(net)) {
            return measure(s, index, net, label, moments);
        }
    }

    private Measured measure(Source s, int index, FeatureNetwork net, String label, Moments moments) throws IOException {
        FeatureReservoir[] rows = {null};
        Progress[] progress = {null};
        // one batch of features into the moments (and the reservoir), and the bar forward to `done`
        Feed feed = (t, k, done) -> {
            Tensor features = net.featureTensor(t);
            float[] f = moments.add(features, k, rows[0] != null);
            if (rows[0] != null) rows[0].add(f, k);
            progress[0].update(done);
        };
        String name;
        if (s.kind() == Kind.CHECKPOINT) {
            Path file = TrainingRun.findCheckpoint(Path.of(s.arg()), "SOURCE");
            SafeTensorsFile f = TrainingRun.open(file);
            TrainConfig cfg = Checkpoint.config(f);
            if (net instanceof MnistClassifier) CheckpointGenerator.requireDigits(cfg, file.toString());
            else if (cfg.model() == TrainConfig.Model.MLP) throw new UserError(file + " holds a 2-D model (" + cfg.data() + "): no images to measure");
            start(s, n, index, label, net, rows, progress);
            int b = Math.min(batch, n);
            CheckpointGenerator gen = new CheckpointGenerator(net.backend(), f, cfg, b, ema.use());
            gen.generate(n, b, seed, (done, k, samples) -> feed.accept(samples, k, done + k));
            name = file + " (samples of " + gen.which() + ", --seed " + seed + ")";
        } else if (s.kind() == Kind.IMAGE_NPZ) {
            try (ImageNpz.Reader r = ImageNpz.open(Path.of(s.arg()), s.imageKey())) {
                int H = r.height(), W = r.width(), C = r.channels(), S = H * W * C;
                boolean inception = net instanceof InceptionV3;
                if (!inception && (H != MnistClassifier.SIZE || W != MnistClassifier.SIZE || C != 1)) {
                    throw new UserError(s.arg() + ": its images are " + r.height() + " x " + r.width() + " with " + r.channels()
                            + " channel(s); the mnist feature network takes 28 x 28 gray images, (N, 28, 28, 1)");
                }
                if (inception && C != 1 && C != 3) {
                    throw new UserError(s.arg() + ": its images have " + C + " channels; Inception-v3 takes gray (1) or RGB (3)");
                }
                int count = Math.min(n, r.count());
                start(s, count, index, label, net, rows, progress);
                int b = Math.min(networkBatch(net), count);
                byte[] px = new byte[b * S];
                float[] x = new float[b * S];
                Tensor images = null;
                try {
                    for (int done = 0; done < count; ) {
                        int k = r.read(px, Math.min(b, count - done));
                        for (int i = 0; i < k; i++) {                    // (k, H, W, C) bytes to (k, C, H, W) in the networks' [-1, 1]
                            for (int p = 0; p < H * W; p++) {
                                for (int c = 0; c < C; c++) x[(i * C + c) * H * W + p] = (px[(i * H * W + p) * C + c] & 0xFF) / 127.5f - 1f;
                            }
                        }
                        if (images == null || images.dim(0) != k) {
                            if (images != null) images.close();
                            images = net.backend().zeros(k, C, H, W);
                        }
                        net.backend().copyFromHost(k == b ? x : java.util.Arrays.copyOf(x, k * S), images);
                        done += k;
                        feed.accept(images, k, done);
                    }
                } finally {
                    if (images != null) images.close();
                }
            }
            name = s.arg();
        } else {
            boolean inception = net instanceof InceptionV3;
            ImageDataset images = openImages(s.arg(), inception);
            int count = Math.min(n, images.size());
            start(s, count, index, label, net, rows, progress);
            ImageBatches.forEach(net.backend(), images, count, networkBatch(net), (first, t) -> feed.accept(t, t.dim(0), first + t.dim(0)));
            name = images.name();
        }
        progress[0].finish();
        return new Measured(moments.statistics(net.name(), name), rows[0]);
    }

    /**
     * The moments of a set's features: on the CPU {@link FeatureMoments} (rows read back), on a GPU
     * {@link DeviceMoments} (rows stay on the device unless the KID needs them; the same float64 numerics).
     */
    private static final class Moments implements AutoCloseable {
        private final Backend be;
        private final FeatureMoments host;
        private final DeviceMoments device;

        Moments(FeatureNetwork net) {
            this.be = net.backend();
            boolean cpu = be.name().equals("cpu");
            host = cpu ? new FeatureMoments(net.featureSize()) : null;
            device = cpu ? null : new DeviceMoments(be, net.featureSize());
        }

        /** Adds the first n rows of features (on the backend); returns them on the host when read back (always on the CPU, else when asked). */
        float[] add(Tensor features, int n, boolean wantRows) {
            if (host != null) {
                float[] f = be.download(features);
                host.add(f, n);
                return f;
            }
            device.add(features, n);
            return wantRows ? be.download(features) : null;
        }

        FeatureStatistics statistics(String network, String source) {
            return host != null ? host.statistics(network, source) : device.statistics(network, source);
        }

        @Override
        public void close() { if (device != null) device.close(); }
    }

    /** Images passed to the network at a time: --batch, and for Inception at most the chunk it takes at once. */
    private int networkBatch(FeatureNetwork net) {
        return net instanceof InceptionV3 inception ? Math.min(batch, inception.chunk()) : batch;
    }

    /** A batch of images (k, C, H, W), and how many of the set are done with it. */
    private interface Feed { void accept(Tensor images, int k, int done); }

    /**
     * Checks that a set of {@code count} images is enough for the FID (and the KID's subsets), then sets up its
     * reservoir (with --kid) and its progress bar.
     */
    private void start(Source s, int count, int index, String label, FeatureNetwork net, FeatureReservoir[] rows, Progress[] progress) {
        if (count < 2) {
            throw new UserError(s.arg() + ": " + count + " image; the FID needs at least 2 (a covariance of one image is undefined)");
        }
        if (kid && kidSubsetSize > count) throw new UserError(kidTooLarge("the " + count + " images of " + s.arg(), count));
        if (kid) rows[0] = new FeatureReservoir(net.featureSize(), (int) Math.min((long) KID_KEEP * kidSubsetSize, count), KID_SEED + 1 + index);
        progress[0] = new Progress(System.err, count, label, "img/s", !noProgress);
    }

    /**
     * Image data as --data opens it: a folder must hold images of one kind (all gray or all color), and 2-D points are
     * refused. For mnist as 28 x 28 gray digits (color made gray); for inception as they are (a folder's images of one
     * size), the network resizing them and repeating gray to RGB.
     */
    private static ImageDataset openImages(String source, boolean inception) {
        Dataset ds = Datasets.open(source, inception ? 0 : MnistClassifier.SIZE, ImageFolder.SAME_CHANNELS);
        if (!(ds instanceof ImageDataset images)) throw new UserError(source + ": not images (2-D points have no image features)");
        return inception ? images : images.resized(MnistClassifier.SIZE, 1);
    }
}
