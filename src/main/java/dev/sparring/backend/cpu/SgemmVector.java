package dev.sparring.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-kernels: {@link #tile512} and {@link #tile256} for {@link Sgemm}, and {@link #dot4x3} for
 * {@link ConvDot}; and {@link #packPanels}, B's rows copied into panels. tile512 holds an 8 x 32 tile of C in sixteen
 * 16-float registers (each step p loads one 32-float row of the B panel, two vectors, broadcasts the 8 A values of the
 * A panel's row p, and does 16 FMAs), tile256 a 6 x 16 tile in twelve 8-float registers (2 vectors, 6 broadcasts, 12
 * FMAs); per lane both are exactly {@link Sgemm#plainTile}: s = fma(a, b, s) in the order of p. Each writes the tile
 * update inline: a helper taking the accumulators would box them. On Zen 4 (AVX-512 on 256-bit units) tile512 does
 * the same FMAs in half the instructions: alone on one core about 100 GFLOP/s against tile256's 85.
 *
 * <p>With {@link ActivationVector}, the only classes that touch {@code jdk.incubator.vector}: without that module
 * neither is ever loaded ({@link Sgemm#VECTOR_BITS} checks for the module before calling them).
 */
final class SgemmVector {
    private SgemmVector() { }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256, Z = FloatVector.SPECIES_512;

    /** Width of the CPU's preferred float vectors, in bits; the 6 x 16 tile needs at least 256. */
    static int preferredBits() { return FloatVector.SPECIES_PREFERRED.vectorBitSize(); }

    /** C tile (6, 16) at co, row stride ldc = alpha A panel (kc, 6)^T x B panel (kc, 16) + beta C tile. */
    static void tile256(int kc, float[] a, int ao, float[] b, int bo, float alpha, float beta, float[] c, int co, int ldc) {
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

    /** C tile (8, 32) at co, row stride ldc = alpha A panel (kc, 8)^T x B panel (kc, 32) + beta C tile. */
    static void tile512(int kc, float[] a, int ao, float[] b, int bo, float alpha, float beta, float[] c, int co, int ldc) {
        FloatVector c00 = FloatVector.zero(Z), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
                c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int p = 0; p < kc; p++) {
            int ai = ao + p * 8, bi = bo + p * 32;
            FloatVector b0 = FloatVector.fromArray(Z, b, bi), b1 = FloatVector.fromArray(Z, b, bi + 16);
            FloatVector av = FloatVector.broadcast(Z, a[ai]);
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(Z, a[ai + 1]);
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(Z, a[ai + 2]);
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(Z, a[ai + 3]);
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
            av = FloatVector.broadcast(Z, a[ai + 4]);
            c40 = av.fma(b0, c40);
            c41 = av.fma(b1, c41);
            av = FloatVector.broadcast(Z, a[ai + 5]);
            c50 = av.fma(b0, c50);
            c51 = av.fma(b1, c51);
            av = FloatVector.broadcast(Z, a[ai + 6]);
            c60 = av.fma(b0, c60);
            c61 = av.fma(b1, c61);
            av = FloatVector.broadcast(Z, a[ai + 7]);
            c70 = av.fma(b0, c70);
            c71 = av.fma(b1, c71);
        }
        if (beta == 0f) {                                         // C is not read
            c00.mul(alpha).intoArray(c, co);
            c01.mul(alpha).intoArray(c, co + 16);
            c10.mul(alpha).intoArray(c, co + ldc);
            c11.mul(alpha).intoArray(c, co + ldc + 16);
            c20.mul(alpha).intoArray(c, co + 2 * ldc);
            c21.mul(alpha).intoArray(c, co + 2 * ldc + 16);
            c30.mul(alpha).intoArray(c, co + 3 * ldc);
            c31.mul(alpha).intoArray(c, co + 3 * ldc + 16);
            c40.mul(alpha).intoArray(c, co + 4 * ldc);
            c41.mul(alpha).intoArray(c, co + 4 * ldc + 16);
            c50.mul(alpha).intoArray(c, co + 5 * ldc);
            c51.mul(alpha).intoArray(c, co + 5 * ldc + 16);
            c60.mul(alpha).intoArray(c, co + 6 * ldc);
            c61.mul(alpha).intoArray(c, co + 6 * ldc + 16);
            c70.mul(alpha).intoArray(c, co + 7 * ldc);
            c71.mul(alpha).intoArray(c, co + 7 * ldc + 16);
        } else {
            FloatVector vb = FloatVector.broadcast(Z, beta);
            c00.mul(alpha).add(FloatVector.fromArray(Z, c, co).mul(vb)).intoArray(c, co);
            c01.mul(alpha).add(FloatVector.fromArray(Z, c, co + 16).mul(vb)).intoArray(c, co + 16);
            c10.mul(alpha).add(FloatVector.fromArray(Z, c, co + ldc).mul(vb)).intoArray(c, co + ldc);
            c11.mul(alpha).add(FloatVector.fromArray(Z, c, co + ldc + 16).mul(vb)).intoArray(c, co + ldc + 16);
            c20.mul(alpha).add(FloatVector.fromArray(Z, c, co + 2 * ldc).mul(vb)).intoArray(c, co + 2 * ldc);
            c21.mul(alpha).add(FloatVector.fromArray(Z, c, co + 2 * ldc + 16).mul(vb)).intoArray(c, co + 2 * ldc + 16);
            c30.mul(alpha).add(FloatVector.fromArray(Z, c, co + 3 * ldc).mul(vb)).intoArray(c, co + 3 * ldc);
            c31.mul(alpha).add(FloatVector.fromArray(Z, c, co + 3 * ldc + 16).mul(vb)).intoArray(c, co + 3 * ldc + 16);
            c40.mul(alpha).add(FloatVector.fromArray(Z, c, co + 4 * ldc).mul(vb)).intoArray(c, co + 4 * ldc);
            c41.mul(alpha).add(FloatVector.fromArray(Z, c, co + 4 * ldc + 16).mul(vb)).intoArray(c, co + 4 * ldc + 16);
            c50.mul(alpha).add(FloatVector.fromArray(Z, c, co + 5 * ldc).mul(vb)).intoArray(c, co + 5 * ldc);
            c51.mul(alpha).add(FloatVector.fromArray(Z, c, co + 5 * ldc + 16).mul(vb)).intoArray(c, co + 5 * ldc + 16);
            c60.mul(alpha).add(FloatVector.fromArray(Z, c, co + 6 * ldc).mul(vb)).intoArray(c, co + 6 * ldc);
            c61.mul(alpha).add(FloatVector.fromArray(Z, c, co + 6 * ldc + 16).mul(vb)).intoArray(c, co + 6 * ldc + 16);
            c70.mul(alpha).add(FloatVector.fromArray(Z, c, co + 7 * ldc).mul(vb)).intoArray(c, co + 7 * ldc);
            c71.mul(alpha).add(FloatVector.fromArray(Z, c, co + 7 * ldc + 16).mul(vb)).intoArray(c, co + 7 * ldc + 16);
        }
    }

    /**
     * Copies rows of B into panels (see {@link Sgemm.Dense#packPanels}): for p < kc and x < count, a multiple of width
     * (itself a multiple of 8), dst[off + (x / width)*width*kc + p*width + x % width] = src[so + p*ld + x]. 16-float
     * vectors where the CPU has them and width allows, else 8-float ones.
     */
    static void packPanels(float[] src, int so, int ld, int kc, int count, int width, float[] dst, int off) {
        boolean wide = Z.length() <= width && width % Z.length() == 0 && preferredBits() >= 512;
        for (int p = 0; p < kc; p++) {
            int s = so + p * ld;
            for (int x = 0, d = off + p * width; x < count; x += width, d += width * kc) {
                if (wide) {
                    for (int l = 0; l < width; l += 16) FloatVector.fromArray(Z, src, s + x + l).intoArray(dst, d + l);
                } else {
                    for (int l = 0; l < width; l += 8) FloatVector.fromArray(S, src, s + x + l).intoArray(dst, d + l);
                }
            }
        }
    }

    /** 0, 1, ..., 7: lane numbers, to mask the tail of a row. */
    private static final FloatVector IOTA = FloatVector.fromArray(S, new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 0);

    /**
     * The dot-product kernel of {@link ConvDot}, for a 4 x 3 tile: adds the products of A rows a0..a3 and B rows b0..b2
     * to the tile's 12 x 8 lanes at state[so..], lane l taking positions q = l (mod 8). The rows are len floats; the
     * last vector reads on past len (so the caller makes sure that is inside the arrays), its lanes past len are set
     * to 0 in A, and B is 0 there too: they add fma(0, 0, s). Per lane this is exactly {@link ConvDot#plainDot}.
     */
    static void dot4x3(float[] a, int a0, int a1, int a2, int a3, float[] b, int b0, int b1, int b2, int len, float[] state, int so) {
        FloatVector s00 = FloatVector.fromArray(S, state, so), s01 = FloatVector.fromArray(S, state, so + 8),
                s02 = FloatVector.fromArray(S, state, so + 16), s10 = FloatVector.fromArray(S, state, so + 24),
                s11 = FloatVector.fromArray(S, state, so + 32), s12 = FloatVector.fromArray(S, state, so + 40),
                s20 = FloatVector.fromArray(S, state, so + 48), s21 = FloatVector.fromArray(S, state, so + 56),
                s22 = FloatVector.fromArray(S, state, so + 64), s30 = FloatVector.fromArray(S, state, so + 72),
                s31 = FloatVector.fromArray(S, state, so + 80), s32 = FloatVector.fromArray(S, state, so + 88);
        FloatVector zero = FloatVector.zero(S);
        for (int q = 0; q < len; q += 8) {
            VectorMask<Float> past = IOTA.compare(VectorOperators.GE, (float) (len - q));     // all false but in the last step
            FloatVector v0 = FloatVector.fromArray(S, b, b0 + q), v1 = FloatVector.fromArray(S, b, b1 + q), v2 = FloatVector.fromArray(S, b, b2 + q);
            FloatVector u = FloatVector.fromArray(S, a, a0 + q).blend(zero, past);
            s00 = u.fma(v0, s00);
            s01 = u.fma(v1, s01);
            s02 = u.fma(v2, s02);
            u = FloatVector.fromArray(S, a, a1 + q).blend(zero, past);
            s10 = u.fma(v0, s10);
            s11 = u.fma(v1, s11);
            s12 = u.fma(v2, s12);
            u = FloatVector.fromArray(S, a, a2 + q).blend(zero, past);
            s20 = u.fma(v0, s20);
            s21 = u.fma(v1, s21);
            s22 = u.fma(v2, s22);
            u = FloatVector.fromArray(S, a, a3 + q).blend(zero, past);
            s30 = u.fma(v0, s30);
            s31 = u.fma(v1, s31);
            s32 = u.fma(v2, s32);
        }
        s00.intoArray(state, so);
        s01.intoArray(state, so + 8);
        s02.intoArray(state, so + 16);
        s10.intoArray(state, so + 24);
        s11.intoArray(state, so + 32);
        s12.intoArray(state, so + 40);
        s20.intoArray(state, so + 48);
        s21.intoArray(state, so + 56);
        s22.intoArray(state, so + 64);
        s30.intoArray(state, so + 72);
        s31.intoArray(state, so + 80);
        s32.intoArray(state, so + 88);
    }
}
