package dev.sparring.backend.cuda;

import dev.sparring.backend.BackendException;
import dev.sparring.linalg.NewtonSchulz;
import dev.sparring.linalg.ScatterMoments;
import dev.sparring.linalg.SqrtTrace;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The FID's float64 ops on the GPU ({@code CudaBackend.featureMoments} and {@code .sqrtTrace}): our kernels of
 * {@code kernels/fid.cu} between cuBLAS DGEMMs, and cuSOLVER's DSYEVD for the EIGEN method. The arithmetic mirrors the
 * CPU twin step for step: {@link ScatterMoments} for the moments, {@link NewtonSchulz} (its {@link NewtonSchulz.Progress}
 * is the stopping rule of both) and {@link SqrtTrace}'s EIGEN for the square-root trace.
 *
 * <p>Matrices are row-major F × F doubles; cuBLAS is column-major, so a row-major product C = A B is asked for as the
 * column-major Cᵀ = Bᵀ Aᵀ ({@link #gemm}), as {@code CudaBackend.gemm} does for SGEMM.
 *
 * <p>The moments are asynchronous (scratch kept between calls, grown when F grows). The square-root trace waits: the
 * Newton–Schulz loop reads the trace of each iterate back (8 bytes) for its stopping rule, and allocates its
 * matrices (seven of F × F, 224 MiB at F = 2048) for the call only. Not for use inside a step graph.
 */
final class CudaFid implements AutoCloseable {
    private final CudaContext context;
    private final Launcher launcher;
    private final DeviceMemory memory;
    private final Kernels kernels;
    private final Staging staging;
    private final MemorySegment alpha, beta;           // host doubles for DGEMM
    private long scratch;                              // moments: bm (F), delta (F), xc (BLOCK x F)
    private int scratchFeatures;
    private MemorySegment solver;                      // cuSOLVER handle, made on the first EIGEN call

    CudaFid(CudaContext context, Launcher launcher, DeviceMemory memory, Kernels kernels, Staging staging) {
        this.context = context;
        this.launcher = launcher;
        this.memory = memory;
        this.kernels = kernels;
        this.staging = staging;
        this.alpha = context.arena.allocate(JAVA_DOUBLE);
        this.beta = context.arena.allocate(JAVA_DOUBLE);
    }

    // ---------------------------------------------------------------- moments

    /** mean (F), m2 (F x F) accumulated with the n rows (n x F floats) at {@code rows}; count rows folded before. */
    void featureMoments(long mean, long m2, long count, long rows, int n, int f) {
        if (scratchFeatures < f) {
            if (scratch != 0) memory.free(scratch);
            scratch = 0;
            scratchFeatures = 0;
            scratch = memory.allocate(8L * f * (2 + ScatterMoments.BLOCK), "the FID moments' scratch");
            scratchFeatures = f;
        }
        long bm = scratch, delta = scratch + 8L * f, xc = scratch + 16L * f;
        for (int start = 0; start < n; start += ScatterMoments.BLOCK) {
            int nb = Math.min(ScatterMoments.BLOCK, n - start);
            long block = rows + 4L * start * f;
            launcher.kernel(kernels.fidBlockMean, launcher.blocksFor(f)).ptr(bm).ptr(block).i32(nb).i32(f).launch();
            launcher.kernel(kernels.fidCenter, launcher.blocksFor((long) nb * f)).ptr(xc).ptr(block).ptr(bm).i32(nb).i32(f).launch();
            // m2 += xcᵀ xc: row-major xc (nb x F) is column-major xcᵀ (F x nb); the product is symmetric
            dgemmColumnMajor(Cublas.CUBLAS_OP_N, Cublas.CUBLAS_OP_T, f, f, nb, 1.0, xc, f, xc, f, 1.0, m2, f);
            double na = count, total = na + nb, w = na * nb / total;
            launcher.kernel(kernels.fidMergeMean, launcher.blocksFor(f)).ptr(delta).ptr(mean).ptr(bm).f64(nb / total).i32(f).launch();
            if (w != 0) launcher.kernel(kernels.fidRank1, launcher.blocksFor((long) f * f)).ptr(m2).ptr(delta).f64(w).i32(f).launch();
            count += nb;
        }
    }

    // ---------------------------------------------------------------- square-root trace

    /** tr (Σ₁Σ₂)^{1/2} of the symmetric F x F matrices at s1 and s2 (not modified). */
    SqrtTrace.Result sqrtTrace(long s1, long s2, int f, SqrtTrace.Method method) {
        launcher.checkMayWait("sqrtTrace");
        return switch (method) {
            case AUTO, NEWTON_SCHULZ -> newtonSchulz(s1, s2, f);
            case EIGEN -> eigen(s1, s2, f);
            case CHOLESKY -> throw new IllegalArgumentException("sqrtTrace: CUDA has no CHOLESKY method (NEWTON_SCHULZ, EIGEN or AUTO)");
        };
    }

    /** F x F doubles of device memory for one call. */
    private final class Matrices implements AutoCloseable {
        private final long[] ptrs;

        Matrices(int count, long bytes) {
            ptrs = new long[count];
            try {
                for (int i = 0; i < count; i++) ptrs[i] = memory.allocate(bytes, "the square-root trace's matrices");
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

        long get(int i) { return ptrs[i]; }

        @Override
        public void close() {
            for (int i = 0; i < ptrs.length; i++) {
                if (ptrs[i] != 0) memory.free(ptrs[i]);
                ptrs[i] = 0;
            }
        }
    }

    private SqrtTrace.Result newtonSchulz(long s1, long s2, int f) {
        long mat = 8L * f * f;
        int partialsCount = launcher.blocksFor((long) f * f);
        // 0 Y, 1 Z, 2 T, 3 Y', 4 Z', 5 the root S, then A; 6 S Σ₂ (then A unsymmetrised); 7: partial sums and the trace
        try (Matrices m = new Matrices(8, Math.max(mat, 8L * partialsCount))) {
            Run r1 = root(m, s1, m.get(5), f, partialsCount);
            gemm(f, f, f, 1.0, m.get(5), s2, 0.0, m.get(0));          // S Σ₂ (Y's place is free between runs)
            gemm(f, f, f, 1.0, m.get(0), m.get(5), 0.0, m.get(6));    // S Σ₂ S
            launcher.kernel(kernels.fidSymmetrise, launcher.blocksFor((long) f * f)).ptr(m.get(5)).ptr(m.get(6)).i32(f).launch();
            Run r2 = root(m, m.get(5), 0, f, partialsCount);
            return new SqrtTrace.Result(r2.trace, SqrtTrace.Method.NEWTON_SCHULZ, 0, f, (r1.fell ? 1 : 0) + (r2.fell ? 1 : 0),
                    r1.iterations + r2.iterations);
        }
    }

    private record Run(double trace, int iterations, boolean fell) { }

    /**
     * One Newton–Schulz run on the symmetric PSD matrix at {@code a} (read before anything is written, so it may be
     * one of m's); the square root √c Y goes to {@code out} when that is not 0. Mirrors {@link NewtonSchulz}'s root.
     */
    private Run root(Matrices m, long a, long out, int f, int partialsCount) {
        long n = (long) f * f;
        int grid = launcher.blocksFor(n);
        long partials = m.get(7);
        launcher.kernel(kernels.fidSumSquares, partialsCount).ptr(partials).ptr(a).i64(n).launch();
        MemorySegment host = staging.toHost(partials, 8L * partialsCount);
        double c = 0;
        for (int i = 0; i < partialsCount; i++) c += host.getAtIndex(JAVA_DOUBLE, i);
        c = Math.sqrt(c);
        if (c == 0) {
            if (out != 0) launcher.library("memset", () -> CudaDriver.memsetD8Async(out, (byte) 0, 8 * n, context.stream), out, 8 * n);
            return new Run(0, 0, false);
        }
        long y = m.get(0), z = m.get(1), t = m.get(2), yn = m.get(3), zn = m.get(4);
        launcher.kernel(kernels.fidScaledCopy, grid).ptr(y).ptr(a).f64(c).i64(n).launch();
        launcher.kernel(kernels.fidIdentity, grid).ptr(z).f64(1.0).i32(f).launch();
        NewtonSchulz.Progress progress = new NewtonSchulz.Progress();
        NewtonSchulz.Step step;
        do {
            launcher.kernel(kernels.fidIdentity, grid).ptr(t).f64(1.5).i32(f).launch();
            gemm(f, f, f, -0.5, z, y, 1.0, t);                       // T = 1.5 I − 0.5 Z Y
            gemm(f, f, f, 1.0, y, t, 0.0, yn);                        // Y' = Y T
            gemm(f, f, f, 1.0, t, z, 0.0, zn);                        // Z' = T Z
            launcher.kernel(kernels.fidSymmetriseInPlace, grid).ptr(yn).i32(f).launch();
            launcher.kernel(kernels.fidSymmetriseInPlace, grid).ptr(zn).i32(f).launch();
            launcher.kernel(kernels.fidTrace, 1).ptr(partials).ptr(yn).i32(f).launch();
            step = progress.next(staging.toHost(partials, 8).get(JAVA_DOUBLE, 0));
            if (step == NewtonSchulz.Step.FELL) break;
            long s = y; y = yn; yn = s;
            s = z; z = zn; zn = s;
        } while (step == NewtonSchulz.Step.CONTINUE);
        double rc = Math.sqrt(c);
        if (out != 0) {
            launcher.library("copy", copyCall(out, y, 8 * n), out, y, 8 * n);
            launcher.kernel(kernels.fidScale, grid).ptr(out).f64(rc).i64(n).launch();
        }
        return new Run(progress.trace() * rc, progress.iterations(), step == NewtonSchulz.Step.FELL);
    }

    private Runnable copyCall(long dst, long src, long bytes) {
        return () -> CudaDriver.memcpyDtoDAsync(dst, src, bytes, context.stream);
    }

    /**
     * EIGEN: Σ₁ = V Λ Vᵀ by DSYEVD; the rows √λᵢ vᵢ of the positive λᵢ (the last ones: DSYEVD sorts ascending) make
     * R, and the eigenvalues of the symmetrised R Σ₂ Rᵀ (DSYEVD again, values only) give the trace: SqrtTrace's EIGEN.
     */
    private SqrtTrace.Result eigen(long s1, long s2, int f) {
        NativeLibraries.Located lib = NativeLibraries.locate(NativeLibraries.CUSOLVER);
        if (!lib.found()) {
            throw new BackendException("the EIGEN method of the square-root trace needs cuSOLVER, which was not found "
                    + "(NEWTON_SCHULZ needs only cuBLAS). " + lib.message());
        }
        if (solver == null) {
            solver = Cusolver.create();
            Cusolver.setStream(solver, context.stream);
        }
        long mat = 8L * f * f;
        // 0 V (a copy of Σ₁: DSYEVD overwrites it), 1 R, 2 R Σ₂, 3 R Σ₂ Rᵀ, 4 symmetrised, 5 eigenvalues (2 F) and info
        try (Matrices m = new Matrices(6, Math.max(mat, 8L * (2L * f + 1)))) {
            long v = m.get(0), w = m.get(5), w2 = w + 8L * f, info = w + 16L * f;
            launcher.library("copy", copyCall(v, s1, mat), v, s1, mat);
            syevd(Cusolver.CUSOLVER_EIG_MODE_VECTOR, v, f, w, info);
            double[] lambda = doubles(w, f);
            int rank = 0, clamped = 0;
            for (double l : lambda) {
                if (l > 0) rank++;
                else if (l < 0) clamped++;
            }
            if (rank == 0) return new SqrtTrace.Result(0, SqrtTrace.Method.EIGEN, 1, 0, clamped, 0);
            int first = f - rank;                                       // ascending: the positive ones are last
            long r = m.get(1);
            launcher.kernel(kernels.fidScaleRows, launcher.blocksFor((long) rank * f)).ptr(r).ptr(v + 8L * first * f)
                    .ptr(w + 8L * first).i32(rank).i32(f).launch();
            gemm(rank, f, f, 1.0, r, s2, 0.0, m.get(2));                 // R Σ₂ (rank x F)
            gemmTransB(rank, rank, f, m.get(2), r, m.get(3));            // R Σ₂ Rᵀ (rank x rank)
            launcher.kernel(kernels.fidSymmetrise, launcher.blocksFor((long) rank * rank)).ptr(m.get(4)).ptr(m.get(3)).i32(rank).launch();
            syevd(Cusolver.CUSOLVER_EIG_MODE_NOVECTOR, m.get(4), rank, w2, info);
            double[] mu = doubles(w2, rank);
            double trace = 0;
            for (double l : mu) {
                if (Double.isNaN(l)) throw new IllegalStateException("sqrtTrace: an eigenvalue of R Σ₂ Rᵀ is NaN (size " + rank + ")");
                if (l > 0) trace += Math.sqrt(l);
                else if (l < 0) clamped++;
            }
            return new SqrtTrace.Result(trace, SqrtTrace.Method.EIGEN, 1, rank, clamped, 0);
        }
    }

    /** DSYEVD of the n x n symmetric matrix at a (lower triangle; symmetric, so either reading), eigenvalues to w. */
    private void syevd(int jobz, long a, int n, long w, long info) {
        int lwork = Cusolver.dsyevdBufferSize(solver, jobz, Cusolver.CUBLAS_FILL_MODE_LOWER, n, a, n, w);
        long work = memory.allocate(8L * Math.max(1, lwork), "cuSOLVER's workspace");
        try {
            launcher.library("cusolverDnDsyevd", () -> Cusolver.dsyevd(solver, jobz, Cusolver.CUBLAS_FILL_MODE_LOWER, n, a, n, w,
                    work, lwork, info), jobz, a, n, w, work, lwork, info);
            int status = staging.toHost(info, 4).get(JAVA_INT, 0);
            if (status != 0) {
                throw new BackendException("cusolverDnDsyevd: " + (status > 0 ? status + " off-diagonal elements did not converge"
                        : "parameter " + -status + " was wrong") + " (n = " + n + ")");
            }
        } finally {
            memory.free(work);
        }
    }

    private double[] doubles(long src, int n) {
        double[] out = new double[n];
        MemorySegment.copy(staging.toHost(src, 8L * n), JAVA_DOUBLE, 0, out, 0, n);
        return out;
    }

    // ---------------------------------------------------------------- DGEMM

    /** Row-major C (m x n) = alpha A (m x k) B (k x n) + beta C, all dense (row lengths k, n, n). */
    private void gemm(int m, int n, int k, double a, long pa, long pb, double b, long pc) {
        dgemmColumnMajor(Cublas.CUBLAS_OP_N, Cublas.CUBLAS_OP_N, n, m, k, a, pb, n, pa, k, b, pc, n);
    }

    /** Row-major C (m x n) = A (m x k) Bᵀ, B (n x k) row-major. */
    private void gemmTransB(int m, int n, int k, long pa, long pb, long pc) {
        dgemmColumnMajor(Cublas.CUBLAS_OP_T, Cublas.CUBLAS_OP_N, n, m, k, 1.0, pb, k, pa, k, 0.0, pc, n);
    }

    private void dgemmColumnMajor(int ta, int tb, int m, int n, int k, double a, long pa, int lda, long pb, int ldb,
                                  double b, long pc, int ldc) {
        launcher.library("dgemm", () -> {
            alpha.set(JAVA_DOUBLE, 0, a);
            beta.set(JAVA_DOUBLE, 0, b);
            Cublas.dgemm(context.cublas, ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
        }, ta, tb, m, n, k, pa, lda, pb, ldb, pc, ldc, Double.doubleToRawLongBits(a), Double.doubleToRawLongBits(b));
    }

    /** Frees the scratch and destroys the cuSOLVER handle. */
    @Override
    public void close() {
        if (scratch != 0) {
            long s = scratch;
            scratch = 0;
            scratchFeatures = 0;
            CudaDriver.memFree(s);
        }
        if (solver != null) {
            MemorySegment h = solver;
            solver = null;
            Cusolver.destroy(h);
        }
    }
}
