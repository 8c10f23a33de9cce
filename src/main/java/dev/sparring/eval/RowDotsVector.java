package dev.sparring.eval;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

import static jdk.incubator.vector.VectorOperators.ADD;

/**
 * The Vector API tile of {@link RowDots}: 4 rows of A against 4 rows of B, sixteen vector accumulators that walk k
 * a vector at a time (8 doubles with AVX-512, 4 with AVX2), then reduced; the tail shorter than a vector runs one double at a time; the sums are added to C. The only class of the package
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
        double t00 = c00.reduceLanes(ADD), t01 = c01.reduceLanes(ADD), t02 = c02.reduceLanes(ADD), t03 = c03.reduceLanes(ADD);
        double t10 = c10.reduceLanes(ADD), t11 = c11.reduceLanes(ADD), t12 = c12.reduceLanes(ADD), t13 = c13.reduceLanes(ADD);
        double t20 = c20.reduceLanes(ADD), t21 = c21.reduceLanes(ADD), t22 = c22.reduceLanes(ADD), t23 = c23.reduceLanes(ADD);
        double t30 = c30.reduceLanes(ADD), t31 = c31.reduceLanes(ADD), t32 = c32.reduceLanes(ADD), t33 = c33.reduceLanes(ADD);
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
