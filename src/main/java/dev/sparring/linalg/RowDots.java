package dev.sparring.linalg;

import java.util.stream.IntStream;

/**
 * Dot products between the rows of two row-major float64 matrices: {@code c[i*ldc + j] += Σ_k a[i*len + k] b[j*len + k]}
 * for i < m, j < n. This one product is the covariance update of {@link ScatterMoments} (a DSYRK: the rows are the
 * features of a centred, transposed block), the kernel matrices of {@code eval.KernelInceptionDistance}, and the
 * matrix products of {@link SqrtTrace} (Bᵀ Σ₂ B, the operands laid out so that both sides are read along rows) and
 * {@link NewtonSchulz}.
 *
 * <p>Blocked for the caches: each task owns {@link #MB} rows of C; for each {@link #KC}-long slice of k it runs over
 * {@link #NB}-row blocks of B (NB × KC doubles, 128 KiB, stay in L2) and computes 4 × 4 tiles of C in vector registers
 * ({@link RowDotsVector}, when the Vector API module is present; else {@link #plainTile}, the same loop one double at a
 * time). With {@code upper}, tiles wholly below the diagonal (j &lt; i for all their elements) are skipped: the caller
 * wants only c[i][j] for j ≥ i (some elements just below the diagonal are computed too).
 *
 * <p>Rows of C are split over tasks in fixed blocks, and each element's sum runs over k in a fixed order (slices of KC;
 * within a slice, each vector lane's FMAs in order, then the lanes added in lane order, then the tail), so results do
 * not depend on the number of threads, nor on whether the JIT has compiled the kernel yet: the same inputs give the
 * same bits.
 */
public final class RowDots {
    private RowDots() { }

    /** Rows of C per task, k per slice, rows of B per L2 block. */
    static final int MB = 64, KC = 256, NB = 64;

    /** Whether the Vector API tile runs: false when the module is absent (then {@link #plainTile} does the work). */
    static final boolean VECTOR = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** c[i*ldc + j] += dot(a row i, b row j) for i < m, j < n (j ≥ i only when {@code upper}); rows are len long. */
    public static void accumulate(double[] a, int m, double[] b, int n, int len, double[] c, int ldc, boolean upper) {
        accumulate(a, m, b, n, len, c, ldc, upper, false, VECTOR, true);
    }

    /**
     * As {@link #accumulate(double[], int, double[], int, int, double[], int, boolean)}, for an A that is upper
     * triangular (a[i][k] = 0 for k &lt; i, as the rows of Lᵀ for a Cholesky factor L): those products are skipped,
     * half the work of a square product.
     */
    public static void accumulateUpperA(double[] a, int m, double[] b, int n, int len, double[] c, int ldc) {
        accumulate(a, m, b, n, len, c, ldc, false, true, VECTOR, true);
    }

    static void accumulate(double[] a, int m, double[] b, int n, int len, double[] c, int ldc, boolean upper,
                           boolean upperA, boolean vector, boolean parallel) {
        if ((long) m * len > a.length || (long) n * len > b.length || (m > 0 && (long) (m - 1) * ldc + n > c.length) || ldc < n) {
            throw new IllegalArgumentException("RowDots: arrays too short for m=" + m + ", n=" + n + ", len=" + len + ", ldc=" + ldc);
        }
        if (m == 0 || n == 0 || len == 0) return;
        int blocks = (m + MB - 1) / MB;
        IntStream range = IntStream.range(0, blocks);
        if (parallel && blocks > 1 && (long) m * n * len > 1 << 20) range = range.parallel();
        range.forEach(blk -> {
            int i0 = blk * MB, i1 = Math.min(m, i0 + MB);
            double[] lanes = vector ? new double[RowDotsVector.scratchLength()] : null;
            for (int k0 = upperA ? (i0 / KC) * KC : 0; k0 < len; k0 += KC) {  // with upperA, rows >= i0 are 0 before i0
                int kEnd = Math.min(len, k0 + KC);
                for (int j0 = upper ? (i0 / 4) * 4 : 0; j0 < n; j0 += NB) {
                    int j1 = Math.min(n, j0 + NB);
                    for (int i = i0; i < i1; i += 4) {
                        int ir = Math.min(4, i1 - i);
                        int ks = upperA ? Math.max(k0, i & ~7) : k0;        // the tile's rows are 0 before column i (start 8-aligned)
                        if (ks >= kEnd) break;                             // ... and so are all further tiles of this slice
                        int kc = kEnd - ks;
                        int jStart = j0;
                        if (upper && i > jStart) jStart = j0 + ((i - j0) / 4) * 4;   // tiles ending below row i are skipped
                        for (int j = jStart; j < j1; j += 4) {
                            int jr = Math.min(4, j1 - j);
                            if (ir == 4 && jr == 4 && vector) {
                                RowDotsVector.tile4x4(a, i * len + ks, b, j * len + ks, len, kc, c, i * ldc + j, ldc, lanes);
                            } else {
                                plainTile(a, i * len + ks, ir, b, j * len + ks, jr, len, kc, c, i * ldc + j, ldc);
                            }
                        }
                    }
                }
            }
        });
    }

    /** An ir × jr tile (each at most 4), one double at a time: c[r][s] += Σ_{k < kc} a[r][k] b[s][k]. */
    static void plainTile(double[] a, int ao, int ir, double[] b, int bo, int jr, int len, int kc, double[] c, int co, int ldc) {
        for (int r = 0; r < ir; r++) {
            for (int s = 0; s < jr; s++) {
                double sum = 0;
                int ar = ao + r * len, bs = bo + s * len;
                for (int k = 0; k < kc; k++) sum = Math.fma(a[ar + k], b[bs + k], sum);
                c[co + r * ldc + s] += sum;
            }
        }
    }
}
