package dev.sparring.linalg;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RowDotsTest {
    private static double[] random(SplittableRandom r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = r.nextDouble(-1, 1);
        return v;
    }

    /** c (pre-filled with 1) + a bᵀ, for every tile shape and every path: vector or plain, serial or parallel. */
    @Test
    void matchesTheTripleLoopOnEveryEdgeShape() {
        SplittableRandom r = new SplittableRandom(1);
        int[][] shapes = {{1, 1, 1}, {3, 5, 7}, {4, 4, 8}, {5, 9, 300}, {67, 13, 257}, {130, 70, 513}, {64, 64, 1}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], len = s[2], ldc = n + 3;
            double[] a = random(r, m * len), b = random(r, n * len);
            double[] want = new double[m * ldc];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 1;
                    for (int k = 0; k < len; k++) sum += a[i * len + k] * b[j * len + k];
                    want[i * ldc + j] = sum;
                }
            }
            for (boolean vector : RowDots.VECTOR ? new boolean[] {true, false} : new boolean[] {false}) {
                for (boolean parallel : new boolean[] {true, false}) {
                    double[] c = new double[m * ldc];
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) c[i * ldc + j] = 1;
                    RowDots.accumulate(a, m, b, n, len, c, ldc, false, false, vector, parallel);
                    for (int i = 0; i < m * ldc; i++) {
                        assertEquals(want[i], c[i], 1e-12 * len, "m=" + m + " n=" + n + " len=" + len + " vector=" + vector + " at " + i);
                    }
                }
            }
        }
    }

    /**
     * The same inputs give the same bits before and after the JIT compiles the kernel, serial or parallel (the lanes
     * are added in lane order, not by reduceLanes, whose order differs between the interpreter and compiled code).
     */
    @Test
    void sameBitsColdAndWarm() {
        SplittableRandom r = new SplittableRandom(4);
        int m = 40, n = 36, len = 1000;
        double[] a = random(r, m * len), b = random(r, n * len);
        double[] first = new double[m * n];
        RowDots.accumulate(a, m, b, n, len, first, n, false);
        for (int rep = 0; rep < 300; rep++) {
            double[] c = new double[m * n];
            RowDots.accumulate(a, m, b, n, len, c, n, false, false, RowDots.VECTOR, rep % 2 == 0);
            assertArrayEquals(first, c, "repetition " + rep);
        }
    }

    /** With upperA, an upper-triangular A (zeros before the diagonal) gives the full product, tile edges included. */
    @Test
    void upperTriangularA() {
        SplittableRandom r = new SplittableRandom(3);
        for (int[] s : new int[][] {{5, 7, 5}, {67, 40, 67}, {300, 300, 300}, {130, 9, 600}}) {
            int m = s[0], n = s[1], len = s[2];
            double[] a = random(r, m * len), b = random(r, n * len);
            for (int i = 0; i < m; i++) for (int k = 0; k < Math.min(i, len); k++) a[i * len + k] = 0;
            double[] c = new double[m * n];
            RowDots.accumulateUpperA(a, m, b, n, len, c, n);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int k = 0; k < len; k++) sum += a[i * len + k] * b[j * len + k];
                    assertEquals(sum, c[i * n + j], 1e-12 * len, m + "x" + n + "x" + len + " (" + i + ", " + j + ")");
                }
            }
        }
    }

    /** With upper, every element on or above the diagonal is right; nothing outside the matrix is touched. */
    @Test
    void upperComputesTheUpperTriangle() {
        SplittableRandom r = new SplittableRandom(2);
        for (int n : new int[] {1, 6, 64, 131}) {
            int len = 77;
            double[] a = random(r, n * len);
            double[] c = new double[n * n];
            RowDots.accumulate(a, n, a, n, len, c, n, true);
            for (int i = 0; i < n; i++) {
                for (int j = i; j < n; j++) {
                    double sum = 0;
                    for (int k = 0; k < len; k++) sum += a[i * len + k] * a[j * len + k];
                    assertEquals(sum, c[i * n + j], 1e-12 * len, "n=" + n + " (" + i + ", " + j + ")");
                }
            }
            int skipped = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) if (c[i * n + j] == 0) skipped++;
            assertTrue(n < 8 || skipped > n * (n - 1) / 4, "most of the lower triangle is skipped, n=" + n);
        }
    }
}
