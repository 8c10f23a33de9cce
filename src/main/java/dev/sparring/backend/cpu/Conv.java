package dev.sparring.backend.cpu;

import java.util.Arrays;

/**
 * 2-D convolution on NCHW float arrays as GEMMs over im2col, a group of images at a time: the column matrix is never
 * built for the whole batch (per group, in a per-thread scratch; for the filter gradient its blocks are gathered
 * straight into the GEMM's B panels, see {@link Sgemm.Panels}).
 *
 * <p>Shapes: x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q). The column matrix of image n, col_n (C*R*S, P*Q), holds at row
 * (c, r, s), column (p, q) the value x[n, c, p*strideH - padH + r, q*strideW - padW + s] (0 outside the image). Every
 * path takes R != S and per-axis strides and padding.
 * <pre>
 *   forward          y_n (K, PQ)     = w (K, CRS) x col_n                   per group of images, parallel over groups
 *   backward data    col_n (CRS, PQ) = w^T x dy_n,  dx_n (+)= col2im(col_n)  per group of images, parallel over groups
 *   backward filter  dw (K, CRS)   (+)= dy' (K, N*PQ) x col^T (N*PQ, CRS)    one GEMM over the batch, parallel over dw
 * </pre>
 * (the filter gradient of a layer with few taps, C*R*S <= 64, takes {@link ConvDot} instead, and a kernel that covers
 * the whole unpadded image, a dense layer, takes {@link ConvDense} for all three, and a layer strided along W, DCGAN's
 * 4 x 4 stride 2, takes {@link ConvPhase}, which gathers col from the stride phases of x in contiguous runs). A group is one image,
 * or several side by side when P*Q is small (see {@link #groups}); w (or w^T) is packed once per call and shared by
 * the group tasks. Every output element is written by one task with a fixed summation order (see {@link Sgemm}), so
 * results do not depend on the thread count. Scratch arrays are per thread and reused ({@link Scratch}); once they
 * have grown a call allocates only a few small objects.
 */
public final class Conv {
    private Conv() { }

    /** Sizes of one convolution, stride and padding per axis; P and Q are derived. */
    public record Geometry(int n, int c, int h, int w, int k, int r, int s, int strideH, int strideW, int padH, int padW) {
        /** The same stride and padding on both axes. */
        public Geometry(int n, int c, int h, int w, int k, int r, int s, int stride, int pad) {
            this(n, c, h, w, k, r, s, stride, stride, pad, pad);
        }

        public int p() { return (h + 2 * padH - r) / strideH + 1; }

        public int q() { return (w + 2 * padW - s) / strideW + 1; }

        int crs() { return c * r * s; }

        int pq() { return p() * q(); }
    }

    /** y (N,K,P,Q) = conv(x (N,C,H,W), w (K,C,R,S)). Written. */
    public static void forward(float[] y, float[] x, float[] w, Geometry g) { forward(y, x, w, g, Sgemm.Config.DEFAULT); }

    /** dx (N,C,H,W) (+)= the gradient of forward with respect to x, from dy (N,K,P,Q) and w (K,C,R,S). */
    public static void backwardData(float[] dx, float[] dy, float[] w, Geometry g, boolean accumulate) {
        backwardData(dx, dy, w, g, accumulate, Sgemm.Config.DEFAULT);
    }

    /** dw (K,C,R,S) (+)= the gradient of forward with respect to w, from x (N,C,H,W) and dy (N,K,P,Q). */
    public static void backwardFilter(float[] dw, float[] x, float[] dy, Geometry g, boolean accumulate) {
        backwardFilter(dw, x, dy, g, accumulate, Sgemm.Config.DEFAULT);
    }

    static void forward(float[] y, float[] x, float[] w, Geometry g, Sgemm.Config cfg) {
        if (ConvDense.applies(g)) ConvDense.forward(y, x, w, g, cfg);
        else if (ConvPhase.applies(g)) ConvPhase.forward(y, x, w, g, cfg);
        else forwardImplicit(y, x, w, g, cfg);
    }

    static void backwardData(float[] dx, float[] dy, float[] w, Geometry g, boolean accumulate, Sgemm.Config cfg) {
        if (ConvDense.applies(g)) ConvDense.backwardData(dx, dy, w, g, accumulate, cfg);
        else if (ConvPhase.applies(g)) ConvPhase.backwardData(dx, dy, w, g, accumulate, cfg);
        else backwardDataIm2col(dx, dy, w, g, accumulate, cfg);
    }

    static void backwardFilter(float[] dw, float[] x, float[] dy, Geometry g, boolean accumulate, Sgemm.Config cfg) {
        if (ConvDense.applies(g)) ConvDense.backwardFilter(dw, x, dy, g, accumulate, cfg);
        else if (g.crs() <= ConvDot.MAX_CRS) ConvDot.backwardFilter(dw, x, dy, g, accumulate, cfg);
        else if (ConvPhase.appliesToFilter(g)) ConvPhase.backwardFilter(dw, x, dy, g, accumulate, cfg);
        else backwardFilterGemm(dw, x, dy, g, accumulate, cfg);
    }

    /** Floats of a slice's output (K, nb*PQ) in {@link #forwardImplicit}: 1 MiB. */
    static final int SLICE_FLOATS = 1 << 18;

    /**
     * The forward as implicit GEMMs: y (K, nb*PQ) = w (K, CRS) x col (CRS, nb*PQ) over slices of nb images, with col
     * never built: the GEMM packs its B panels straight from x ({@link Im2col}). A slice of one image is written in
     * place; a larger one, through a borrowed (K, nb*PQ) ({@link Scratch#borrow}: the GEMM's tasks write it on other
     * threads), is copied into y image by image. nb is fixed by the geometry
     * (the slice's output within {@link #SLICE_FLOATS}); each slice is one GEMM, parallel over its columns. Same bits as
     * {@link #forwardIm2col}: the same products in the same KC blocks ({@link Sgemm}'s result depends only on an
     * element's row, column and KC).
     */
    static void forwardImplicit(float[] y, float[] x, float[] w, Geometry g, Sgemm.Config cfg) {
        int K = g.k(), CRS = g.crs(), PQ = g.pq();
        int nb = Math.max(1, Math.min(g.n(), SLICE_FLOATS / Math.max(1, K * PQ)));
        Sgemm.Dense a = new Sgemm.Dense(w, 0, 1, CRS);                                 // w as (CRS, K)
        int[] lo = owLo(g), hi = owHi(g);
        for (int n0 = 0; n0 < g.n(); n0 += nb) {
            int count = Math.min(nb, g.n() - n0), cols = count * PQ;
            if (count == 1) {
                Sgemm.gemm(K, cols, CRS, 1f, a, new Im2col(x, g, n0, lo, hi), 0f, y, n0 * K * PQ, cols, cfg);
                continue;
            }
            float[] yk = Scratch.borrow(K * cols);                                       // (K, count*PQ)
            try {
                Sgemm.gemm(K, cols, CRS, 1f, a, new Im2col(x, g, n0, lo, hi), 0f, yk, 0, cols, cfg);
                for (int i = 0; i < count; i++) {
                    for (int k = 0; k < K; k++) System.arraycopy(yk, k * cols + i * PQ, y, ((n0 + i) * K + k) * PQ, PQ);
                }
            } finally {
                Scratch.giveBack(yk);
            }
        }
    }

    /** The forward of every geometry, the reference of the fast paths: im2col of a group of images, then a GEMM. */
    static void forwardIm2col(float[] y, float[] x, float[] w, Geometry g, Sgemm.Config cfg) {
        int K = g.k(), CRS = g.crs(), PQ = g.pq();
        Sgemm.Packed wp = Sgemm.pack(new Sgemm.Dense(w, 0, 1, CRS), K, 0, CRS, cfg.kernel().mr, cfg);    // w as (CRS, K)
        try {
            groups(g, cfg, (n0, nb) -> {
                int cols = nb * PQ;
                float[] col = Scratch.columns(CRS * cols);                                // (CRS, nb*PQ)
                for (int i = 0; i < nb; i++) im2col(x, n0 + i, g, 0, CRS, col, i * PQ, cols);
                // y_n0 .. is (nb, K, PQ): one image is written in place, a group through (K, nb*PQ) scratch
                float[] yk = nb == 1 ? y : Scratch.group(K * cols);
                Sgemm.multiply(wp, null, new Sgemm.Dense(col, 0, cols, 1), cols, 1f, 0f, yk, nb == 1 ? n0 * K * PQ : 0, cols, 0, K, 0, cols, cfg.kernel());
                for (int i = 0; i < nb && nb > 1; i++) {
                    for (int k = 0; k < K; k++) System.arraycopy(yk, k * cols + i * PQ, y, ((n0 + i) * K + k) * PQ, PQ);
                }
            });
        } finally {
            Scratch.giveBack(wp.data());
        }
    }

    /** The backward data of every geometry: a GEMM into col of a group of images, then col2im. */
    static void backwardDataIm2col(float[] dx, float[] dy, float[] w, Geometry g, boolean accumulate, Sgemm.Config cfg) {
        int K = g.k(), CRS = g.crs(), PQ = g.pq();
        Sgemm.Packed wtp = Sgemm.pack(new Sgemm.Dense(w, 0, CRS, 1), CRS, 0, K, cfg.kernel().mr, cfg);   // w^T as (K, CRS)
        try {
            groups(g, cfg, (n0, nb) -> {
                int cols = nb * PQ;
                // dy_n0 .. as (K, nb*PQ): one image in place, a group copied side by side
                float[] dyk = nb == 1 ? dy : Scratch.group(K * cols);
                for (int i = 0; i < nb && nb > 1; i++) {
                    for (int k = 0; k < K; k++) System.arraycopy(dy, ((n0 + i) * K + k) * PQ, dyk, k * cols + i * PQ, PQ);
                }
                float[] col = Scratch.columns(CRS * cols);                                // (CRS, nb*PQ)
                Sgemm.multiply(wtp, null, new Sgemm.Dense(dyk, nb == 1 ? n0 * K * PQ : 0, cols, 1), cols, 1f, 0f, col, 0, cols, 0, CRS, 0, cols, cfg.kernel());
                for (int i = 0; i < nb; i++) col2im(col, i * PQ, cols, dx, n0 + i, g, accumulate);
            });
        } finally {
            Scratch.giveBack(wtp.data());
        }
    }

    /** The filter gradient of every geometry: one GEMM over the batch, col^T packed straight from x. */
    static void backwardFilterGemm(float[] dw, float[] x, float[] dy, Geometry g, boolean accumulate, Sgemm.Config cfg) {
        Sgemm.gemm(g.k(), g.crs(), g.n() * g.pq(), 1f, new Dy(dy, g), new Im2colT(x, g, owLo(g), owHi(g)), accumulate ? 1f : 0f, dw, 0, g.crs(), cfg);
    }

    interface Group { void run(int n0, int nb); }

    /**
     * Runs group(n0, nb) over the batch in groups of nb images: enough for 256 GEMM columns when the images are small,
     * but a group's col (CRS, nb*PQ) within 1 MiB (about L2); the groups are split into static chunks. When the groups
     * do not divide evenly among the tasks, fewer and larger ones are taken if they fit that 1 MiB and do (32 images of
     * 7 x 7 on 4 tasks: 4 groups of 8, not 6, 6, 6, 6, 6, 2, which gave two tasks twice the images of the others). Which
     * group an image falls in changes no result: each col element is one GEMM element, and col2im runs image by image.
     */
    static int groupSize(Geometry g, int tasks) {
        int cap = Math.max(1, Math.min(g.n(), (1 << 18) / (g.crs() * g.pq())));
        int nb = Math.min(Sgemm.ceil(256, g.pq()), cap), count = Sgemm.ceil(g.n(), nb);
        if (count > tasks && count % tasks != 0) {
            int larger = Sgemm.ceil(g.n(), count / tasks * tasks);
            if (larger <= cap && Sgemm.ceil(g.n(), larger) % tasks == 0) nb = larger;
        }
        return nb;
    }

    static void groups(Geometry g, Sgemm.Config cfg, Group group) {
        int nb = groupSize(g, cfg.tasks());
        int count = Sgemm.ceil(g.n(), nb), tasks = Math.min(cfg.tasks(), count);
        Sgemm.tasks(tasks, cfg, t -> {
            for (int i = Sgemm.split(count, tasks, t); i < Sgemm.split(count, tasks, t + 1); i++) {
                group.run(i * nb, Math.min(nb, g.n() - i * nb));
            }
        });
    }

    /**
     * col of images n0, n0 + 1, ... side by side as (CRS, nb*PQ): element (p = (c, r, s), x = (n - n0, oh, ow)) =
     * x[n, c, oh*strideH - padH + r, ow*strideW - padW + s] (0 outside the image), the GEMM's B seen as K x X. Packed
     * one run of columns within an output row (n, oh) at a time; along a run the reads walk an input row with the
     * stride. lo and hi: {@link #owLo} and {@link #owHi} of g, made once per call rather than per packed panel.
     */
    record Im2col(float[] x, Geometry g, int n0, int[] lo, int[] hi) implements Sgemm.Panels {
        @Override
        public void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width) {
            int H = g.h(), W = g.w(), P = g.p(), Q = g.q(), PQ = g.pq(), R = g.r(), S = g.s(), CHW = g.c() * H * W;
            int stH = g.strideH(), padH = g.padH(), st = g.strideW(), pad = g.padW();
            java.util.Arrays.fill(dst, off, off + kc * width, 0f);              // padding, out-of-image taps, columns past count
            int c0 = p0 / (R * S), r0 = p0 / S % R, s0 = p0 % S;
            int n = n0 + x0 / PQ, oh = x0 % PQ / Q, ow0 = x0 % Q;
            for (int j = 0; j < count; ) {                                      // j .. j + run: output row (n, oh), from ow0
                int run = Math.min(Q - ow0, count - j), owEnd = ow0 + run, xn = n * CHW, ih0 = oh * stH - padH;
                int c = c0, r = r0, s = s0;
                for (int p = 0, d = off + j - ow0; p < kc; p++, d += width) {
                    int ih = ih0 + r;
                    if (ih >= 0 && ih < H) {
                        int owLo = Math.max(ow0, lo[s]), owHi = Math.min(owEnd, hi[s]);
                        int src = xn + (c * H + ih) * W - pad + s;
                        if (st == 2) {                                           // the DCGAN case, a constant stride
                            for (int ow = owLo; ow < owHi; ow++) dst[d + ow] = x[src + 2 * ow];
                        } else {
                            for (int ow = owLo; ow < owHi; ow++) dst[d + ow] = x[src + ow * st];
                        }
                    }
                    if (++s == S) {
                        s = 0;
                        if (++r == R) {
                            r = 0;
                            c++;
                        }
                    }
                }
                j += run;
                ow0 = 0;
                if (++oh == P) {
                    oh = 0;
                    n++;
                }
            }
        }
    }

    /**
     * col^T over the batch as (N*PQ, CRS): element (p = (n, oh, ow), x = (c, r, s)) = x[n, c, oh*strideH - padH + r,
     * ow*strideW - padW + s], the transpose of the per-image col_n. Packed one output row (n, oh) at a time: for each
     * column the reads walk an input row with the stride. lo and hi as in {@link Im2col}.
     */
    record Im2colT(float[] x, Geometry g, int[] lo, int[] hi) implements Sgemm.Panels {
        @Override
        public void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width) {
            int H = g.h(), W = g.w(), Q = g.q(), PQ = g.pq(), stH = g.strideH(), padH = g.padH(), st = g.strideW(), pad = g.padW();
            Arrays.fill(dst, off, off + kc * width, 0f);                  // padding and out-of-image taps stay 0
            int n = p0 / PQ, oh = p0 % PQ / Q, ow0 = p0 % Q;
            for (int p = 0; p < kc; ) {                                  // p .. p + run: output row (n, oh), from ow0
                int run = Math.min(Q - ow0, kc - p), xn = n * g.c() * H * W;
                int c = x0 / (g.r() * g.s()), r = x0 / g.s() % g.r(), s = x0 % g.s();
                for (int j = 0; j < count; j++) {
                    int ih = oh * stH - padH + r;
                    if (ih >= 0 && ih < H) {
                        int owLo = Math.max(ow0, lo[s]), owHi = Math.min(ow0 + run, hi[s]);
                        int src = xn + (c * H + ih) * W - pad + s, d = off + (p - ow0) * width + j;
                        if (st == 2) {                                    // the DCGAN case, a constant stride
                            for (int ow = owLo; ow < owHi; ow++) dst[d + ow * width] = x[src + 2 * ow];
                        } else {
                            for (int ow = owLo; ow < owHi; ow++) dst[d + ow * width] = x[src + ow * st];
                        }
                    }
                    if (++s == g.s()) {
                        s = 0;
                        if (++r == g.r()) {
                            r = 0;
                            c++;
                        }
                    }
                }
                p += run;
                ow0 = 0;
                if (++oh == g.p()) {
                    oh = 0;
                    n++;
                }
            }
        }
    }

    /** Per tap s: the first output column ow whose input column ow*strideW - padW + s is in the image (>= 0). */
    static int[] owLo(Geometry g) {
        int[] lo = new int[g.s()];
        for (int s = 0; s < g.s(); s++) lo[s] = s < g.padW() ? (g.padW() - s + g.strideW() - 1) / g.strideW() : 0;
        return lo;
    }

    /** Per tap s: one past the last output column whose input column ow*strideW - padW + s is in the image (< W). */
    static int[] owHi(Geometry g) {
        int[] hi = new int[g.s()];
        for (int s = 0; s < g.s(); s++) hi[s] = (g.w() + g.padW() - s + g.strideW() - 1) / g.strideW();
        return hi;
    }

    /** dy (N, K, PQ) as (N*PQ, K): element (p = (n, pq), x = k) = dy[n, k, pq]. Packed in runs of one image. */
    record Dy(float[] dy, Geometry g) implements Sgemm.Panels {
        @Override
        public void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width) {
            int PQ = g.pq(), K = g.k();
            for (int p = 0, n = p0 / PQ, pq = p0 % PQ; p < kc; p += PQ - pq, n++, pq = 0) {    // p .. : image n, from pq
                int run = Math.min(PQ - pq, kc - p);
                for (int j = 0; j < width; j++) {
                    int d = off + p * width + j, src = (n * K + x0 + j) * PQ + pq;
                    if (j < count) {
                        for (int i = 0; i < run; i++) dst[d + i * width] = dy[src + i];
                    } else {
                        for (int i = 0; i < run; i++) dst[d + i * width] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Rows [crs0, crs1) of col_n = im2col(x_n), row crs at col[off + (crs - crs0)*ld]: row (c, r, s) holds the input
     * row segments each output row reads, 0 outside the image.
     */
    static void im2col(float[] x, int n, Geometry g, int crs0, int crs1, float[] col, int off, int ld) {
        int H = g.h(), W = g.w(), P = g.p(), Q = g.q(), stH = g.strideH(), padH = g.padH(), st = g.strideW(), pad = g.padW();
        for (int crs = crs0; crs < crs1; crs++) {
            int c = crs / (g.r() * g.s()), r = crs / g.s() % g.r(), s = crs % g.s();
            int xc = (n * g.c() + c) * H * W, row = off + (crs - crs0) * ld;
            // output columns whose input column ow*st - pad + s lies in [0, W)
            int owLo = Math.min(Q, Math.max(0, ceilDiv(pad - s, st))), owHi = Math.max(owLo, Math.min(Q, ceilDiv(W + pad - s, st)));
            for (int oh = 0; oh < P; oh++) {
                int ih = oh * stH - padH + r, d = row + oh * Q;
                if (ih < 0 || ih >= H) {
                    Arrays.fill(col, d, d + Q, 0f);
                    continue;
                }
                int src = xc + ih * W - pad + s;
                for (int ow = 0; ow < owLo; ow++) col[d + ow] = 0f;
                if (st == 2) {                                            // the DCGAN case, a constant stride
                    for (int ow = owLo; ow < owHi; ow++) col[d + ow] = x[src + 2 * ow];
                } else {
                    for (int ow = owLo; ow < owHi; ow++) col[d + ow] = x[src + ow * st];
                }
                for (int ow = owHi; ow < Q; ow++) col[d + ow] = 0f;
            }
        }
    }

    /**
     * dx_n (+)= col2im(col_n), col_n's row crs at col[off + crs*ld]: each column entry added to the input pixel it was
     * gathered from, rows in order.
     */
    static void col2im(float[] col, int off, int ld, float[] dx, int n, Geometry g, boolean accumulate) {
        int H = g.h(), W = g.w(), P = g.p(), Q = g.q(), stH = g.strideH(), padH = g.padH(), st = g.strideW(), pad = g.padW();
        int xo = n * g.c() * H * W;
        if (!accumulate) Arrays.fill(dx, xo, xo + g.c() * H * W, 0f);
        for (int c = 0; c < g.c(); c++) {
            for (int r = 0; r < g.r(); r++) {
                for (int s = 0; s < g.s(); s++) {
                    int row = off + ((c * g.r() + r) * g.s() + s) * ld;
                    // output columns whose input column iw = ow*st - pad + s lies in [0, W)
                    int owLo = Math.max(0, ceilDiv(pad - s, st)), owHi = Math.min(Q, ceilDiv(W + pad - s, st));
                    for (int oh = 0; oh < P; oh++) {
                        int ih = oh * stH - padH + r;
                        if (ih < 0 || ih >= H) continue;
                        int dst = xo + (c * H + ih) * W - pad + s, src = row + oh * Q;
                        if (st == 2) {                                    // the DCGAN case, a constant stride
                            for (int ow = owLo; ow < owHi; ow++) dx[dst + 2 * ow] += col[src + ow];
                        } else {
                            for (int ow = owLo; ow < owHi; ow++) dx[dst + ow * st] += col[src + ow];
                        }
                    }
                }
            }
        }
    }

    private static int ceilDiv(int a, int b) { return Math.floorDiv(a + b - 1, b); }
}
