package dev.sparring.backend.cpu;

import java.util.Arrays;

/**
 * 2-D convolution on NCHW float arrays as GEMMs over an implicit im2col: the column matrix is never built whole,
 * its blocks are gathered straight into the GEMM's B panels (see {@link Sgemm.Panels}).
 *
 * <p>Shapes: x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q). The column matrix of image n, col_n (C*R*S, P*Q), holds at row
 * (c, r, s), column (p, q) the value x[n, c, p*stride - pad + r, q*stride - pad + s] (0 outside the image).
 * <pre>
 *   forward          y_n (K, PQ)     = w (K, CRS) x col_n                   per image, parallel over images
 *   backward data    col_n (CRS, PQ) = w^T x dy_n,  dx_n (+)= col2im(col_n)  per image, parallel over images
 *   backward filter  dw (K, CRS)   (+)= dy' (K, N*PQ) x col^T (N*PQ, CRS)    one GEMM over the batch, parallel over dw
 * </pre>
 * w (or w^T) is packed once per call and shared by the image tasks. Every output element is written by one task
 * with a fixed summation order (see {@link Sgemm}), so results do not depend on the thread count. Scratch arrays
 * are per thread and reused ({@link Scratch}); a call allocates nothing once they have grown.
 */
public final class Conv {
    private Conv() { }

    /** Sizes of one convolution; P and Q are derived. */
    public record Geometry(int n, int c, int h, int w, int k, int r, int s, int stride, int pad) {
        public int p() { return (h + 2 * pad - r) / stride + 1; }

        public int q() { return (w + 2 * pad - s) / stride + 1; }

        int crs() { return c * r * s; }

        int pq() { return p() * q(); }
    }

    public static void forward(float[] y, float[] x, float[] w, Geometry g) { forward(y, x, w, g, Sgemm.Config.DEFAULT); }

    public static void backwardData(float[] dx, float[] dy, float[] w, Geometry g, boolean accumulate) {
        backwardData(dx, dy, w, g, accumulate, Sgemm.Config.DEFAULT);
    }

    public static void backwardFilter(float[] dw, float[] x, float[] dy, Geometry g, boolean accumulate) {
        backwardFilter(dw, x, dy, g, accumulate, Sgemm.Config.DEFAULT);
    }

    static void forward(float[] y, float[] x, float[] w, Geometry g, Sgemm.Config cfg) {
        int K = g.k(), CRS = g.crs(), PQ = g.pq();
        Sgemm.PackedA wp = Sgemm.packA(new Sgemm.Dense(w, 0, 1, CRS), K, CRS, cfg);    // w as (CRS, K)
        try {
            images(g.n(), cfg, n -> Sgemm.multiply(wp, new Im2col(x, n, g), PQ, 1f, 0f, y, n * K * PQ, PQ, 0, K, 0, PQ, cfg.vector()));
        } finally {
            Scratch.giveBackPackedA(wp.data());
        }
    }

    static void backwardData(float[] dx, float[] dy, float[] w, Geometry g, boolean accumulate, Sgemm.Config cfg) {
        int K = g.k(), CRS = g.crs(), PQ = g.pq();
        Sgemm.PackedA wtp = Sgemm.packA(new Sgemm.Dense(w, 0, CRS, 1), CRS, K, cfg);   // w^T as (K, CRS)
        try {
            images(g.n(), cfg, n -> {
                float[] col = Scratch.columns(CRS * PQ);                                  // (CRS, PQ)
                Sgemm.multiply(wtp, new Sgemm.Dense(dy, n * K * PQ, PQ, 1), PQ, 1f, 0f, col, 0, PQ, 0, CRS, 0, PQ, cfg.vector());
                col2im(col, dx, n, g, accumulate);
            });
        } finally {
            Scratch.giveBackPackedA(wtp.data());
        }
    }

    static void backwardFilter(float[] dw, float[] x, float[] dy, Geometry g, boolean accumulate, Sgemm.Config cfg) {
        Sgemm.gemm(g.k(), g.crs(), g.n() * g.pq(), 1f, new Dy(dy, g), new Im2colT(x, g), accumulate ? 1f : 0f, dw, 0, g.crs(), cfg);
    }

    /** Runs image(n) for n in [0, count), in static chunks. */
    private static void images(int count, Sgemm.Config cfg, java.util.function.IntConsumer image) {
        int tasks = Math.min(cfg.tasks(), count);
        Sgemm.tasks(tasks, cfg, t -> {
            for (int n = Sgemm.split(count, tasks, t); n < Sgemm.split(count, tasks, t + 1); n++) image.accept(n);
        });
    }

    /** col_n as (CRS, PQ): element (p = (c, r, s), x = (oh, ow)) = x[n, c, oh*stride - pad + r, ow*stride - pad + s]. */
    record Im2col(float[] x, int n, Geometry g) implements Sgemm.Panels {
        @Override
        public void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width) {
            int H = g.h(), W = g.w(), Q = g.q(), RS = g.r() * g.s(), st = g.stride();
            int oh0 = x0 / Q, ow0 = x0 % Q;
            for (int p = 0; p < kc; p++) {
                int crs = p0 + p, c = crs / RS, r = (crs % RS) / g.s(), s = crs % g.s();
                int xc = (n * g.c() + c) * H * W, d = off + p * width;
                int oh = oh0, ow = ow0;
                for (int j = 0; j < count; j++) {
                    int ih = oh * st - g.pad() + r, iw = ow * st - g.pad() + s;
                    dst[d + j] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[xc + ih * W + iw] : 0f;
                    if (++ow == Q) {
                        ow = 0;
                        oh++;
                    }
                }
                for (int j = count; j < width; j++) dst[d + j] = 0f;
            }
        }
    }

    /** col^T over the batch as (N*PQ, CRS): element (p = (n, oh, ow), x = (c, r, s)), the same values as Im2col. */
    record Im2colT(float[] x, Geometry g) implements Sgemm.Panels {
        @Override
        public void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width) {
            int H = g.h(), W = g.w(), Q = g.q(), PQ = g.pq(), RS = g.r() * g.s(), st = g.stride(), CHW = g.c() * H * W;
            int n = p0 / PQ, oh = (p0 % PQ) / Q, ow = p0 % Q;
            for (int p = 0; p < kc; p++) {
                int ih0 = oh * st - g.pad(), iw0 = ow * st - g.pad(), d = off + p * width;
                int c = x0 / RS, r = (x0 % RS) / g.s(), s = x0 % g.s();
                for (int j = 0; j < count; j++) {
                    int ih = ih0 + r, iw = iw0 + s;
                    dst[d + j] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[n * CHW + (c * H + ih) * W + iw] : 0f;
                    if (++s == g.s()) {
                        s = 0;
                        if (++r == g.r()) {
                            r = 0;
                            c++;
                        }
                    }
                }
                for (int j = count; j < width; j++) dst[d + j] = 0f;
                if (++ow == Q) {
                    ow = 0;
                    if (++oh == g.p()) {
                        oh = 0;
                        n++;
                    }
                }
            }
        }
    }

    /** dy (N, K, PQ) as (N*PQ, K): element (p = (n, pq), x = k) = dy[n, k, pq]. */
    record Dy(float[] dy, Geometry g) implements Sgemm.Panels {
        @Override
        public void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width) {
            int PQ = g.pq(), K = g.k();
            int n = p0 / PQ, pq = p0 % PQ;
            for (int p = 0; p < kc; p++) {
                int src = (n * K + x0) * PQ + pq, d = off + p * width;
                for (int j = 0; j < count; j++) dst[d + j] = dy[src + j * PQ];
                for (int j = count; j < width; j++) dst[d + j] = 0f;
                if (++pq == PQ) {
                    pq = 0;
                    n++;
                }
            }
        }
    }

    /** dx_n (+)= col2im(col_n): each column entry added to the input pixel it was gathered from, rows in order. */
    static void col2im(float[] col, float[] dx, int n, Geometry g, boolean accumulate) {
        int H = g.h(), W = g.w(), P = g.p(), Q = g.q(), st = g.stride(), pad = g.pad();
        int xo = n * g.c() * H * W;
        if (!accumulate) Arrays.fill(dx, xo, xo + g.c() * H * W, 0f);
        for (int c = 0; c < g.c(); c++) {
            for (int r = 0; r < g.r(); r++) {
                for (int s = 0; s < g.s(); s++) {
                    int row = ((c * g.r() + r) * g.s() + s) * P * Q;
                    // output columns whose input column iw = ow*st - pad + s lies in [0, W)
                    int owLo = Math.max(0, ceilDiv(pad - s, st)), owHi = Math.min(Q, ceilDiv(W + pad - s, st));
                    for (int oh = 0; oh < P; oh++) {
                        int ih = oh * st - pad + r;
                        if (ih < 0 || ih >= H) continue;
                        int dst = xo + (c * H + ih) * W - pad + s, src = row + oh * Q;
                        for (int ow = owLo; ow < owHi; ow++) dx[dst + ow * st] += col[src + ow];
                    }
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) { return Math.floorDiv(a + b - 1, b); }
}
