package dev.sparring.eval.features;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.optim.Adam;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Trains the {@link MnistClassifier} on the bundled MNIST digits ({@link Datasets#mnist()}, 10,000 labelled digits).
 *
 * <p>The split is fixed: the first {@link #TRAIN_IMAGES} digits train, the last {@link #HELD_OUT} (indices 8000 to
 * 9999) are held out: training never sees them, they only measure the result once it is trained.
 *
 * <p>Each epoch visits the training digits in an order drawn from the Philox stream (seed, "mnist-classifier/order/e"),
 * in batches of {@link Config#batch} (the last incomplete batch dropped). Each digit is shifted by whole pixels, dx
 * and dy uniform in [-shift, shift] from the stream (seed, "mnist-classifier/shift/e"), the pixels moved out dropped
 * and those moved in black, then mapped to [-1, 1] as x / 127.5 - 1. The loss is the mean softmax cross-entropy
 * ({@link Backend#softmaxCrossEntropy}), the optimizer Adam (beta 0.9, 0.999, eps 1e-8), its learning rate multiplied
 * by {@link Config#decay} after each epoch listed in {@link Config#decayAfter}. Weights are initialised from the
 * stream (seed, "mnist-classifier/init"). On the CPU backend the result is the same to the bit on every run and
 * machine (the CPU backend is deterministic and independent of the thread count).
 */
public final class MnistClassifierTraining {
    /** Digits that train: indices [0, TRAIN_IMAGES) of the bundled set. */
    public static final int TRAIN_IMAGES = 8000;
    /** Digits held out: the last HELD_OUT, indices [TRAIN_IMAGES, 10000). */
    public static final int HELD_OUT = 2000;
    /** The batch in which images are classified for measurement. */
    static final int EVAL_BATCH = 500;

    private MnistClassifierTraining() { }

    /**
     * How the classifier trains.
     *
     * @param seed       weights, order and shifts
     * @param epochs     passes over the training digits
     * @param batch      digits per step
     * @param lr         Adam's learning rate
     * @param decayAfter epochs after which the learning rate is multiplied by {@code decay}
     * @param decay      the factor, in (0, 1]
     * @param shift      the largest shift in pixels (0: none)
     * @param trainImages train on the first this many digits (at most {@link #TRAIN_IMAGES})
     * @param widths     the network's widths
     */
    public record Config(long seed, int epochs, int batch, float lr, int[] decayAfter, float decay, int shift, int trainImages,
                         MnistClassifier.Widths widths) {
        public Config {
            if (epochs < 1) throw new UserError("epochs must be >= 1, got " + epochs);
            if (batch < 1 || batch > trainImages) throw new UserError("batch must be in [1, " + trainImages + "], got " + batch);
            if (!(lr > 0) || Float.isInfinite(lr)) throw new UserError("learning rate must be finite and > 0, got " + lr);
            if (!(decay > 0 && decay <= 1)) throw new UserError("decay must be in (0, 1], got " + decay);
            if (shift < 0 || shift > 8) throw new UserError("shift must be in [0, 8] pixels, got " + shift);
            if (trainImages < 1 || trainImages > TRAIN_IMAGES) throw new UserError("trainImages must be in [1, " + TRAIN_IMAGES + "], got " + trainImages);
            decayAfter = decayAfter.clone();
        }

        @Override
        public int[] decayAfter() { return decayAfter.clone(); }

        /** The learning rate of epoch e (counted from 1). */
        public float learningRate(int epoch) {
            float r = lr;
            for (int d : decayAfter) if (epoch > d) r *= decay;
            return r;
        }

        /** What the settings are, as the weights file's metadata records them. */
        public Map<String, String> describe() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("seed", Long.toString(seed));
            m.put("epochs", Integer.toString(epochs));
            m.put("batch", Integer.toString(batch));
            m.put("lr", Float.toString(lr));
            m.put("lr_decay_after_epochs", Arrays.toString(decayAfter));
            m.put("lr_decay", Float.toString(decay));
            m.put("shift_pixels", Integer.toString(shift));
            m.put("train_images", "bundled MNIST digits [0, " + trainImages + ")");
            m.put("held_out_images", "bundled MNIST digits [" + TRAIN_IMAGES + ", " + (TRAIN_IMAGES + HELD_OUT) + ")");
            m.put("widths", widths.c1() + "," + widths.c2() + "," + widths.c3() + "," + widths.features());
            return m;
        }
    }

    /** The seed and epochs of the shipped weights (constants, for the command line's help). */
    public static final int DEFAULT_SEED = 1, DEFAULT_EPOCHS = 24;

    /** The settings the shipped weights were trained with. */
    public static final Config DEFAULTS = new Config(DEFAULT_SEED, DEFAULT_EPOCHS, 32, 2e-3f, new int[] {16, 22}, 0.1f, 2, TRAIN_IMAGES, MnistClassifier.WIDTHS);

    /** Accuracy on a range of labelled digits: overall and per class. */
    public record Accuracy(int[] correct, int[] count) {
        public Accuracy {
            correct = correct.clone();
            count = count.clone();
        }

        @Override
        public int[] correct() { return correct.clone(); }

        @Override
        public int[] count() { return count.clone(); }

        public int total() { return Arrays.stream(count).sum(); }

        public int totalCorrect() { return Arrays.stream(correct).sum(); }

        public double overall() { return (double) totalCorrect() / total(); }

        public double of(int k) { return (double) correct[k] / count[k]; }

        @Override
        public boolean equals(Object o) { return o instanceof Accuracy a && Arrays.equals(a.correct, correct) && Arrays.equals(a.count, count); }

        @Override
        public int hashCode() { return Arrays.hashCode(correct) * 31 + Arrays.hashCode(count); }
    }

    /** A trained classifier with its held-out accuracy. */
    public record Result(MnistClassifier classifier, Accuracy heldOut, double seconds) { }

    /** Trains a classifier on {@code be}; {@code log} is told one line per epoch. */
    public static Result train(Backend be, Config c, Consumer<String> log) {
        long t0 = System.nanoTime();
        ImageDataset data = Datasets.mnist();
        if (data.size() != TRAIN_IMAGES + HELD_OUT || data.labels() == null) {
            throw new IllegalStateException("the bundled MNIST set should hold " + (TRAIN_IMAGES + HELD_OUT) + " labelled digits, has " + data);
        }
        MnistClassifier clf = MnistClassifier.initialised(be, c.widths(), NoiseStream.derive(c.seed(), "mnist-classifier/init"));
        Network net = clf.network();
        Adam adam = new Adam(net, c.lr(), 0.9f, 0.999f, 1e-8f, 0f);
        int B = c.batch(), perEpoch = c.trainImages() / B;
        float[] x = new float[B * MnistClassifier.SIZE * MnistClassifier.SIZE];
        int[] y = new int[B];
        Tensor images = be.zeros(B, 1, MnistClassifier.SIZE, MnistClassifier.SIZE);
        Tensor labels = be.zeros(DType.I32, B);
        Tensor dLogits = be.zeros(B, MnistClassifier.CLASSES);
        Tensor stats = be.zeros(2);
        for (int epoch = 1; epoch <= c.epochs(); epoch++) {
            adam.setLearningRate(c.learningRate(epoch));
            int[] order = order(c, epoch);
            NoiseStream shifts = NoiseStream.derive(c.seed(), "mnist-classifier/shift/" + epoch);
            double loss = 0, accuracy = 0;
            for (int s = 0; s < perEpoch; s++) {
                for (int b = 0; b < B; b++) {
                    int i = order[s * B + b];
                    int dx = c.shift() == 0 ? 0 : shifts.nextInt(2 * c.shift() + 1) - c.shift();
                    int dy = c.shift() == 0 ? 0 : shifts.nextInt(2 * c.shift() + 1) - c.shift();
                    shifted(data.pixels(), i, dx, dy, x, b);
                    y[b] = data.labels()[i];
                }
                be.copyFromHost(x, images);
                be.copyFromHost(y, labels);
                Tensor logits = net.forward(images, Pass.TRAIN);
                be.softmaxCrossEntropy(dLogits, logits, labels, stats, 0);
                net.zeroGrad();
                net.backward(dLogits, Pass.TRAIN, false, true);
                adam.step();
                float[] st = be.download(stats);
                loss += st[0];
                accuracy += st[1];
            }
            log.accept(String.format(Locale.ROOT, "epoch %d/%d: lr %.3g, loss %.4f, training accuracy %.2f %% (%.1f s)",
                    epoch, c.epochs(), adam.learningRate(), loss / perEpoch, 100 * accuracy / perEpoch, (System.nanoTime() - t0) / 1e9));
        }
        Accuracy held = accuracy(clf, data, TRAIN_IMAGES, TRAIN_IMAGES + HELD_OUT);
        return new Result(clf, held, (System.nanoTime() - t0) / 1e9);
    }

    /** The digits of an epoch in the order they train: a permutation of [0, trainImages) from the epoch's stream. */
    static int[] order(Config c, int epoch) {
        return permutation(NoiseStream.derive(c.seed(), "mnist-classifier/order/" + epoch), c.trainImages());
    }

    /** A uniform permutation of [0, n) (Fisher-Yates) drawn from {@code rng}. */
    static int[] permutation(NoiseStream rng, int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Digit i of pixels (N, 1, 28, 28) moved by (dx, dy) pixels, in [-1, 1], into slot b of x (B, 1, 28, 28). */
    static void shifted(byte[] pixels, int i, int dx, int dy, float[] x, int b) {
        int S = MnistClassifier.SIZE, src = i * S * S, dst = b * S * S;
        for (int r = 0; r < S; r++) {
            for (int col = 0; col < S; col++) {
                int sr = r - dy, sc = col - dx;
                int v = sr >= 0 && sr < S && sc >= 0 && sc < S ? pixels[src + sr * S + sc] & 0xFF : 0;
                x[dst + r * S + col] = v / 127.5f - 1f;
            }
        }
    }

    /** The classifier's accuracy on the bundled digits [from, to), overall and per class. */
    public static Accuracy accuracy(MnistClassifier clf, ImageDataset data, int from, int to) {
        int[] correct = new int[MnistClassifier.CLASSES], count = new int[MnistClassifier.CLASSES];
        forEachBatch(clf, data, from, to, (start, logits) -> {
            int[] predicted = ClassScores.assignments(logits, MnistClassifier.CLASSES);
            for (int k = 0; k < predicted.length; k++) {
                int label = data.labels()[start + k];
                count[label]++;
                if (predicted[k] == label) correct[label]++;
            }
        });
        return new Accuracy(correct, count);
    }

    /** p(y | x) of the bundled digits [from, to), (to - from, 10) row-major. */
    public static float[] probabilities(MnistClassifier clf, ImageDataset data, int from, int to) {
        float[] out = new float[(to - from) * MnistClassifier.CLASSES];
        forEachBatch(clf, data, from, to, (start, logits) -> {
            float[] p = ClassScores.softmax(logits, MnistClassifier.CLASSES);
            System.arraycopy(p, 0, out, (start - from) * MnistClassifier.CLASSES, p.length);
        });
        return out;
    }

    private interface BatchLogits { void accept(int start, float[] logits); }

    /** The logits of digits [from, to) in batches of at most {@link #EVAL_BATCH}. */
    private static void forEachBatch(MnistClassifier clf, ImageDataset data, int from, int to, BatchLogits body) {
        Backend be = clf.backend();
        int S = MnistClassifier.SIZE;
        Tensor images = null;
        try {
            for (int start = from; start < to; start += EVAL_BATCH) {
                int n = Math.min(EVAL_BATCH, to - start);
                float[] x = new float[n * S * S];
                for (int k = 0; k < n; k++) shifted(data.pixels(), start + k, 0, 0, x, k);
                if (images == null || images.dim(0) != n) {
                    if (images != null) images.close();
                    images = be.zeros(n, 1, S, S);
                }
                be.copyFromHost(x, images);
                body.accept(start, clf.logits(images));
            }
        } finally {
            if (images != null) images.close();
        }
    }
}
