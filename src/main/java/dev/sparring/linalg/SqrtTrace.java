package dev.sparring.linalg;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.util.Arrays;

/**
 * tr (Σ₁Σ₂)^{1/2} of two symmetric positive semi-definite F × F matrices in float64: the hard term of the Fréchet
 * distance, and the CPU twin of {@code Backend.sqrtTrace}. docs/metrics.md ("Numerics") explains the methods.
 *
 * <p>The trace is Σᵢ √λᵢ over the eigenvalues λᵢ of Σ₁Σ₂, which are real and ≥ 0: Σ₁Σ₂ is similar to the symmetric
 * positive semi-definite Σ₁^{1/2} Σ₂ Σ₁^{1/2}. For any factor B with B Bᵀ = Σ₁, Bᵀ Σ₂ B has those same non-zero
 * eigenvalues and is symmetric, so only its eigenvalues are needed (EJML's symmetric decompositions):
 * <ul>
 *   <li>{@link Method#EIGEN}: Σ₁ = V Λ Vᵀ, negative round-off eigenvalues clamped to 0, B = V Λ^{1/2} with the
 *       columns of the clamped ones dropped: Bᵀ Σ₂ B is Vᵀ (Σ₁^{1/2} Σ₂ Σ₁^{1/2}) V, of the size of Σ₁'s rank.</li>
 *   <li>{@link Method#CHOLESKY}: B = L, the Cholesky factor of Σ₁ (or of Σ₂: the trace is symmetric in the two) when
 *       one is positive definite in floating point; backward stable, and a fraction of the cost of EIGEN.</li>
 *   <li>{@link Method#NEWTON_SCHULZ}: no decomposition, only matrix products: {@link NewtonSchulz}. The method of the
 *       GPU, here for its CPU twin.</li>
 *   <li>{@link Method#AUTO}: on the CPU, Cholesky of Σ₁, else of Σ₂, else EIGEN of Σ₁ (the GPU's AUTO is its own,
 *       see {@code Backend.sqrtTrace}).</li>
 * </ul>
 * Bᵀ Σ₂ B is symmetrised before its eigenvalues are taken, and its negative round-off eigenvalues count as 0.
 */
public final class SqrtTrace {
    private SqrtTrace() { }

    /** How tr (Σ₁Σ₂)^{1/2} is computed (the class comment explains each). */
    public enum Method {
        /** The backend's default: on the CPU Cholesky of Σ₁, else of Σ₂, else EIGEN of Σ₁. */
        AUTO,
        /** Cholesky of Σ₁, else of Σ₂; refused when neither is positive definite. */
        CHOLESKY,
        /** The symmetric eigendecomposition of Σ₁ (its square root). */
        EIGEN,
        /** Coupled Newton–Schulz iterations in float64, matrix products only ({@link NewtonSchulz}). */
        NEWTON_SCHULZ;

        /** "newton-schulz", as flags and JSON write it. */
        public String label() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }
    }

    /**
     * The trace and how it was found.
     *
     * @param value      tr (Σ₁Σ₂)^{1/2}
     * @param method     the method that ran: never {@link Method#AUTO}
     * @param factored   which matrix was factored, 1 or 2 (0 for Newton–Schulz)
     * @param rank       the size of Bᵀ Σ₂ B: F, or Σ₁'s number of positive eigenvalues with EIGEN
     * @param clamped    negative eigenvalues set to 0 (decompositions); for Newton–Schulz, the runs stopped because
     *                   the trace began to fall (negative round-off eigenvalues diverging, see {@link NewtonSchulz})
     * @param iterations Newton–Schulz iterations of both runs together; 0 for the decompositions
     */
    public record Result(double value, Method method, int factored, int rank, int clamped, int iterations) { }

    /**
     * tr (Σ₁Σ₂)^{1/2} of two symmetric F × F row-major matrices (symmetrise them first, {@link #symmetrised}). Returns
     * null only for {@link Method#CHOLESKY} when neither is positive definite.
     */
    public static Result compute(double[] s1, double[] s2, int f, Method method) {
        if (method == Method.NEWTON_SCHULZ) return NewtonSchulz.sqrtTrace(s1, s2, f);
        Factor factor = null;
        int factored = 1;
        if (method != Method.EIGEN) {
            factor = cholesky(s1, f);
            if (factor == null) {
                factor = cholesky(s2, f);
                factored = 2;
            }
            if (factor == null && method == Method.CHOLESKY) return null;
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
        return new Result(traceSqrt, factor.method, factored, factor.rank, clamped, 0);
    }

    /**
     * Rows of Bᵀ (rank × F, row-major) for a factor B B ᵀ = Σ, how it was made, and how many of Σ's eigenvalues were
     * clamped (EIGEN only).
     */
    private record Factor(double[] bt, int rank, Method method, int clamped) {
        /** Whether Bᵀ is upper triangular (B = L, lower): its rows' leading zeros are skipped in the products. */
        boolean triangular() { return method == Method.CHOLESKY; }
    }

    /** (s + sᵀ)/2, exactly symmetric, a fresh array. */
    public static double[] symmetrised(double[] s, int f) {
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
            throw new IllegalStateException("SqrtTrace: EJML's symmetric eigendecomposition did not converge (F = " + f + ")");
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
        return symmetricEigenvalues(symmetrised(m, r), r);
    }

    /** The eigenvalues of a symmetric r × r matrix (EJML); a NaN is an error, never dropped. */
    public static double[] symmetricEigenvalues(double[] sym, int r) {
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(r, false, true);
        if (!eig.decompose(DMatrixRMaj.wrap(r, r, sym.clone()))) {
            throw new IllegalStateException("SqrtTrace: EJML's symmetric eigenvalue computation did not converge (size " + r + ")");
        }
        double[] out = new double[r];
        for (int i = 0; i < r; i++) {
            out[i] = eig.getEigenvalue(i).real;
            if (Double.isNaN(out[i])) throw new IllegalStateException("SqrtTrace: an eigenvalue of Bᵀ Σ B is NaN (size " + r + ")");
        }
        return out;
    }
}
