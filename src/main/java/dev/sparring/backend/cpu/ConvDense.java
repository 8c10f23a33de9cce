package dev.sparring.backend.cpu;

/**
 * A convolution whose kernel covers the whole unpadded image (R = H, S = W, no padding, so P = Q = 1): the critic's last
 * convolution (7 x 7 over the 7 x 7 features of a 28 px DCGAN) and, as its backward data, the generator's first
 * transposed convolution on a 1 x 1 input. Then col_n (C*R*S, 1) is x_n itself, flattened in the same (c, r, s) order,
 * and the three passes are plain GEMMs on the tensors as they lie, without im2col or col2im:
 * <pre>
 *   forward          y  (N, K)        = x (N, CRS) x w^T (CRS, K)
 *   backward data    dx (N, CRS)    (+)= dy (N, K) x w (K, CRS)
 *   backward filter  dw (K, CRS)    (+)= dy^T (K, N) x x (N, CRS)
 * </pre>
 * Why: the im2col path gathers 1 element per image and row of col (C*R*S rows of index arithmetic for every image),
 * and its col2im scatters them back the same way; that costs far more than the multiply-adds.
 *
 * <p>Same bits as {@link Conv}'s im2col path: every output element is the same products summed over the same index
 * (CRS for the forward, K for backward data, the batch for the filter) in the same order, in the same KC blocks
 * (fma(a, b, s) = fma(b, a, s), and {@link Sgemm}'s result depends only on an element's row, column and KC); an
 * accumulated output is s + old, as col2im's old + s. ConvTest checks the bits against that path.
 */
final class ConvDense {
    private ConvDense() { }

    /** Whether the geometry is a dense layer: kernel = image, no padding. */
    static boolean applies(Conv.Geometry g) {
        return g.r() == g.h() && g.s() == g.w() && g.padH() == 0 && g.padW() == 0;
    }

    static void forward(float[] y, float[] x, float[] w, Conv.Geometry g, Sgemm.Config cfg) {
        int N = g.n(), K = g.k(), CRS = g.crs();
        Sgemm.sgemm(false, true, N, K, CRS, 1f, x, 0, CRS, w, 0, CRS, 0f, y, 0, K, cfg);
    }

    static void backwardData(float[] dx, float[] dy, float[] w, Conv.Geometry g, boolean accumulate, Sgemm.Config cfg) {
        int N = g.n(), K = g.k(), CRS = g.crs();
        Sgemm.sgemm(false, false, N, CRS, K, 1f, dy, 0, K, w, 0, CRS, accumulate ? 1f : 0f, dx, 0, CRS, cfg);
    }

    static void backwardFilter(float[] dw, float[] x, float[] dy, Conv.Geometry g, boolean accumulate, Sgemm.Config cfg) {
        int N = g.n(), K = g.k(), CRS = g.crs();
        Sgemm.sgemm(true, false, K, CRS, N, 1f, dy, 0, K, x, 0, CRS, accumulate ? 1f : 0f, dw, 0, CRS, cfg);
    }
}
