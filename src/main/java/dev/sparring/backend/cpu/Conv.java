package dev.sparring.backend.cpu;

/**
 * 2-D convolution on NCHW float arrays by im2col + GEMM, the whole batch at once.
 *
 * <p>Shapes: x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q). The column matrix col has shape (C*R*S, N*P*Q): row
 * (c, r, s), column (n, p, q) holds x[n, c, p*stride - pad + r, q*stride - pad + s] (0 outside the image).
 * With Y' = y laid out as (K, N*P*Q):
 * <pre>
 *   forward          Y'  = W (K, CRS) x col
 *   backward data    col = W^T x dY',  dx = col2im(col)
 *   backward filter  dW (+)= dY' x col^T
 * </pre>
 */
public final class Conv {
    private Conv() { }

    /** Sizes of one convolution; P and Q are derived. */
    public record Geometry(int n, int c, int h, int w, int k, int r, int s, int stride, int pad) {
        public int p() { return (h + 2 * pad - r) / stride + 1; }

        public int q() { return (w + 2 * pad - s) / stride + 1; }

        int crs() { return c * r * s; }

        int npq() { return n * p() * q(); }
    }

    public static void forward(float[] y, float[] x, float[] w, Geometry g) {
        float[] col = im2col(x, g);
        float[] yk = new float[g.k() * g.npq()];                         // (K, N*P*Q)
        Sgemm.sgemm(false, false, g.k(), g.npq(), g.crs(), 1f, w, 0, g.crs(), col, 0, g.npq(), 0f, yk, 0, g.npq());
        knToNk(yk, y, g, false);
    }

    public static void backwardData(float[] dx, float[] dy, float[] w, Geometry g, boolean accumulate) {
        float[] dyk = new float[g.k() * g.npq()];
        nkToKn(dy, dyk, g);
        float[] col = new float[g.crs() * g.npq()];
        Sgemm.sgemm(true, false, g.crs(), g.npq(), g.k(), 1f, w, 0, g.crs(), dyk, 0, g.npq(), 0f, col, 0, g.npq());
        col2im(col, dx, g, accumulate);
    }

    public static void backwardFilter(float[] dw, float[] x, float[] dy, Geometry g, boolean accumulate) {
        float[] col = im2col(x, g);
        float[] dyk = new float[g.k() * g.npq()];
        nkToKn(dy, dyk, g);
        Sgemm.sgemm(false, true, g.k(), g.crs(), g.npq(), 1f, dyk, 0, g.npq(), col, 0, g.npq(),
                accumulate ? 1f : 0f, dw, 0, g.crs());
    }

    static float[] im2col(float[] x, Geometry g) {
        int P = g.p(), Q = g.q(), npq = g.npq();
        float[] col = new float[g.crs() * npq];
        Parallel.range(g.crs(), 1, (r0, r1) -> {
            for (int row = r0; row < r1; row++) {
                int c = row / (g.r() * g.s()), rr = (row / g.s()) % g.r(), ss = row % g.s();
                int base = row * npq;
                for (int n = 0; n < g.n(); n++) {
                    int xo = (n * g.c() + c) * g.h() * g.w();
                    for (int p = 0; p < P; p++) {
                        int ih = p * g.stride() - g.pad() + rr;
                        int co = base + (n * P + p) * Q;
                        if (ih < 0 || ih >= g.h()) continue;       // col is zero-initialised
                        for (int q = 0; q < Q; q++) {
                            int iw = q * g.stride() - g.pad() + ss;
                            if (iw >= 0 && iw < g.w()) col[co + q] = x[xo + ih * g.w() + iw];
                        }
                    }
                }
            }
        });
        return col;
    }

    /** dx (+)= col2im(col): parallel over (n, c) planes so that each dx element has one writer. */
    static void col2im(float[] col, float[] dx, Geometry g, boolean accumulate) {
        int P = g.p(), Q = g.q(), npq = g.npq(), hw = g.h() * g.w();
        Parallel.range(g.n() * g.c(), 1, (i0, i1) -> {
            for (int nc = i0; nc < i1; nc++) {
                int n = nc / g.c(), c = nc % g.c();
                int xo = nc * hw;
                if (!accumulate) java.util.Arrays.fill(dx, xo, xo + hw, 0f);
                for (int rr = 0; rr < g.r(); rr++) {
                    for (int ss = 0; ss < g.s(); ss++) {
                        int base = ((c * g.r() + rr) * g.s() + ss) * npq;
                        for (int p = 0; p < P; p++) {
                            int ih = p * g.stride() - g.pad() + rr;
                            if (ih < 0 || ih >= g.h()) continue;
                            int co = base + (n * P + p) * Q;
                            for (int q = 0; q < Q; q++) {
                                int iw = q * g.stride() - g.pad() + ss;
                                if (iw >= 0 && iw < g.w()) dx[xo + ih * g.w() + iw] += col[co + q];
                            }
                        }
                    }
                }
            }
        });
    }

    /** (K, N*PQ) -> (N, K, PQ), written or accumulated. */
    private static void knToNk(float[] src, float[] dst, Geometry g, boolean accumulate) {
        int pq = g.p() * g.q(), npq = g.npq();
        Parallel.range(g.n() * g.k(), 4, (i0, i1) -> {
            for (int nk = i0; nk < i1; nk++) {
                int n = nk / g.k(), k = nk % g.k();
                int so = k * npq + n * pq, d = nk * pq;
                for (int j = 0; j < pq; j++) dst[d + j] = accumulate ? dst[d + j] + src[so + j] : src[so + j];
            }
        });
    }

    /** (N, K, PQ) -> (K, N*PQ). */
    private static void nkToKn(float[] src, float[] dst, Geometry g) {
        int pq = g.p() * g.q(), npq = g.npq();
        Parallel.range(g.n() * g.k(), 4, (i0, i1) -> {
            for (int nk = i0; nk < i1; nk++) {
                int n = nk / g.k(), k = nk % g.k();
                System.arraycopy(src, nk * pq, dst, k * npq + n * pq, pq);
            }
        });
    }
}
