package dev.sparring.linalg;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Principal component analysis of a few hundred rows with many features (a critic layer's 12,544 activations per image),
 * from the rows' Gram matrix G = X Xᵀ (n x n) alone: the O(n² d) product is made once ({@link #gram}, EJML), and every
 * PCA of a subset of the rows, the projection of any row onto its axes, and the rows' distances come from G.
 *
 * <p>For the fit rows S (m of them) with mean μ, the centred Gram matrix C_ab = (x_a - μ)·(x_b - μ) has the same
 * non-zero eigenvalues λ_c as the scatter matrix Σ (x_a - μ)(x_a - μ)ᵀ; with C u_c = λ_c u_c (|u_c| = 1) the principal
 * axis is v_c = Σ_a u_ca (x_a - μ) / √λ_c, and any row r has the score (x_r - μ)·v_c = Σ_a u_ca (x_r - μ)·(x_a - μ) / √λ_c,
 * an expression in G. This is kernel PCA with the linear kernel; the scores are those of an SVD of the centred rows
 * (up to each axis's sign, fixed here so that the largest entry of u_c is positive).
 */
public final class GramPca {
    /** Columns of X copied to float64 at a time for the Gram product. */
    private static final int BLOCK = 512;
    /** Components whose eigenvalue is below this fraction of the largest are dropped (rank-deficient data). */
    static final double RANK_TOLERANCE = 1e-10;

    private final double[][] g;
    private final int[] fit;
    private final double[] lambda;        // (k) eigenvalues of C, largest first
    private final double[][] u;           // (k, m) unit eigenvectors of C
    private final double[] meanDot;       // (n) μ·x_r for every row r of G
    private final double meanNorm;        // μ·μ
    private final double trace;           // tr C, the fit rows' total scatter

    private GramPca(double[][] g, int[] fit, double[] lambda, double[][] u, double[] meanDot, double meanNorm, double trace) {
        this.g = g;
        this.fit = fit;
        this.lambda = lambda;
        this.u = u;
        this.meanDot = meanDot;
        this.meanNorm = meanNorm;
        this.trace = trace;
    }

    /** G = X Xᵀ (n x n) of the rows of x (n x d, row-major), in float64: EJML's product over blocks of columns. */
    public static double[][] gram(float[] x, int n, int d) {
        if ((long) n * d != x.length) throw new IllegalArgumentException("GramPca.gram: " + x.length + " values are not " + n + " x " + d);
        DMatrixRMaj gm = new DMatrixRMaj(n, n);
        for (int c0 = 0; c0 < d; c0 += BLOCK) {
            int w = Math.min(BLOCK, d - c0);
            DMatrixRMaj a = new DMatrixRMaj(n, w);
            for (int i = 0; i < n; i++) for (int j = 0; j < w; j++) a.data[i * w + j] = x[i * d + c0 + j];
            CommonOps_DDRM.multAddTransB(a, a, gm);
        }
        double[][] g = new double[n][n];
        for (int i = 0; i < n; i++) System.arraycopy(gm.data, i * n, g[i], 0, n);
        return g;
    }

    /** The squared Euclidean distances |x_i - x_j|² = G_ii + G_jj - 2 G_ij (n x n), rounding below 0 set to 0. */
    public static double[][] squaredDistances(double[][] g) {
        int n = g.length;
        double[][] d = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) d[i][j] = d[j][i] = Math.max(0, g[i][i] + g[j][j] - 2 * g[i][j]);
        }
        return d;
    }

    /** The PCA of all rows of G, at most k components. */
    public static GramPca fit(double[][] g, int k) {
        int[] all = new int[g.length];
        for (int i = 0; i < all.length; i++) all[i] = i;
        return fit(g, all, k);
    }

    /**
     * The PCA of the rows {@code fit} (indices into G, at least 2), with at most k components: fewer when the
     * centred rows span fewer dimensions (eigenvalues below 1e-10 of the largest are dropped).
     */
    public static GramPca fit(double[][] g, int[] fit, int k) {
        int m = fit.length, n = g.length;
        if (m < 2 || k < 1) throw new IllegalArgumentException("GramPca.fit: need at least 2 rows and 1 component, got " + m + " and " + k);
        double[] meanDot = new double[n];
        for (int r = 0; r < n; r++) {
            double s = 0;
            for (int a : fit) s += g[r][a];
            meanDot[r] = s / m;
        }
        double meanNorm = 0;
        for (int a : fit) meanNorm += meanDot[a];
        meanNorm /= m;
        DMatrixRMaj c = new DMatrixRMaj(m, m);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) c.set(i, j, g[fit[i]][fit[j]] - meanDot[fit[i]] - meanDot[fit[j]] + meanNorm);
        }
        double trace = CommonOps_DDRM.trace(c);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(m, true, true);
        if (!eig.decompose(c)) throw new IllegalStateException("GramPca: the eigen decomposition of a " + m + " x " + m + " Gram matrix did not converge");
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) order[i] = i;
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> eig.getEigenvalue(i).real).reversed());
        double largest = eig.getEigenvalue(order[0]).real;
        int kept = 0;
        while (kept < Math.min(k, m) && largest > 0 && eig.getEigenvalue(order[kept]).real > RANK_TOLERANCE * largest) kept++;
        double[] lambda = new double[kept];
        double[][] u = new double[kept][];
        for (int cI = 0; cI < kept; cI++) {
            lambda[cI] = eig.getEigenvalue(order[cI]).real;
            DMatrixRMaj v = eig.getEigenVector(order[cI]);
            double norm = 0;
            int big = 0;
            for (int i = 0; i < m; i++) {
                norm += v.get(i) * v.get(i);
                if (Math.abs(v.get(i)) > Math.abs(v.get(big))) big = i;
            }
            double s = (v.get(big) < 0 ? -1 : 1) / Math.sqrt(norm);
            u[cI] = new double[m];
            for (int i = 0; i < m; i++) u[cI][i] = s * v.get(i);
        }
        return new GramPca(g, fit.clone(), lambda, u, meanDot, meanNorm, trace);
    }

    /** The number of components kept. */
    public int components() { return lambda.length; }

    /** The fit rows' variance along axis c: λ_c / m. */
    public double variance(int c) { return lambda[c] / fit.length; }

    /** The share of the fit rows' total variance along axis c. */
    public double explained(int c) { return trace > 0 ? lambda[c] / trace : 0; }

    /** Row r's (any row of G) scores on the kept axes: (x_r - μ)·v_c. */
    public double[] scores(int r) {
        double[] s = new double[lambda.length];
        for (int c = 0; c < lambda.length; c++) {
            double sum = 0;
            for (int i = 0; i < fit.length; i++) {
                int a = fit[i];
                sum += u[c][i] * (g[r][a] - meanDot[r] - meanDot[a] + meanNorm);
            }
            s[c] = sum / Math.sqrt(lambda[c]);
        }
        return s;
    }
}
