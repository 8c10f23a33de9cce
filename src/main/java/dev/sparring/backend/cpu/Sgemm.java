package dev.sparring.backend.cpu;

import java.util.stream.IntStream;

/**
 * Single-precision GEMM on row-major arrays: C = alpha op(A) op(B) + beta C, with op(A) (M x K), op(B) (K x N),
 * C (M x N). lda, ldb, ldc are row strides. beta == 0 writes C without reading it (BLAS semantics).
 *
 * <p>Blocked in the usual way (Goto / BLIS): op(A) is packed once into panels of MR rows, op(B) into panels of
 * NR columns, KC deep; a micro-kernel keeps an MR x NR tile of C in registers and walks K. The micro-kernel is
 * {@link SgemmVector} (Vector API, FMA on 8-float vectors) when the machine has 256-bit vectors, else
 * {@link #plainTile}, the same arithmetic one float at a time.
 *
 * <p>Determinism: every C element is computed by exactly one task, and its value depends on nothing but its
 * row of A, its column of B and the fixed block depth KC:
 * <pre>
 *   s_b = fma(a[p], b[p], ... fma(a[p0], b[p0], 0))      for each K block b = [p0, p0 + KC), p in order
 *   C   = alpha s_0 + beta C,  then  C = alpha s_b + C   for b = 1, 2, ...
 * </pre>
 * So results do not depend on the thread count, the task split or the tile an element falls in, and the vector
 * and plain micro-kernels agree bit for bit.
 */
public final class Sgemm {
    private Sgemm() { }

    /** Tile of C held in registers: MR rows by NR columns (12 of the 16 AVX2 registers hold it). */
    static final int MR = 6, NR = 16;
    /** Block depth (a KC x NR panel of B, 16 KiB, stays in L1), rows of A per L2 block, columns per B block. */
    static final int KC = 256, MC = 144, NC = 2048;
    /** Floats of packed A plus packed B per K chunk of {@link #gemm} (4 MiB: a share of L3). */
    static final int CHUNK_FLOATS = 1 << 20;

    /** Whether the Vector API micro-kernel runs; false when the module is absent or vectors are narrower than 8 floats. */
    static final boolean VECTOR = vectorAvailable();

    /** Checks the module first: SgemmVector cannot even be initialised without it. */
    private static boolean vectorAvailable() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return false;
        try {
            return SgemmVector.preferredBits() >= 256;
        } catch (LinkageError e) {
            return false;
        }
    }

    /**
     * How a call runs: the micro-kernel, the number of static tasks, and the least work per task (multiply-adds; a
     * packed float counts as 8) below which fewer tasks are used. Tests force all three; results must not change.
     */
    record Config(boolean vector, int tasks, int grain) {
        static final Config DEFAULT = new Config(VECTOR, 2 * Parallel.THREADS, 1 << 19);    // 2^19 multiply-adds: ~10 us

        Config {
            if (vector && !VECTOR) throw new IllegalArgumentException("Sgemm: the Vector API micro-kernel is not available on this JVM (run with --add-modules jdk.incubator.vector)");
            if (tasks < 1 || grain < 1) throw new IllegalArgumentException("Sgemm: tasks and grain must be >= 1, got " + tasks + ", " + grain);
        }

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
        // op(A) as K x M: element (p, i) = A[i][p], or A[p][i] when transposed; op(B) as K x N likewise.
        Panels pa = transA ? new Dense(a, offA, lda, 1) : new Dense(a, offA, 1, lda);
        Panels pb = transB ? new Dense(b, offB, 1, ldb) : new Dense(b, offB, ldb, 1);
        gemm(m, n, k, alpha, pa, pb, beta, c, offC, ldc, cfg);
    }

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
        int nPanels = ceil(n, NR), mPanels = ceil(m, MR);
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
                    multiply(pa, pb, b, n, alpha, betaChunk, c, offC, ldc, i0, i1, j0, j1, cfg.vector());
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
     * blocks are packed from b into this thread's scratch.
     */
    static void multiply(Packed pa, Packed pb, Panels b, int n, float alpha, float beta, float[] c, int offC, int ldc,
                         int i0, int i1, int j0, int j1, boolean vector) {
        int k = pa.k();
        float[] bp = pb != null ? pb.data() : Scratch.packedB(KC * Math.min(NC, ceil(n, NR) * NR));
        float[] tile = Scratch.tile();
        for (int jc = j0; jc < j1; jc += NC) {
            int nc = Math.min(NC, j1 - jc);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                int bo = pb != null ? pb.offset(p0, kc, jc) : 0;     // panel jr of this block is at bo + jr*kc
                if (pb == null) {
                    for (int jr = 0; jr < nc; jr += NR) b.pack(bp, jr * kc, pa.k0() + p0, kc, jc + jr, Math.min(NR, nc - jr), NR);
                }
                float betaBlock = p0 == 0 ? beta : 1f;           // later K blocks add to what the first one wrote
                for (int ic = i0; ic < i1; ic += MC) {
                    int mc = Math.min(MC, i1 - ic);
                    for (int jr = 0; jr < nc; jr += NR) {
                        int cols = Math.min(NR, nc - jr);
                        for (int ir = 0; ir < mc; ir += MR) {
                            int rows = Math.min(MR, mc - ir), ao = pa.offset(p0, kc, ic + ir), co = offC + (ic + ir) * ldc + jc + jr;
                            if (rows == MR && cols == NR) {
                                tile(vector, kc, pa.data(), ao, bp, bo + jr * kc, alpha, betaBlock, c, co, ldc);
                            } else {                          // edge: the same tile on a copy, then the valid part back
                                if (betaBlock != 0f) {
                                    for (int i = 0; i < rows; i++) System.arraycopy(c, co + i * ldc, tile, i * NR, cols);
                                }
                                tile(vector, kc, pa.data(), ao, bp, bo + jr * kc, alpha, betaBlock, tile, 0, NR);
                                for (int i = 0; i < rows; i++) System.arraycopy(tile, i * NR, c, co + i * ldc, cols);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void tile(boolean vector, int kc, float[] a, int ao, float[] b, int bo, float alpha, float beta,
                             float[] c, int co, int ldc) {
        if (vector) SgemmVector.tile(kc, a, ao, b, bo, alpha, beta, c, co, ldc);
        else plainTile(kc, a, ao, b, bo, alpha, beta, c, co, ldc);
    }

    /**
     * The fallback micro-kernel: C tile (MR, NR) = alpha A panel (kc, MR)^T x B panel (kc, NR) + beta C tile, one
     * element at a time, with the same fma order as the vector kernel. beta == 0 does not read C.
     */
    static void plainTile(int kc, float[] a, int ao, float[] b, int bo, float alpha, float beta, float[] c, int co, int ldc) {
        for (int i = 0; i < MR; i++) {
            for (int j = 0; j < NR; j++) {
                float s = 0f;
                for (int p = 0; p < kc; p++) s = Math.fma(a[ao + p * MR + i], b[bo + p * NR + j], s);
                int ci = co + i * ldc + j;
                c[ci] = beta == 0f ? alpha * s : alpha * s + beta * c[ci];
            }
        }
    }

    /** Runs task(0..count-1): in parallel on the common pool when count > 1. Which thread runs a task never matters. */
    static void tasks(int count, Config cfg, java.util.function.IntConsumer task) {
        if (count <= 1 || cfg.tasks() <= 1) {
            for (int t = 0; t < count; t++) task.accept(t);
        } else {
            IntStream.range(0, count).parallel().forEach(task);
        }
    }

    /** Start of part t when n units are split into parts nearly equal parts. */
    static int split(int n, int parts, int t) { return (int) ((long) n * t / parts); }

    static int ceil(int a, int b) { return (a + b - 1) / b; }
}
