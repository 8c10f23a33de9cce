package dev.sparring.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class SgemmTest {

    /**
     * (m, n, k): 1s, sizes just around the tiles (6 x 16 and 8 x 32), the block depth (256), the M block (144) and the
     * N block (256).
     */
    static final int[][] SHAPES = {
            {1, 1, 1}, {1, 17, 3}, {7, 1, 5}, {6, 16, 1}, {8, 32, 1}, {5, 15, 300}, {9, 33, 257}, {13, 33, 257}, {150, 40, 20},
            {31, 100, 513}, {64, 48, 16}, {16, 288, 9}, {17, 257, 31}, {2, 2100, 7}, {145, 17, 64},
            {2, 4100, 600},                 // N split across tasks, each packing its own B blocks
            {4100, 3, 520},                 // M split: B packed up front, and m + n > 4096: K in chunks of one block
    };

    /** The micro-kernels this JVM and CPU run: the plain one always, the 256- and 512-bit ones where vectors are that wide. */
    static java.util.List<Sgemm.Kernel> kernels() {
        return java.util.Arrays.stream(Sgemm.Kernel.values()).filter(Sgemm.Kernel::available).toList();
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** The naive triple loop in double. */
    static double[] reference(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int offA, int lda,
                              float[] b, int offB, int ldb, float beta, float[] c, int offC, int ldc) {
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    double av = ta ? a[offA + p * lda + i] : a[offA + i * lda + p];
                    double bv = tb ? b[offB + j * ldb + p] : b[offB + p * ldb + j];
                    s += av * bv;
                }
                out[i * n + j] = alpha * s + (beta == 0f ? 0 : beta * (double) c[offC + i * ldc + j]);
            }
        }
        return out;
    }

    @Test
    void matchesNaiveReferenceOnOddShapesTransposesOffsetsAndBetas() {
        SplittableRandom rnd = new SplittableRandom(7);
        float[][] alphaBeta = {{1f, 0f}, {1f, 1f}, {-1.3f, 0.7f}};
        for (int[] sh : SHAPES) {
            int m = sh[0], n = sh[1], k = sh[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                for (float[] ab : alphaBeta) {
                    // leading dimensions larger than the rows, and offsets, so that strides and offsets are exercised
                    int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5, offA = 4, offB = 1, offC = 9;
                    float[] a = random(rnd, offA + (ta ? k : m) * lda);
                    float[] b = random(rnd, offB + (tb ? n : k) * ldb);
                    float[] c = random(rnd, offC + m * ldc);
                    if (ab[1] == 0f) java.util.Arrays.fill(c, Float.NaN);   // beta = 0 must not read C
                    double[] ref = reference(ta, tb, m, n, k, ab[0], a, offA, lda, b, offB, ldb, ab[1], c, offC, ldc);
                    float[] before = c.clone();
                    Sgemm.sgemm(ta, tb, m, n, k, ab[0], a, offA, lda, b, offB, ldb, ab[1], c, offC, ldc);
                    String what = "sgemm m=" + m + " n=" + n + " k=" + k + " transA=" + ta + " transB=" + tb + " alpha=" + ab[0] + " beta=" + ab[1];
                    // Inputs in [-1, 1]: each of the k float roundings is at most 2^-24 of a partial sum of at most
                    // k |alpha| + |beta|, so 1e-6 k is a wide margin over the worst case; a wrong index is off by O(1).
                    double atol = 1e-6 * (k + 1), rtol = 1e-5;
                    check(what + " (" + Sgemm.BEST + ")", ref, c, offC, ldc, m, n, atol, rtol);
                    // every other micro-kernel this machine runs, on another task split, gives the same bits
                    for (Sgemm.Kernel kernel : kernels()) {
                        float[] other = before.clone();
                        Sgemm.sgemm(ta, tb, m, n, k, ab[0], a, offA, lda, b, offB, ldb, ab[1], other, offC, ldc, new Sgemm.Config(kernel, 3, 1));
                        check(what + " (" + kernel + ")", ref, other, offC, ldc, m, n, atol, rtol);
                        assertArrayEquals(other, c, what + ": the " + kernel + " micro-kernel differs from the default one (" + Sgemm.BEST + ")");
                    }
                    // padding between rows (ld > n) and before the offset is untouched
                    for (int i = 0; i < c.length; i++) {
                        int r = (i - offC) / ldc, col = (i - offC) % ldc;
                        boolean inside = i >= offC && r < m && col < n;
                        if (!inside && Float.floatToRawIntBits(c[i]) != Float.floatToRawIntBits(before[i])) fail(what + ": wrote outside C at " + i);
                    }
                }
            }
        }
    }

    static void check(String what, double[] ref, float[] c, int offC, int ldc, int m, int n, double atol, double rtol) {
        double maxDiff = 0;
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double r = ref[i * n + j], v = c[offC + i * ldc + j], d = Math.abs(v - r);
                maxDiff = Math.max(maxDiff, d);
                if (!(d <= atol + rtol * Math.abs(r))) {
                    if (bad++ < 5) first.append(String.format(" (%d,%d): got %s want %s;", i, j, v, r));
                }
            }
        }
        if (bad > 0) fail(what + ": " + bad + " mismatches, max diff " + maxDiff + ", first:" + first);
    }

    @Test
    void zeroDepthScalesCByBeta() {
        float[] c = {1f, 2f, 3f, 4f};
        Sgemm.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[2], 0, 2, 0.5f, c, 0, 2);
        assertArrayEquals(new float[] {0.5f, 1f, 1.5f, 2f}, c);
        java.util.Arrays.fill(c, Float.NaN);
        Sgemm.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[2], 0, 2, 0f, c, 0, 2);
        assertArrayEquals(new float[4], c);
    }

    /**
     * Bit-for-bit the same across task counts and between the vector and the plain micro-kernel: each element is
     * summed in one fixed order whatever tile or task it falls in.
     */
    @Test
    void deterministicAcrossTaskCountsAndKernels() {
        SplittableRandom rnd = new SplittableRandom(11);
        // the second shape has m > 4096: one task (M not split) packs K in chunks of 256, more tasks split M
        for (int[] sh : new int[][] {{151, 77, 530}, {4100, 3, 600}}) {
            int m = sh[0], n = sh[1], k = sh[2];
            float[] a = random(rnd, k * m), b = random(rnd, n * k), c0 = random(rnd, m * n);
            float[] first = null;
            for (Sgemm.Kernel kernel : kernels()) {
                for (int tasks : new int[] {1, 2, 3, 5, 8, 13}) {
                    for (int repeat = 0; repeat < 2; repeat++) {
                        float[] c = c0.clone();
                        Sgemm.sgemm(true, true, m, n, k, 0.9f, a, 0, m, b, 0, k, 0.3f, c, 0, n, new Sgemm.Config(kernel, tasks, 1));
                        if (first == null) first = c;
                        else assertArrayEquals(first, c, m + "x" + n + "x" + k + ": " + kernel + " tasks=" + tasks + " differs from the first run");
                    }
                }
            }
        }
    }

    /**
     * C element by element in the summation order of the class comment: per K block of KC, s = fma(a, b, s) from 0 in
     * the order of p; C = alpha s_0 (+ beta C), then C = alpha s_b + C. One float at a time, no tiles, no tasks.
     */
    static float[] documentedOrder(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda,
                                   float[] b, int ldb, float beta, float[] c0) {
        float[] c = c0.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                for (int p0 = 0; p0 < k; p0 += Sgemm.KC) {
                    float s = 0f;
                    for (int p = p0; p < Math.min(k, p0 + Sgemm.KC); p++) {
                        s = Math.fma(ta ? a[p * lda + i] : a[i * lda + p], tb ? b[j * ldb + p] : b[p * ldb + j], s);
                    }
                    c[i * n + j] = p0 > 0 ? alpha * s + c[i * n + j] : beta == 0f ? alpha * s : alpha * s + beta * c[i * n + j];
                }
            }
        }
        return c;
    }

    /**
     * The tiled GEMM gives the bits of {@link #documentedOrder} (what the training step's results rest on), on the
     * DCGAN benchmark's shapes made narrower (small M and K, long N; 64 x N x 520: two K blocks and a part), an M over two M
     * blocks, N over two N blocks and K ending in a partial block, with every micro-kernel and task count: the order
     * in which a task walks its tiles and blocks must not change an element's sum. One column takes
     * {@link Sgemm#column}, not the tiles: the same bits.
     */
    @Test
    void bitsAreThoseOfTheDocumentedSummationOrder() {
        SplittableRandom rnd = new SplittableRandom(13);
        // ... and one column (Sgemm's column path, not tiled) or one row: the critic's dense 7 x 7 layer (32 x 1 x 3136,
        // 1 x 3136 x 32), odd M, K over two blocks
        int[][] shapes = {{32, 600, 16}, {64, 400, 48}, {64, 100, 520}, {150, 270, 260}, {7, 40, 5},
                {32, 1, 3136}, {1, 3136, 32}, {13, 1, 600}, {1, 1500, 520}, {1, 1, 300}};
        for (int[] sh : shapes) {
            int m = sh[0], n = sh[1], k = sh[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
                if (t != 0 && m * n * k > 2_000_000) continue;     // the transposes on the smaller shapes only: keep it fast
                int lda = ta ? m : k, ldb = tb ? k : n;
                float[] a = random(rnd, m * k), b = random(rnd, k * n), c0 = random(rnd, m * n);
                for (float[] ab : new float[][] {{1f, 0f}, {-0.7f, 1.3f}}) {
                    float[] want = documentedOrder(ta, tb, m, n, k, ab[0], a, lda, b, ldb, ab[1], c0);
                    for (Sgemm.Kernel kernel : kernels()) {
                        for (int tasks : new int[] {1, 2, 3}) {
                            float[] c = c0.clone();
                            Sgemm.sgemm(ta, tb, m, n, k, ab[0], a, 0, lda, b, 0, ldb, ab[1], c, 0, n, new Sgemm.Config(kernel, tasks, 1));
                            assertArrayEquals(want, c, m + "x" + n + "x" + k + " transA=" + ta + " transB=" + tb + " alpha=" + ab[0]
                                    + " beta=" + ab[1] + ": " + kernel + " with " + tasks + " tasks is not bit for bit the documented order");
                        }
                    }
                }
            }
        }
    }

    @Test
    void rejectsLeadingDimensionsThatAreTooSmall() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Sgemm.sgemm(false, false, 2, 3, 4, 1f, new float[8], 0, 3, new float[12], 0, 3, 0f, new float[6], 0, 3));
        assertTrue(e.getMessage().contains("lda=3"), e.getMessage());
    }
}
