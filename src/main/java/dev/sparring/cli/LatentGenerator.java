package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.lab.latent.ReferenceStatistics;
import dev.sparring.nn.Pass;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.Progress;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainingRun;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The generator of a checkpoint as the latent commands use it: images of latents given on the host, each a function of
 * its own latent alone ({@link ReferenceStatistics}: batch norm with the statistics of a fixed reference batch of
 * {@link #REFERENCE} latents, the same for every command and seed), and, for a generator of 28 x 28 gray digits, the
 * MNIST classifier's class probabilities and 64 features of each image.
 *
 * <p>A class-conditional generator (train --conditional, the default on the bundled digits) takes [z, one-hot label]:
 * every latent is decoded with a label the command gives ({@link #decode}), and the reference batch's latent i has
 * label i mod K, balanced as the samples of {@code sparring sample}.
 */
final class LatentGenerator {
    /** Latents decoded at a time; the images do not depend on it. */
    static final int BATCH = 256;
    /** The reference batch whose batch-norm statistics every image is normalised by. */
    static final int REFERENCE = 512;
    /** The reference batch's latents: this stream's first REFERENCE x nz normal values. */
    static final long REFERENCE_SEED = 0;
    static final String REFERENCE_STREAM = "latent-reference";

    /** A checkpoint opened and checked before a backend or an output folder exists. */
    record Source(Path file, SafeTensorsFile f, TrainConfig cfg) {
        boolean digits() {
            return cfg.imageSize() == MnistClassifier.SIZE && cfg.channels() == 1;
        }
    }

    /** Opens --checkpoint and refuses a 2-D model, whose samples are points, not images. */
    static Source open(Path checkpoint) throws IOException {
        Path file = TrainingRun.findCheckpoint(checkpoint, "--checkpoint");
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        if (cfg.model() == TrainConfig.Model.MLP) {
            throw new UserError("--checkpoint " + file + " holds a 2-D model (" + cfg.data() + ") whose samples are points; the latent commands "
                    + "draw images: give a checkpoint of a DCGAN");
        }
        return new Source(file, f, cfg);
    }

    /**
     * The class every image is drawn for, from --class (null: not given, -1), checked against the checkpoint: an
     * unconditional generator takes none, a conditional one a class in [0, K).
     */
    static int classOption(Integer only, Source src) {
        if (only == null) return -1;
        int k = src.cfg().classes();
        if (k == 0) throw new UserError("--class " + only + ": " + src.file() + " holds an unconditional generator (train --conditional makes one)");
        if (only < 0 || only >= k) throw new UserError("--class " + only + ": the generator of " + src.file() + " has classes 0 to " + (k - 1));
        return only;
    }

    /** Receives decoded latents [done, done + k): images (k, C, H, W), and for digits probabilities (k, 10) and features (k, 64), else null. */
    interface Decoded { void accept(int done, int k, float[] images, float[] probabilities, float[] features) throws IOException; }

    final Source src;
    final Backend be;
    final CheckpointGenerator gen;
    final int nz, c, h, w, item;
    /** K of a class-conditional generator; 0 for an unconditional one. */
    final int classes;
    /** The MNIST classifier, for a generator of 28 x 28 gray digits; else null. */
    final MnistClassifier classifier;

    LatentGenerator(Backend be, Source src, boolean useEma) throws IOException {
        this.src = src;
        this.be = be;
        this.gen = new CheckpointGenerator(be, src.f(), src.cfg(), Math.max(BATCH, REFERENCE), useEma);
        this.nz = src.cfg().nz();
        this.classes = src.cfg().classes();
        int[] s = gen.g.outputShape(1);
        this.c = s[1];
        this.h = s[2];
        this.w = s[3];
        this.item = c * h * w;
        try (Tensor ref = be.zeros(REFERENCE, nz, 1, 1)) {
            NoiseStream rs = NoiseStream.derive(REFERENCE_SEED, REFERENCE_STREAM);
            be.normal(ref, rs.seed(), rs.take(ref.size()));
            if (classes == 0) {
                ReferenceStatistics.fix(be, gen.g, ref);
            } else {
                int[] balanced = new int[REFERENCE];
                for (int i = 0; i < REFERENCE; i++) balanced[i] = dev.sparring.train.Conditioning.balanced(i, classes);
                try (Tensor input = be.upload(withLabels(be.download(ref), balanced, 0, REFERENCE), REFERENCE, nz + classes, 1, 1)) {
                    ReferenceStatistics.fix(be, gen.g, input);
                }
            }
        }
        this.classifier = src.digits() ? MnistClassifier.bundled(be) : null;
    }

    boolean digits() { return classifier != null; }

    boolean conditional() { return classes > 0; }

    /** n labels, all {@code label}: what a conditional generator is given for n latents of one class. */
    static int[] labels(int n, int label) {
        int[] y = new int[n];
        Arrays.fill(y, label);
        return y;
    }

    /** The rows [from, from + k) of z (n x nz) each followed by the one-hot row of its label: (k, nz + K). */
    private float[] withLabels(float[] z, int[] labels, int from, int k) {
        float[] in = new float[k * (nz + classes)];
        for (int i = 0; i < k; i++) {
            System.arraycopy(z, (from + i) * nz, in, i * (nz + classes), nz);
            in[i * (nz + classes) + nz + labels[from + i]] = 1f;
        }
        return in;
    }

    /** "G_ema" or "G". */
    String which() { return gen.which(); }

    /** n normal latents (n x nz) from the stream (seed, purpose), drawn on the backend in chunks of BATCH latents. */
    float[] latents(int n, long seed, String purpose) {
        NoiseStream rng = NoiseStream.derive(seed, purpose);
        float[] z = new float[Math.multiplyExact(n, nz)];
        for (int done = 0; done < n; done += BATCH) {
            int k = Math.min(BATCH, n - done);
            try (Tensor t = be.zeros(k, nz, 1, 1)) {
                be.normal(t, rng.seed(), rng.take(t.size()));
                System.arraycopy(be.download(t), 0, z, done * nz, k * nz);
            }
        }
        return z;
    }

    /**
     * Decodes the n latents of {@code z} (n x nz) in batches, classifying digits; progress (may be null) counts latents.
     * {@code labels} (n) gives a conditional generator each latent's class; null for an unconditional one.
     */
    void decode(float[] z, int[] labels, int n, Progress progress, Decoded body) throws IOException {
        if ((labels != null) != conditional()) {
            throw new IllegalArgumentException(conditional() ? "a conditional generator needs a label per latent" : "an unconditional generator takes no labels");
        }
        Tensor t = null;
        try {
            for (int done = 0; done < n; done += BATCH) {
                int k = Math.min(BATCH, n - done);
                if (t == null || t.dim(0) != k) {
                    if (t != null) t.close();
                    t = be.zeros(k, nz + classes, 1, 1);
                }
                be.copyFromHost(labels == null ? Arrays.copyOfRange(z, done * nz, (done + k) * nz) : withLabels(z, labels, done, k), t);
                Tensor x = gen.g.forward(t, Pass.EVAL);
                float[] images = be.download(x);
                float[] p = null, f = null;
                if (classifier != null) {
                    Tensor ft = classifier.featureTensor(x);
                    f = be.download(ft);
                    p = classifier.probabilitiesOfFeatures(ft);
                }
                body.accept(done, k, images, p, f);
                if (progress != null) progress.update(done + k);
            }
        } finally {
            if (t != null) t.close();
        }
        if (progress != null) progress.finish();
    }

    /** All images of n latents (labels as for {@link #decode}), (n, C, H, W); for small sets (figures). */
    float[] images(float[] z, int[] labels, int n) throws IOException {
        float[] all = new float[Math.multiplyExact(n, item)];
        decode(z, labels, n, null, (done, k, x, p, f) -> System.arraycopy(x, 0, all, done * item, k * item));
        return all;
    }

    /** The most probable class of each row of (k, 10) probabilities. */
    static int[] classes(float[] p, int k) {
        int[] y = new int[k];
        for (int i = 0; i < k; i++) {
            int best = 0;
            for (int j = 1; j < MnistClassifier.CLASSES; j++) if (p[i * MnistClassifier.CLASSES + j] > p[i * MnistClassifier.CLASSES + best]) best = j;
            y[i] = best;
        }
        return y;
    }

    /** The checkpoint part of every summary.json. */
    java.util.Map<String, Object> describe(long seed) throws IOException {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("checkpoint", src.file().toString());
        m.put("step", Checkpoint.step(src.f()));
        m.put("generator", which());
        m.put("nz", nz);
        m.put("image", new int[] {c, h, w});
        m.put("seed", seed);
        m.put("batch_norm", "statistics of a fixed reference batch of " + REFERENCE + " latents (every image depends on its own latent only)");
        m.put("classifier", digits() ? "mnist (the classifier in the jar)" : null);
        m.put("classes", classes);
        return m;
    }
}
