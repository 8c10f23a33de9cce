package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.data.ImageDataset;
import dev.sparring.eval.FeatureMoments;
import dev.sparring.eval.FeatureReservoir;
import dev.sparring.eval.FeatureStatistics;
import dev.sparring.eval.FrechetDistance;
import dev.sparring.eval.KernelInceptionDistance;
import dev.sparring.eval.NpyArray;
import dev.sparring.eval.Npz;
import dev.sparring.eval.StatisticsFile;
import dev.sparring.eval.features.FeatureNetwork;
import dev.sparring.eval.features.ImageBatches;
import dev.sparring.eval.features.InceptionV3;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.random.NoiseStream;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The FID (and KID) of a trainer's generator during a run ({@link TrainConfig#fidEvery}), against reference statistics
 * of its training data that are computed once and kept in the run folder ({@link #REFERENCE_FILE}).
 *
 * <ul>
 *   <li>Reference: the first {@code min(fidSamples, data size)} training images, in the data's order, through the
 *       feature network; their mean and covariance in pytorch-fid's {@code .npz} layout ({@link StatisticsFile}: mu,
 *       sigma, n, network), plus {@code features}, the feature rows the KID compares (at most {@link #KID_ROWS}, a seeded
 *       uniform sample when there are more). A resumed run reads the file back and checks that it was made by the same
 *       network from as many images.</li>
 *   <li>Samples: {@code fidSamples} samples drawn through {@link Trainer#samples} in batches of {@link #BATCH}, their
 *       latent vectors from the stream ("sample", seed {@link #SAMPLE_SEED}) taken from its start at every
 *       measurement: the samples that {@code sparring sample --seed 0} and {@code sparring fid} draw from a checkpoint,
 *       so {@code sparring fid DATA RUN --n fidSamples} gives the FID of the run's last measurement. The stream is the
 *       evaluation's own; the training streams, the data order and the generator's batch-norm statistics are left as
 *       they were, so a run with measurements trains tensor for tensor as one without.</li>
 *   <li>Features ({@link #networkFor}): pytorch-fid's Inception-v3 ({@link InceptionV3}, F = 2048) when the run names
 *       its weights ({@link TrainConfig#inceptionWeights()}), any images; else {@code mnist} ({@link MnistClassifier},
 *       F = 64) for 28 x 28 gray images; other images are refused.</li>
 * </ul>
 */
public final class FidEvaluator {
    /** The reference statistics' file in the run folder. */
    public static final String REFERENCE_FILE = "fid_reference.npz";
    /** The name of pytorch-fid's Inception-v3 as a feature network. */
    public static final String INCEPTION = "inception";
    /** The array of {@link #REFERENCE_FILE} that holds the reference feature rows for the KID, (rows, F) float32. */
    public static final String FEATURES = "features";
    /** The seed of the evaluation's latent stream ("sample"), as {@code sparring sample --seed 0} and {@code sparring fid}. */
    public static final long SAMPLE_SEED = 0;
    /** Samples generated and passed through the feature network at a time (sparring fid's and sparring sample's --batch). */
    public static final int BATCH = 256;
    /** Feature rows kept on each side for the KID: all of them up to this many, else a seeded uniform sample. */
    public static final int KID_ROWS = 10_000;
    /** Seeds of the KID's row samples and subsets: fixed, so measurements differ only by the generator. */
    static final long KID_SEED = 0;

    /**
     * One measurement.
     *
     * @param step     the generator step it measured
     * @param fid      the Fréchet distance to the reference statistics
     * @param kid      the KID (mean MMD² over subsets); NaN when not measured
     * @param kidStd   its standard deviation over subsets; NaN when not measured
     * @param samples  samples drawn
     * @param features the feature network's name
     * @param seconds  how long the measurement took
     */
    public record Measurement(long step, double fid, double kid, double kidStd, int samples, String features, double seconds) {
        /** The fields it adds to its step's metrics.jsonl line. */
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("fid", fid);
            if (!Double.isNaN(kid)) {
                m.put("kid", kid);
                m.put("kid_std", kidStd);
            }
            m.put("fid_samples", samples);
            m.put("fid_features", features);
            m.put("fid_time_s", Math.round(seconds * 1000) / 1000.0);
            return m;
        }

        /** The measurement of a metrics.jsonl line that holds one, else null. */
        static Measurement fromJson(Map<String, Object> o) {
            if (!(o.get("fid") instanceof Number fid) || !(o.get("step") instanceof Number step)) return null;
            return new Measurement(step.longValue(), fid.doubleValue(), num(o.get("kid")), num(o.get("kid_std")),
                    o.get("fid_samples") instanceof Number n ? n.intValue() : 0,
                    o.get("fid_features") instanceof String s ? s : "", num(o.get("fid_time_s")));
        }

        private static double num(Object o) { return o instanceof Number n ? n.doubleValue() : Double.NaN; }

        /** "FID 14.5, KID 0.0123 ± 0.0011 (10,000 samples, mnist features)". */
        public String describe() {
            String k = Double.isNaN(kid) ? "" : String.format(java.util.Locale.ROOT, ", KID %.4g ± %.2g", kid, kidStd);
            return String.format(java.util.Locale.ROOT, "FID %.4g%s (%,d samples, %s features)", fid, k, samples, features);
        }
    }

    private final Trainer trainer;
    private final FeatureNetwork net;
    private final ImageDataset data;
    private FeatureStatistics reference;
    private float[] referenceRows;       // (referenceKept, F)
    private int referenceKept;

    /**
     * An evaluator of the trainer's generator with the feature network its images take ({@link #networkFor}), loaded on
     * the trainer's backend. {@link #prepare} must run before {@link #measure}.
     */
    public FidEvaluator(Trainer trainer) {
        TrainConfig cfg = trainer.config();
        String network = networkFor(cfg);
        if (!(trainer.data() instanceof ImageDataset images)) throw new UserError("--fid-every needs image data, got " + trainer.data().name());
        this.trainer = trainer;
        this.data = images;
        this.net = network.equals(INCEPTION) ? InceptionV3.load(trainer.backend(), Path.of(cfg.inceptionWeights()))
                : MnistClassifier.bundled(trainer.backend());
    }

    /**
     * The feature network the FID of a run with this (resolved) configuration uses: {@code inception} when the
     * configuration names Inception-v3 weights (any images: gray ones are repeated to RGB, all resized to 299 x 299),
     * else {@code mnist} for 28 x 28 gray images. Anything else is refused with a one-line {@link UserError} naming
     * --fid-every and what would work.
     */
    public static String networkFor(TrainConfig cfg) {
        if (cfg.model() == TrainConfig.Model.MLP) {
            throw new UserError("--fid-every: " + cfg.data() + " is 2-D data, which has no images for a feature network; its "
                    + "sample scatters are measured by mode coverage instead (coverage.jsonl)");
        }
        if (!cfg.inceptionWeights().isEmpty()) {
            Path weights = Path.of(cfg.inceptionWeights());
            if (!Files.isRegularFile(weights)) {
                throw new UserError("--inception-weights " + weights + ": no such file (" + InceptionV3.HOW_TO_CONVERT + ")");
            }
            // a first look before a run folder is made (the headers only); InceptionV3.load checks every tensor
            try {
                SafeTensorsFile f = SafeTensors.read(weights);
                for (var probe : java.util.Map.of("Conv2d_1a_3x3.conv.weight", new int[] {32, 3, 3, 3},
                        "Mixed_7c.branch_pool.conv.weight", new int[] {192, 2048, 1, 1}).entrySet()) {
                    if (!f.contains(probe.getKey()) || !java.util.Arrays.equals(f.shape(probe.getKey()), probe.getValue())) {
                        throw new UserError("--inception-weights " + weights + ": no tensor " + probe.getKey() + " of shape "
                                + java.util.Arrays.toString(probe.getValue()) + "; not pytorch-fid's FID Inception weights? " + InceptionV3.HOW_TO_CONVERT);
                    }
                }
            } catch (IOException | RuntimeException e) {
                if (e instanceof UserError u) throw u;
                throw new UserError("--inception-weights " + weights + ": cannot be read as Inception weights (" + e.getMessage() + "); "
                        + InceptionV3.HOW_TO_CONVERT);
            }
            return INCEPTION;
        }
        if (cfg.imageSize() != MnistClassifier.SIZE || cfg.channels() != 1) {
            throw new UserError("--fid-every: the MNIST classifier's features take 28 x 28 gray images, and this run's are "
                    + cfg.imageSize() + " x " + cfg.imageSize() + " with " + cfg.channels() + " channel" + (cfg.channels() == 1 ? "" : "s")
                    + ": give --inception-weights FILE to measure it through Inception-v3 (README, \"FID with Inception-v3\"), "
                    + "or leave --fid-every out");
        }
        return "mnist";
    }

    /** The feature network. */
    public FeatureNetwork network() { return net; }

    /** The reference statistics (after {@link #prepare}). */
    public FeatureStatistics reference() { return reference; }

    /** Reference images: the first min(fidSamples, data size) of the training data. */
    public int referenceCount() { return Math.min(trainer.config().fidSamples(), data.size()); }

    /**
     * Reads the reference statistics from {@code dir}/{@link #REFERENCE_FILE}, checking that the same feature network
     * made them from as many images as this run takes; or, when the file is not there, computes them from the training
     * data and writes it. Returns what it did, for the log.
     */
    public String prepare(Path dir) throws IOException {
        Path file = dir.resolve(REFERENCE_FILE);
        if (Files.exists(file)) {
            read(file);
            return String.format("FID reference: %s (%,d training images, %s features), kept from the run's start", file,
                    reference.count(), reference.network());
        }
        long t0 = System.nanoTime();
        int n = referenceCount();
        FeatureMoments moments = new FeatureMoments(net.featureSize());
        FeatureReservoir rows = new FeatureReservoir(net.featureSize(), KID_ROWS, KID_SEED);
        ImageBatches.forEach(net.backend(), data, n, BATCH, (start, images) -> {
            float[] f = net.features(images);
            moments.add(f, images.dim(0));
            rows.add(f, images.dim(0));
        });
        reference = moments.statistics(net.name(), file.toString()).validate();
        referenceRows = rows.rows();
        referenceKept = rows.kept();
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        int f = net.featureSize();
        arrays.put(StatisticsFile.MU, NpyArray.ofDoubles(reference.mean(), f));
        arrays.put(StatisticsFile.SIGMA, NpyArray.ofDoubles(reference.covariance(), f, f));
        arrays.put(StatisticsFile.N, NpyArray.ofLongs(new long[] {reference.count()}));
        arrays.put(StatisticsFile.NETWORK, NpyArray.ofString(reference.network()));
        arrays.put(FEATURES, NpyArray.ofFloats(referenceRows, referenceKept, f));
        Npz.write(file, arrays);
        return String.format(java.util.Locale.ROOT, "FID reference: the first %,d images of %s through the %s features (%.1f s) -> %s",
                n, data.name(), net.name(), (System.nanoTime() - t0) / 1e9, file);
    }

    private void read(Path file) {
        FeatureStatistics s = StatisticsFile.read(file);
        String expected = String.format("the %s network's %d features of %,d images", net.name(), net.featureSize(), referenceCount());
        if (!s.network().equals(net.name()) || s.features() != net.featureSize() || s.count() != referenceCount()) {
            throw new UserError(file + " holds " + (s.network().isEmpty() ? "an unknown network" : "the " + s.network() + " network")
                    + "'s " + s.features() + " features of " + (s.count() < 0 ? "an unknown number of" : String.format("%,d", s.count()))
                    + " images, but this run measures " + expected + ": move the file out of the run folder to compute it anew");
        }
        NpyArray rows = Npz.read(file).get(FEATURES);
        if (rows == null || rows.shape().length != 2 || rows.shape()[1] != net.featureSize() || rows.shape()[0] < 2
                || rows.shape()[0] > Math.min(KID_ROWS, s.count())) {
            throw new UserError(file + ": no '" + FEATURES + "' array of (rows, " + net.featureSize() + ") reference features "
                    + "for the KID: move the file out of the run folder to compute it anew");
        }
        reference = s;
        referenceRows = rows.toFloats(file + ": " + FEATURES);
        referenceKept = (int) rows.shape()[0];
    }

    /**
     * Measures the generator as it is now: FID, and KID when the configuration asks for it (100 subsets of 1000 rows,
     * torch-fidelity's defaults; of all rows when either side has fewer).
     */
    public Measurement measure() {
        if (reference == null) throw new IllegalStateException("FidEvaluator.measure before prepare");
        long t0 = System.nanoTime();
        TrainConfig cfg = trainer.config();
        int n = cfg.fidSamples(), f = net.featureSize();
        FeatureMoments moments = new FeatureMoments(f);
        FeatureReservoir rows = cfg.kid() ? new FeatureReservoir(f, KID_ROWS, KID_SEED) : null;
        trainer.samples(n, Math.min(BATCH, n), NoiseStream.derive(SAMPLE_SEED, "sample"), (done, k, samples) -> {
            float[] x = net.features(samples);
            moments.add(x, k);
            if (rows != null) rows.add(x, k);
        });
        long step = trainer.stepCount();
        FeatureStatistics s = moments.statistics(net.name(), "samples of step " + step);
        // the reference first, as sparring fid DATA RUN orders them: the same numbers to the last bit
        double fid = Math.max(0, FrechetDistance.between(reference, s).distance());   // d^2 >= 0; below is round-off
        double kid = Double.NaN, kidStd = Double.NaN;
        if (rows != null) {
            int m = Math.min(KernelInceptionDistance.DEFAULT_SUBSET_SIZE, Math.min(referenceKept, rows.kept()));
            KernelInceptionDistance.Result r = KernelInceptionDistance.compute(referenceRows, referenceKept, rows.rows(), rows.kept(), f,
                    KernelInceptionDistance.DEFAULT_SUBSETS, m, KID_SEED);
            kid = r.mean();
            kidStd = r.std();
        }
        return new Measurement(step, fid, kid, kidStd, n, net.name(), (System.nanoTime() - t0) / 1e9);
    }
}
