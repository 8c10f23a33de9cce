package dev.sparring.lab.sweep;

import dev.sparring.data.Mixture2D;
import dev.sparring.eval.features.ClassScores;

/**
 * How many classes a generator's samples cover, as a classifier sees them: the digits' counterpart of the mode
 * coverage of 2-D data ({@link Mixture2D}). A sample counts for a class when the classifier gives that class its
 * largest probability, of at least {@link ClassScores#CONFIDENCE} (0.9, the "confident" samples of
 * {@code sparring classify}); a class is covered when at least a quarter of its fair share of all samples (N / 4K)
 * count for it ({@link Mixture2D#MIN_FAIR_SHARE}), as a mode of 2-D data is covered when it holds a quarter of its fair share of high-quality samples.
 */
public final class ClassCoverage {
    private final int classes;
    private final long[] confident;   // (K) confident samples per class
    private long samples;

    public ClassCoverage(int classes) {
        if (classes < 1) throw new IllegalArgumentException("classes must be >= 1, got " + classes);
        this.classes = classes;
        this.confident = new long[classes];
    }

    /** Adds rows of K class probabilities (row-major). */
    public void add(float[] probabilities) {
        int[] best = ClassScores.assignments(probabilities, classes);
        for (int i = 0; i < best.length; i++) {
            if (probabilities[i * classes + best[i]] >= ClassScores.CONFIDENCE) confident[best[i]]++;
        }
        samples += best.length;
    }

    public long samples() { return samples; }

    public int classes() { return classes; }

    /** Classes with at least a quarter of their fair share, N / (4K), of confident samples. */
    public int covered() {
        if (samples == 0) return 0;
        double need = Mixture2D.MIN_FAIR_SHARE * samples / classes;
        int n = 0;
        for (long c : confident) if (c > 0 && c >= need) n++;
        return n;
    }

    /** The share of samples that are confident, 0 to 1 (NaN before the first). */
    public double confidentShare() {
        long c = 0;
        for (long k : confident) c += k;
        return samples == 0 ? Double.NaN : (double) c / samples;
    }

    /** Confident samples of class k. */
    public long confident(int k) { return confident[k]; }
}
