package dev.sparring.eval;

import dev.sparring.UserError;
import dev.sparring.linalg.ScatterMoments;

import java.util.Arrays;

/**
 * The mean and covariance of feature rows, accumulated in float64 a batch at a time, so that 50,000 rows of 2,048
 * features never sit in memory at once (the state is the F-vector of means and an F × F matrix, 32 MiB at F = 2048).
 *
 * <p>Numerics. Rows are gathered in float64 blocks of {@link #BLOCK} rows. Each block is centred on its own mean and
 * its scatter matrix Σ (x − m_b)(x − m_b)ᵀ added; blocks are then combined with the pairwise update of Chan, Golub
 * and LeVeque (δ = m_b − m, M₂ += M₂,b + δδᵀ · n_a n_b / (n_a + n_b), m += δ · n_b / (n_a + n_b)). No sum of raw
 * squares is ever formed, so a large common offset with a small spread (the ill-conditioned case in which the one-pass
 * formula Σxxᵀ − N mmᵀ loses every digit) costs no accuracy; {@code FeatureMomentsTest} checks this against a two-pass
 * float64 reference. The scatter update of a block is a rank-{@link #BLOCK} symmetric update (a DSYRK), computed by
 * {@code RowDots} on the transposed block, upper triangle only. The arithmetic is {@link ScatterMoments}', which the
 * CPU twin of {@code Backend.featureMoments} shares (the GPU's accumulates the same way, see docs/metrics.md).
 *
 * <p>{@link #covariance()} divides by N − 1, as {@code numpy.cov} does (and so pytorch-fid's statistics). Not
 * thread-safe; {@link #merge} combines accumulators filled by different threads.
 */
public final class FeatureMoments implements FeatureSink {
    /** Rows per block: the depth of each symmetric update. */
    static final int BLOCK = ScatterMoments.BLOCK;

    private final int f;
    private long count;                 // rows folded into mean and m2
    private final double[] mean;
    private final double[] m2;          // F x F scatter about the mean; upper triangle (j >= i) valid
    private final double[] block;       // BLOCK x F rows not yet folded in
    private int buffered;
    private double[] transposed;        // F x BLOCK, the centred block transposed (made on the first flush)

    public FeatureMoments(int features) {
        if (features < 1) throw new IllegalArgumentException("FeatureMoments: features must be >= 1, got " + features);
        if ((long) features * features > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("FeatureMoments: " + features + " features is too many for one covariance array");
        }
        this.f = features;
        this.mean = new double[features];
        this.m2 = new double[features * features];
        this.block = new double[BLOCK * features];
    }

    @Override
    public int features() { return f; }

    /** Rows taken so far. */
    public long count() { return count + buffered; }

    /**
     * Takes {@code n} rows of {@link #features()} floats. A non-finite value is refused with a {@link UserError} naming
     * the row (counted from the first row this accumulator took) and column: it would make every statistic NaN.
     */
    @Override
    public void add(float[] rows, int offset, int n) {
        if (n < 0 || offset < 0 || (long) offset + (long) n * f > rows.length) {
            throw new IllegalArgumentException("FeatureMoments.add: " + n + " rows of " + f + " from offset " + offset
                    + " do not fit in an array of " + rows.length);
        }
        for (int r = 0; r < n; r++) {
            int src = offset + r * f, dst = buffered * f;
            for (int j = 0; j < f; j++) {
                float v = rows[src + j];
                if (!Float.isFinite(v)) {
                    throw new UserError("feature row " + (count() + 1) + " has a non-finite value (" + v + ") in column " + j
                            + ": the images given to the feature network held NaN or infinite values");
                }
                block[dst + j] = v;
            }
            if (++buffered == BLOCK) flush();
        }
    }

    /** Folds the rows of {@code other} (same feature length) into this accumulator; {@code other} is left as it was. */
    public void merge(FeatureMoments other) {
        if (other == this) throw new IllegalArgumentException("FeatureMoments.merge: cannot merge an accumulator into itself");
        if (other.f != f) throw new IllegalArgumentException("FeatureMoments.merge: " + other.f + " features into " + f);
        other.flush();
        flush();
        count = ScatterMoments.combine(f, count, mean, m2, other.count, other.mean, other.m2);
    }

    /** The mean of the rows taken, a fresh array; NaN-free. Needs at least one row. */
    public double[] mean() {
        flush();
        if (count == 0) throw new UserError("no feature rows were given: the mean of nothing is undefined");
        return mean.clone();
    }

    /** The covariance (divided by N − 1, as numpy.cov), F × F row-major, symmetric, a fresh array. Needs 2 rows. */
    public double[] covariance() {
        flush();
        if (count < 2) throw new UserError("a covariance needs at least 2 feature rows, got " + count);
        return ScatterMoments.covariance(f, count, m2);
    }

    /** Mean, covariance and count, labelled with the feature network that made the rows and where they came from. */
    public FeatureStatistics statistics(String network, String source) {
        return new FeatureStatistics(f, count(), mean(), covariance(), network, source);
    }

    /** Folds the buffered block in: centre on its own mean, add its scatter, then merge with what came before. */
    private void flush() {
        int nb = buffered;
        if (nb == 0) return;
        if (transposed == null) transposed = new double[f * BLOCK];
        count = ScatterMoments.foldBlock(f, count, mean, m2, block, nb, transposed);
        buffered = 0;
    }
}
