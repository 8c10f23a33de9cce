package dev.sparring.backend.cuda;

import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.backend.BackendException;
import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.ConvSpec;
import dev.sparring.backend.GemmDims;
import dev.sparring.backend.PoolSpec;
import dev.sparring.backend.ScalarProgram;
import dev.sparring.backend.StepGraph;
import dev.sparring.linalg.SqrtTrace;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Shapes;
import dev.sparring.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The fast twin of {@link dev.sparring.backend.cpu.CpuBackend}: float32 NCHW tensors in device memory, all work
 * queued on one CUDA stream. Convolutions are cuDNN's ({@link CudnnConv}: descriptors and algorithm search once per
 * shape, one workspace that only grows), batch norm is cuDNN's or our kernels' ({@link BatchNormOps}, chosen by
 * {@link Options#batchNorm()}), GEMM is cuBLAS SGEMM, and everything else is our kernels ({@code kernels/*.cu}:
 * activations and bias, the fused GAN loss, softmax cross-entropy, multi-tensor optimizers, Philox noise, dataset gathering,
 * reductions, pooling, channel slices, bilinear resizing).
 *
 * <p>This class checks each op's tensors as the CPU twin does and hands the work to the pieces of the package (see
 * its documentation): every launch and library call goes through one {@link Launcher}, which alone knows step graphs.
 *
 * <p>Synchronisation: only {@link #download} and {@link #synchronize} wait for the GPU. {@link #upload} of more
 * than {@value Staging#LIMIT} bytes also waits (it is a setup operation); smaller uploads and {@link #copyFromHost}
 * go through a ring of {@value Staging#SLOTS} page-locked staging buffers, and wait only for the copy
 * {@value Staging#SLOTS} uploads earlier to have left its buffer, so the host can queue that many steps of per-step
 * uploads (2-D batches) ahead of the GPU. The first convolution of a new shape runs cuDNN's timed search, which
 * synchronises.
 *
 * <p>Not thread-safe: drive one backend from one thread at a time (it makes its CUDA context current on
 * whichever thread calls it).
 */
public final class CudaBackend implements Backend {

    /**
     * Options of the CUDA backend.
     *
     * @param device        CUDA device ordinal (as nvidia-smi numbers them, after CUDA_VISIBLE_DEVICES)
     * @param allowTf32     let cuDNN and cuBLAS use TF32 tensor cores for float32 convolutions and GEMM (faster,
     *                      about 1e-3 relative error); off by default so that results match the CPU twin to float
     *                      rounding
     * @param deterministic only use convolution algorithms that cuDNN reports deterministic (no atomics), so
     *                      that two runs give the same bits
     * @param batchNorm     whose batch norm runs: cuDNN's, or our kernels ({@code kernels/batchnorm.cu}, the CPU
     *                      twin's arithmetic: statistics in double, two passes)
     */
    public record Options(int device, boolean allowTf32, boolean deterministic, BatchNorm batchNorm) {
        public Options {
            if (device < 0) throw new IllegalArgumentException("CUDA device ordinal must be >= 0, got " + device);
            if (batchNorm == null) throw new IllegalArgumentException("batchNorm must be CUDNN or KERNELS");
        }

        /** cuDNN's batch norm. */
        public Options(int device, boolean allowTf32, boolean deterministic) {
            this(device, allowTf32, deterministic, BatchNorm.CUDNN);
        }

        public static Options defaults() { return new Options(0, false, false); }

        public Options withBatchNorm(BatchNorm b) { return new Options(device, allowTf32, deterministic, b); }
    }

    /** Which implementation of batch norm the backend uses. */
    public enum BatchNorm {
        CUDNN, KERNELS;

        /** "cudnn" or "kernels", as --batch-norm takes it. */
        public static BatchNorm parse(String s) {
            return switch (s) {
                case "cudnn" -> CUDNN;
                case "kernels" -> KERNELS;
                default -> throw new IllegalArgumentException("batch norm must be cudnn or kernels, got " + s);
            };
        }
    }

    static final int REDUCE_MAX_BLOCKS = 1024;          // partial sums of sum_squares

    private final String describe;
    private final CudaContext context;
    private final Staging staging;
    private final Launcher launcher;
    private final DeviceMemory memory;
    private final Kernels kernels;
    private final CudnnConv conv;
    private final BatchNormOps batchNorm;
    private final TensorTables tables;
    private final LossPrograms programs;
    private final CudaFid fid;
    private final MemorySegment gemmAlpha, gemmBeta; // float scalars for cuBLAS, host pointer mode
    private final long partials;            // double[REDUCE_MAX_BLOCKS] for sum_squares
    private final long ticket;              // unsigned int, sum_squares' last-block counter (kept at 0 between launches)
    private final Releases owned = new Releases();     // what the backend made, released last first
    private final List<CudaStepGraph> graphs = new ArrayList<>();

    /** Device 0, float32 exactly (no TF32), fastest algorithms. */
    public CudaBackend() { this(Options.defaults()); }

    /**
     * Creates the backend on {@code options.device()}: retains the primary context, creates the stream, the cuBLAS and
     * cuDNN handles, and loads the kernel modules. Throws {@link BackendException} with the reason when the GPU
     * cannot be used (see {@link CudaRuntime#probe()}).
     */
    public CudaBackend(Options options) {
        CudaRuntime.Status status = CudaRuntime.probe();
        if (!status.available()) throw new BackendException("CUDA backend unavailable: " + status.reason());
        KernelBuild build = KernelBuild.load().orElseThrow();
        context = new CudaContext(options.device(), options.allowTf32());
        owned.push(context::close);
        // What is made is released in reverse order if a later step fails, so that a failed start (and a fallback to
        // the CPU) leaves no context retained.
        try {
            staging = new Staging(context.stream);
            owned.push(staging::close);
            launcher = new Launcher(context.stream, staging, context.smCount, context.arena);
            memory = new DeviceMemory(launcher);
            kernels = new Kernels(build, context.ccMajor, context.ccMinor);
            owned.push(kernels::close);
            conv = new CudnnConv(context, launcher, memory, options.allowTf32(), options.deterministic());
            owned.push(conv::close);
            batchNorm = options.batchNorm() == BatchNorm.KERNELS ? new KernelBatchNorm(kernels, launcher) : new CudnnBatchNorm(context, launcher, kernels, memory);
            owned.push(batchNorm::close);
            tables = new TensorTables(context.stream, launcher, memory, staging, this::f32);
            owned.push(tables::close);
            programs = new LossPrograms(context.arena);
            fid = new CudaFid(context, launcher, memory, kernels, staging);
            owned.push(fid::close);
            gemmAlpha = context.arena.allocate(JAVA_FLOAT);
            gemmBeta = context.arena.allocate(JAVA_FLOAT);
            partials = memory.allocate(8L * REDUCE_MAX_BLOCKS, "sum_squares' partial sums");
            owned.push(() -> CudaDriver.memFree(partials));
            ticket = memory.allocate(4, "sum_squares' ticket");
            owned.push(() -> CudaDriver.memFree(ticket));
            CudaDriver.memsetD32Async(ticket, 0, 1, context.stream);

            describe = String.format("CUDA, %s (sm_%d%d, %d SMs, %.1f GiB), driver CUDA %s, cuBLAS %s, cuDNN %s, kernels %s%s",
                    context.deviceName, context.ccMajor, context.ccMinor, context.smCount, context.totalMemory / (1024.0 * 1024 * 1024),
                    KernelBuild.cudaVersion(CudaDriver.driverVersion()), Cublas.versionString(), Cudnn.versionString(Cudnn.version()),
                    kernels.image(), options.allowTf32() ? ", TF32 allowed" : "")
                    + (options.batchNorm() == BatchNorm.KERNELS ? ", batch norm by our kernels" : "");
        } catch (RuntimeException | Error failure) {
            owned.releaseAll(failure);
            throw failure;
        }
    }

    @Override
    public String name() { return "cuda"; }

    @Override
    public String description() { return describe; }

    /** The device's free memory (cuMemGetInfo). */
    @Override
    public Memory memoryAvailable() {
        bind();
        long[] info = CudaDriver.memGetInfo();
        return new Memory(info[0], String.format(java.util.Locale.ROOT, "the %.1f GiB free of the GPU's %.1f GiB", info[0] / 0x1p30, info[1] / 0x1p30), false);
    }

    /** Makes our context current on the calling thread when another thread drove the backend last. */
    private void bind() { context.bind(); }

    // ---------------------------------------------------------------- step graphs

    @Override
    public StepGraph stepGraph() {
        bind();
        CudaStepGraph g = new CudaStepGraph(this, context, launcher, memory, staging);
        graphs.add(g);
        return g;
    }

    void forget(CudaStepGraph graph) { graphs.remove(graph); }

    boolean isClosed() { return context.isClosed(); }

    /** The stream, for tests that interfere with a capture. */
    MemorySegment stream() { return context.stream; }

    // ---------------------------------------------------------------- tensors

    /** {@code t} as a tensor of this backend, open. */
    private CudaTensor tensor(Tensor t) {
        if (t instanceof CudaTensor c && c.backend == this) {
            if (c.isFreed()) throw new IllegalStateException(t + " was closed");
            return c;
        }
        throw new IllegalArgumentException("tensor " + t + " does not belong to this CUDA backend");
    }

    /** The device address of an F64 tensor of this backend. */
    private long f64(Tensor t) {
        CudaTensor c = tensor(t);
        if (c.dtype() != DType.F64) throw new IllegalArgumentException("expected an F64 tensor, got " + t);
        return c.ptr;
    }

    /** The device address of an F32 tensor of this backend. */
    private long f32(Tensor t) {
        CudaTensor c = tensor(t);
        if (c.dtype() != DType.F32) throw new IllegalArgumentException("expected an F32 tensor, got " + t);
        return c.ptr;
    }

    private static void sameSize(String op, Tensor a, Tensor b) {
        if (a.size() != b.size()) throw new IllegalArgumentException(op + ": " + a + " and " + b + " differ in size");
    }

    private CudaTensor allocate(DType dtype, int... shape) {
        bind();
        long ptr = memory.allocate(Shapes.size(shape) * dtype.bytes, "allocating a tensor " + Shapes.str(shape));
        return new CudaTensor(this, ptr, dtype, true, shape);
    }

    /** Frees a tensor's memory (CudaTensor.close); nothing after close, when the memory went with the context. */
    void free(long ptr) {
        if (context.isClosed() || ptr == 0) return;
        bind();
        memory.free(ptr);
    }

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        CudaTensor t = allocate(dtype, shape);
        if (t.bytes > 0) launcher.library("zeros", () -> CudaDriver.memsetD8Async(t.ptr, (byte) 0, t.bytes, context.stream), t.ptr, t.bytes);
        return t;
    }

    @Override
    public Tensor upload(float[] data, int... shape) { return upload(DType.F32, MemorySegment.ofArray(data), data.length, "values", shape); }

    @Override
    public Tensor upload(byte[] data, int... shape) { return upload(DType.U8, MemorySegment.ofArray(data), data.length, "bytes", shape); }

    @Override
    public Tensor upload(int[] data, int... shape) { return upload(DType.I32, MemorySegment.ofArray(data), data.length, "ints", shape); }

    @Override
    public Tensor upload(double[] data, int... shape) { return upload(DType.F64, MemorySegment.ofArray(data), data.length, "doubles", shape); }

    /** A new tensor holding {@code length} elements of {@code data} (a heap array), checked against the shape first. */
    private Tensor upload(DType dtype, MemorySegment data, int length, String elements, int... shape) {
        if (length != Shapes.size(shape)) throw new IllegalArgumentException("upload: " + length + " " + elements + " for shape " + Shapes.str(shape));
        CudaTensor t = allocate(dtype, shape);
        staging.toDevice(t.ptr, data, t.bytes);
        return t;
    }

    @Override
    public void copyFromHost(float[] src, Tensor dst) {
        long p = f32(dst);
        if (src.length != dst.size()) throw new IllegalArgumentException("copyFromHost: " + src.length + " values into " + dst);
        bind();
        launcher.copyFromHost(p, MemorySegment.ofArray(src), 4L * src.length);
    }

    @Override
    public void copyFromHost(int[] src, Tensor dst) {
        CudaTensor c = tensor(dst);
        if (c.dtype() != DType.I32) throw new IllegalArgumentException("copyFromHost: expected an I32 tensor, got " + dst);
        if (src.length != dst.size()) throw new IllegalArgumentException("copyFromHost: " + src.length + " ints into " + dst);
        bind();
        launcher.copyFromHost(c.ptr, MemorySegment.ofArray(src), 4L * src.length);
    }

    @Override
    public float[] download(Tensor t) {
        CudaTensor c = tensor(t);
        bind();
        launcher.checkMayWait("download");
        float[] out = new float[t.sizeInt()];
        if (c.bytes == 0) return out;
        MemorySegment host = staging.toHost(c.ptr, c.bytes);
        switch (c.dtype()) {
            case F32 -> MemorySegment.copy(host, JAVA_FLOAT, 0, out, 0, out.length);
            case U8 -> { for (int i = 0; i < out.length; i++) out[i] = host.get(JAVA_BYTE, i) & 0xFF; }
            case I32 -> { for (int i = 0; i < out.length; i++) out[i] = host.getAtIndex(JAVA_INT, i); }
            case F64 -> { for (int i = 0; i < out.length; i++) out[i] = (float) host.getAtIndex(JAVA_DOUBLE, i); }
        }
        return out;
    }

    @Override
    public double[] downloadDoubles(Tensor t) {
        long p = f64(t);
        bind();
        launcher.checkMayWait("download");
        double[] out = new double[t.sizeInt()];
        if (out.length == 0) return out;
        MemorySegment.copy(staging.toHost(p, 8L * out.length), JAVA_DOUBLE, 0, out, 0, out.length);
        return out;
    }

    /** The exact values of an I32 tensor ({@link #download} widens to float, which rounds above 2^24). Waits. */
    int[] downloadInts(Tensor t) {
        CudaTensor c = tensor(t);
        if (c.dtype() != DType.I32) throw new IllegalArgumentException("downloadInts needs an I32 tensor, got " + t);
        bind();
        launcher.checkMayWait("download");
        int[] out = new int[t.sizeInt()];
        if (c.bytes == 0) return out;
        MemorySegment.copy(staging.toHost(c.ptr, c.bytes), JAVA_INT, 0, out, 0, out.length);
        return out;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        CudaTensor s = tensor(src), d = tensor(dst);
        if (s.dtype() != d.dtype() || s.size() != d.size()) throw new IllegalArgumentException("copy " + src + " -> " + dst);
        bind();
        if (s.bytes == 0) return;
        launcher.library("copy", () -> CudaDriver.memcpyDtoDAsync(d.ptr, s.ptr, s.bytes, context.stream), d.ptr, s.ptr, s.bytes);
    }

    @Override
    public Tensor view(Tensor t, int... shape) {
        CudaTensor c = tensor(t);
        if (Shapes.size(shape) != t.size()) throw new IllegalArgumentException("view of " + t + " as " + Arrays.toString(shape));
        return new CudaTensor(this, c.ptr, c.dtype(), false, shape);
    }

    @Override
    public void fill(Tensor t, float value) {
        long p = f32(t);
        bind();
        if (t.size() == 0) return;
        int bits = Float.floatToRawIntBits(value);
        launcher.library("fill", () -> CudaDriver.memsetD32Async(p, bits, t.size(), context.stream), p, bits, t.size());
    }

    @Override
    public void synchronize() {
        bind();
        launcher.checkMayWait("synchronize");
        CudaDriver.streamSynchronize(context.stream);
    }

    // ---------------------------------------------------------------- convolution (cuDNN)

    @Override
    public void conv2dForward(Tensor y, Tensor x, Tensor w, ConvSpec spec) {
        CudnnConv.Shape s = CudnnConv.shape(x, w, y, spec, "conv2dForward");
        long yp = f32(y), xp = f32(x), wp = f32(w);
        bind();
        conv.forward(yp, xp, wp, s);
    }

    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, ConvSpec spec, boolean accumulate) {
        CudnnConv.Shape s = CudnnConv.shape(dx, w, dy, spec, "conv2dBackwardData");
        long dxp = f32(dx), dyp = f32(dy), wp = f32(w);
        bind();
        conv.backwardData(dxp, dyp, wp, s, accumulate);
    }

    @Override
    public void conv2dBackwardFilter(Tensor dw, Tensor x, Tensor dy, ConvSpec spec, boolean accumulate) {
        CudnnConv.Shape s = CudnnConv.shape(x, dw, dy, spec, "conv2dBackwardFilter");
        long dwp = f32(dw), xp = f32(x), dyp = f32(dy);
        bind();
        conv.backwardFilter(dwp, xp, dyp, s, accumulate);
    }

    // ---------------------------------------------------------------- bias

    @Override
    public void addBias(Tensor y, Tensor b) {
        long yp = f32(y), bp = f32(b);
        int C = y.dim(1);
        if (b.size() != C) throw new IllegalArgumentException("addBias: bias " + b + " for " + y);
        bind();
        if (y.size() == 0) return;
        launcher.kernel(kernels.biasAdd, launcher.blocksFor(y.size())).ptr(yp).ptr(bp).i64(y.size()).i32(C).i64(y.sizeFrom(2)).launch();
    }

    @Override
    public void biasBackward(Tensor db, Tensor dy) {
        long dbp = f32(db), dyp = f32(dy);
        int N = dy.dim(0), C = dy.dim(1);
        if (db.size() != C) throw new IllegalArgumentException("biasBackward: " + db + " for " + dy);
        bind();
        if (C == 0) return;
        launcher.kernel(kernels.biasBackward, C).ptr(dbp).ptr(dyp).i32(N).i32(C).i64(dy.sizeFrom(2)).launch();
    }

    // ---------------------------------------------------------------- batch norm (cuDNN's or our kernels: BatchNormOps)

    /** x as (N, C, H*W), checked against the per-channel tensors. */
    private static BatchNormOps.Shape bnShape(Tensor x, String op, Tensor... perChannel) {
        if (x.rank() < 2) throw new IllegalArgumentException(op + ": input must have a channel dimension, got " + x);
        int C = x.dim(1);
        for (Tensor t : perChannel) {
            if (t.size() != C) throw new IllegalArgumentException(op + ": per-channel tensor " + t + " for input " + x);
        }
        return new BatchNormOps.Shape(x.dim(0), C, x.sizeFrom(2));
    }

    @Override
    public void batchNormTrain(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
                               Tensor runMean, Tensor runVar, double momentum, double eps) {
        sameSize("batchNormTrain", x, y);
        long yp = f32(y), smp = f32(saveMean), sip = f32(saveInvStd), xp = f32(x), gp = f32(gamma), bp = f32(beta), rmp = f32(runMean), rvp = f32(runVar);
        bind();
        BatchNormOps.Shape s = bnShape(x, "batchNormTrain", saveMean, saveInvStd, gamma, beta, runMean, runVar);
        batchNorm.train(s, yp, smp, sip, xp, gp, bp, rmp, rvp, momentum, eps);
    }

    @Override
    public void batchNormEval(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar, double eps) {
        sameSize("batchNormEval", x, y);
        long yp = f32(y), xp = f32(x), gp = f32(gamma), bp = f32(beta), rmp = f32(runMean), rvp = f32(runVar);
        bind();
        batchNorm.eval(bnShape(x, "batchNormEval", gamma, beta, runMean, runVar), yp, xp, gp, bp, rmp, rvp, eps);
    }

    @Override
    public void batchNormBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor gamma,
                                  Tensor saveMean, Tensor saveInvStd, double eps) {
        sameSize("batchNormBackward", x, dx);
        sameSize("batchNormBackward", x, dy);
        long dxp = f32(dx), dgp = f32(dgamma), dbp = f32(dbeta), dyp = f32(dy), xp = f32(x), gp = f32(gamma), smp = f32(saveMean), sip = f32(saveInvStd);
        bind();
        BatchNormOps.Shape s = bnShape(x, "batchNormBackward", dgamma, dbeta, gamma, saveMean, saveInvStd);
        batchNorm.backward(s, dxp, dgp, dbp, dyp, xp, gp, smp, sip, eps);
    }

    @Override
    public void batchNormActTrain(Activation act, double alpha, Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma,
                                  Tensor beta, Tensor runMean, Tensor runVar, double momentum, double eps) {
        requireFusable("batchNormActTrain", act, alpha);
        sameSize("batchNormActTrain", x, y);
        long yp = f32(y), smp = f32(saveMean), sip = f32(saveInvStd), xp = f32(x), gp = f32(gamma), bp = f32(beta), rmp = f32(runMean), rvp = f32(runVar);
        bind();
        BatchNormOps.Shape s = bnShape(x, "batchNormActTrain", saveMean, saveInvStd, gamma, beta, runMean, runVar);
        batchNorm.trainAct(s, act, (float) alpha, yp, smp, sip, xp, gp, bp, rmp, rvp, momentum, eps);
    }

    @Override
    public void batchNormActBackward(Activation act, double alpha, Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor y,
                                     Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd, double eps) {
        requireFusable("batchNormActBackward", act, alpha);
        sameSize("batchNormActBackward", x, dx);
        sameSize("batchNormActBackward", x, dy);
        sameSize("batchNormActBackward", x, y);
        long dxp = f32(dx), dgp = f32(dgamma), dbp = f32(dbeta), dyp = f32(dy), yp = f32(y), xp = f32(x), gp = f32(gamma), smp = f32(saveMean), sip = f32(saveInvStd);
        if (dxp == dyp || dxp == yp || dxp == xp) throw new IllegalArgumentException("batchNormActBackward: dx must not be dy, y or x");
        bind();
        BatchNormOps.Shape s = bnShape(x, "batchNormActBackward", dgamma, dbeta, gamma, saveMean, saveInvStd);
        batchNorm.backwardAct(s, act, (float) alpha, dxp, dgp, dbp, dyp, yp, xp, gp, smp, sip, eps);
    }

    private static void requireFusable(String op, Activation act, double alpha) {
        if (!Backend.fusesWithBatchNorm(act, alpha)) {
            throw new IllegalArgumentException(op + ": " + act + " (alpha " + alpha + ") does not fuse with batch norm (ReLU, or LeakyReLU with alpha >= 0)");
        }
    }

    /** Our kernel whichever batch norm runs (cuDNN has no double backward): kernels/batchnorm.cu's bn_double_backward. */
    @Override
    public void batchNormDoubleBackward(Tensor gradDy, Tensor gradX, Tensor dgamma, Tensor gradDx, Tensor dy, Tensor x, Tensor gamma,
                                        Tensor saveMean, Tensor saveInvStd) {
        for (Tensor t : new Tensor[] {gradDy, gradX, gradDx, dy}) sameSize("batchNormDoubleBackward", x, t);
        long gdyp = f32(gradDy), gxp = f32(gradX), dgp = f32(dgamma), gdxp = f32(gradDx), dyp = f32(dy), xp = f32(x), gp = f32(gamma);
        long smp = f32(saveMean), sip = f32(saveInvStd);
        bind();
        BatchNormOps.Shape s = bnShape(x, "batchNormDoubleBackward", dgamma, gamma, saveMean, saveInvStd);
        if (s.size() == 0) return;
        long m = s.inner() * s.n();
        if (s.inner() > Integer.MAX_VALUE || m >= 1L << 32) {
            throw new IllegalArgumentException("batchNormDoubleBackward: x of " + s + ": N*H*W = " + m + " is too large for the batch-norm kernels");
        }
        launcher.kernel(kernels.bnDoubleBackward, s.c()).ptr(gdyp).ptr(gxp).ptr(dgp).ptr(gdxp).ptr(dyp).ptr(xp).ptr(gp).ptr(smp).ptr(sip)
                .i32(s.n()).i32(s.c()).i32((int) s.inner()).launch();
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void activationForward(Activation act, double alpha, Tensor y, Tensor x) {
        sameSize("activationForward", x, y);
        long yp = f32(y), xp = f32(x);
        long n = x.size();
        bind();
        if (n == 0) return;
        int grid = launcher.blocksFor(n);
        switch (act) {
            case RELU -> launcher.kernel(kernels.reluForward, grid).ptr(yp).ptr(xp).i64(n).launch();
            case LEAKY_RELU -> launcher.kernel(kernels.leakyReluForward, grid).ptr(yp).ptr(xp).i64(n).f32((float) alpha).launch();
            case TANH -> launcher.kernel(kernels.tanhForward, grid).ptr(yp).ptr(xp).i64(n).launch();
            case SIGMOID -> launcher.kernel(kernels.sigmoidForward, grid).ptr(yp).ptr(xp).i64(n).launch();
        }
    }

    @Override
    public void activationBackward(Activation act, double alpha, Tensor dx, Tensor dy, Tensor x, Tensor y) {
        sameSize("activationBackward", dx, dy);
        sameSize("activationBackward", dx, x);
        sameSize("activationBackward", dx, y);
        long dxp = f32(dx), dyp = f32(dy), xp = f32(x), yp = f32(y);
        long n = dx.size();
        bind();
        if (n == 0) return;
        int grid = launcher.blocksFor(n);
        switch (act) {
            case RELU -> launcher.kernel(kernels.reluBackward, grid).ptr(dxp).ptr(dyp).ptr(xp).i64(n).launch();
            case LEAKY_RELU -> launcher.kernel(kernels.leakyReluBackward, grid).ptr(dxp).ptr(dyp).ptr(xp).i64(n).f32((float) alpha).launch();
            case TANH -> launcher.kernel(kernels.tanhBackward, grid).ptr(dxp).ptr(dyp).ptr(yp).i64(n).launch();
            case SIGMOID -> launcher.kernel(kernels.sigmoidBackward, grid).ptr(dxp).ptr(dyp).ptr(yp).i64(n).launch();
        }
    }

    @Override
    public void activationDoubleBackward(Activation act, double alpha, Tensor gradDy, Tensor gradX, Tensor gradDx,
                                         Tensor dy, Tensor x, Tensor y) {
        for (Tensor t : new Tensor[] {gradX, gradDx, dy, x, y}) sameSize("activationDoubleBackward", gradDy, t);
        long gdyp = f32(gradDy), gxp = f32(gradX), gdxp = f32(gradDx), dyp = f32(dy), xp = f32(x), yp = f32(y);
        long n = gradDy.size();
        bind();
        if (n == 0) return;
        int grid = launcher.blocksFor(n);
        switch (act) {
            case RELU -> launcher.kernel(kernels.reluDoubleBackward, grid).ptr(gdyp).ptr(gxp).ptr(gdxp).ptr(xp).i64(n).launch();
            case LEAKY_RELU -> launcher.kernel(kernels.leakyReluDoubleBackward, grid).ptr(gdyp).ptr(gxp).ptr(gdxp).ptr(xp).i64(n)
                    .f32((float) alpha).launch();
            case TANH -> launcher.kernel(kernels.tanhDoubleBackward, grid).ptr(gdyp).ptr(gxp).ptr(gdxp).ptr(dyp).ptr(yp).i64(n).launch();
            case SIGMOID -> launcher.kernel(kernels.sigmoidDoubleBackward, grid).ptr(gdyp).ptr(gxp).ptr(gdxp).ptr(dyp).ptr(yp).i64(n).launch();
        }
    }

    // ---------------------------------------------------------------- pooling (kernels/pool.cu)

    /** x (N,C,H,W) and y (N,C,P,Q) checked against each other, as CpuBackend does. */
    private static void poolShapes(Tensor x, Tensor y, PoolSpec spec, String op) {
        if (x.rank() != 4 || y.rank() != 4) throw new IllegalArgumentException(op + ": tensors must be 4-D, got " + x + " and " + y);
        Shapes.require(y, op + " output", x.dim(0), x.dim(1), spec.outH(x.dim(2)), spec.outW(x.dim(3)));
    }

    /** Starts a pooling launch with grid for {@code n} threads: the sizes that follow the tensors in every pool.cu kernel. */
    private KernelArgs poolArgs(Kernels.Kernel k, long n, Tensor x, Tensor y, PoolSpec spec, long... ptrs) {
        KernelArgs a = launcher.kernel(k, launcher.blocksFor(n));
        for (long p : ptrs) a.ptr(p);
        return a.i64((long) x.dim(0) * x.dim(1)).i32(x.dim(2)).i32(x.dim(3)).i32(y.dim(2)).i32(y.dim(3))
                .i32(spec.kernelH()).i32(spec.kernelW()).i32(spec.strideH()).i32(spec.strideW()).i32(spec.padH()).i32(spec.padW());
    }

    @Override
    public void maxPool2dForward(Tensor y, Tensor x, PoolSpec spec) {
        poolShapes(x, y, spec, "maxPool2dForward");
        long yp = f32(y), xp = f32(x);
        bind();
        if (y.size() == 0) return;
        poolArgs(kernels.maxPool2dForward, y.size(), x, y, spec, yp, xp).launch();
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, PoolSpec spec) {
        poolShapes(x, dy, spec, "maxPool2dBackward");
        Shapes.require(dx, "maxPool2dBackward dx", x.shape());
        long dxp = f32(dx), dyp = f32(dy), xp = f32(x);
        bind();
        if (dx.size() == 0) return;
        poolArgs(kernels.maxPool2dBackward, dx.size(), x, dy, spec, dxp, dyp, xp).launch();
    }

    @Override
    public void avgPool2dForward(Tensor y, Tensor x, PoolSpec spec, boolean countIncludePad) {
        poolShapes(x, y, spec, "avgPool2dForward");
        long yp = f32(y), xp = f32(x);
        bind();
        if (y.size() == 0) return;
        poolArgs(kernels.avgPool2dForward, y.size(), x, y, spec, yp, xp).i32(countIncludePad ? 1 : 0).launch();
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, PoolSpec spec, boolean countIncludePad) {
        poolShapes(dx, dy, spec, "avgPool2dBackward");
        long dxp = f32(dx), dyp = f32(dy);
        bind();
        if (dx.size() == 0) return;
        poolArgs(kernels.avgPool2dBackward, dx.size(), dx, dy, spec, dxp, dyp).i32(countIncludePad ? 1 : 0).launch();
    }

    // ---------------------------------------------------------------- channel slices (kernels/concat.cu), resizing (kernels/resize.cu)

    @Override
    public void copyChannels(Tensor dst, int dstC0, Tensor src, int srcC0, int count) {
        long dp = f32(dst), sp = f32(src);
        if (dst.rank() < 2 || dst.rank() != src.rank() || dst.dim(0) != src.dim(0) || dst.sizeFrom(2) != src.sizeFrom(2)) {
            throw new IllegalArgumentException("copyChannels: " + src + " and " + dst + " differ past the channel dimension");
        }
        if (count < 0 || srcC0 < 0 || dstC0 < 0 || srcC0 + count > src.dim(1) || dstC0 + count > dst.dim(1)) {
            throw new IllegalArgumentException("copyChannels: channels [" + srcC0 + ", " + (srcC0 + count) + ") of " + src
                    + " into [" + dstC0 + ", " + (dstC0 + count) + ") of " + dst);
        }
        bind();
        long n = (long) src.dim(0) * count * src.sizeFrom(2);
        if (n == 0) return;
        launcher.kernel(kernels.copyChannels, launcher.blocksFor(n)).ptr(dp).i32(dst.dim(1)).i32(dstC0).ptr(sp).i32(src.dim(1)).i32(srcC0)
                .i32(count).i32(src.dim(0)).i64(src.sizeFrom(2)).launch();
    }

    private static void resizeShapes(Tensor big, Tensor small, String op) {
        if (big.rank() != 4 || small.rank() != 4 || big.dim(0) != small.dim(0) || big.dim(1) != small.dim(1)) {
            throw new IllegalArgumentException(op + ": " + small + " and " + big + " must be (N, C, ., .) of the same N and C");
        }
    }

    @Override
    public void resizeBilinearForward(Tensor y, Tensor x) {
        resizeShapes(y, x, "resizeBilinearForward");
        long yp = f32(y), xp = f32(x);
        bind();
        if (y.size() == 0) return;
        launcher.kernel(kernels.resizeBilinearForward, launcher.blocksFor(y.size())).ptr(yp).ptr(xp).i64((long) x.dim(0) * x.dim(1))
                .i32(x.dim(2)).i32(x.dim(3)).i32(y.dim(2)).i32(y.dim(3)).launch();
    }

    @Override
    public void resizeBilinearBackward(Tensor dx, Tensor dy) {
        resizeShapes(dx, dy, "resizeBilinearBackward");
        long dxp = f32(dx), dyp = f32(dy);
        bind();
        long planes = (long) dx.dim(0) * dx.dim(1);
        if (dx.size() == 0) return;
        launcher.kernel(kernels.resizeBilinearBackward, launcher.blocksFor(planes)).ptr(dxp).ptr(dyp).i64(planes)
                .i32(dx.dim(2)).i32(dx.dim(3)).i32(dy.dim(2)).i32(dy.dim(3)).launch();
    }

    // ---------------------------------------------------------------- linear algebra and elementwise

    /**
     * Row-major C (m x n) = alpha op(A) op(B) + beta C through column-major cuBLAS: a row-major matrix read as
     * column-major is its transpose, so we ask for C^T = op(B)^T op(A)^T, i.e. SGEMM with the operands swapped,
     * m and n swapped, and each leading dimension the row length of the row-major array.
     */
    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        GemmDims dims = GemmDims.of(transA, transB, a, b, c);
        int m = dims.m(), n = dims.n(), k = dims.k();
        long ap = f32(a), bp = f32(b), cp = f32(c);
        bind();
        if (m == 0 || n == 0) return;
        launcher.library("gemm", () -> {
            gemmAlpha.set(JAVA_FLOAT, 0, alpha);
            gemmBeta.set(JAVA_FLOAT, 0, beta);
            Cublas.sgemm(context.cublas, transB ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N, transA ? Cublas.CUBLAS_OP_T : Cublas.CUBLAS_OP_N,
                    n, m, k, gemmAlpha, bp, Math.max(1, b.dim(1)), ap, Math.max(1, a.dim(1)), gemmBeta, cp, n);
        }, transA ? 1 : 0, transB ? 1 : 0, m, n, k, ap, bp, cp, Float.floatToRawIntBits(alpha), Float.floatToRawIntBits(beta));
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        sameSize("axpy", x, y);
        long xp = f32(x), yp = f32(y);
        bind();
        if (x.size() == 0) return;
        launcher.kernel(kernels.axpy, launcher.blocksFor(x.size())).ptr(yp).ptr(xp).f32(alpha).i64(x.size()).launch();
    }

    @Override
    public void scale(Tensor x, float alpha) {
        long xp = f32(x);
        bind();
        if (x.size() == 0) return;
        launcher.kernel(kernels.scale, launcher.blocksFor(x.size())).ptr(xp).f32(alpha).i64(x.size()).launch();
    }

    @Override
    public void rowDot(Tensor out, Tensor a, Tensor b, boolean accumulate) {
        int n = Shapes.rows("rowDot", out, a, b);
        long op = f32(out), ap = f32(a), bp = f32(b);
        bind();
        if (n == 0) return;
        launcher.kernel(kernels.rowDot, n).ptr(op).ptr(ap).ptr(bp).i64(a.size() / n).i32(accumulate ? 1 : 0).launch();
    }

    @Override
    public void scaleRows(Tensor out, Tensor s, Tensor x, boolean accumulate) {
        int n = Shapes.rows("scaleRows", s, out, x);
        long op = f32(out), sp = f32(s), xp = f32(x);
        bind();
        if (x.size() == 0) return;
        launcher.kernel(kernels.scaleRows, launcher.blocksFor(x.size())).ptr(op).ptr(sp).ptr(xp).i64(x.size() / n).i64(x.size())
                .i32(accumulate ? 1 : 0).launch();
    }

    // ---------------------------------------------------------------- multi-tensor operations

    private static void checkLists(String op, List<Tensor> params, List<?>... others) {
        for (List<?> o : others) {
            if (o.size() != params.size()) throw new IllegalArgumentException(op + ": " + params.size() + " parameters but " + o.size() + " state tensors");
        }
    }

    private int multiTensorBlocks(List<Tensor> params) {
        long max = 0;
        for (Tensor t : params) max = Math.max(max, t.size());
        return launcher.multiTensorBlocks(max);
    }

    @Override
    public void sumSquares(List<Tensor> xs, Tensor out, int slot) {
        long op = f32(out);
        if (slot < 0 || slot >= out.size()) throw new IllegalArgumentException("sumSquares: slot " + slot + " of " + out);
        bind();
        long table = tables.of("sumSquares", xs, null, null, null);
        long total = 0;
        for (Tensor t : xs) total += t.size();
        // the grid depends only on the total size, so the summation order (and result) is the same for the same tensors
        int grid = (int) Math.max(1, Math.min(REDUCE_MAX_BLOCKS, (total + 8L * KernelLayouts.BLOCK - 1) / (8L * KernelLayouts.BLOCK)));
        launcher.kernel(kernels.sumSquares, grid).ptr(table).i32(xs.size()).ptr(partials).ptr(ticket).ptr(op).stepI32(slot).stepValues().launch();
    }

    // ---------------------------------------------------------------- optimizers

    @Override
    public void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v,
                         float lr, float beta1, float beta2, float eps, float weightDecay, long step) {
        checkLists("adamStep", params, grads, m, v);
        bind();
        if (params.isEmpty()) return;
        float bc1 = (float) (1 - Math.pow(beta1, step));
        float bc2sqrt = (float) Math.sqrt(1 - Math.pow(beta2, step));
        float stepSize = lr / bc1;
        long slots = tables.of("adamStep", params, grads, m, v);
        launcher.kernel(kernels.adamStep, multiTensorBlocks(params), params.size())
                .ptr(slots).stepF32(stepSize).f32(beta1).f32(beta2).f32(eps).f32(weightDecay).stepF32(bc2sqrt).stepValues().launch();
    }

    @Override
    public void rmspropStep(List<Tensor> params, List<Tensor> grads, List<Tensor> sq, float lr, float alpha, float eps) {
        checkLists("rmspropStep", params, grads, sq);
        bind();
        if (params.isEmpty()) return;
        long slots = tables.of("rmspropStep", params, grads, sq, null);
        launcher.kernel(kernels.rmspropStep, multiTensorBlocks(params), params.size())
                .ptr(slots).stepF32(lr).f32(alpha).f32(eps).stepValues().launch();
    }

    @Override
    public void sgdStep(List<Tensor> params, List<Tensor> grads, List<Tensor> buf, float lr, float momentum, long step) {
        checkLists("sgdStep", params, grads, buf);
        bind();
        if (params.isEmpty()) return;
        long slots = tables.of("sgdStep", params, grads, buf, null);
        int first = step <= 1 ? 1 : 0;
        launcher.kernel(kernels.sgdStep, multiTensorBlocks(params), params.size())
                .ptr(slots).stepF32(lr).f32(momentum).stepI32(first).stepValues().launch();
    }

    @Override
    public void clamp(List<Tensor> params, float lo, float hi) {
        bind();
        if (params.isEmpty()) return;
        long slots = tables.of("clamp", params, null, null, null);
        launcher.kernel(kernels.clampParams, multiTensorBlocks(params), params.size()).ptr(slots).f32(lo).f32(hi).launch();
    }

    @Override
    public void emaUpdate(List<Tensor> ema, List<Tensor> src, int averaged, float decay) {
        checkLists("emaUpdate", ema, src);
        if (averaged < 0 || averaged > ema.size()) throw new IllegalArgumentException("emaUpdate: averaged " + averaged + " of " + ema.size() + " tensors");
        bind();
        if (ema.isEmpty()) return;
        long slots = tables.of("emaUpdate", ema, src, null, null);
        launcher.kernel(kernels.emaUpdate, multiTensorBlocks(ema), ema.size())
                .ptr(slots).i32(averaged).stepF32(decay).stepValues().launch();
    }

    // ---------------------------------------------------------------- noise

    @Override
    public void normal(Tensor out, long seed, long counter) {
        long p = f32(out);
        bind();
        long n = out.size();
        if (n == 0) return;
        launcher.kernel(kernels.philoxNormal, launcher.blocksFor((n + 3) / 4)).ptr(p).i64(n).i64(seed).stepI64(counter).stepValues().launch();
    }

    @Override
    public void interpolate(Tensor out, Tensor eps, Tensor a, Tensor b, long seed, long counter) {
        sameSize("interpolate", out, a);
        sameSize("interpolate", out, b);
        if (out.rank() < 1 || eps.size() != out.dim(0)) throw new IllegalArgumentException("interpolate: eps " + eps + " for out " + out);
        long op = f32(out), ep = f32(eps), ap = f32(a), bp = f32(b);
        bind();
        long rows = out.dim(0), total = out.size();
        if (total == 0) return;
        launcher.kernel(kernels.philoxInterpolate, launcher.blocksFor(total)).ptr(op).ptr(ep).ptr(ap).ptr(bp).i64(rows).i64(total / rows)
                .i64(seed).stepI64(counter).stepValues().launch();
    }

    /**
     * Fills an I32 tensor with the raw Philox4x32-10 words of the stream {@code seed} from block {@code counter}
     * (element i is word i % 4 of block counter + i / 4): the uint32 stream behind {@link #normal}, bit for bit the
     * words of {@link dev.sparring.random.Philox#block(long, long, int[], int)}.
     */
    void philoxWords(Tensor out, long seed, long counter) {
        CudaTensor c = tensor(out);
        if (c.dtype() != DType.I32) throw new IllegalArgumentException("philoxWords needs an I32 tensor, got " + out);
        bind();
        long n = out.size();
        if (n == 0) return;
        launcher.kernel(kernels.philoxWords, launcher.blocksFor((n + 3) / 4)).ptr(c.ptr).i64(n).i64(seed).i64(counter).launch();
    }

    // ---------------------------------------------------------------- data

    /** Images whose index is outside [0, N) are written as NaN (a kernel cannot throw); the CPU twin throws. */
    @Override
    public void gatherImages(Tensor out, Tensor images, Tensor indices, int start, float scale, float shift) {
        long op = f32(out);
        CudaTensor img = tensor(images), idx = tensor(indices);
        if (img.dtype() != DType.U8 || idx.dtype() != DType.I32) throw new IllegalArgumentException("gatherImages needs U8 images and I32 indices");
        int B = out.dim(0);
        long item = B == 0 ? 0 : out.size() / B;
        if (images.size() / images.dim(0) != item) throw new IllegalArgumentException("gatherImages: " + images + " into " + out);
        if (start < 0 || (long) start + B > indices.size()) {
            throw new IllegalArgumentException("gatherImages: indices [" + start + ", " + (start + B) + ") of " + indices.size());
        }
        bind();
        if (out.size() == 0) return;
        launcher.kernel(kernels.gatherImages, launcher.blocksFor(out.size())).ptr(op).ptr(img.ptr).ptr(idx.ptr).stepI32(start).i32(B)
                .i64(item).i32(images.dim(0)).f32(scale).f32(shift).stepValues().launch();
    }

    // ---------------------------------------------------------------- GAN loss

    private static void statsSlots(String op, Tensor stats, int slot, int count) {
        if (slot < 0 || slot + count > stats.size()) {
            throw new IllegalArgumentException(op + ": stats " + stats + " has no room for " + count + " values at slot " + slot);
        }
    }

    @Override
    public void criticLoss(CompiledLoss loss, Tensor dtReal, Tensor dtFake, Tensor tReal, Tensor tFake, Tensor stats, int slot) {
        sameSize("criticLoss", dtReal, tReal);
        sameSize("criticLoss", dtFake, tFake);
        statsSlots("criticLoss", stats, slot, 5);
        long drp = f32(dtReal), dfp = f32(dtFake), trp = f32(tReal), tfp = f32(tFake), sp = f32(stats);
        bind();
        MemorySegment phi = programs.of(loss.phi(), loss.name(), "phi"), dphi = programs.of(loss.dphi(), loss.name(), "dphi");
        MemorySegment psi = programs.of(loss.psi(), loss.name(), "psi"), dpsi = programs.of(loss.dpsi(), loss.name(), "dpsi");
        launcher.kernel(kernels.criticLoss, 1).struct(phi).struct(dphi).struct(psi).struct(dpsi)
                .ptr(drp).ptr(dfp).ptr(trp).ptr(tfp).i32(tReal.sizeInt()).i32(tFake.sizeInt()).ptr(sp).stepI32(slot).stepValues().launch();
    }

    @Override
    public void gradientPenalty(Tensor gradG, Tensor g, double target, float weight, float gradScale, Tensor stats, int slot) {
        sameSize("gradientPenalty", gradG, g);
        if (g.rank() < 2 || g.dim(0) == 0) throw new IllegalArgumentException("gradientPenalty: g must be (N, F...) with N >= 1, got " + g);
        statsSlots("gradientPenalty", stats, slot, 2);
        long gp = f32(gradG), xp = f32(g), sp = f32(stats);
        bind();
        long n = g.dim(0);
        launcher.kernel(kernels.gradientPenalty, 1).ptr(gp).ptr(xp).i64(n).i64(g.size() / n).f64(target).f32(weight).f32(gradScale)
                .ptr(sp).stepI32(slot).stepValues().launch();
    }

    @Override
    public void generatorLoss(CompiledLoss loss, Tensor dtFake, Tensor tFake, Tensor stats, int slot) {
        sameSize("generatorLoss", dtFake, tFake);
        statsSlots("generatorLoss", stats, slot, 2);
        long dfp = f32(dtFake), tfp = f32(tFake), sp = f32(stats);
        bind();
        MemorySegment beta = programs.of(loss.beta(), loss.name(), "beta"), dbeta = programs.of(loss.dbeta(), loss.name(), "dbeta");
        launcher.kernel(kernels.generatorLoss, 1).struct(beta).struct(dbeta)
                .ptr(dfp).ptr(tfp).i32(tFake.sizeInt()).ptr(sp).stepI32(slot).stepValues().launch();
    }

    @Override
    public void lossCurvature(ScalarProgram f, Tensor gradT, Tensor gradDt, Tensor t, float scale, boolean accumulate) {
        sameSize("lossCurvature", gradT, t);
        sameSize("lossCurvature", gradDt, t);
        long op = f32(gradT), gp = f32(gradDt), tp = f32(t);
        bind();
        if (t.size() == 0) return;
        MemorySegment prog = programs.of(f, "a loss's curvature", "f");
        launcher.kernel(kernels.lossCurvature, launcher.blocksFor(t.size())).struct(prog)
                .ptr(op).ptr(gp).ptr(tp).i32(t.sizeInt()).f32(scale).i32(accumulate ? 1 : 0).launch();
    }

    // ---------------------------------------------------------------- classifier loss

    /** A row whose label is outside [0, K) gets NaN gradients and makes the loss NaN (a kernel cannot throw); the CPU twin throws. */
    @Override
    public void softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor labels, Tensor stats, int slot) {
        if (logits.rank() != 2) throw new IllegalArgumentException("softmaxCrossEntropy: logits must be (B, K), got " + logits);
        Shapes.require(dLogits, "softmaxCrossEntropy dLogits", logits.dim(0), logits.dim(1));
        CudaTensor y = tensor(labels);
        if (y.dtype() != DType.I32 || labels.size() != logits.dim(0)) {
            throw new IllegalArgumentException("softmaxCrossEntropy: labels must be I32 (" + logits.dim(0) + "), got " + labels);
        }
        statsSlots("softmaxCrossEntropy", stats, slot, 2);
        long dp = f32(dLogits), lp = f32(logits), sp = f32(stats);
        bind();
        launcher.kernel(kernels.softmaxCrossEntropy, 1).ptr(dp).ptr(lp).ptr(y.ptr).i32(logits.dim(0)).i32(logits.dim(1))
                .ptr(sp).i32(slot).launch();
    }

    // ---------------------------------------------------------------- feature statistics (FID), float64

    /** Our kernels and DGEMM ({@link CudaFid}); a row with NaN or infinity makes the mean NaN (a kernel cannot throw). */
    @Override
    public void featureMoments(Tensor mean, Tensor m2, long count, Tensor rows, int n) {
        if (rows.rank() != 2) throw new IllegalArgumentException("featureMoments: rows must be (N, F), got " + rows);
        if (n < 0 || n > rows.dim(0)) throw new IllegalArgumentException("featureMoments: " + n + " rows of " + rows);
        int f = rows.dim(1);
        Shapes.require(mean, "featureMoments mean", f);
        Shapes.require(m2, "featureMoments m2", f, f);
        if (count < 0) throw new IllegalArgumentException("featureMoments: count " + count);
        long rp = f32(rows), mp = f64(mean), sp = f64(m2);
        bind();
        if (n == 0) return;
        fid.featureMoments(mp, sp, count, rp, n, f);
    }

    /**
     * NEWTON_SCHULZ (also AUTO) by DGEMM and our kernels, or EIGEN by cuSOLVER where it is found (a
     * {@link BackendException} naming what is missing otherwise); CHOLESKY is not offered. Waits.
     */
    @Override
    public SqrtTrace.Result sqrtTrace(Tensor sigma1, Tensor sigma2, SqrtTrace.Method method) {
        if (sigma1.rank() != 2) throw new IllegalArgumentException("sqrtTrace: sigma1 must be (F, F), got " + sigma1);
        int f = sigma1.dim(0);
        Shapes.require(sigma1, "sqrtTrace sigma1", f, f);
        Shapes.require(sigma2, "sqrtTrace sigma2", f, f);
        long p1 = f64(sigma1), p2 = f64(sigma2);
        bind();
        return fid.sqrtTrace(p1, p2, f, method);
    }

    // ---------------------------------------------------------------- lifetime

    /**
     * Waits for queued work and releases everything the backend created. Tensors still open become invalid: their
     * memory goes with the context (closing them afterwards is a no-op).
     */
    @Override
    public void close() {
        if (context.isClosed()) return;
        bind();
        if (launcher.mode() != Launcher.Mode.EAGER) throw new IllegalStateException("closing the CUDA backend inside a step graph's step");
        try {
            for (CudaStepGraph g : List.copyOf(graphs)) g.close();
            CudaDriver.streamSynchronize(context.stream);
        } finally {
            owned.releaseAll(null);
        }
    }
}
