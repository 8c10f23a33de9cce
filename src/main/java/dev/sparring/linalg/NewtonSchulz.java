package dev.sparring.linalg;

/**
 * tr (Σ₁Σ₂)^{1/2} by coupled Newton–Schulz iterations in float64: matrix products only, which is what a GPU does
 * fastest. This class is the CPU twin of the GPU's method ({@code kernels/fid.cu} and cuBLAS DGEMM), and holds the
 * one stopping rule both follow ({@link Progress}). Float32 Newton–Schulz is known to diverge on real Inception
 * statistics; nothing here is ever done in float32.
 *
 * <p>The formulation keeps every matrix symmetric positive semi-definite: first S = Σ₁^{1/2} by Newton–Schulz, then
 * A = S Σ₂ S (symmetrised), whose eigenvalues are those of Σ₁Σ₂, then tr A^{1/2} by Newton–Schulz again. One run on
 * a symmetric PSD matrix A: c = ‖A‖_F ≥ λ_max(A), Y₀ = A / c, Z₀ = I, and
 * <pre>
 *   T_k = (3I − Z_k Y_k) / 2,   Y_{k+1} = Y_k T_k,   Z_{k+1} = T_k Z_k
 * </pre>
 * Y_k → (A/c)^{1/2} and Z_k → (A/c)^{−1/2}, so A^{1/2} = √c Y. Y and Z are symmetric in exact arithmetic; each new
 * one is symmetrised ((M + Mᵀ)/2), which keeps round-off from building a skew part (on the near-singular fixture it
 * cuts the error from 7e-10 to 5e-10). All are polynomials in A: on an eigenvalue λ of A,
 * with p = z y (p₀ = λ/c ≤ 1), p_{k+1} = p_k (3 − p_k)² / 4 and y_{k+1} = y_k (3 − p_k)/2. So each y rises
 * monotonically towards √(λ/c) and the trace of Y_k never falls (in exact arithmetic). A small p grows only by 9/4
 * per iteration before the quadratic convergence near 1: p = 1e-14 needs about 44 iterations.
 *
 * <p>Stopping rule ({@link Progress}), which must also work for singular A (rank-deficient covariances):
 * <ul>
 *   <li>at least {@link #MIN_ITERATIONS}: the iterations after which every eigenvalue with p₀ ≥ {@link #FLOOR}
 *       (2⁻⁴⁶ ≈ 1.4e-14 of the norm bound) has converged to double precision, by the scalar recurrence above. An
 *       eigenvalue below the floor is at the level of the matrix's own round-off (its root ≤ 1.2e-7 √c, the
 *       ambiguity that docs/metrics.md describes for rank-deficient statistics);</li>
 *   <li>then until the trace of Y changes by at most {@link #TOLERANCE} of itself;</li>
 *   <li>a trace that falls by more than that is negative round-off eigenvalues of a singular matrix diverging
 *       (for p &lt; 0 the recurrence runs away): the run stops and keeps the previous iterate;</li>
 *   <li>at most {@link #MAX_ITERATIONS}.</li>
 * </ul>
 */
public final class NewtonSchulz {
    private NewtonSchulz() { }

    /** Eigenvalues of A/c from which a run converges fully: 2⁻⁴⁶. */
    public static final double FLOOR = 0x1p-46;
    /** Relative change of the trace of Y that counts as converged, and a fall beyond it as divergence: 2⁻⁴⁰. */
    public static final double TOLERANCE = 0x1p-40;
    /** Iterations after which an eigenvalue at {@link #FLOOR} has converged to double precision. */
    public static final int MIN_ITERATIONS = iterationsFrom(FLOOR);
    /** The cap on one run. */
    public static final int MAX_ITERATIONS = MIN_ITERATIONS + 20;

    /** Iterations of p ← p (3 − p)² / 4 from p until 1 − p ≤ 2⁻⁵². */
    static int iterationsFrom(double p) {
        int k = 0;
        while (1 - p > 0x1p-52) {
            p = p * (3 - p) * (3 - p) / 4;
            k++;
        }
        return k;
    }

    /** What a run does after an iteration. */
    public enum Step {
        /** Iterate again. */
        CONTINUE,
        /** Converged: keep the new iterate. */
        CONVERGED,
        /** The trace fell: keep the previous iterate. */
        FELL,
        /** {@link #MAX_ITERATIONS} reached: keep the new iterate. */
        CAPPED
    }

    /** The stopping rule of one run, fed the trace of each new Y (the GPU reads it back after every iteration). */
    public static final class Progress {
        private int iterations;
        private double last = Double.NaN;
        private double kept = Double.NaN;

        /** Takes tr Y_k after iteration k (counted from 1) and says what to do. */
        public Step next(double trace) {
            iterations++;
            if (!Double.isFinite(trace)) throw new IllegalStateException("Newton–Schulz: the trace of Y is " + trace + " at iteration " + iterations);
            double delta = trace - last;
            if (iterations > 1 && delta < -TOLERANCE * Math.abs(trace)) {
                kept = last;
                return Step.FELL;
            }
            last = trace;
            kept = trace;
            if (iterations >= MIN_ITERATIONS && Math.abs(delta) <= TOLERANCE * Math.abs(trace)) return Step.CONVERGED;
            return iterations >= MAX_ITERATIONS ? Step.CAPPED : Step.CONTINUE;
        }

        /** Iterations run (the one that fell included). */
        public int iterations() { return iterations; }

        /** The trace of the iterate kept. */
        public double trace() { return kept; }
    }

    /** A run's result: √c Y (the square root), its trace, iterations, and whether it stopped on a falling trace. */
    record Root(double[] root, double trace, int iterations, boolean fell) { }

    /** tr (Σ₁Σ₂)^{1/2} of two symmetric PSD F × F row-major matrices (see the class comment). */
    public static SqrtTrace.Result sqrtTrace(double[] s1, double[] s2, int f) {
        Root r1 = root(s1, f);
        double[] a = SqrtTrace.symmetrised(mul(mul(r1.root, s2, f), r1.root, f), f);
        Root r2 = root(a, f);
        return new SqrtTrace.Result(r2.trace, SqrtTrace.Method.NEWTON_SCHULZ, 0, f, (r1.fell ? 1 : 0) + (r2.fell ? 1 : 0),
                r1.iterations + r2.iterations);
    }

    /** The square root of a symmetric PSD matrix by one run. */
    static Root root(double[] a, int f) {
        double c = 0;
        for (double v : a) c = Math.fma(v, v, c);
        c = Math.sqrt(c);
        if (c == 0) return new Root(new double[f * f], 0, 0, false);
        double[] y = new double[f * f], z = new double[f * f];
        for (int i = 0; i < f * f; i++) y[i] = a[i] / c;
        for (int i = 0; i < f; i++) z[i * f + i] = 1;
        Progress progress = new Progress();
        Step step;
        do {
            double[] t = mul(z, y, f);
            for (int i = 0; i < f * f; i++) t[i] *= -0.5;
            for (int i = 0; i < f; i++) t[i * f + i] += 1.5;
            double[] yn = SqrtTrace.symmetrised(mul(y, t, f), f), zn = SqrtTrace.symmetrised(mul(t, z, f), f);
            double trace = 0;
            for (int i = 0; i < f; i++) trace += yn[i * f + i];
            step = progress.next(trace);
            if (step == Step.FELL) break;
            y = yn;
            z = zn;
        } while (step == Step.CONTINUE);
        double rc = Math.sqrt(c);
        for (int i = 0; i < f * f; i++) y[i] *= rc;
        return new Root(y, progress.trace() * rc, progress.iterations(), step == Step.FELL);
    }

    /** a b, F × F row-major, by {@link RowDots} (rows of a against rows of bᵀ). */
    static double[] mul(double[] a, double[] b, int f) {
        double[] bt = new double[f * f];
        for (int i = 0; i < f; i++) for (int j = 0; j < f; j++) bt[j * f + i] = b[i * f + j];
        double[] c = new double[f * f];
        RowDots.accumulate(a, f, bt, f, f, c, f, false);
        return c;
    }
}
