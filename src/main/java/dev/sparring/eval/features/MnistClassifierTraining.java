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
 * <p>The split is fixed ({@link #split}): the last {@link #HELD_OUT_PER_DIGIT} images of each digit, in the bundled
 * order, are held out ({@link #HELD_OUT} in all, ten equal classes); the other {@link #TRAIN_IMAGES} train. Training
 * never sees a held-out digit; they only measure the result once it is trained. (Not simply the last 2,000 items: the
 * bundled set interleaves the digits until the rarer ones run out, so its last 1,400 or so items are only 1s, 3s, 6s
 * and 7s; see src/main/resources/dev/sparring/data/PROVENANCE.md.)
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
    /** Images of each digit held out: the last ones of that digit in the bundled order. */
    public static final int HELD_OUT_PER_DIGIT = 200;
    /** Digits held out, and digits that train. */
    public static final int HELD_OUT = 10 * HELD_OUT_PER_DIGIT, TRAIN_IMAGES = 10_000 - HELD_OUT;
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
     * @param trainImages train on the first this many training digits of the bundled order (at most {@link #TRAIN_IMAGES})
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
            m.put("train_images", "the first " + trainImages + " of the bundled MNIST digits that are not held out");
            m.put("held_out_images", "the last " + HELD_OUT_PER_DIGIT + " images of each digit of the bundled MNIST digits");
            m.put("widths", widths.c1() + "," + widths.c2() + "," + widths.c3() + "," + widths.features());
            return m;
        }
    }

    /** The seed and epochs of the shipped weights (constants, for the command line's help). */
    public static final int DEFAULT_SEED = 1, DEFAULT_EPOCHS = 24;

    /** The settings the shipped weights were trained with. */
    public static final Config DEFAULTS = new Config(DEFAULT_SEED, DEFAULT_EPOCHS, 32, 2e-3f, new int[] {16, 22}, 0.1f, 2, TRAIN_IMAGES, MnistClassifier.WIDTHS);

    /** The digits that train and the digits held out, as ascending indices into the bundled set. */
    public record Split(int[] train, int[] heldOut) {
        public Split {
            train = train.clone();
            heldOut = heldOut.clone();
        }

        @Override
        public int[] train() { return train.clone(); }

        @Override
        public int[] heldOut() { return heldOut.clone(); }
    }

    /** The fixed split of the bundled digits: the last {@link #HELD_OUT_PER_DIGIT} images of each digit are held out. */
    public static Split split(ImageDataset data) {
        int[] labels = data.labels();
        if (data.size() != TRAIN_IMAGES + HELD_OUT || labels == null) {
            throw new IllegalStateException("the bundled MNIST set should hold " + (TRAIN_IMAGES + HELD_OUT) + " labelled digits, has " + data);
        }
        int[] left = new int[MnistClassifier.CLASSES];          // held-out places still open per digit, from the end
        java.util.Arrays.fill(left, HELD_OUT_PER_DIGIT);
        boolean[] held = new boolean[labels.length];
        for (int i = labels.length - 1; i >= 0; i--) {
            if (left[labels[i]] > 0) {
                left[labels[i]]--;
                held[i] = true;
            }
        }
        int[] train = new int[TRAIN_IMAGES], heldOut = new int[HELD_OUT];
        int t = 0, h = 0;
        for (int i = 0; i < labels.length; i++) {
            if (held[i]) heldOut[h++] = i;
            else train[t++] = i;
        }
        return new Split(train, heldOut);
    }

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
        Split split = split(data);
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
        try {
            for (int epoch = 1; epoch <= c.epochs(); epoch++) {
                adam.setLearningRate(c.learningRate(epoch));
                int[] order = order(c, split, epoch);
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
        } finally {
            for (Tensor t : new Tensor[] {images, labels, dLogits, stats}) t.close();
        }
        Accuracy held = accuracy(clf, data, split.heldOut);
        return new Result(clf, held, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The digits of an epoch in the order they train, as indices into the bundled set: the first trainImages training
     * digits, permuted by the epoch's stream.
     */
    static int[] order(Config c, Split split, int epoch) {
        int[] p = permutation(NoiseStream.derive(c.seed(), "mnist-classifier/order/" + epoch), c.trainImages());
        for (int i = 0; i < p.length; i++) p[i] = split.train[p[i]];
        return p;
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

    /** The classifier's accuracy on the given digits of a labelled set, overall and per class. */
    public static Accuracy accuracy(MnistClassifier clf, ImageDataset data, int[] digits) {
        int[] correct = new int[MnistClassifier.CLASSES], count = new int[MnistClassifier.CLASSES];
        forEachBatch(clf, data, digits, (start, logits) -> {
            int[] predicted = ClassScores.assignments(logits, MnistClassifier.CLASSES);
            for (int k = 0; k < predicted.length; k++) {
                int label = data.labels()[digits[start + k]];
                count[label]++;
                if (predicted[k] == label) correct[label]++;
            }
        });
        return new Accuracy(correct, count);
    }

    /** p(y | x) of the given digits of a set, (digits.length, 10) row-major. */
    public static float[] probabilities(MnistClassifier clf, ImageDataset data, int[] digits) {
        float[] out = new float[digits.length * MnistClassifier.CLASSES];
        forEachBatch(clf, data, digits, (start, logits) -> {
            float[] p = ClassScores.softmax(logits, MnistClassifier.CLASSES);
            System.arraycopy(p, 0, out, start * MnistClassifier.CLASSES, p.length);
        });
        return out;
    }

    /** Receives the logits of digits[start], digits[start + 1], ... */
    private interface BatchLogits { void accept(int start, float[] logits); }

    /** The logits of the given digits in batches of at most {@link #EVAL_BATCH}. */
    private static void forEachBatch(MnistClassifier clf, ImageDataset data, int[] digits, BatchLogits body) {
        forEachBatch(clf.backend(), data, digits, EVAL_BATCH, (start, images) -> body.accept(start, clf.logits(images)));
    }

    /** Receives the images digits[start], digits[start + 1], ... as a tensor (n, 1, 28, 28), valid until the next batch. */
    public interface ImageBatch { void accept(int start, Tensor images); }

    /**
     * The given items of a 28 x 28 gray image set in [-1, 1] (the networks' image convention), uploaded to {@code be}
     * in batches of at most {@code batch}.
     */
    public static void forEachBatch(Backend be, ImageDataset data, int[] digits, int batch, ImageBatch body) {
        int S = MnistClassifier.SIZE;
        Tensor images = null;
        try {
            for (int start = 0; start < digits.length; start += batch) {
                int n = Math.min(batch, digits.length - start);
                float[] x = new float[n * S * S];
                for (int k = 0; k < n; k++) shifted(data.pixels(), digits[start + k], 0, 0, x, k);
                if (images == null || images.dim(0) != n) {
                    if (images != null) images.close();
                    images = be.zeros(n, 1, S, S);
                }
                be.copyFromHost(x, images);
                body.accept(start, images);
            }
        } finally {
            if (images != null) images.close();
        }
    }
}
