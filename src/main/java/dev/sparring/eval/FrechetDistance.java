package dev.sparring.eval;

import dev.sparring.UserError;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.util.Arrays;

/**
 * The Fréchet distance between two Gaussians, the FID when they are fitted to a feature network's outputs:
 * <pre>
 *   d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁Σ₂)^{1/2}
 * </pre>
 * in float64, with EJML's symmetric decompositions in place of a general matrix square root (pytorch-fid's
 * {@code scipy.linalg.sqrtm} of the non-symmetric Σ₁Σ₂).
 *
 * <p>The hard term is tr (Σ₁Σ₂)^{1/2} = Σᵢ √λᵢ, the λᵢ being the eigenvalues of Σ₁Σ₂, which are real and ≥ 0 since
 * Σ₁Σ₂ is similar to the symmetric positive semi-definite Σ₁^{1/2} Σ₂ Σ₁^{1/2}. For any factor B with B Bᵀ = Σ₁,
 * Bᵀ Σ₂ B has those same non-zero eigenvalues, and is symmetric, so only its eigenvalues are needed (no
 * eigenvectors, no square root of a matrix). Two factors are used:
 * <ul>
 *   <li>{@link Method#EIGEN}: Σ₁ = V Λ Vᵀ (symmetric eigendecomposition), negative round-off eigenvalues clamped to 0,
 *       B = V Λ^{1/2} with the columns of the clamped ones dropped. Then Bᵀ Σ₂ B = Λ^{1/2} Vᵀ Σ₂ V Λ^{1/2}, which is
 *       Vᵀ (Σ₁^{1/2} Σ₂ Σ₁^{1/2}) V with Σ₁^{1/2} = V Λ^{1/2} Vᵀ: the textbook A = Σ₁^{1/2} Σ₂ Σ₁^{1/2} in the basis of
 *       Σ₁'s eigenvectors, a rank-sized matrix when Σ₁ is rank-deficient (fewer rows than features).</li>
 *   <li>{@link Method#CHOLESKY}: B = L, the Cholesky factor of Σ₁, when Σ₁ is positive definite in floating point.
 *       Cholesky is backward stable (L Lᵀ = Σ₁ + E with |Eᵢⱼ| ≲ n ε √(Σᵢᵢ Σⱼⱼ)), as the eigendecomposition is, and
 *       about forty times cheaper than one with eigenvectors; it is what makes F = 2048 fast.</li>
 * </ul>
 * {@link Method#AUTO} (the default) uses the Cholesky factor of Σ₁, else of Σ₂ (the trace is symmetric in the two),
 * else the eigendecomposition of Σ₁. In every case the inputs are symmetrised ((Σ + Σᵀ)/2) first, Bᵀ Σ₂ B is
 * symmetrised before its eigenvalues are taken, and its negative round-off eigenvalues count as 0.
 */
public final class FrechetDistance {
    private FrechetDistance() { }

    /** How tr (Σ₁Σ₂)^{1/2} is computed (the class comment explains each). */
    public enum Method {
        /** Cholesky of Σ₁, else of Σ₂, else the eigendecomposition of Σ₁. */
        AUTO,
        /** Cholesky of Σ₁, else of Σ₂; a {@link UserError} when neither is positive definite. */
        CHOLESKY,
        /** The symmetric eigendecomposition of Σ₁ (its square root). */
        EIGEN
    }

    /**
     * The distance and its parts.
     *
     * @param distance   d² = meanTerm + trace1 + trace2 − 2 traceSqrt (can be a round-off below 0 for equal statistics)
     * @param meanTerm   ‖μ₁ − μ₂‖²
     * @param trace1     tr Σ₁
     * @param trace2     tr Σ₂
     * @param traceSqrt  tr (Σ₁Σ₂)^{1/2}
     * @param method     the factor used: {@link Method#CHOLESKY} or {@link Method#EIGEN}, never AUTO
     * @param factored   which covariance was factored, 1 or 2
     * @param rank       the size of Bᵀ Σ₂ B: F, or Σ₁'s number of positive eigenvalues with EIGEN
     * @param clamped    negative eigenvalues set to 0: of the factored Σ (EIGEN) plus of Bᵀ Σ₂ B
     */
    public record Result(double distance, double meanTerm, double trace1, double trace2, double traceSqrt,
                         Method method, int factored, int rank, int clamped) { }

    /** The Fréchet distance between {@code a} and {@code b}, by {@link Method#AUTO}. */
    public static Result between(FeatureStatistics a, FeatureStatistics b) {
        return between(a, b, Method.AUTO);
    }

    /**
     * The Fréchet distance between {@code a} and {@code b}. Both are {@link FeatureStatistics#validate() validated};
     * they must have the same number of features and, where both name one, the same feature network; otherwise a
     * one-line {@link UserError} names both sources.
     */
    public static Result between(FeatureStatistics a, FeatureStatistics b, Method method) {
        a.validate();
        b.validate();
        if (a.features() != b.features()) {
            throw new UserError(a.source() + " has " + a.features() + " features but " + b.source() + " has " + b.features()
                    + ": statistics of different feature layers cannot be compared");
        }
        if (!a.network().isEmpty() && !b.network().isEmpty() && !a.network().equals(b.network())) {
            throw new UserError(a.source() + " was made with the feature network " + a.network() + " but " + b.source()
                    + " with " + b.network() + ": their distance means nothing");
        }
        int f = a.features();
        double meanTerm = 0;
        for (int i = 0; i < f; i++) {
            double d = a.mean()[i] - b.mean()[i];
            meanTerm = Math.fma(d, d, meanTerm);
        }
        double[] s1 = symmetrised(a.covariance(), f), s2 = symmetrised(b.covariance(), f);
        double trace1 = 0, trace2 = 0;
        for (int i = 0; i < f; i++) {
            trace1 += s1[i * f + i];
            trace2 += s2[i * f + i];
        }

        Factor factor = null;
        int factored = 1;
        if (method != Method.EIGEN) {
            factor = cholesky(s1, f);
            if (factor == null) {
                factor = cholesky(s2, f);
                factored = 2;
            }
            if (factor == null && method == Method.CHOLESKY) {
                throw new UserError("neither " + a.source() + " nor " + b.source() + " has a positive definite covariance,"
                        + " so the Cholesky method cannot be used");
            }
        }
        if (factor == null) {
            factor = eigen(s1, f);
            factored = 1;
        }
        double[] other = factored == 1 ? s2 : s1;
        double[] eig = eigenvaluesOfProduct(factor, other, f);
        double traceSqrt = 0;
        int clamped = factor.clamped;
        for (double l : eig) {
            if (l > 0) traceSqrt += Math.sqrt(l);
            else if (l < 0) clamped++;
        }
        double distance = meanTerm + trace1 + trace2 - 2 * traceSqrt;
        return new Result(distance, meanTerm, trace1, trace2, traceSqrt, factor.method, factored, factor.rank, clamped);
    }

    /**
     * Rows of Bᵀ (rank × F, row-major) for a factor B B ᵀ = Σ, how it was made, and how many of Σ's eigenvalues were
     * clamped (EIGEN only).
     */
    private record Factor(double[] bt, int rank, Method method, int clamped) {
        /** Whether Bᵀ is upper triangular (B = L, lower): its rows' leading zeros are skipped in the products. */
        boolean triangular() { return method == Method.CHOLESKY; }
    }

    /** (s + sᵀ)/2, exactly symmetric. */
    static double[] symmetrised(double[] s, int f) {
        double[] out = new double[f * f];
        for (int i = 0; i < f; i++) {
            out[i * f + i] = s[i * f + i];
            for (int j = i + 1; j < f; j++) {
                double v = (s[i * f + j] + s[j * f + i]) * 0.5;
                out[i * f + j] = v;
                out[j * f + i] = v;
            }
        }
        return out;
    }

    /** Lᵀ from the Cholesky factorisation Σ = L Lᵀ, or null when Σ is not positive definite in floating point. */
    private static Factor cholesky(double[] s, int f) {
        CholeskyDecomposition_F64<DMatrixRMaj> chol = DecompositionFactory_DDRM.chol(f, true);
        DMatrixRMaj m = DMatrixRMaj.wrap(f, f, s.clone());
        if (!chol.decompose(m)) return null;
        DMatrixRMaj l = chol.getT(null);                        // lower triangle valid (the block version leaves the rest)
        double[] ld = l.data;
        double[] bt = new double[f * f];
        for (int j = 0; j < f; j++) {
            for (int k = j; k < f; k++) bt[j * f + k] = ld[k * f + j];
        }
        return new Factor(bt, f, Method.CHOLESKY, 0);
    }

    /** Λ^{1/2} Vᵀ from Σ = V Λ Vᵀ, keeping the rows of positive eigenvalues (the others are clamped to 0). */
    private static Factor eigen(double[] s, int f) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(f, true, true);
        if (!eig.decompose(DMatrixRMaj.wrap(f, f, s.clone()))) {
            throw new IllegalStateException("FrechetDistance: EJML's symmetric eigendecomposition did not converge (F = " + f + ")");
        }
        int n = eig.getNumberOfEigenvalues();
        double[] bt = new double[n * f];
        int rank = 0, clamped = 0;
        for (int i = 0; i < n; i++) {
            double l = eig.getEigenvalue(i).real;
            if (l <= 0) {
                if (l < 0) clamped++;
                continue;
            }
            double root = Math.sqrt(l);
            double[] v = eig.getEigenVector(i).data;
            int o = rank * f;
            for (int k = 0; k < f; k++) bt[o + k] = root * v[k];
            rank++;
        }
        double[] trimmed = rank == n ? bt : Arrays.copyOf(bt, rank * f);
        return new Factor(trimmed, rank, Method.EIGEN, clamped);
    }

    /** The eigenvalues of the symmetrised Bᵀ S B (rank × rank), S = the covariance not factored. */
    private static double[] eigenvaluesOfProduct(Factor factor, double[] s, int f) {
        int r = factor.rank;
        if (r == 0) return new double[0];
        double[] bt = factor.bt;
        double[] ct = new double[r * f];                          // (S B)ᵀ = Bᵀ S: row j = Bᵀ row j · S (S symmetric)
        double[] m = new double[r * r];                           // Bᵀ S B: m[i][j] = Bᵀ row i · (S B)ᵀ row j
        if (factor.triangular()) {
            RowDots.accumulateUpperA(bt, r, s, f, f, ct, f);
            RowDots.accumulateUpperA(bt, r, ct, r, f, m, r);
        } else {
            RowDots.accumulate(bt, r, s, f, f, ct, f, false);
            RowDots.accumulate(bt, r, ct, r, f, m, r, false);
        }
        double[] sym = symmetrised(m, r);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(r, false, true);
        if (!eig.decompose(DMatrixRMaj.wrap(r, r, sym))) {
            throw new IllegalStateException("FrechetDistance: EJML's symmetric eigenvalue computation did not converge (size " + r + ")");
        }
        double[] out = new double[r];
        for (int i = 0; i < r; i++) {
            out[i] = eig.getEigenvalue(i).real;
            if (Double.isNaN(out[i])) throw new IllegalStateException("FrechetDistance: an eigenvalue of Bᵀ Σ B is NaN (size " + r + ")");
        }
        return out;
    }
}
