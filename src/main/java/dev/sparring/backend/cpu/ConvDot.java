package dev.sparring.backend.cpu;

import java.util.Arrays;

/**
 * The filter gradient of a convolution with few taps (C*R*S <= {@link #MAX_CRS}: the first layer of D on 1- or
 * 3-channel images, which is also G's last transposed convolution) as dot products along the batch:
 * <pre>
 *   dw[k, crs] (+)= sum over n, pq of dy[n, k, pq] col_n[crs, pq]          dy (N, K, PQ), col_n (CRS, PQ)
 * </pre>
 * Why not the packed GEMM of {@link Conv#backwardFilter}: there both operands are transposed into panels, and with so
 * few columns each packed float is used only a few times, so packing costs as much as the multiply-adds. Here dy
 * is read in place and the rows of col_n come from the plain {@link Conv#im2col}, both contiguous along pq, the
 * summation index; a 4 x 3 tile of dw has 12 accumulators of 8 lanes, kept in a state array between images so
 * that one image's rows of dy and col_n stay in L1 while all the tiles use them.
 *
 * <p>Order (fixed by the geometry alone, so deterministic whatever the task split): lane l of element (k, crs) sums
 * the products at pq = l (mod 8) of image 0, 1, ... in turn, with fma(0, 0, s) for the positions past PQ in the
 * last vector of each image; at the end the 8 lanes are added in a fixed tree ({@link #reduce}) and the result is
 * written or added to dw. Tasks split the C*R*S columns (each builds only its own rows of col_n), and the filters
 * too when there are few columns.
 */
final class ConvDot {
    private ConvDot() { }

    /** Tile of dw: MB filters by NB taps; its state is MB x NB x 8 lanes. */
    static final int MB = 4, NB = 3, STATE = MB * NB * 8;
    /** The largest C*R*S that takes this path (the GEMM path wins once each packed float is reused enough). */
    static final int MAX_CRS = 64;

    static void backwardFilter(float[] dw, float[] x, float[] dy, Conv.Geometry g, boolean accumulate, Sgemm.Config cfg) {
        int K = g.k(), CRS = g.crs(), PQ = g.pq(), PQ8 = (PQ + 7) & ~7, kBlocks = Sgemm.ceil(K, MB), jBlocks = Sgemm.ceil(CRS, NB);
        // a static grid: tap blocks split first (each task builds only its rows of col), filter blocks when too few
        int tasks = cfg.tasksFor((long) K * CRS * g.n() * PQ);
        int gridJ = Math.min(tasks, jBlocks), gridK = Math.min(kBlocks, Sgemm.ceil(tasks, gridJ));
        Sgemm.tasks(gridJ * gridK, cfg, t -> {
            int jb0 = Sgemm.split(jBlocks, gridJ, t % gridJ), jb1 = Sgemm.split(jBlocks, gridJ, t % gridJ + 1);
            int kb0 = Sgemm.split(kBlocks, gridK, t / gridJ), kb1 = Sgemm.split(kBlocks, gridK, t / gridJ + 1);
            int j0 = jb0 * NB, j1 = Math.min(CRS, jb1 * NB), tiles = (kb1 - kb0) * (jb1 - jb0);
            float[] col = Scratch.columns((j1 - j0) * PQ8);                  // rows [j0, j1) of col_n, 0 from PQ to PQ8
            Arrays.fill(col, 0, (j1 - j0) * PQ8, 0f);
            float[] state = Scratch.dotState(tiles * STATE);                 // tile (kb, jb) at ((kb - kb0)*(jb1 - jb0) + jb - jb0)*STATE
            Arrays.fill(state, 0, tiles * STATE, 0f);
            for (int n = 0; n < g.n(); n++) {
                Conv.im2col(x, n, g, j0, j1, col, 0, PQ8);
                for (int kb = kb0; kb < kb1; kb++) {
                    int k0 = kb * MB, kr = Math.min(MB, K - k0), a0 = (n * K + k0) * PQ;
                    for (int jb = jb0; jb < jb1; jb++) {
                        int jr = Math.min(NB, CRS - jb * NB), b0 = (jb * NB - j0) * PQ8;
                        // at the edges the last row is repeated; its lanes are never stored
                        int a1 = a0 + Math.min(1, kr - 1) * PQ, a2 = a0 + Math.min(2, kr - 1) * PQ, a3 = a0 + Math.min(3, kr - 1) * PQ;
                        int b1 = b0 + Math.min(1, jr - 1) * PQ8, b2 = b0 + Math.min(2, jr - 1) * PQ8;
                        int so = ((kb - kb0) * (jb1 - jb0) + jb - jb0) * STATE;
                        // the vector kernel reads whole vectors, up to PQ8 past the start of each row of dy
                        if (cfg.vector() && a3 + PQ8 <= dy.length) SgemmVector.dot4x3(dy, a0, a1, a2, a3, col, b0, b1, b2, PQ, state, so);
                        else plainDot(dy, new int[] {a0, a1, a2, a3}, col, new int[] {b0, b1, b2}, PQ, state, so);
                    }
                }
            }
            for (int kb = kb0; kb < kb1; kb++) {
                for (int jb = jb0; jb < jb1; jb++) {
                    store(state, ((kb - kb0) * (jb1 - jb0) + jb - jb0) * STATE, accumulate, dw, kb * MB, Math.min(MB, K - kb * MB),
                            jb * NB, Math.min(NB, CRS - jb * NB), CRS);
                }
            }
        });
    }

    /** The fallback of {@link SgemmVector#dot4x3}, one lane at a time, in the same order (0 past len). */
    static void plainDot(float[] a, int[] aRows, float[] b, int[] bRows, int len, float[] state, int so) {
        for (int i = 0; i < MB; i++) {
            for (int j = 0; j < NB; j++) {
                int l0 = so + (i * NB + j) * 8;
                for (int q = 0; q < ((len + 7) & ~7); q++) {
                    float av = q < len ? a[aRows[i] + q] : 0f, bv = q < len ? b[bRows[j] + q] : 0f;
                    state[l0 + (q & 7)] = Math.fma(av, bv, state[l0 + (q & 7)]);
                }
            }
        }
    }

    /** dw[k0.., j0..] (+)= the tile's sums, the 8 lanes of each added in a fixed tree. */
    static void store(float[] state, int so, boolean accumulate, float[] dw, int k0, int rows, int j0, int cols, int ldw) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float s = reduce(state, so + (i * NB + j) * 8);
                int wi = (k0 + i) * ldw + j0 + j;
                dw[wi] = accumulate ? dw[wi] + s : s;
            }
        }
    }

    /** The 8 lanes at off added in a fixed tree. */
    static float reduce(float[] l, int off) {
        return ((l[off] + l[off + 1]) + (l[off + 2] + l[off + 3])) + ((l[off + 4] + l[off + 5]) + (l[off + 6] + l[off + 7]));
    }
}
