package dev.sparring.backend.cpu;

import java.util.Arrays;

/**
 * The three convolution passes of a layer strided along W (DCGAN's 4 x 4, stride 2, pad 1) through the stride phases
 * of the image, so that the column matrix is gathered in contiguous runs, not read or scattered with the stride.
 * Same bits as {@link Conv}'s im2col paths (ConvTest compares them).
 *
 * <p>Phase (a, b) of an image channel, a < min(strideH, R), b < min(strideW, S), is the (Hp, Wp) plane
 * <pre>
 *   phase[a][b][i][j] = x[c, i*strideH - padH + a, j*strideW - padW + b]      (0 outside the image)
 *   Hp = P + (R-1)/strideH,  Wp = Q + (S-1)/strideW
 * </pre>
 * so the input tap (r, s) of output (oh, ow), x[c, oh*strideH - padH + r, ow*strideW - padW + s], is phase
 * (r % strideH, s % strideW) at row oh + r/strideH, column ow + s/strideW. With output rows Wp wide (the last Wp - Q
 * columns thrown away), the taps of an image's P*Wp outputs are one contiguous run of the phase: row (c, r, s) of
 * col_n starts at (r/strideH)*Wp + s/strideW in its phase.
 * <pre>
 *   forward          y (K, nb*P*Wp)   = w (K, CRS) x col, B panels copied from the phases of x (planar, per channel);
 *                                       the Wp - Q extra columns per row (14 % more for 7 x 7 outputs) are dropped
 *   backward data    col (CRS, nb*P*Wp) = w^T x dy (dy's rows padded with zeros to Wp), then per channel every row
 *                    of col is added in one run to its phase (in the order of {@link Conv#col2im}), and the phases
 *                    are written back into dx; the extra columns are set to -0 first (x + -0 = x for every x)
 *   backward filter  dw' (K, RSC) (+)= dy' (K, N*PQ) x col^T, B panels copied from channels-last phases
 *                    (phase[a][b][i][j][c]): a panel row (one output, 32 of its taps) is one or a few runs of
 *                    channels; dw' is dw with its columns in (r, s, c) order, so dw is permuted in and out
 * </pre>
 * Bits: the forward and backward data compute the im2col paths' GEMM elements (same row, same K blocks; {@link Sgemm}'s
 * result depends on nothing else), and backward data adds each pixel's terms in col2im's order; backward filter keeps
 * the K order and blocks (the outputs, real ones only: padding the sum would move its K blocks) and only permutes the
 * GEMM's columns.
 */
final class ConvPhase {
    private ConvPhase() { }

    /**
     * Forward and backward data: strided-W layers where the extra GEMM columns cost less than the strided gather they
     * save, as measured (bench/results/cpu-conv-phases-20261203.md). Each col element costs the GEMM 2K flops, the
     * im2col paths' gather or scatter about 1 ns more, the phases a fixed split or merge per pixel: a gain with few
     * filters (K <= 64) and at most a quarter more columns, where C is at least 8 (with C = 1, the default job's first
     * and last layers, the per-pixel split and merge lost). The 64 px model's wider layers (K >= 128) keep the im2col
     * paths: there the phases lost as often as they gained.
     */
    static boolean applies(Conv.Geometry g) {
        return g.strideW() > 1 && g.c() >= 8 && g.k() <= 64 && 4 * (wp(g) - g.q()) <= g.q();
    }

    /**
     * Backward filter adds no GEMM columns (its sum runs over the real outputs only); it copies runs of channels from
     * the channels-last phases, taken for 8 to 32 channels: with 64 and more, transposing x into them lost.
     */
    static boolean appliesToFilter(Conv.Geometry g) { return g.strideW() > 1 && g.c() >= 8 && g.c() <= 32; }

    static int hp(Conv.Geometry g) { return g.p() + (g.r() - 1) / g.strideH(); }

    static int wp(Conv.Geometry g) { return g.q() + (g.s() - 1) / g.strideW(); }

    /** Phases along H and W: a kernel shorter than the stride leaves some input rows (columns) unread. */
    static int phH(Conv.Geometry g) { return Math.min(g.strideH(), g.r()); }

    static int phW(Conv.Geometry g) { return Math.min(g.strideW(), g.s()); }

    /** Floats of one channel's phases, planar: (phH, phW, Hp, Wp). */
    static int channelFloats(Conv.Geometry g) { return phH(g) * phW(g) * hp(g) * wp(g); }

    /** Per tap (r, s): where row (c, r, s) of col_n starts in channel c's planar phases. */
    static int[] taps(Conv.Geometry g) {
        int plane = hp(g) * wp(g), sH = g.strideH(), sW = g.strideW();
        int[] tap = new int[g.r() * g.s()];
        for (int r = 0; r < g.r(); r++) {
            for (int s = 0; s < g.s(); s++) tap[r * g.s() + s] = ((r % sH) * phW(g) + s % sW) * plane + (r / sH) * wp(g) + s / sW;
        }
        return tap;
    }

    // ---------------------------------------------------------------- forward

    /** y (N,K,P,Q) = conv(x, w): GEMMs over slices of images, B copied from the phases of x. Written. */
    static void forward(float[] y, float[] x, float[] w, Conv.Geometry g, Sgemm.Config cfg) {
        int N = g.n(), C = g.c(), K = g.k(), CRS = g.crs(), P = g.p(), Q = g.q(), PQ = g.pq(), Wp = wp(g), PW = P * Wp;
        int cf = channelFloats(g), HW = g.h() * g.w();
        // the phases of the batch; the slack past the end is read only for the thrown-away columns
        float[] xp = Scratch.borrow(N * C * cf + Wp);
        try {
            Arrays.fill(xp, N * C * cf, N * C * cf + Wp, 0f);
            int tasks = Math.min(N * C, cfg.tasksFor(8L * N * C * cf));
            Sgemm.tasks(tasks, cfg, t -> {
                for (int nc = Sgemm.split(N * C, tasks, t); nc < Sgemm.split(N * C, tasks, t + 1); nc++) split(x, nc * HW, xp, nc * cf, g);
            });
            int nb = Math.max(1, Math.min(N, Conv.SLICE_FLOATS / Math.max(1, K * PW)));
            Sgemm.Dense a = new Sgemm.Dense(w, 0, 1, CRS);                                     // w as (CRS, K)
            int[] tap = taps(g);
            for (int n0 = 0; n0 < N; n0 += nb) {
                int count = Math.min(nb, N - n0), cols = count * PW;
                float[] yk = Scratch.borrow(K * cols);                                           // (K, count*P*Wp)
                try {
                    Sgemm.gemm(K, cols, CRS, 1f, a, new Planar(xp, g, n0, tap), 0f, yk, 0, cols, cfg);
                    for (int i = 0; i < count; i++) {
                        for (int k = 0; k < K; k++) {
                            int src = k * cols + i * PW, dst = ((n0 + i) * K + k) * PQ;
                            for (int oh = 0; oh < P; oh++) System.arraycopy(yk, src + oh * Wp, y, dst + oh * Q, Q);
                        }
                    }
                } finally {
                    Scratch.giveBack(yk);
                }
            }
        } finally {
            Scratch.giveBack(xp);
        }
    }

    /** The first phase column j of column phase b whose input column j*sW - padW + b is in the image. */
    private static int colLo(Conv.Geometry g, int b) {
        return Math.min(wp(g), Math.max(0, Math.ceilDiv(g.padW() - b, g.strideW())));
    }

    /** One past the last such column ({@link #colLo} when there is none). */
    private static int colHi(Conv.Geometry g, int b) {
        return Math.max(colLo(g, b), Math.min(wp(g), Math.ceilDiv(g.w() + g.padW() - b, g.strideW())));
    }

    /** Channel x[xo .. xo + H*W) into its planar phases at dst[d ..], 0 outside the image. */
    static void split(float[] x, int xo, float[] dst, int d, Conv.Geometry g) {
        int H = g.h(), W = g.w(), Hp = hp(g), Wp = wp(g), sH = g.strideH(), sW = g.strideW(), padH = g.padH(), padW = g.padW();
        Arrays.fill(dst, d, d + channelFloats(g), 0f);                       // padding; one fill, not three per row
        for (int a = 0; a < phH(g); a++) {
            for (int b = 0; b < phW(g); b++) {
                int jLo = colLo(g, b), jHi = colHi(g, b);
                for (int i = 0; i < Hp; i++, d += Wp) {
                    int ih = i * sH - padH + a;
                    if (ih < 0 || ih >= H) continue;
                    int src = xo + ih * W - padW + b;
                    if (sW == 2) {                                              // the DCGAN case, a constant stride
                        for (int j = jLo; j < jHi; j++) dst[d + j] = x[src + 2 * j];
                    } else {
                        for (int j = jLo; j < jHi; j++) dst[d + j] = x[src + j * sW];
                    }
                }
            }
        }
    }

    /**
     * The inverse of {@link #split} for one channel: x[xo + ih*W + iw] = its phase element; pixels that no phase holds
     * (rows or columns no tap reads) are 0, or kept when keep.
     */
    static void merge(float[] src, int d, float[] x, int xo, Conv.Geometry g, boolean keep) {
        int H = g.h(), W = g.w(), Hp = hp(g), Wp = wp(g), sH = g.strideH(), sW = g.strideW(), padH = g.padH(), padW = g.padW();
        // pixels no phase holds: input rows or columns past the phases' reach, or phases a kernel shorter than the stride skips
        boolean gaps = phH(g) < sH || phW(g) < sW || Hp * sH - padH < H || Wp * sW - padW < W;
        if (gaps && !keep) Arrays.fill(x, xo, xo + H * W, 0f);
        for (int a = 0; a < phH(g); a++) {
            for (int b = 0; b < phW(g); b++) {
                int jLo = colLo(g, b), jHi = colHi(g, b);
                for (int i = 0; i < Hp; i++, d += Wp) {
                    int ih = i * sH - padH + a;
                    if (ih < 0 || ih >= H) continue;
                    int dst = xo + ih * W - padW + b;
                    if (sW == 2) {                                              // the DCGAN case, a constant stride
                        for (int j = jLo; j < jHi; j++) x[dst + 2 * j] = src[d + j];
                    } else {
                        for (int j = jLo; j < jHi; j++) x[dst + j * sW] = src[d + j];
                    }
                }
            }
        }
    }

    /**
     * col of images n0, n0 + 1, ... side by side as (CRS, nb*P*Wp), element (p = (c, r, s), x = (n - n0, oh, ow)) read
     * from the planar phases xp (channel (n, c) at (n*C + c)*{@link #channelFloats}): each image's P*Wp columns of a
     * row are one run of its phase. tap: {@link #taps}.
     */
    record Planar(float[] xp, Conv.Geometry g, int n0, int[] tap) implements Sgemm.Panels {
        @Override
        public void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width) {
            int C = g.c(), RS = g.r() * g.s(), PW = g.p() * wp(g), cf = channelFloats(g);
            int c0 = p0 / RS, rs0 = p0 % RS;
            for (int j = 0, n = n0 + x0 / PW, j0 = x0 % PW; j < count; n++, j0 = 0) {    // j .. j + run: image n, from j0
                int run = Math.min(PW - j0, count - j), c = c0, rs = rs0;
                for (int p = 0, d = off + j; p < kc; p++, d += width) {
                    System.arraycopy(xp, (n * C + c) * cf + tap[rs] + j0, dst, d, run);
                    if (++rs == RS) {
                        rs = 0;
                        c++;
                    }
                }
                j += run;
            }
            if (count < width) {
                for (int p = 0, d = off; p < kc; p++, d += width) Arrays.fill(dst, d + count, d + width, 0f);
            }
        }
    }

    // ---------------------------------------------------------------- backward data

    /** dx (N,C,H,W) (+)= the gradient of the forward with respect to x: per group, col = w^T x dy, then phase col2im. */
    static void backwardData(float[] dx, float[] dy, float[] w, Conv.Geometry g, boolean accumulate, Sgemm.Config cfg) {
        int C = g.c(), K = g.k(), CRS = g.crs(), P = g.p(), Q = g.q(), PQ = g.pq(), Wp = wp(g), PW = P * Wp, HW = g.h() * g.w();
        int cf = channelFloats(g), RS = g.r() * g.s();
        int[] tap = taps(g);
        boolean vector = cfg.vector();
        Sgemm.Packed wtp = Sgemm.pack(new Sgemm.Dense(w, 0, CRS, 1), CRS, 0, K, cfg.kernel().mr, cfg);   // w^T as (K, CRS)
        try {
            Conv.groups(g, cfg, (n0, nb) -> {
                int cols = nb * PW;
                float[] dyk = Scratch.group(K * cols);                        // dy_n0 .. as (K, nb*P*Wp), rows padded with 0
                for (int i = 0; i < nb; i++) {
                    for (int k = 0; k < K; k++) {
                        int src = ((n0 + i) * K + k) * PQ, dst = k * cols + i * PW;
                        for (int oh = 0; oh < P; oh++, src += Q, dst += Wp) {
                            System.arraycopy(dy, src, dyk, dst, Q);
                            Arrays.fill(dyk, dst + Q, dst + Wp, 0f);
                        }
                    }
                }
                float[] col = Scratch.columns(CRS * cols);                    // (CRS, nb*P*Wp)
                Sgemm.multiply(wtp, null, new Sgemm.Dense(dyk, 0, cols, 1), cols, 1f, 0f, col, 0, cols, 0, CRS, 0, cols, cfg.kernel());
                // the extra columns are added too (one run per row): -0 adds nothing to any value, -0 included
                for (int e = Q; e < Wp; e++) {
                    for (int j = e; j < CRS * cols; j += Wp) col[j] = -0f;
                }
                float[] ph = Scratch.phases(cf + Wp);                         // one channel's phases; slack for the extra columns
                for (int i = 0; i < nb; i++) {
                    int n = n0 + i;
                    for (int c = 0; c < C; c++) {
                        int xo = (n * C + c) * HW;
                        if (accumulate) split(dx, xo, ph, 0, g);
                        else Arrays.fill(ph, 0, cf, 0f);
                        for (int rs = 0; rs < RS; rs++) {                     // rows (c, r, s) in order, as col2im
                            int src = (c * RS + rs) * cols + i * PW, dst = tap[rs];
                            if (vector) ConvPhaseVector.add(ph, dst, col, src, PW);
                            else for (int j = 0; j < PW; j++) ph[dst + j] += col[src + j];
                        }
                        merge(ph, 0, dx, xo, g, accumulate);
                    }
                }
            });
        } finally {
            Scratch.giveBack(wtp.data());
        }
    }

    // ---------------------------------------------------------------- backward filter

    /** dw (K,C,R,S) (+)= the gradient of the forward with respect to w: one GEMM over the batch into dw' (K, R, S, C). */
    static void backwardFilter(float[] dw, float[] x, float[] dy, Conv.Geometry g, boolean accumulate, Sgemm.Config cfg) {
        int N = g.n(), C = g.c(), K = g.k(), CRS = g.crs(), RS = g.r() * g.s(), HW = g.h() * g.w();
        int imageFloats = phH(g) * phW(g) * hp(g) * wp(g) * C;
        float[] xq = Scratch.borrow(N * imageFloats), dwp = Scratch.borrow(K * CRS);
        try {
            int tasks = Math.min(N, cfg.tasksFor(8L * N * imageFloats));
            Sgemm.tasks(tasks, cfg, t -> {
                for (int n = Sgemm.split(N, tasks, t); n < Sgemm.split(N, tasks, t + 1); n++) splitChannelsLast(x, n * C * HW, xq, n * imageFloats, g);
            });
            if (accumulate) {
                for (int k = 0; k < K; k++) {
                    for (int c = 0; c < C; c++) {
                        for (int rs = 0; rs < RS; rs++) dwp[(k * RS + rs) * C + c] = dw[(k * C + c) * RS + rs];
                    }
                }
            }
            Sgemm.gemm(K, CRS, N * g.pq(), 1f, new Conv.Dy(dy, g), new ChannelsLast(xq, g, imageFloats), accumulate ? 1f : 0f, dwp, 0, CRS, cfg);
            for (int k = 0; k < K; k++) {
                for (int c = 0; c < C; c++) {
                    for (int rs = 0; rs < RS; rs++) dw[(k * C + c) * RS + rs] = dwp[(k * RS + rs) * C + c];
                }
            }
        } finally {
            Scratch.giveBack(dwp);
            Scratch.giveBack(xq);
        }
    }

    /** Image x[xo ..] (C, H, W) into channels-last phases at dst[d ..]: (phH, phW, Hp, Wp, C), 0 outside the image. */
    static void splitChannelsLast(float[] x, int xo, float[] dst, int d, Conv.Geometry g) {
        int C = g.c(), H = g.h(), W = g.w(), HW = H * W, Hp = hp(g), Wp = wp(g), sH = g.strideH(), sW = g.strideW();
        for (int a = 0; a < phH(g); a++) {
            for (int b = 0; b < phW(g); b++) {
                for (int i = 0; i < Hp; i++) {
                    int ih = i * sH - g.padH() + a;
                    for (int j = 0; j < Wp; j++, d += C) {
                        int iw = j * sW - g.padW() + b;
                        if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
                            Arrays.fill(dst, d, d + C, 0f);
                            continue;
                        }
                        for (int c = 0, src = xo + ih * W + iw; c < C; c++, src += HW) dst[d + c] = x[src];
                    }
                }
            }
        }
    }

    /**
     * col^T over the batch as (N*PQ, RSC): element (p = (n, oh, ow), x = (r, s, c)) read from the channels-last phases
     * (image n at n*imageFloats): for each output, the columns of one tap are a run of channels.
     */
    record ChannelsLast(float[] xq, Conv.Geometry g, int imageFloats) implements Sgemm.Panels {
        @Override
        public void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width) {
            int C = g.c(), S = g.s(), Q = g.q(), PQ = g.pq(), Wp = wp(g), plane = hp(g) * Wp, phW = phW(g);
            int sH = g.strideH(), sW = g.strideW();
            // the panel's columns in runs of one tap: run t is columns [at[t], at[t + 1]), from src[t] + (oh*Wp + ow)*C
            int runs = 0;
            int[] at = new int[width + 1], src = new int[width];
            for (int j = 0; j < count; runs++) {
                int rs = (x0 + j) / C, c = (x0 + j) % C, r = rs / S, s = rs % S;
                at[runs] = j;
                src[runs] = ((((r % sH) * phW + s % sW) * plane + (r / sH) * Wp + s / sW) * C) + c;
                j += Math.min(C - c, count - j);
            }
            at[runs] = count;
            int n = p0 / PQ, oh = p0 % PQ / Q, ow = p0 % Q;
            for (int p = 0, d = off; p < kc; p++, d += width) {
                int base = n * imageFloats + (oh * Wp + ow) * C;
                for (int t = 0; t < runs; t++) System.arraycopy(xq, base + src[t], dst, d + at[t], at[t + 1] - at[t]);
                if (count < width) Arrays.fill(dst, d + count, d + width, 0f);
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
}
