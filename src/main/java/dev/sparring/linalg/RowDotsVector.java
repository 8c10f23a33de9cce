package dev.sparring.linalg;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API tile of {@link RowDots}: 4 rows of A against 4 rows of B, sixteen vector accumulators that walk k
 * a vector at a time (8 doubles with AVX-512, 4 with AVX2); their lanes are then added in lane order, the tail
 * shorter than a vector one double at a time, and the sums added to C. The only class of the package that touches
 * {@code jdk.incubator.vector}; it is not loaded when the module is absent.
 */
final class RowDotsVector {
    private RowDotsVector() { }

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    /** Doubles of the scratch array {@link #tile4x4} needs: 16 vectors. */
    static int scratchLength() { return 16 * W; }

    /** The lanes of accumulator {@code acc} (0..15) added in lane order. */
    private static double sum(double[] lanes, int acc) {
        double s = 0;
        for (int l = acc * W, end = l + W; l < end; l++) s += lanes[l];
        return s;
    }

    /**
     * c[r][s] += Σ_{k < kc} a[ao + r*len + k] b[bo + s*len + k] for r, s < 4 (C row stride ldc); {@code lanes} is
     * scratch of {@link #scratchLength()} doubles.
     */
    static void tile4x4(double[] a, int ao, double[] b, int bo, int len, int kc, double[] c, int co, int ldc, double[] lanes) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00,
                c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int a0 = ao, a1 = ao + len, a2 = ao + 2 * len, a3 = ao + 3 * len;
        int b0 = bo, b1 = bo + len, b2 = bo + 2 * len, b3 = bo + 3 * len;
        int k = 0;
        for (int end = kc - W; k <= end; k += W) {
            DoubleVector y0 = DoubleVector.fromArray(S, b, b0 + k), y1 = DoubleVector.fromArray(S, b, b1 + k),
                    y2 = DoubleVector.fromArray(S, b, b2 + k), y3 = DoubleVector.fromArray(S, b, b3 + k);
            DoubleVector x = DoubleVector.fromArray(S, a, a0 + k);
            c00 = x.fma(y0, c00); c01 = x.fma(y1, c01); c02 = x.fma(y2, c02); c03 = x.fma(y3, c03);
            x = DoubleVector.fromArray(S, a, a1 + k);
            c10 = x.fma(y0, c10); c11 = x.fma(y1, c11); c12 = x.fma(y2, c12); c13 = x.fma(y3, c13);
            x = DoubleVector.fromArray(S, a, a2 + k);
            c20 = x.fma(y0, c20); c21 = x.fma(y1, c21); c22 = x.fma(y2, c22); c23 = x.fma(y3, c23);
            x = DoubleVector.fromArray(S, a, a3 + k);
            c30 = x.fma(y0, c30); c31 = x.fma(y1, c31); c32 = x.fma(y2, c32); c33 = x.fma(y3, c33);
        }
        // the lanes are summed in lane order here, not by reduceLanes, whose order is unspecified (and differs between
        // the interpreter and compiled code): the same inputs give the same bits on every run
        c00.intoArray(lanes, 0); c01.intoArray(lanes, W); c02.intoArray(lanes, 2 * W); c03.intoArray(lanes, 3 * W);
        c10.intoArray(lanes, 4 * W); c11.intoArray(lanes, 5 * W); c12.intoArray(lanes, 6 * W); c13.intoArray(lanes, 7 * W);
        c20.intoArray(lanes, 8 * W); c21.intoArray(lanes, 9 * W); c22.intoArray(lanes, 10 * W); c23.intoArray(lanes, 11 * W);
        c30.intoArray(lanes, 12 * W); c31.intoArray(lanes, 13 * W); c32.intoArray(lanes, 14 * W); c33.intoArray(lanes, 15 * W);
        double t00 = sum(lanes, 0), t01 = sum(lanes, 1), t02 = sum(lanes, 2), t03 = sum(lanes, 3);
        double t10 = sum(lanes, 4), t11 = sum(lanes, 5), t12 = sum(lanes, 6), t13 = sum(lanes, 7);
        double t20 = sum(lanes, 8), t21 = sum(lanes, 9), t22 = sum(lanes, 10), t23 = sum(lanes, 11);
        double t30 = sum(lanes, 12), t31 = sum(lanes, 13), t32 = sum(lanes, 14), t33 = sum(lanes, 15);
        for (; k < kc; k++) {                                   // the tail shorter than a vector (masked loads are slow)
            double x0 = a[a0 + k], x1 = a[a1 + k], x2 = a[a2 + k], x3 = a[a3 + k];
            double y0 = b[b0 + k], y1 = b[b1 + k], y2 = b[b2 + k], y3 = b[b3 + k];
            t00 = Math.fma(x0, y0, t00); t01 = Math.fma(x0, y1, t01); t02 = Math.fma(x0, y2, t02); t03 = Math.fma(x0, y3, t03);
            t10 = Math.fma(x1, y0, t10); t11 = Math.fma(x1, y1, t11); t12 = Math.fma(x1, y2, t12); t13 = Math.fma(x1, y3, t13);
            t20 = Math.fma(x2, y0, t20); t21 = Math.fma(x2, y1, t21); t22 = Math.fma(x2, y2, t22); t23 = Math.fma(x2, y3, t23);
            t30 = Math.fma(x3, y0, t30); t31 = Math.fma(x3, y1, t31); t32 = Math.fma(x3, y2, t32); t33 = Math.fma(x3, y3, t33);
        }
        int r0 = co, r1 = co + ldc, r2 = co + 2 * ldc, r3 = co + 3 * ldc;
        c[r0] += t00; c[r0 + 1] += t01; c[r0 + 2] += t02; c[r0 + 3] += t03;
        c[r1] += t10; c[r1 + 1] += t11; c[r1 + 2] += t12; c[r1 + 3] += t13;
        c[r2] += t20; c[r2 + 1] += t21; c[r2 + 2] += t22; c[r2 + 3] += t23;
        c[r3] += t30; c[r3 + 1] += t31; c[r3 + 2] += t32; c[r3 + 3] += t33;
    }
}
