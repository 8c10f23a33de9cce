package dev.sparring.linalg;

/**
 * The float64 streaming moments behind {@code eval.FeatureMoments} and the CPU twin of
 * {@code Backend.featureMoments}: one numerics, written once, on plain arrays. The state is a row count, the mean
 * (F) and the scatter about the mean M₂ (F × F, row-major, upper triangle j ≥ i valid).
 *
 * <p>A block of at most {@link #BLOCK} rows is centred on its own mean and its scatter matrix Σ (x − m_b)(x − m_b)ᵀ
 * added (a DSYRK, by {@link RowDots} on the transposed block); it is then merged with what came before by the
 * pairwise update of Chan, Golub and LeVeque: δ = m_b − m, M₂ += M₂,b + δδᵀ n_a n_b / (n_a + n_b),
 * m += δ n_b / (n_a + n_b). No sum of raw squares is formed, so a large common offset costs no accuracy.
 */
public final class ScatterMoments {
    private ScatterMoments() { }

    /** Rows per block: the depth of each symmetric update. */
    public static final int BLOCK = 256;

    /**
     * Folds {@code nb} (1 ≤ nb ≤ {@link #BLOCK}) rows of {@code block} (row-major, F doubles each) into the state of
     * {@code count} rows and returns the new count. {@code transposed} is scratch of at least F × nb doubles.
     */
    public static long foldBlock(int f, long count, double[] mean, double[] m2, double[] block, int nb, double[] transposed) {
        if (nb < 1 || nb > BLOCK) throw new IllegalArgumentException("ScatterMoments.foldBlock: " + nb + " rows (1 to " + BLOCK + ")");
        double[] bm = new double[f];
        for (int r = 0; r < nb; r++) {
            int o = r * f;
            for (int j = 0; j < f; j++) bm[j] += block[o + j];
        }
        for (int j = 0; j < f; j++) bm[j] /= nb;
        double[] t = transposed;
        for (int r = 0; r < nb; r++) {
            int o = r * f;
            for (int j = 0; j < f; j++) t[j * nb + r] = block[o + j] - bm[j];
        }
        RowDots.accumulate(t, f, t, f, nb, m2, f, true);          // m2 += the block's scatter about its own mean
        return combine(f, count, mean, m2, nb, bm, null);
    }

    /**
     * Chan et al.'s pairwise update with a part of nb rows and mean bm: m2 += bm2 + δδᵀ · n_a nb / (n_a + nb) and
     * mean += δ · nb / (n_a + nb), δ = bm − mean. A null bm2 means the part's scatter is already in m2 (a folded
     * block). Returns the new count.
     */
    public static long combine(int f, long count, double[] mean, double[] m2, long nb, double[] bm, double[] bm2) {
        if (nb == 0) return count;
        double na = count, n = na + nb;
        double w = na * nb / n;
        double[] delta = new double[f];
        for (int j = 0; j < f; j++) delta[j] = bm[j] - mean[j];
        for (int i = 0; i < f; i++) {
            double di = delta[i] * w;
            int row = i * f;
            if (bm2 == null) {
                if (w != 0) for (int j = i; j < f; j++) m2[row + j] += di * delta[j];
            } else {
                for (int j = i; j < f; j++) m2[row + j] += bm2[row + j] + di * delta[j];
            }
        }
        for (int j = 0; j < f; j++) mean[j] += delta[j] * (nb / n);
        return count + nb;
    }

    /** The covariance M₂ / (count − 1) from M₂'s upper triangle, F × F row-major, exactly symmetric, a fresh array. */
    public static double[] covariance(int f, long count, double[] m2) {
        double[] c = new double[f * f];
        double scale = 1.0 / (count - 1);
        for (int i = 0; i < f; i++) {
            for (int j = i; j < f; j++) {
                double v = m2[i * f + j] * scale;
                c[i * f + j] = v;
                c[j * f + i] = v;
            }
        }
        return c;
    }
}
