package dev.sparring.backend.cuda;

import dev.sparring.backend.ConvSpec;
import dev.sparring.tensor.Shapes;
import dev.sparring.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Convolutions by cuDNN, as Caffe's layers do them: descriptors built once per shape ({@link Plan}), each direction's
 * algorithm found on its first use by cuDNN's timed search, one workspace that only grows; then each call is the
 * execute call alone, through the {@link Launcher}. Closing destroys the descriptors and frees the workspace.
 */
final class CudnnConv implements AutoCloseable {
    private static final long SEARCH_WORKSPACE_CAP = 1L << 30;

    /** The sizes that determine a convolution's descriptors and algorithms: x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q). */
    record Shape(int n, int c, int h, int w, int k, int r, int s, int strideH, int strideW, int padH, int padW) {
        int p() { return (h + 2 * padH - r) / strideH + 1; }

        int q() { return (w + 2 * padW - s) / strideW + 1; }
    }

    /** Checks x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q) against each other, as CpuBackend does. */
    static Shape shape(Tensor x, Tensor w, Tensor y, ConvSpec spec, String op) {
        if (x.rank() != 4 || w.rank() != 4 || y.rank() != 4) throw new IllegalArgumentException(op + ": tensors must be 4-D");
        if (w.dim(1) != x.dim(1)) throw new IllegalArgumentException(op + ": weight " + w + " does not match input " + x);
        Shape s = new Shape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3),
                spec.strideH(), spec.strideW(), spec.padH(), spec.padW());
        spec.outH(s.h(), s.r());
        spec.outW(s.w(), s.s());
        Shapes.require(y, op + " output", s.n(), s.k(), s.p(), s.q());
        return s;
    }

    /** One direction of a convolution: its descriptor (math type may differ per direction) and chosen algorithm. */
    private static final class Direction {
        final MemorySegment conv;
        int algo = -1;

        Direction(MemorySegment conv) { this.conv = conv; }
    }

    /** Descriptors of one convolution shape, built once; algorithms found on first use of each direction. */
    private static final class Plan {
        final MemorySegment x, w, y;                  // tensor (N,C,H,W), filter (K,C,R,S), tensor (N,K,P,Q)
        final Direction[] dirs = new Direction[3];    // by Cudnn.Direction

        Plan(Shape s, int mathType) {
            x = Cudnn.tensor4d(s.n(), s.c(), s.h(), s.w());
            w = Cudnn.filter4d(s.k(), s.c(), s.r(), s.s());
            y = Cudnn.tensor4d(s.n(), s.k(), s.p(), s.q());
            for (int i = 0; i < 3; i++) dirs[i] = new Direction(Cudnn.convolution2d(s.padH(), s.padW(), s.strideH(), s.strideW(), mathType));
        }

        void destroy() {
            for (Direction d : dirs) Cudnn.destroyConvolution(d.conv);
            Cudnn.destroyTensor(x);
            Cudnn.destroyFilter(w);
            Cudnn.destroyTensor(y);
        }
    }

    private final CudaContext context;
    private final Launcher launcher;
    private final DeviceMemory memory;
    private final boolean allowTf32, deterministic;
    private final Map<Shape, Plan> plans = new HashMap<>();
    private long workspace, workspaceBytes; // grows, never shrinks

    /**
     * @param allowTf32     let cuDNN use TF32 tensor cores (CudaBackend.Options.allowTf32)
     * @param deterministic only algorithms that cuDNN reports deterministic
     */
    CudnnConv(CudaContext context, Launcher launcher, DeviceMemory memory, boolean allowTf32, boolean deterministic) {
        this.context = context;
        this.launcher = launcher;
        this.memory = memory;
        this.allowTf32 = allowTf32;
        this.deterministic = deterministic;
    }

    /** y (N,K,P,Q) = conv(x, w), written. */
    void forward(long y, long x, long w, Shape s) {
        Plan plan = plan(s);
        int algo = algorithm(plan, s, Cudnn.Direction.FORWARD, x, w, y);
        launcher.library("conv2dForward", () -> Cudnn.convolutionForward(context.cudnn, context.one, plan.x, x, plan.w, w,
                plan.dirs[0].conv, algo, workspace, workspaceBytes, context.zero, plan.y, y),
                plan.x.address(), algo, x, w, y, workspace, workspaceBytes);
    }

    /** dx (N,C,H,W) (+)= the gradient with respect to x. */
    void backwardData(long dx, long dy, long w, Shape s, boolean accumulate) {
        Plan plan = plan(s);
        int algo = algorithm(plan, s, Cudnn.Direction.BACKWARD_DATA, dx, w, dy);
        launcher.library("conv2dBackwardData", () -> Cudnn.convolutionBackwardData(context.cudnn, context.one, plan.w, w, plan.y, dy,
                plan.dirs[1].conv, algo, workspace, workspaceBytes, accumulate ? context.one : context.zero, plan.x, dx),
                plan.x.address(), algo, dx, w, dy, workspace, workspaceBytes, accumulate ? 1 : 0);
    }

    /** dw (K,C,R,S) (+)= the gradient with respect to w. */
    void backwardFilter(long dw, long x, long dy, Shape s, boolean accumulate) {
        Plan plan = plan(s);
        int algo = algorithm(plan, s, Cudnn.Direction.BACKWARD_FILTER, x, dw, dy);
        launcher.library("conv2dBackwardFilter", () -> Cudnn.convolutionBackwardFilter(context.cudnn, context.one, plan.x, x, plan.y, dy,
                plan.dirs[2].conv, algo, workspace, workspaceBytes, accumulate ? context.one : context.zero, plan.w, dw),
                plan.x.address(), algo, dw, x, dy, workspace, workspaceBytes, accumulate ? 1 : 0);
    }

    private Plan plan(Shape s) {
        Plan plan = plans.get(s);
        if (plan == null) {
            plan = new Plan(s, allowTf32 ? Cudnn.CUDNN_DEFAULT_MATH : Cudnn.CUDNN_FMA_MATH);
            plans.put(s, plan);
        }
        return plan;
    }

    /** Makes the workspace at least {@code bytes}; waits for queued work before freeing the old one. */
    private void ensureWorkspace(long bytes) {
        if (bytes <= workspaceBytes) return;
        launcher.checkMayAllocate("growing the cuDNN workspace");
        if (workspace != 0) {
            CudaDriver.streamSynchronize(context.stream);
            memory.free(workspace);
            workspace = 0;
            workspaceBytes = 0;
        }
        workspace = memory.allocate(bytes, "growing the cuDNN workspace");
        workspaceBytes = bytes;
    }

    /**
     * The algorithm of one direction of a plan, found on first use with cuDNN's timed search. The workspace grows to
     * what the most demanding supported algorithm needs (capped at 1 GiB and half the free memory), the search writes
     * its output to scratch memory (the real output may hold gradients being accumulated), and the fastest successful
     * result is kept (the fastest deterministic one when asked).
     */
    private int algorithm(Plan plan, Shape s, Cudnn.Direction dir, long x, long w, long y) {
        Direction d = plan.dirs[dir.ordinal()];
        if (d.algo >= 0) return d.algo;
        String what = "cuDNN's algorithm search for a new convolution shape";
        launcher.checkMayAllocate(what);
        int algos = switch (dir) {
            case FORWARD -> Cudnn.FWD_ALGO_COUNT;
            case BACKWARD_DATA -> Cudnn.BWD_DATA_ALGO_COUNT;
            case BACKWARD_FILTER -> Cudnn.BWD_FILTER_ALGO_COUNT;
        };
        long cap = Math.min(SEARCH_WORKSPACE_CAP, CudaDriver.memGetInfo()[0] / 2);
        long want = 0;
        for (int a = 0; a < algos; a++) {
            long b = Cudnn.workspaceSize(context.cudnn, dir, plan.x, plan.w, d.conv, plan.y, a);
            if (b > want && b <= cap) want = b;
        }
        ensureWorkspace(want);
        long outBytes = 4L * switch (dir) {
            case FORWARD -> (long) s.n() * s.k() * s.p() * s.q();
            case BACKWARD_DATA -> (long) s.n() * s.c() * s.h() * s.w();
            case BACKWARD_FILTER -> (long) s.k() * s.c() * s.r() * s.s();
        };
        long scratch = memory.allocate(Math.max(outBytes, 4), what);
        try (Arena a = Arena.ofConfined()) {
            int requested = Cudnn.algorithmMaxCount(context.cudnn, dir);
            MemorySegment perf = a.allocate(Cudnn.PERF_BYTES * requested, 8);
            int got = switch (dir) {
                case FORWARD -> Cudnn.find(context.cudnn, dir, plan.x, x, plan.w, w, d.conv, plan.y, scratch, requested, perf, workspace, workspaceBytes);
                case BACKWARD_DATA -> Cudnn.find(context.cudnn, dir, plan.x, scratch, plan.w, w, d.conv, plan.y, y, requested, perf, workspace, workspaceBytes);
                case BACKWARD_FILTER -> Cudnn.find(context.cudnn, dir, plan.x, x, plan.w, scratch, d.conv, plan.y, y, requested, perf, workspace, workspaceBytes);
            };
            StringBuilder tried = new StringBuilder();
            for (int i = 0; i < got; i++) {
                long o = i * Cudnn.PERF_BYTES;
                int algo = perf.get(JAVA_INT, o + Cudnn.PERF_ALGO);
                int st = perf.get(JAVA_INT, o + Cudnn.PERF_STATUS);
                long mem = perf.get(JAVA_LONG, o + Cudnn.PERF_MEMORY);
                int det = perf.get(JAVA_INT, o + Cudnn.PERF_DETERMINISM);
                int math = perf.get(JAVA_INT, o + Cudnn.PERF_MATH_TYPE);
                tried.append(" algo ").append(algo).append(": status ").append(st).append(", ").append(mem).append(" bytes;");
                if (st != 0 || mem > workspaceBytes) continue;
                if (deterministic && det != Cudnn.CUDNN_DETERMINISTIC) continue;
                if (allowTf32) Cudnn.setConvolutionMathType(d.conv, math);
                d.algo = algo;
                return algo;
            }
            throw new CudaException(Cudnn.LIBRARY, "cudnnFind*AlgorithmEx", -1, "cuDNN found no usable " + dir
                    + " convolution algorithm for " + s + " with a workspace of " + workspaceBytes + " bytes"
                    + (deterministic ? " (deterministic only)" : "") + ":" + tried);
        } finally {
            memory.free(scratch);
        }
    }

    @Override
    public void close() {
        for (Plan p : plans.values()) p.destroy();
        plans.clear();
        if (workspace != 0) CudaDriver.memFree(workspace);
        workspace = 0;
        workspaceBytes = 0;
    }
}
