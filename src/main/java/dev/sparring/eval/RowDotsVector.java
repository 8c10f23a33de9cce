package dev.sparring.eval;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.ADD;

/**
 * The Vector API tile of {@link RowDots}: 4 rows of A against 4 rows of B, sixteen vector accumulators that walk k
 * a vector at a time (8 doubles with AVX-512, 4 with AVX2), the last one masked, then reduced and added to C. The only class of the package
 * that touches {@code jdk.incubator.vector}; it is not loaded when the module is absent.
 */
final class RowDotsVector {
    private RowDotsVector() { }

    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int W = S.length();

    /** c[r][s] += Σ_{k < kc} a[ao + r*len + k] b[bo + s*len + k] for r, s < 4 (C row stride ldc). */
    static void tile4x4(double[] a, int ao, double[] b, int bo, int len, int kc, double[] c, int co, int ldc) {
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
        if (k < kc) {                                           // the tail shorter than a vector, masked
            VectorMask<Double> m = S.indexInRange(k, kc);
            DoubleVector y0 = DoubleVector.fromArray(S, b, b0 + k, m), y1 = DoubleVector.fromArray(S, b, b1 + k, m),
                    y2 = DoubleVector.fromArray(S, b, b2 + k, m), y3 = DoubleVector.fromArray(S, b, b3 + k, m);
            DoubleVector x = DoubleVector.fromArray(S, a, a0 + k, m);
            c00 = x.fma(y0, c00); c01 = x.fma(y1, c01); c02 = x.fma(y2, c02); c03 = x.fma(y3, c03);
            x = DoubleVector.fromArray(S, a, a1 + k, m);
            c10 = x.fma(y0, c10); c11 = x.fma(y1, c11); c12 = x.fma(y2, c12); c13 = x.fma(y3, c13);
            x = DoubleVector.fromArray(S, a, a2 + k, m);
            c20 = x.fma(y0, c20); c21 = x.fma(y1, c21); c22 = x.fma(y2, c22); c23 = x.fma(y3, c23);
            x = DoubleVector.fromArray(S, a, a3 + k, m);
            c30 = x.fma(y0, c30); c31 = x.fma(y1, c31); c32 = x.fma(y2, c32); c33 = x.fma(y3, c33);
        }
        int r0 = co, r1 = co + ldc, r2 = co + 2 * ldc, r3 = co + 3 * ldc;
        c[r0] += c00.reduceLanes(ADD); c[r0 + 1] += c01.reduceLanes(ADD); c[r0 + 2] += c02.reduceLanes(ADD); c[r0 + 3] += c03.reduceLanes(ADD);
        c[r1] += c10.reduceLanes(ADD); c[r1 + 1] += c11.reduceLanes(ADD); c[r1 + 2] += c12.reduceLanes(ADD); c[r1 + 3] += c13.reduceLanes(ADD);
        c[r2] += c20.reduceLanes(ADD); c[r2 + 1] += c21.reduceLanes(ADD); c[r2 + 2] += c22.reduceLanes(ADD); c[r2 + 3] += c23.reduceLanes(ADD);
        c[r3] += c30.reduceLanes(ADD); c[r3 + 1] += c31.reduceLanes(ADD); c[r3 + 2] += c32.reduceLanes(ADD); c[r3 + 3] += c33.reduceLanes(ADD);
    }
}
