package dev.sparring.eval;

import dev.sparring.UserError;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Keeps at most {@code capacity} of the feature rows it is given, a uniform random sample of them (reservoir
 * sampling, Vitter's algorithm R, seeded): what the KID needs when the rows are too many to keep. With capacity at
 * least the number of rows it keeps them all, in order, and the KID is the one torch-fidelity computes from all the
 * features.
 *
 * <p>With fewer kept than given, each KID subset drawn from the reservoir is still a uniform random subset of all
 * the rows, so each subset's MMD² has the same distribution as torch-fidelity's; only the subsets overlap more
 * (they come from capacity rows instead of N), which leaves the mean's expectation unchanged and can narrow the
 * spread a little. A capacity of 10 × the subset size keeps that effect small (and 40 MB at F = 2048, 5,000 rows).
 */
public final class FeatureReservoir implements FeatureSink {
    private final int f;
    private final int capacity;
    private final SplittableRandom random;
    private float[] rows;
    private int kept;
    private long seen;

    public FeatureReservoir(int features, int capacity, long seed) {
        if (features < 1) throw new IllegalArgumentException("FeatureReservoir: features must be >= 1, got " + features);
        if (capacity < 1) throw new IllegalArgumentException("FeatureReservoir: capacity must be >= 1, got " + capacity);
        if ((long) features * capacity > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("FeatureReservoir: " + capacity + " rows of " + features + " features do not fit in one array");
        }
        this.f = features;
        this.capacity = capacity;
        this.random = new SplittableRandom(seed);
        this.rows = new float[Math.min(capacity, 1024) * features];
    }

    @Override
    public int features() { return f; }

    /** Rows given so far. */
    public long seen() { return seen; }

    /** Rows kept: min(seen, capacity). */
    public int kept() { return kept; }

    @Override
    public void add(float[] src, int offset, int n) {
        if (n < 0 || offset < 0 || (long) offset + (long) n * f > src.length) {
            throw new IllegalArgumentException("FeatureReservoir.add: " + n + " rows of " + f + " from offset " + offset
                    + " do not fit in an array of " + src.length);
        }
        for (int r = 0; r < n; r++) {
            int from = offset + r * f;
            for (int j = 0; j < f; j++) {
                if (!Float.isFinite(src[from + j])) {
                    throw new UserError("feature row " + (seen + 1) + " has a non-finite value (" + src[from + j] + ") in column " + j
                            + ": the images given to the feature network held NaN or infinite values");
                }
            }
            int slot;
            if (kept < capacity) {
                slot = kept++;
                if ((long) kept * f > rows.length) rows = Arrays.copyOf(rows, (int) Math.min((long) capacity * f, 2L * rows.length));
            } else {
                long j = random.nextLong(seen + 1);                 // row seen+1 replaces a kept one with chance capacity/(seen+1)
                slot = j < capacity ? (int) j : -1;
            }
            if (slot >= 0) System.arraycopy(src, from, rows, slot * f, f);
            seen++;
        }
    }

    /** The kept rows, kept × F row-major (a copy). */
    public float[] rows() { return Arrays.copyOf(rows, kept * f); }
}
