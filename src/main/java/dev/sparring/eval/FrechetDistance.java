package dev.sparring.eval;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.linalg.SqrtTrace;
import dev.sparring.linalg.SqrtTrace.Method;
import dev.sparring.tensor.Tensor;

/**
 * The Fréchet distance between two Gaussians, the FID when they are fitted to a feature network's outputs:
 * <pre>
 *   d² = ‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 tr (Σ₁Σ₂)^{1/2}
 * </pre>
 * in float64. The hard term, tr (Σ₁Σ₂)^{1/2}, is {@link SqrtTrace}'s: on the CPU through EJML's symmetric
 * decompositions in place of a general matrix square root (pytorch-fid's {@code scipy.linalg.sqrtm} of the
 * non-symmetric Σ₁Σ₂), or on a backend ({@link #between(Backend, FeatureStatistics, FeatureStatistics, Method)})
 * by {@link Backend#sqrtTrace}: on a GPU, Newton–Schulz iterations on cuBLAS DGEMM or cuSOLVER's eigensolver.
 * {@link Method#AUTO} (the default) uses, on the CPU, the Cholesky factor of Σ₁, else of Σ₂, else the
 * eigendecomposition of Σ₁. The covariances are symmetrised ((Σ + Σᵀ)/2) first. docs/metrics.md has the numerics.
 */
public final class FrechetDistance {
    private FrechetDistance() { }

    /**
     * The distance and its parts.
     *
     * @param distance   d² = meanTerm + trace1 + trace2 − 2 traceSqrt (can be a round-off below 0 for equal statistics)
     * @param meanTerm   ‖μ₁ − μ₂‖²
     * @param trace1     tr Σ₁
     * @param trace2     tr Σ₂
     * @param traceSqrt  tr (Σ₁Σ₂)^{1/2}
     * @param method     the method that ran, never AUTO: {@link Method#CHOLESKY} or {@link Method#EIGEN} on the CPU,
     *                   {@link Method#NEWTON_SCHULZ} or {@link Method#EIGEN} on a GPU
     * @param factored   which covariance was factored, 1 or 2 (0 for Newton–Schulz)
     * @param rank       the size of Bᵀ Σ₂ B: F, or Σ₁'s number of positive eigenvalues with EIGEN
     * @param clamped    negative eigenvalues set to 0: of the factored Σ (EIGEN) plus of Bᵀ Σ₂ B; for Newton–Schulz
     *                   the runs stopped on a falling trace ({@link dev.sparring.linalg.NewtonSchulz})
     * @param iterations Newton–Schulz iterations (both runs); 0 for a decomposition
     * @param backend    where the square-root trace ran: "cpu" or "cuda"
     */
    public record Result(double distance, double meanTerm, double trace1, double trace2, double traceSqrt,
                         Method method, int factored, int rank, int clamped, int iterations, String backend) { }

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
        checkComparable(a, b);
        int f = a.features();
        double meanTerm = meanTerm(a, b);
        double[] s1 = SqrtTrace.symmetrised(a.covariance(), f), s2 = SqrtTrace.symmetrised(b.covariance(), f);
        double trace1 = trace(s1, f), trace2 = trace(s2, f);
        SqrtTrace.Result t = SqrtTrace.compute(s1, s2, f, method);
        if (t == null) {
            throw new UserError("neither " + a.source() + " nor " + b.source() + " has a positive definite covariance,"
                    + " so the Cholesky method cannot be used");
        }
        return result(meanTerm, trace1, trace2, t, "cpu");
    }

    /**
     * The Fréchet distance between {@code a} and {@code b} with the square-root trace computed by {@code be}
     * ({@link Backend#sqrtTrace}, whose {@link Method#AUTO} is the backend's own): the covariances are checked and
     * symmetrised here, uploaded as float64 tensors, and the mean and trace terms added on the host. On the CPU
     * backend this gives what {@link #between(FeatureStatistics, FeatureStatistics, Method)} gives.
     */
    public static Result between(Backend be, FeatureStatistics a, FeatureStatistics b, Method method) {
        checkComparable(a, b);
        int f = a.features();
        double meanTerm = meanTerm(a, b);
        double[] s1 = SqrtTrace.symmetrised(a.covariance(), f), s2 = SqrtTrace.symmetrised(b.covariance(), f);
        double trace1 = trace(s1, f), trace2 = trace(s2, f);
        try (Tensor t1 = be.upload(s1, f, f); Tensor t2 = be.upload(s2, f, f)) {
            return result(meanTerm, trace1, trace2, be.sqrtTrace(t1, t2, method), be.name());
        }
    }

    private static Result result(double meanTerm, double trace1, double trace2, SqrtTrace.Result t, String backend) {
        double distance = meanTerm + trace1 + trace2 - 2 * t.value();
        return new Result(distance, meanTerm, trace1, trace2, t.value(), t.method(), t.factored(), t.rank(), t.clamped(),
                t.iterations(), backend);
    }

    private static void checkComparable(FeatureStatistics a, FeatureStatistics b) {
        a.validate();
        b.validate();
        // the networks first, when both files name theirs: that says more than the feature counts they lead to
        if (!a.network().isEmpty() && !b.network().isEmpty() && !a.network().equals(b.network())) {
            throw new UserError(a.source() + " was made with the feature network " + a.network() + " but " + b.source()
                    + " with " + b.network() + ": their distance means nothing");
        }
        if (a.features() != b.features()) {
            throw new UserError(a.source() + " has " + a.features() + " features but " + b.source() + " has " + b.features()
                    + ": statistics of different feature layers cannot be compared");
        }
    }

    private static double meanTerm(FeatureStatistics a, FeatureStatistics b) {
        double meanTerm = 0;
        for (int i = 0; i < a.features(); i++) {
            double d = a.mean()[i] - b.mean()[i];
            meanTerm = Math.fma(d, d, meanTerm);
        }
        return meanTerm;
    }

    private static double trace(double[] s, int f) {
        double t = 0;
        for (int i = 0; i < f; i++) t += s[i * f + i];
        return t;
    }
}
