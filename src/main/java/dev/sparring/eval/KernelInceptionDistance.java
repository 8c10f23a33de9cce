package dev.sparring.eval;

import dev.sparring.UserError;
import dev.sparring.linalg.RowDots;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The kernel inception distance (Bińkowski et al., 2018): the unbiased estimate of the squared maximum mean
 * discrepancy between two sets of features with the cubic polynomial kernel k(x, y) = (x·y / F + 1)³, averaged over
 * random subsets. For subsets X, Y of m rows each,
 * <pre>
 *   MMD²ᵤ = (Σ_{i≠j} k(xᵢ, xⱼ) + Σ_{i≠j} k(yᵢ, yⱼ)) / (m (m − 1)) − 2 Σ_{i,j} k(xᵢ, yⱼ) / m²
 * </pre>
 * as torch-fidelity computes it ({@code mmd2(..., mmd_est='unbiased')}), with its defaults of 100 subsets of 1000
 * rows, and the result is the mean and the standard deviation (population, numpy's {@code np.std}) over subsets.
 * Unlike torch-fidelity, which multiplies float32 features in float32, the dot products and sums here are float64
 * (products of floats are exact in float64); the sums of kernel values are compensated (Neumaier), since MMD² is a
 * small difference of large sums.
 *
 * <p>A subset size larger than either set is refused with a {@link UserError}, as torch-fidelity refuses it.
 */
public final class KernelInceptionDistance {
    private KernelInceptionDistance() { }

    /** torch-fidelity's defaults: {@code kid_subsets}, {@code kid_subset_size}. */
    public static final int DEFAULT_SUBSETS = 100, DEFAULT_SUBSET_SIZE = 1000;

    /**
     * @param mean       the mean MMD² over subsets (the KID)
     * @param std        their standard deviation (divided by the number of subsets, as np.std)
     * @param subsetSize rows per subset
     * @param values     each subset's MMD², in subset order
     */
    public record Result(double mean, double std, int subsetSize, double[] values) {
        public int subsets() { return values.length; }
    }

    /**
     * The KID between feature sets a (na × F) and b (nb × F) over {@code subsets} random subsets of
     * {@code subsetSize} rows of each, drawn without replacement from a seeded generator.
     */
    public static Result compute(float[] a, int na, float[] b, int nb, int features, int subsets, int subsetSize, long seed) {
        checkSizes(a, na, b, nb, features, subsets, subsetSize);
        SplittableRandom random = new SplittableRandom(seed);
        int[][] ia = new int[subsets][], ib = new int[subsets][];
        for (int s = 0; s < subsets; s++) {
            ia[s] = sample(random, na, subsetSize);
            ib[s] = sample(random, nb, subsetSize);
        }
        return compute(a, na, b, nb, features, ia, ib);
    }

    /** The KID over explicit subsets: {@code subsetsA[s]} and {@code subsetsB[s]} are the row indices of subset s. */
    public static Result compute(float[] a, int na, float[] b, int nb, int features, int[][] subsetsA, int[][] subsetsB) {
        if (subsetsA.length != subsetsB.length || subsetsA.length == 0) {
            throw new IllegalArgumentException("KernelInceptionDistance: " + subsetsA.length + " and " + subsetsB.length + " subsets");
        }
        int m = subsetsA[0].length;
        checkSizes(a, na, b, nb, features, subsetsA.length, m);
        double[] values = new double[subsetsA.length];
        double[] x = new double[m * features], y = new double[m * features];
        double[] kxx = new double[m * m], kyy = new double[m * m], kxy = new double[m * m];
        for (int s = 0; s < values.length; s++) {
            if (subsetsA[s].length != m || subsetsB[s].length != m) {
                throw new IllegalArgumentException("KernelInceptionDistance: subset " + s + " is not " + m + " rows on both sides");
            }
            gather(a, na, features, subsetsA[s], x);
            gather(b, nb, features, subsetsB[s], y);
            values[s] = mmd2(x, y, m, features, kxx, kyy, kxy);
        }
        double mean = 0;
        for (double v : values) mean += v;
        mean /= values.length;
        double var = 0;
        for (double v : values) var += (v - mean) * (v - mean);
        return new Result(mean, Math.sqrt(var / values.length), m, values);
    }

    /** The unbiased MMD² of the cubic polynomial kernel between rows x (m × F) and y (m × F). */
    public static double mmd2(double[] x, double[] y, int m, int features) {
        return mmd2(x, y, m, features, new double[m * m], new double[m * m], new double[m * m]);
    }

    private static double mmd2(double[] x, double[] y, int m, int f, double[] kxx, double[] kyy, double[] kxy) {
        Arrays.fill(kxx, 0);
        Arrays.fill(kyy, 0);
        Arrays.fill(kxy, 0);
        RowDots.accumulate(x, m, x, m, f, kxx, m, true);
        RowDots.accumulate(y, m, y, m, f, kyy, m, true);
        RowDots.accumulate(x, m, y, m, f, kxy, m, false);
        double scale = 1.0 / f;
        Sum xx = new Sum(), yy = new Sum(), xy = new Sum();
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {                         // off-diagonal pairs, each counted twice below
                xx.add(kernel(kxx[i * m + j], scale));
                yy.add(kernel(kyy[i * m + j], scale));
            }
            for (int j = 0; j < m; j++) xy.add(kernel(kxy[i * m + j], scale));
        }
        double mm = m;
        return (2 * xx.value() + 2 * yy.value()) / (mm * (mm - 1)) - 2 * xy.value() / (mm * mm);
    }

    /** (dot / F + 1)³. */
    private static double kernel(double dot, double scale) {
        double t = dot * scale + 1;
        return t * t * t;
    }

    /** Neumaier's compensated sum. */
    private static final class Sum {
        private double sum, c;

        void add(double v) {
            double t = sum + v;
            c += Math.abs(sum) >= Math.abs(v) ? (sum - t) + v : (v - t) + sum;
            sum = t;
        }

        double value() { return sum + c; }
    }

    private static void gather(float[] src, int n, int f, int[] rows, double[] dst) {
        for (int r = 0; r < rows.length; r++) {
            int i = rows[r];
            if (i < 0 || i >= n) throw new IllegalArgumentException("KernelInceptionDistance: row index " + i + " outside [0, " + n + ")");
            int from = i * f, to = r * f;
            for (int j = 0; j < f; j++) dst[to + j] = src[from + j];
        }
    }

    /** k distinct indices from [0, n), uniformly (a partial Fisher–Yates shuffle). */
    static int[] sample(SplittableRandom random, int n, int k) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) perm[i] = i;
        for (int i = 0; i < k; i++) {
            int j = i + random.nextInt(n - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return Arrays.copyOf(perm, k);
    }

    private static void checkSizes(float[] a, int na, float[] b, int nb, int f, int subsets, int subsetSize) {
        if (f < 1) throw new IllegalArgumentException("KernelInceptionDistance: features must be >= 1, got " + f);
        if ((long) na * f > a.length || (long) nb * f > b.length) {
            throw new IllegalArgumentException("KernelInceptionDistance: " + na + " and " + nb + " rows of " + f
                    + " do not fit in arrays of " + a.length + " and " + b.length);
        }
        if (subsets < 1) throw new UserError("the KID needs at least 1 subset, got " + subsets);
        if (subsetSize < 2) throw new UserError("the KID subset size must be at least 2, got " + subsetSize);
        if (subsetSize > na || subsetSize > nb) {
            throw new UserError("the KID subset size " + subsetSize + " is larger than the number of feature rows (first: " + na
                    + ", second: " + nb + "); use a subset size of at most " + Math.min(na, nb));
        }
    }
}
