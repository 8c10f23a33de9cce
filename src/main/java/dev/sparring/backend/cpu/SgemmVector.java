package dev.sparring.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernel of {@link Sgemm}: a 6 x 16 tile of C in twelve 8-float registers. Each step p
 * loads one 16-float row of the B panel (two vectors), broadcasts the 6 A values of the A panel's row p, and does
 * 12 FMAs. Per lane this is exactly {@link Sgemm#plainTile}: s = fma(a, b, s) in the order of p.
 *
 * <p>The only class that touches {@code jdk.incubator.vector}: without that module it is never loaded
 * ({@link Sgemm#VECTOR} checks for the module before calling it).
 */
final class SgemmVector {
    private SgemmVector() { }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

    /** Width of the CPU's preferred float vectors, in bits; the 6 x 16 tile needs at least 256. */
    static int preferredBits() { return FloatVector.SPECIES_PREFERRED.vectorBitSize(); }

    /** C tile (6, 16) at co, row stride ldc = alpha A panel (kc, 6)^T x B panel (kc, 16) + beta C tile. */
    static void tile(int kc, float[] a, int ao, float[] b, int bo, float alpha, float beta, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
                c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 6, bi = bo + p * 16;
            FloatVector b0 = FloatVector.fromArray(S, b, bi), b1 = FloatVector.fromArray(S, b, bi + 8);
            FloatVector av = FloatVector.broadcast(S, a[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(S, a[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(S, a[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(S, a[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(S, a[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(S, a[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
        }
        if (beta == 0f) {                                         // C is not read
            c00.mul(alpha).intoArray(c, co);
            c01.mul(alpha).intoArray(c, co + 8);
            c10.mul(alpha).intoArray(c, co + ldc);
            c11.mul(alpha).intoArray(c, co + ldc + 8);
            c20.mul(alpha).intoArray(c, co + 2 * ldc);
            c21.mul(alpha).intoArray(c, co + 2 * ldc + 8);
            c30.mul(alpha).intoArray(c, co + 3 * ldc);
            c31.mul(alpha).intoArray(c, co + 3 * ldc + 8);
            c40.mul(alpha).intoArray(c, co + 4 * ldc);
            c41.mul(alpha).intoArray(c, co + 4 * ldc + 8);
            c50.mul(alpha).intoArray(c, co + 5 * ldc);
            c51.mul(alpha).intoArray(c, co + 5 * ldc + 8);
        } else {
            FloatVector vb = FloatVector.broadcast(S, beta);
            c00.mul(alpha).add(FloatVector.fromArray(S, c, co).mul(vb)).intoArray(c, co);
            c01.mul(alpha).add(FloatVector.fromArray(S, c, co + 8).mul(vb)).intoArray(c, co + 8);
            c10.mul(alpha).add(FloatVector.fromArray(S, c, co + ldc).mul(vb)).intoArray(c, co + ldc);
            c11.mul(alpha).add(FloatVector.fromArray(S, c, co + ldc + 8).mul(vb)).intoArray(c, co + ldc + 8);
            c20.mul(alpha).add(FloatVector.fromArray(S, c, co + 2 * ldc).mul(vb)).intoArray(c, co + 2 * ldc);
            c21.mul(alpha).add(FloatVector.fromArray(S, c, co + 2 * ldc + 8).mul(vb)).intoArray(c, co + 2 * ldc + 8);
            c30.mul(alpha).add(FloatVector.fromArray(S, c, co + 3 * ldc).mul(vb)).intoArray(c, co + 3 * ldc);
            c31.mul(alpha).add(FloatVector.fromArray(S, c, co + 3 * ldc + 8).mul(vb)).intoArray(c, co + 3 * ldc + 8);
            c40.mul(alpha).add(FloatVector.fromArray(S, c, co + 4 * ldc).mul(vb)).intoArray(c, co + 4 * ldc);
            c41.mul(alpha).add(FloatVector.fromArray(S, c, co + 4 * ldc + 8).mul(vb)).intoArray(c, co + 4 * ldc + 8);
            c50.mul(alpha).add(FloatVector.fromArray(S, c, co + 5 * ldc).mul(vb)).intoArray(c, co + 5 * ldc);
            c51.mul(alpha).add(FloatVector.fromArray(S, c, co + 5 * ldc + 8).mul(vb)).intoArray(c, co + 5 * ldc + 8);
        }
    }
}
