package dev.sparring.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class ConvTest {

    /** (N, C, H, W, K, R, S, stride, pad) or per axis: strides 1-3, pads 0-3, non-square images and kernels, C = 1, odd K. */
    static final Conv.Geometry[] GEOMETRIES = {
            new Conv.Geometry(2, 1, 28, 28, 8, 4, 4, 2, 1),      // DCGAN D conv1 / G last convT, small batch
            new Conv.Geometry(3, 8, 14, 14, 16, 4, 4, 2, 1),     // DCGAN D conv2 shape
            new Conv.Geometry(1, 3, 9, 7, 5, 3, 3, 1, 1),
            new Conv.Geometry(2, 5, 10, 13, 7, 3, 2, 1, 0),
            new Conv.Geometry(3, 2, 11, 9, 3, 5, 3, 2, 2),
            new Conv.Geometry(1, 4, 8, 8, 1, 1, 1, 1, 0),
            new Conv.Geometry(2, 3, 12, 10, 9, 4, 4, 3, 2),
            new Conv.Geometry(2, 70, 4, 4, 20, 4, 4, 2, 1),      // C*R*S = 1120 spans several K blocks
            new Conv.Geometry(2, 2, 1, 3, 3, 5, 5, 1, 2),        // kernel wider than the padded image: some taps never valid
            new Conv.Geometry(3, 3, 54, 54, 7, 4, 4, 2, 1),      // filter gradient by ConvDot, PQ = 729 not a multiple of 8
            new Conv.Geometry(2, 1, 20, 20, 9, 2, 2, 2, 0),      // C*R*S = 4: ConvDot splits the filters across tasks too
            new Conv.Geometry(2, 6, 9, 8, 5, 1, 7, 1, 1, 0, 3),  // Inception's 1x7, padding (0, 3): ConvDot filter gradient
            new Conv.Geometry(2, 12, 8, 9, 6, 7, 1, 1, 1, 3, 0), // and 7x1, padding (3, 0): C*R*S = 84, the GEMM path
            new Conv.Geometry(2, 5, 11, 12, 4, 3, 1, 2, 1, 1, 0), // 3x1, stride (2, 1), padding (1, 0)
            new Conv.Geometry(3, 4, 9, 13, 3, 2, 3, 1, 3, 0, 2), // stride (1, 3), padding (0, 2): the W stride's general path
            new Conv.Geometry(3, 5, 7, 7, 1, 7, 7, 1, 0),        // DCGAN D's last conv (K = 1): ConvDense
            new Conv.Geometry(1, 70, 5, 3, 9, 5, 3, 2, 0),       // dense, batch 1, non-square, C*R*S = 1050 spans K blocks
            new Conv.Geometry(4, 1, 3, 3, 2, 3, 3, 1, 0),        // dense, C = 1, C*R*S = 9
            new Conv.Geometry(5, 2, 30, 30, 120, 3, 3, 1, 1),    // implicit forward in slices of 2, 2, 1 images
            new Conv.Geometry(2, 2, 40, 40, 200, 3, 3, 1, 1),    // implicit forward one image at a time, in place
    };

    /** Geometries of the fast paths, for the bit-for-bit checks against the im2col paths: GEOMETRIES and the DCGAN's. */
    static Conv.Geometry[] fastPathGeometries() {
        Conv.Geometry[] dcgan = {
                new Conv.Geometry(32, 1, 28, 28, 32, 4, 4, 2, 1),    // D conv1, G's last convT
                new Conv.Geometry(32, 32, 14, 14, 64, 4, 4, 2, 1),   // D conv2, G's middle convT
                new Conv.Geometry(32, 64, 7, 7, 1, 7, 7, 1, 0),      // D's last conv
                new Conv.Geometry(32, 64, 7, 7, 74, 7, 7, 1, 0),     // G's first convT (conditional: nz 64 + 10 classes)
                new Conv.Geometry(1, 32, 14, 14, 64, 4, 4, 2, 1),    // batch 1
        };
        Conv.Geometry[] all = java.util.Arrays.copyOf(GEOMETRIES, GEOMETRIES.length + dcgan.length);
        System.arraycopy(dcgan, 0, all, GEOMETRIES.length, dcgan.length);
        return all;
    }

    static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /** Calls body(n, k, c, p, q, r, s, ih, iw) for every product term x[n,c,ih,iw] w[k,c,r,s] of the direct convolution. */
    interface Term { void at(int n, int k, int c, int p, int q, int r, int s, int ih, int iw); }

    static void direct(Conv.Geometry g, Term t) {
        for (int n = 0; n < g.n(); n++)
            for (int k = 0; k < g.k(); k++)
                for (int p = 0; p < g.p(); p++)
                    for (int q = 0; q < g.q(); q++)
                        for (int c = 0; c < g.c(); c++)
                            for (int r = 0; r < g.r(); r++)
                                for (int s = 0; s < g.s(); s++) {
                                    int ih = p * g.strideH() - g.padH() + r, iw = q * g.strideW() - g.padW() + s;
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) t.at(n, k, c, p, q, r, s, ih, iw);
                                }
    }

    static int xi(Conv.Geometry g, int n, int c, int h, int w) { return ((n * g.c() + c) * g.h() + h) * g.w() + w; }

    static int yi(Conv.Geometry g, int n, int k, int p, int q) { return ((n * g.k() + k) * g.p() + p) * g.q() + q; }

    static int wi(Conv.Geometry g, int k, int c, int r, int s) { return ((k * g.c() + c) * g.r() + r) * g.s() + s; }

    /**
     * Inputs in [-1, 1]; a sum of T terms in float has error at most about T 2^-24 times the sum of |terms|, itself at
     * most T: 1e-6 T is a wide margin for the T <= a few thousand terms here, while a wrong index is off by O(1).
     */
    static void check(String what, double[] ref, float[] got, int terms) {
        double atol = 1e-6 * terms, rtol = 1e-5, maxDiff = 0;
        int bad = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs(got[i] - ref[i]);
            maxDiff = Math.max(maxDiff, d);
            if (!(d <= atol + rtol * Math.abs(ref[i])) && bad++ < 5) first.append(String.format(" [%d]: got %s want %s;", i, got[i], ref[i]));
        }
        if (bad > 0) fail(what + ": " + bad + " mismatches of " + ref.length + ", max diff " + maxDiff + ", first:" + first);
    }

    @Test
    void forwardMatchesDirectConvolution() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (Conv.Geometry g : GEOMETRIES) {
            float[] x = random(rnd, g.n() * g.c() * g.h() * g.w()), w = random(rnd, g.k() * g.crs());
            float[] y = new float[g.n() * g.k() * g.pq()];
            java.util.Arrays.fill(y, Float.NaN);                     // forward writes every output
            double[] ref = new double[y.length];
            direct(g, (n, k, c, p, q, r, s, ih, iw) -> ref[yi(g, n, k, p, q)] += (double) x[xi(g, n, c, ih, iw)] * w[wi(g, k, c, r, s)]);
            Conv.forward(y, x, w, g);
            check("forward " + g, ref, y, g.crs());
        }
    }

    @Test
    void backwardDataMatchesDirectConvolutionWrittenAndAccumulated() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (Conv.Geometry g : GEOMETRIES) {
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] dy = random(rnd, g.n() * g.k() * g.pq()), w = random(rnd, g.k() * g.crs());
                float[] dx = random(rnd, g.n() * g.c() * g.h() * g.w());
                double[] ref = new double[dx.length];
                if (accumulate) for (int i = 0; i < dx.length; i++) ref[i] = dx[i];
                direct(g, (n, k, c, p, q, r, s, ih, iw) -> ref[xi(g, n, c, ih, iw)] += (double) dy[yi(g, n, k, p, q)] * w[wi(g, k, c, r, s)]);
                Conv.backwardData(dx, dy, w, g, accumulate);
                check("backwardData accumulate=" + accumulate + " " + g, ref, dx, g.k() * g.r() * g.s() + 1);
            }
        }
    }

    @Test
    void backwardFilterMatchesDirectConvolutionWrittenAndAccumulated() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (Conv.Geometry g : GEOMETRIES) {
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] x = random(rnd, g.n() * g.c() * g.h() * g.w()), dy = random(rnd, g.n() * g.k() * g.pq());
                float[] dw = random(rnd, g.k() * g.crs());
                double[] ref = new double[dw.length];
                if (accumulate) for (int i = 0; i < dw.length; i++) ref[i] = dw[i];
                direct(g, (n, k, c, p, q, r, s, ih, iw) -> ref[wi(g, k, c, r, s)] += (double) x[xi(g, n, c, ih, iw)] * dy[yi(g, n, k, p, q)]);
                Conv.backwardFilter(dw, x, dy, g, accumulate);
                check("backwardFilter accumulate=" + accumulate + " " + g, ref, dw, g.n() * g.pq() + 1);
            }
        }
    }

    /**
     * The fast paths (the implicit-GEMM forward, ConvDense's three passes) give the bits of the im2col paths they stand
     * beside, which the tests above check against the direct convolution: same products, same order, same K blocks.
     */
    @Test
    void fastPathsGiveTheBitsOfTheIm2colPaths() {
        SplittableRandom rnd = new SplittableRandom(5);
        for (Conv.Geometry g : fastPathGeometries()) {
            float[] x = random(rnd, g.n() * g.c() * g.h() * g.w()), w = random(rnd, g.k() * g.crs());
            float[] dy = random(rnd, g.n() * g.k() * g.pq()), dx0 = random(rnd, x.length), dw0 = random(rnd, w.length);
            for (Sgemm.Config cfg : new Sgemm.Config[] {Sgemm.Config.DEFAULT, new Sgemm.Config(Sgemm.BEST, 3, 1), new Sgemm.Config(Sgemm.Kernel.PLAIN, 2, 1)}) {
                float[] want = new float[dy.length], got = new float[dy.length];
                Conv.forwardIm2col(want, x, w, g, cfg);
                Conv.forwardImplicit(got, x, w, g, cfg);
                assertArrayEquals(want, got, "implicit forward " + g + " " + cfg);
                if (!ConvDense.applies(g)) continue;
                ConvDense.forward(got, x, w, g, cfg);
                assertArrayEquals(want, got, "dense forward " + g + " " + cfg);
                for (boolean accumulate : new boolean[] {false, true}) {
                    float[] dxWant = dx0.clone(), dxGot = dx0.clone(), dwWant = dw0.clone(), dwGot = dw0.clone();
                    Conv.backwardDataIm2col(dxWant, dy, w, g, accumulate, cfg);
                    ConvDense.backwardData(dxGot, dy, w, g, accumulate, cfg);
                    assertArrayEquals(dxWant, dxGot, "dense backwardData accumulate=" + accumulate + " " + g + " " + cfg);
                    Conv.backwardFilterGemm(dwWant, x, dy, g, accumulate, cfg);
                    ConvDense.backwardFilter(dwGot, x, dy, g, accumulate, cfg);
                    assertArrayEquals(dwWant, dwGot, "dense backwardFilter accumulate=" + accumulate + " " + g + " " + cfg);
                }
            }
        }
    }

    /**
     * Geometries for {@link ConvPhase}'s three passes, which give the im2col paths' bits wherever W is strided (where
     * they are taken is a matter of speed): the DCGAN's strided layers and odd ones (odd sizes, R != S, per-axis strides and
     * pads, stride 1 along H, a kernel shorter than the stride, C not a multiple of 32, K past one K block).
     */
    static Conv.Geometry[] phaseGeometries() {
        Conv.Geometry[] odd = {
                new Conv.Geometry(5, 9, 13, 11, 6, 4, 4, 2, 1),          // odd sizes, batch 5
                new Conv.Geometry(3, 10, 15, 17, 7, 5, 3, 2, 2, 2, 1),   // 5 x 3, pads (2, 1)
                new Conv.Geometry(2, 8, 12, 16, 5, 3, 4, 1, 2, 1, 1),    // stride (1, 2): one phase along H
                new Conv.Geometry(4, 12, 16, 16, 9, 2, 2, 2, 0),         // 2 x 2 stride 2: no extra columns
                new Conv.Geometry(2, 6, 13, 14, 3, 1, 3, 3, 3, 0, 1),    // 1 x 3 stride 3: input rows no tap reads
                new Conv.Geometry(3, 4, 10, 11, 5, 3, 3, 2, 3, 1, 1),    // stride (2, 3)
                new Conv.Geometry(7, 16, 8, 8, 33, 4, 4, 2, 1),          // 4 x 4 outputs, a quarter extra columns
                new Conv.Geometry(2, 40, 10, 9, 12, 4, 4, 2, 1),         // C*R*S = 640: K blocks; runs of 40 channels
        };
        return java.util.stream.Stream.concat(java.util.Arrays.stream(fastPathGeometries()), java.util.Arrays.stream(odd))
                .filter(g -> g.strideW() > 1).toArray(Conv.Geometry[]::new);
    }

    /**
     * The phase paths give the bits of the im2col paths (which the tests above check against the direct convolution),
     * written and accumulated, on 1 to 3 tasks and with either micro-kernel; the gradients they add to hold -0 in
     * places (an add of +0 would turn it into +0).
     */
    @Test
    void phasePathsGiveTheBitsOfTheIm2colPaths() {
        SplittableRandom rnd = new SplittableRandom(6);
        Conv.Geometry[] geometries = phaseGeometries();
        assertEquals(20, geometries.length, "geometries strided along W");
        for (Conv.Geometry g : geometries) {
            float[] x = random(rnd, g.n() * g.c() * g.h() * g.w()), w = random(rnd, g.k() * g.crs());
            float[] dy = random(rnd, g.n() * g.k() * g.pq()), dx0 = random(rnd, x.length), dw0 = random(rnd, w.length);
            for (int i = 0; i < dx0.length; i += 5) dx0[i] = -0f;
            for (int i = 0; i < dw0.length; i += 5) dw0[i] = -0f;
            for (Sgemm.Config cfg : new Sgemm.Config[] {Sgemm.Config.DEFAULT, new Sgemm.Config(Sgemm.BEST, 1, 1), new Sgemm.Config(Sgemm.BEST, 3, 1), new Sgemm.Config(Sgemm.Kernel.PLAIN, 2, 1)}) {
                float[] want = new float[dy.length], got = new float[dy.length];
                Conv.forwardIm2col(want, x, w, g, cfg);
                ConvPhase.forward(got, x, w, g, cfg);
                assertArrayEquals(want, got, "phase forward " + g + " " + cfg);
                for (boolean accumulate : new boolean[] {false, true}) {
                    float[] dxWant = dx0.clone(), dxGot = dx0.clone(), dwWant = dw0.clone(), dwGot = dw0.clone();
                    Conv.backwardDataIm2col(dxWant, dy, w, g, accumulate, cfg);
                    ConvPhase.backwardData(dxGot, dy, w, g, accumulate, cfg);
                    assertArrayEquals(dxWant, dxGot, "phase backwardData accumulate=" + accumulate + " " + g + " " + cfg);
                    Conv.backwardFilterGemm(dwWant, x, dy, g, accumulate, cfg);
                    ConvPhase.backwardFilter(dwGot, x, dy, g, accumulate, cfg);
                    assertArrayEquals(dwWant, dwGot, "phase backwardFilter accumulate=" + accumulate + " " + g + " " + cfg);
                }
            }
        }
    }

    /** Where the phase paths are taken: the default job's 32 -> 64 layer, not the 64 px model's wide layers nor C = 1. */
    @Test
    void phasePathsAreTakenWhereTheyGain() {
        Conv.Geometry layer = new Conv.Geometry(32, 32, 14, 14, 64, 4, 4, 2, 1);
        assertTrue(ConvPhase.applies(layer) && ConvPhase.appliesToFilter(layer));
        for (Conv.Geometry g : new Conv.Geometry[] {new Conv.Geometry(32, 1, 28, 28, 32, 4, 4, 2, 1),
                new Conv.Geometry(32, 64, 32, 32, 128, 4, 4, 2, 1), new Conv.Geometry(32, 128, 16, 16, 256, 4, 4, 2, 1),
                new Conv.Geometry(32, 256, 8, 8, 512, 4, 4, 2, 1), new Conv.Geometry(32, 3, 64, 64, 64, 4, 4, 2, 1),
                new Conv.Geometry(2, 8, 9, 9, 4, 3, 3, 2, 1, 1, 1)}) {                   // the last: stride 1 along W
            assertFalse(ConvPhase.applies(g) || ConvPhase.appliesToFilter(g), g.toString());
        }
    }

    /**
     * Phase backward data adds the thrown-away columns of col too, set to -0 first: with an infinite weight they would
     * otherwise be inf x 0 = NaN, added to pixels that the weight does not reach (the im2col path leaves them finite).
     */
    @Test
    void phaseBackwardDataAddsNothingThroughItsExtraColumns() {
        SplittableRandom rnd = new SplittableRandom(7);
        Conv.Geometry g = new Conv.Geometry(3, 8, 14, 14, 16, 4, 4, 2, 1);
        float[] w = random(rnd, g.k() * g.crs()), dy = random(rnd, g.n() * g.k() * g.pq());
        w[wi(g, 2, 5, 3, 3)] = Float.POSITIVE_INFINITY;
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] want = random(rnd, g.n() * g.c() * g.h() * g.w()), got = want.clone();
            Conv.backwardDataIm2col(want, dy, w, g, accumulate, Sgemm.Config.DEFAULT);
            ConvPhase.backwardData(got, dy, w, g, accumulate, Sgemm.Config.DEFAULT);
            assertArrayEquals(want, got, "phase backwardData with an infinite weight, accumulate=" + accumulate);
        }
    }

    /**
     * Backward data's image groups divide evenly among the tasks where 1 MiB of col allows: the default job's 32 -> 64
     * layer (32 images of 7 x 7, C*R*S = 512) in 4 groups of 8 on 4 tasks, not 6, 6, 6, 6, 6, 2; 6 on one task; and
     * never past the 1 MiB.
     */
    @Test
    void imageGroupsDivideEvenlyAmongTasks() {
        Conv.Geometry layer = new Conv.Geometry(32, 32, 14, 14, 64, 4, 4, 2, 1);
        assertEquals(8, Conv.groupSize(layer, 4));
        assertEquals(6, Conv.groupSize(layer, 1));
        assertEquals(6, Conv.groupSize(layer, 6));
        assertEquals(10, Conv.groupSize(new Conv.Geometry(20, 6, 15, 13, 11, 4, 4, 2, 1), 2));
        assertEquals(1, Conv.groupSize(new Conv.Geometry(6, 64, 56, 56, 8, 4, 4, 2, 1), 4));
        // 8 x 8 outputs, C*R*S = 768: 5 images fill the 1 MiB, so 24 images on 4 tasks stay in groups of 4, not 6
        assertEquals(4, Conv.groupSize(new Conv.Geometry(24, 48, 16, 16, 8, 4, 4, 2, 1), 4));
    }

    /**
     * The three ops give the same bits for every task count and with either micro-kernel: on a geometry whose filter
     * gradient is a packed GEMM (and whose images go in groups of 7, 7, 6, or of 10, 10 on 2 tasks), on two where it is ConvDot's
     * (C*R*S = 48, PQ = 729 not a multiple of 8; C*R*S = 4, tasks split the filters too), and on a dense one (ConvDense).
     */
    @Test
    void deterministicAcrossTaskCountsAndKernels() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (Conv.Geometry g : new Conv.Geometry[] {new Conv.Geometry(20, 6, 15, 13, 11, 4, 4, 2, 1),
                new Conv.Geometry(3, 3, 54, 54, 7, 4, 4, 2, 1), new Conv.Geometry(2, 1, 20, 20, 9, 2, 2, 2, 0),
                new Conv.Geometry(9, 20, 7, 7, 3, 7, 7, 1, 0)}) {
            float[] x = random(rnd, g.n() * g.c() * g.h() * g.w()), w = random(rnd, g.k() * g.crs());
            float[] dy = random(rnd, g.n() * g.k() * g.pq()), dx0 = random(rnd, x.length), dw0 = random(rnd, w.length);
            float[][] first = null;
            for (Sgemm.Kernel kernel : SgemmTest.kernels()) {
                for (int tasks : new int[] {1, 2, 3, 4, 7}) {
                    Sgemm.Config cfg = new Sgemm.Config(kernel, tasks, 1);
                    float[] y = new float[dy.length], dx = dx0.clone(), dw = dw0.clone();
                    Conv.forward(y, x, w, g, cfg);
                    Conv.backwardData(dx, dy, w, g, true, cfg);
                    Conv.backwardFilter(dw, x, dy, g, true, cfg);
                    float[][] out = {y, dx, dw};
                    if (first == null) first = out;
                    for (int i = 0; i < 3; i++) assertArrayEquals(first[i], out[i], "output " + i + " of " + g + " with " + kernel + " tasks=" + tasks);
                }
            }
        }
    }
}
