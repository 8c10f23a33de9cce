package dev.sparring.eval.features;

import java.util.Arrays;

/**
 * What a classifier says about a set of samples, from its class probabilities p(y | x): which class each sample is
 * assigned (its most probable one), how many are assigned to each class, the share classified with confidence
 * max_y p(y | x) of at least {@link #threshold}, and an Inception-Score-style number
 * IS = exp(E_x KL(p(y | x) || p(y))), where p(y) is the mean of p(y | x) over the samples. IS lies in [1, classes]:
 * 1 when every sample gets the same distribution, {@code classes} when each is classified with certainty and the
 * classes are equally frequent. All sums in double.
 *
 * @param samples        N
 * @param classes        K
 * @param counts         samples assigned to each class (the first of equal largest probabilities)
 * @param threshold      the confidence a sample needs to count as confident (0.9 by default)
 * @param confident      samples whose largest probability is at least {@code threshold}
 * @param inceptionScore exp(E_x KL(p(y | x) || p(y)))
 * @param marginal       p(y), the mean of the samples' probabilities
 */
public record ClassScores(int samples, int classes, int[] counts, double threshold, int confident, double inceptionScore,
                          double[] marginal) {
    /** The usual threshold of a confident classification. */
    public static final double CONFIDENCE = 0.9;

    public ClassScores {
        counts = counts.clone();
        marginal = marginal.clone();
    }

    @Override
    public int[] counts() { return counts.clone(); }

    @Override
    public double[] marginal() { return marginal.clone(); }

    /** The share of samples assigned to class k. */
    public double share(int k) { return samples == 0 ? Double.NaN : (double) counts[k] / samples; }

    /** The share of samples classified with confidence of at least {@link #threshold}. */
    public double confidentShare() { return samples == 0 ? Double.NaN : (double) confident / samples; }

    /** Scores of N rows of K probabilities (row-major), with the {@link #CONFIDENCE} threshold. */
    public static ClassScores of(float[] probabilities, int classes) { return of(probabilities, classes, CONFIDENCE); }

    /** Scores of N rows of K probabilities (row-major); a sample is confident when its largest probability is at least threshold. */
    public static ClassScores of(float[] probabilities, int classes, double threshold) {
        Accumulator a = new Accumulator(classes, threshold);
        a.add(probabilities);
        return a.scores();
    }

    /**
     * Scores of samples that arrive in batches, in memory of the number of classes: E_x KL(p(y|x) || p(y)) is summed
     * as H(p(y)) - E_x H(p(y|x)), which needs only the running sums of p(y|x) and of sum_y p log p.
     */
    public static final class Accumulator {
        private final int classes;
        private final double threshold;
        private final double[] sum;       // sum over samples of p(y|x), per class
        private final int[] counts;
        private int samples, confident;
        private double plogp;             // sum over samples and classes of p log p

        public Accumulator(int classes, double threshold) {
            if (classes < 1) throw new IllegalArgumentException("classes must be >= 1, got " + classes);
            this.classes = classes;
            this.threshold = threshold;
            this.sum = new double[classes];
            this.counts = new int[classes];
        }

        /** Adds rows of K probabilities (row-major). */
        public void add(float[] probabilities) {
            if (probabilities.length % classes != 0) {
                throw new IllegalArgumentException(probabilities.length + " probabilities are not rows of " + classes + " classes");
            }
            for (int row = 0; row < probabilities.length; row += classes) {
                int best = 0;
                for (int k = 0; k < classes; k++) {
                    double p = probabilities[row + k];
                    sum[k] += p;
                    if (p > 0) plogp += p * Math.log(p);
                    if (probabilities[row + k] > probabilities[row + best]) best = k;
                }
                counts[best]++;
                if (probabilities[row + best] >= threshold) confident++;
                samples = Math.addExact(samples, 1);
            }
        }

        /** The scores of the samples added so far (NaN shares and score before the first). */
        public ClassScores scores() {
            double[] marginal = new double[classes];
            double h = 0;                 // H(p(y))
            for (int k = 0; k < classes; k++) {
                marginal[k] = sum[k] / samples;
                if (marginal[k] > 0) h -= marginal[k] * Math.log(marginal[k]);
            }
            return new ClassScores(samples, classes, counts, threshold, confident, Math.exp(h + plogp / samples), marginal);
        }
    }

    /** The class of each row: the index of its largest value (the first of equal ones). */
    public static int[] assignments(float[] rows, int classes) {
        int[] out = new int[rows.length / classes];
        for (int i = 0; i < out.length; i++) {
            int row = i * classes, best = 0;
            for (int k = 1; k < classes; k++) if (rows[row + k] > rows[row + best]) best = k;
            out[i] = best;
        }
        return out;
    }

    /** The softmax of each row of K scores, in double (shifted by the row's maximum), rounded to float. */
    public static float[] softmax(float[] logits, int classes) {
        float[] p = new float[logits.length];
        for (int row = 0; row < logits.length; row += classes) {
            double max = logits[row];
            for (int k = 1; k < classes; k++) max = Math.max(max, logits[row + k]);
            double sum = 0;
            for (int k = 0; k < classes; k++) sum += Math.exp(logits[row + k] - max);
            for (int k = 0; k < classes; k++) p[row + k] = (float) (Math.exp(logits[row + k] - max) / sum);
        }
        return p;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassScores s && s.samples == samples && s.classes == classes && Arrays.equals(s.counts, counts)
                && s.threshold == threshold && s.confident == confident && Double.compare(s.inceptionScore, inceptionScore) == 0
                && Arrays.equals(s.marginal, marginal);
    }

    @Override
    public int hashCode() { return Arrays.hashCode(counts) * 31 + Double.hashCode(inceptionScore); }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "ClassScores[%d samples, %.1f %% confident, IS %.3f, counts %s]",
                samples, 100 * confidentShare(), inceptionScore, Arrays.toString(counts));
    }
}
