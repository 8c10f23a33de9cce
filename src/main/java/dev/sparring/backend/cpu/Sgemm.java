package dev.sparring.backend.cpu;

import java.util.Arrays;

/**
 * Single-precision GEMM on row-major arrays: C = alpha op(A) op(B) + beta C, with op(A) (M x K), op(B) (K x N),
 * C (M x N). lda, ldb, ldc are row strides. beta == 0 writes C without reading it (BLAS semantics).
 *
 * <p>Blocked in the usual way (Goto / BLIS): op(A) is packed once into panels of MR rows, op(B) into panels of
 * NR columns, KC deep; a micro-kernel keeps an MR x NR tile of C in registers and walks K. The micro-kernel
 * ({@link Kernel}) is chosen once at start-up: {@link SgemmVector#tile512} (8 x 32, FMA on 16-float vectors) where the
 * CPU has AVX-512, {@link SgemmVector#tile256} (6 x 16 on 8-float vectors) where it has AVX2, else
 * {@link #plainTile}, the same arithmetic one float at a time (tests force each one).
 *
 * <p>Determinism: every C element is computed by exactly one task, and its value depends on nothing but its
 * row of A, its column of B and the fixed block depth KC:
 * <pre>
 *   s_b = fma(a[p], b[p], ... fma(a[p0], b[p0], 0))      for each K block b = [p0, p0 + KC), p in order
 *   C   = alpha s_0 + beta C,  then  C = alpha s_b + C   for b = 1, 2, ...
 * </pre>
 * So results do not depend on the thread count, the task split or the tile an element falls in, and the three
 * micro-kernels agree bit for bit.
 */
public final class Sgemm {
    private Sgemm() { }

    /**
     * Block depth (a KC x NR panel of B, 16 or 32 KiB, is what L1 holds), rows of A per L2 block (MC x KC, 144 KiB),
     * columns per B block (KC x NC, 256 KiB: packed, it stays in a Zen 4 core's 1 MiB L2 while the A block's tiles use
     * it). KC is part of the summation order (see above); MC and NC are not.
     */
    static final int KC = 256, MC = 144, NC = 256;
    /** Floats of packed A plus packed B per K chunk of {@link #gemm} (4 MiB: a share of L3). */
    static final int CHUNK_FLOATS = 1 << 20;

    /**
     * A micro-kernel and its tile of C, MR rows by NR columns, held in registers. All of them sum in the same order
     * (see above), so they give the same bits; the tile only changes the blocking.
     */
    enum Kernel {
        /** {@link #plainTile}, one float at a time: without the Vector API. */
        PLAIN(6, 16),
        /** {@link SgemmVector#tile256}: 6 x 16 in twelve 8-float vectors (of AVX2's 16 registers). */
        VECTOR_256(6, 16),
        /** {@link SgemmVector#tile512}: 8 x 32 in sixteen 16-float vectors (of AVX-512's 32 registers). */
        VECTOR_512(8, 32);

        final int mr, nr;

        Kernel(int mr, int nr) {
            this.mr = mr;
            this.nr = nr;
        }

        /** Whether this JVM and CPU run it: the Vector API module, and vectors at least as wide as it uses. */
        boolean available() { return this == PLAIN || VECTOR_BITS >= (this == VECTOR_512 ? 512 : 256); }
    }

    /** The largest tile of any kernel, in floats (the edge scratch, {@link Scratch#tile}). */
    static final int MAX_TILE = 8 * 32;

    /** The CPU's preferred vector width in bits through the Vector API; 0 when the module is absent. */
    static final int VECTOR_BITS = vectorBits();

    /** The widest kernel this machine runs, chosen once at start-up. */
    static final Kernel BEST = Kernel.VECTOR_512.available() ? Kernel.VECTOR_512 : Kernel.VECTOR_256.available() ? Kernel.VECTOR_256 : Kernel.PLAIN;

    /** Checks the module first: SgemmVector cannot even be initialised without it. */
    private static int vectorBits() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return 0;
        try {
            return SgemmVector.preferredBits();
        } catch (LinkageError e) {
            return 0;
        }
    }

    /** The micro-kernel that runs by default, for benchmark reports: "VECTOR_512 (8 x 32)". */
    public static String kernelName() { return BEST + " (" + BEST.mr + " x " + BEST.nr + ")"; }

    /**
     * How a call runs: the micro-kernel, the number of static tasks, and the least work per task (multiply-adds; a
     * packed float counts as 8) below which fewer tasks are used. Tests force all three; results must not change.
     */
    record Config(Kernel kernel, int tasks, int grain) {
        // 2 tasks a thread even out the load; one core runs 1 task, with no hand-off to the pool. 2^19 multiply-adds: ~10 us
        static final Config DEFAULT = new Config(BEST, Parallel.THREADS == 1 ? 1 : 2 * Parallel.THREADS, 1 << 19);

        Config {
            if (!kernel.available()) throw new IllegalArgumentException("Sgemm: the " + kernel + " micro-kernel does not run here (vectors of " + VECTOR_BITS + " bits; run with --add-modules jdk.incubator.vector)");
            if (tasks < 1 || grain < 1) throw new IllegalArgumentException("Sgemm: tasks and grain must be >= 1, got " + tasks + ", " + grain);
        }

        /** Whether a Vector API kernel runs (ConvDot's dot kernel goes with it). */
        boolean vector() { return kernel != Kernel.PLAIN; }

        /** Tasks for this much work: at most {@link #tasks}, at most one per grain, at least 1. */
        int tasksFor(long work) { return (int) Math.max(1, Math.min(tasks, work / grain)); }
    }

    /**
     * A matrix seen as K x X, K being the GEMM's summation index and X the rows of op(A) or the columns of op(B),
     * that copies blocks of itself into panels: dst[off + p*width + x] = this(p0 + p, x0 + x) for p < kc and
     * x < count, and 0 for count <= x < width (so partial tiles compute on zeros).
     */
    interface Panels {
        void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width);

        /**
         * The panels of count >= 1 columns from x0 side by side, panel q at off + q*width*kc (the last one zero-padded);
         * vector: the Vector API may be used (the copy is the same).
         */
        default void packPanels(float[] dst, int off, int p0, int kc, int x0, int count, int width, boolean vector) {
            for (int x = 0; x < count; x += width) pack(dst, off + x * kc, p0, kc, x0 + x, Math.min(width, count - x), width);
        }
    }

    /** Element (p, x) = arr[off + p*strideK + x*strideX]: a row-major matrix, transposed or not. */
    record Dense(float[] arr, int off, int strideK, int strideX) implements Panels {
        @Override
        public void pack(float[] dst, int off, int p0, int kc, int x0, int count, int width) {
            int base = this.off + p0 * strideK + x0 * strideX;
            if (strideK == 1) {                                       // x0 + x is a row read along p: copy column by column
                for (int x = 0; x < width; x++) {
                    int src = base + x * strideX, d = off + x;
                    if (x < count) {
                        for (int p = 0; p < kc; p++) dst[d + p * width] = arr[src + p];
                    } else {
                        for (int p = 0; p < kc; p++) dst[d + p * width] = 0f;
                    }
                }
                return;
            }
            for (int p = 0; p < kc; p++) {
                int src = base + p * strideK, d = off + p * width;
                if (strideX == 1) {
                    for (int x = 0; x < count; x++) dst[d + x] = arr[src + x];
                } else {
                    for (int x = 0; x < count; x++) dst[d + x] = arr[src + x * strideX];
                }
                for (int x = count; x < width; x++) dst[d + x] = 0f;
            }
        }

        /**
         * When rows are contiguous in X (B not transposed): row by row, left to right, which the prefetcher follows
         * (panel by panel, each row's few floats are a cache miss of their own); whole panels with vector copies.
         */
        @Override
        public void packPanels(float[] dst, int off, int p0, int kc, int x0, int count, int width, boolean vector) {
            if (strideX != 1) {
                Panels.super.packPanels(dst, off, p0, kc, x0, count, width, vector);
                return;
            }
            int full = vector ? count / width * width : 0;
            if (full > 0) SgemmVector.packPanels(arr, this.off + p0 * strideK + x0, strideK, kc, full, width, dst, off);
            for (int p = 0; p < kc && full < count; p++) {
                int src = this.off + (p0 + p) * strideK + x0;
                for (int x = full; x < count; x += width) {
                    int d = off + x * kc + p * width, w = Math.min(width, count - x);
                    System.arraycopy(arr, src + x, dst, d, w);
                    if (w < width) Arrays.fill(dst, d + w, d + width, 0f);
                }
            }
        }
    }

    /**
     * Rows [k0, k0 + k) of an operand seen as K x X, packed: for each K block starting at k0 + p0, panels of width (MR
     * for A, NR for B) along X, each (kc, width), at p0*xPad + panel*width*kc. Taken from {@link Scratch}; give it
     * back when done.
     */
    record Packed(float[] data, int x, int k0, int k, int width) {
        int offset(int p0, int kc, int x0) { return p0 * ceil(x, width) * width + (x0 / width) * width * kc; }
    }

    public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                             float[] a, int offA, int lda, float[] b, int offB, int ldb,
                             float beta, float[] c, int offC, int ldc) {
        sgemm(transA, transB, m, n, k, alpha, a, offA, lda, b, offB, ldb, beta, c, offC, ldc, Config.DEFAULT);
    }

    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      float[] a, int offA, int lda, float[] b, int offB, int ldb,
                      float beta, float[] c, int offC, int ldc, Config cfg) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("sgemm: negative size m=" + m + " n=" + n + " k=" + k);
        if (ldc < n || lda < (transA ? m : k) || ldb < (transB ? k : n)) {
            throw new IllegalArgumentException("sgemm: leading dimension too small: lda=" + lda + " ldb=" + ldb + " ldc=" + ldc
                    + " for m=" + m + " n=" + n + " k=" + k + " transA=" + transA + " transB=" + transB);
        }
        if (m > 0 && k > 0 && n == 1) {                           // one column: dot products, nothing packed
            column(m, k, alpha, a, offA, transA ? 1 : lda, transA ? lda : 1, b, offB, transB ? 1 : ldb, beta, c, offC, ldc, cfg);
            return;
        }
        // op(A) as K x M: element (p, i) = A[i][p], or A[p][i] when transposed; op(B) as K x N likewise.
        Panels pa = transA ? new Dense(a, offA, lda, 1) : new Dense(a, offA, 1, lda);
        Panels pb = transB ? new Dense(b, offB, 1, ldb) : new Dense(b, offB, ldb, 1);
        gemm(m, n, k, alpha, pa, pb, beta, c, offC, ldc, cfg);
    }

    /**
     * C (M, 1) = alpha op(A) b + beta C, A(i, p) = a[offA + i*ai + p*ap], b(p) = b[offB + p*bp], C(i) = c[offC + i*ldc]:
     * the tiled path would pack both operands and compute a whole tile of NR columns for this one (the critic's last,
     * dense 7 x 7 layer, 32 x 1 x 3136: 131 us a call on one core, against 46 here). Rows in fours, each its own fma chain along K, restarted
     * at every KC block and folded into C as the micro-kernels fold theirs ({@link #fold}): the same bits. Tasks take
     * rows.
     */
    static void column(int m, int k, float alpha, float[] a, int offA, int ai, int ap, float[] b, int offB, int bp,
                       float beta, float[] c, int offC, int ldc, Config cfg) {
        int quads = ceil(m, 4), tasks = Math.min(quads, cfg.tasksFor((long) m * k));
        tasks(tasks, cfg, t -> {
            for (int q = split(quads, tasks, t); q < split(quads, tasks, t + 1); q++) {
                int i0 = 4 * q, rows = Math.min(4, m - i0);
                // rows past m repeat the last row; their sums are never stored
                int a0 = offA + i0 * ai, a1 = a0 + Math.min(1, rows - 1) * ai, a2 = a0 + Math.min(2, rows - 1) * ai, a3 = a0 + Math.min(3, rows - 1) * ai;
                for (int p0 = 0; p0 < k; p0 += KC) {
                    float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                    for (int p = p0, end = Math.min(k, p0 + KC); p < end; p++) {
                        float bv = b[offB + p * bp];
                        s0 = Math.fma(a[a0 + p * ap], bv, s0);
                        s1 = Math.fma(a[a1 + p * ap], bv, s1);
                        s2 = Math.fma(a[a2 + p * ap], bv, s2);
                        s3 = Math.fma(a[a3 + p * ap], bv, s3);
                    }
                    float betaBlock = p0 == 0 ? beta : 1f;
                    int co = offC + i0 * ldc;
                    c[co] = fold(s0, alpha, betaBlock, c[co]);
                    if (rows > 1) c[co + ldc] = fold(s1, alpha, betaBlock, c[co + ldc]);
                    if (rows > 2) c[co + 2 * ldc] = fold(s2, alpha, betaBlock, c[co + 2 * ldc]);
                    if (rows > 3) c[co + 3 * ldc] = fold(s3, alpha, betaBlock, c[co + 3 * ldc]);
                }
            }
        });
    }

    /** A K block's sum s into C's old value, as the micro-kernels store it: alpha s (beta = 0: C not read), else alpha s + beta C. */
    private static float fold(float s, float alpha, float beta, float old) { return beta == 0f ? alpha * s : alpha * s + beta * old; }

    /** C (M, N) at offC, row stride ldc = alpha op(A) op(B) + beta C, with the operands given as panel sources. */
    static void gemm(int m, int n, int k, float alpha, Panels a, Panels b, float beta, float[] c, int offC, int ldc, Config cfg) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) c[offC + i * ldc + j] = beta == 0f ? 0f : beta * c[offC + i * ldc + j];
            }
            return;
        }
        // A static grid of tasks: N is split (each task packs its own B blocks), and M too when N has too few panels;
        // then all tasks need all of B, which is packed up front like A.
        int MR = cfg.kernel().mr, NR = cfg.kernel().nr, nPanels = ceil(n, NR), mPanels = ceil(m, MR);
        int tasks = cfg.tasksFor((long) m * n * k);
        int gridN = Math.min(tasks, nPanels), gridM = Math.min(mPanels, ceil(tasks, gridN));
        // K in chunks, a multiple of KC (K blocks, hence results, do not move): the packed operands of a chunk take
        // about 4 MiB. Every chunk after the first adds to C, so chunks are as long as that allows.
        int chunk = Math.max(1, CHUNK_FLOATS / (KC * (gridM > 1 ? m + n : m))) * KC;
        for (int k0 = 0; k0 < k; k0 += chunk) {
            Packed pa = pack(a, m, k0, Math.min(chunk, k - k0), MR, cfg), pb = gridM > 1 ? pack(b, n, k0, Math.min(chunk, k - k0), NR, cfg) : null;
            float betaChunk = k0 == 0 ? beta : 1f;                  // later chunks add to what the first one wrote
            try {
                tasks(gridN * gridM, cfg, t -> {
                    int tm = t / gridN, tn = t % gridN;
                    int i0 = split(mPanels, gridM, tm) * MR, i1 = Math.min(m, split(mPanels, gridM, tm + 1) * MR);
                    int j0 = split(nPanels, gridN, tn) * NR, j1 = Math.min(n, split(nPanels, gridN, tn + 1) * NR);
                    multiply(pa, pb, b, n, alpha, betaChunk, c, offC, ldc, i0, i1, j0, j1, cfg.kernel());
                });
            } finally {
                Scratch.giveBack(pa.data());
                if (pb != null) Scratch.giveBack(pb.data());
            }
        }
    }

    /**
     * Packs rows [k0, k0 + k) of an operand seen as K x X, in panels of the given width, in parallel; see
     * {@link Packed}. The array is borrowed from {@link Scratch}: give it back when done.
     */
    static Packed pack(Panels src, int x, int k0, int k, int width, Config cfg) {
        int panels = ceil(x, width), kBlocks = ceil(k, KC), units = kBlocks * panels;
        int tasks = Math.min(units, cfg.tasksFor(8L * panels * width * k));
        Packed pk = new Packed(Scratch.borrow(panels * width * k), x, k0, k, width);
        tasks(tasks, cfg, t -> {
            for (int u = split(units, tasks, t); u < split(units, tasks, t + 1); u++) {
                int p0 = (u / panels) * KC, kc = Math.min(KC, k - p0), x0 = (u % panels) * width;
                src.pack(pk.data(), pk.offset(p0, kc, x0), k0 + p0, kc, x0, Math.min(width, x - x0), width);
            }
        });
        return pk;
    }

    /**
     * One task: C rows [i0, i1) x columns [j0, j1) (i0 a multiple of MR, j0 of NR), the whole K, sequentially.
     * n is the full width of op(B); K is pa's. B comes packed (pb, the same K rows as pa), or, when pb is null, its
     * blocks are packed from b into this thread's scratch. The panels are the kernel's: pa MR wide, pb NR wide.
     *
     * <p>Within a block the tiles go a row of tiles at a time (MR rows of C, left to right): one A panel (kc x MR, 8 KiB
     * at most) stays in L1 while the B block streams from L2, and C is written along MR rows at once, not down every
     * row of the block for each NR columns (which, with small K, is where the time went: 1.2 times faster on
     * 64 x 65536 x 48, bench/results/sgemm-small-shapes-20261203.md). The order of the tiles does not change a bit.
     */
    static void multiply(Packed pa, Packed pb, Panels b, int n, float alpha, float beta, float[] c, int offC, int ldc,
                         int i0, int i1, int j0, int j1, Kernel kernel) {
        int k = pa.k(), MR = kernel.mr, NR = kernel.nr;
        float[] bp = pb != null ? pb.data() : Scratch.packedB(KC * Math.min(NC, ceil(n, NR) * NR));
        float[] tile = Scratch.tile();
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                int bo = pb != null ? pb.offset(p0, kc, jc) : 0;     // panel jr of this block is at bo + jr*kc
                if (pb == null) b.packPanels(bp, 0, pa.k0() + p0, kc, jc, nc, NR, kernel != Kernel.PLAIN);
                float betaBlock = p0 == 0 ? beta : 1f;           // later K blocks add to what the first one wrote
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    for (int ir = 0; ir < mc; ir += MR) {           // a row of tiles: its A panel stays in L1
                        int rows = Math.min(MR, mc - ir);
                        for (int jr = 0; jr < nc; jr += NR) {
                            int cols = Math.min(NR, nc - jr), ao = pa.offset(p0, kc, ic + ir), co = offC + (ic + ir) * ldc + jc + jr;
                            if (rows == MR && cols == NR) {
                                tile(kernel, kc, pa.data(), ao, bp, bo + jr * kc, alpha, betaBlock, c, co, ldc);
                            } else {                          // edge: the same tile on a copy, then the valid part back
                                if (betaBlock != 0f) {
                                    for (int i = 0; i < rows; i++) System.arraycopy(c, co + i * ldc, tile, i * NR, cols);
                                }
                                tile(kernel, kc, pa.data(), ao, bp, bo + jr * kc, alpha, betaBlock, tile, 0, NR);
                                for (int i = 0; i < rows; i++) System.arraycopy(tile, i * NR, c, co + i * ldc, cols);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void tile(Kernel kernel, int kc, float[] a, int ao, float[] b, int bo, float alpha, float beta,
                             float[] c, int co, int ldc) {
        switch (kernel) {
            case VECTOR_512 -> SgemmVector.tile512(kc, a, ao, b, bo, alpha, beta, c, co, ldc);
            case VECTOR_256 -> SgemmVector.tile256(kc, a, ao, b, bo, alpha, beta, c, co, ldc);
            case PLAIN -> plainTile(kc, a, ao, b, bo, alpha, beta, c, co, ldc);
        }
    }

    /**
     * The fallback micro-kernel: C tile (MR, NR) = alpha A panel (kc, MR)^T x B panel (kc, NR) + beta C tile, one
     * element at a time, with the same fma order as the vector kernels. beta == 0 does not read C.
     */
    static void plainTile(int kc, float[] a, int ao, float[] b, int bo, float alpha, float beta, float[] c, int co, int ldc) {
        int MR = Kernel.PLAIN.mr, NR = Kernel.PLAIN.nr;
        for (int i = 0; i < MR; i++) {
            for (int j = 0; j < NR; j++) {
                float s = 0f;
                for (int p = 0; p < kc; p++) s = Math.fma(a[ao + p * MR + i], b[bo + p * NR + j], s);
                int ci = co + i * ldc + j;
                c[ci] = fold(s, alpha, beta, c[ci]);
            }
        }
    }

    /** Runs task(0..count-1): in parallel on {@link Parallel}'s pool when count > 1. Which thread runs a task never matters. */
    static void tasks(int count, Config cfg, java.util.function.IntConsumer task) {
        if (count <= 1 || cfg.tasks() <= 1) {
            for (int t = 0; t < count; t++) task.accept(t);
        } else {
            Parallel.tasks(count, task);
        }
    }

    /** Start of part t when n units are split into parts nearly equal parts. */
    static int split(int n, int parts, int t) { return (int) ((long) n * t / parts); }

    static int ceil(int a, int b) { return (a + b - 1) / b; }
}
