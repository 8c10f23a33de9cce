package dev.sparring.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The one path by which the backend's work reaches its stream: kernel launches ({@link #kernel}), cuBLAS and cuDNN
 * calls, copies and memsets ({@link #library}), and a step's host data ({@link #copyFromHost}). It alone knows whether
 * a step of a {@link CudaStepGraph} is running and what that asks of each operation:
 * <ul>
 *   <li>{@link Mode#EAGER} (no step graph) and {@link Mode#MEASURE} (a step run op by op): the work runs; while
 *       measuring, the step record places that the operation will need are counted;</li>
 *   <li>{@link Mode#CAPTURE}: the work runs into the graph, and is noted by a hash of what identifies it;</li>
 *   <li>{@link Mode#REPLAY}: the work is only checked against the one captured at its position (the graph does it).</li>
 * </ul>
 * Values that change from step to step go into the step record instead of the kernel's arguments while a graph runs
 * ({@link KernelArgs#stepI32} and kin), so the ops themselves carry no step-graph logic. Also the checks that a
 * step may not wait for the GPU ({@link #checkMayWait}) or allocate once captured ({@link #checkMayAllocate}).
 */
final class Launcher {

    /** How the operations of the current step run. */
    enum Mode {
        EAGER, MEASURE, CAPTURE, REPLAY;

        /** Captured or replayed: operations go to (or are checked against) the graph. */
        boolean inGraph() { return this == CAPTURE || this == REPLAY; }
    }

    private final MemorySegment stream;
    private final Staging staging;
    private final KernelArgs args;
    private final int smCount;
    private Mode mode = Mode.EAGER;
    private CudaStepGraph graph;            // the graph whose step is running, when not EAGER

    /** @param arena host memory of the backend's lifetime (kernel arguments) */
    Launcher(MemorySegment stream, Staging staging, int smCount, Arena arena) {
        this.stream = stream;
        this.staging = staging;
        this.smCount = smCount;
        this.args = new KernelArgs(arena, this);
    }

    // ---------------------------------------------------------------- step graphs

    void beginStep(CudaStepGraph g, Mode m) {
        if (mode != Mode.EAGER) throw new IllegalStateException("a step graph's step is already running on this backend");
        graph = g;
        mode = m;
    }

    void endStep() {
        mode = Mode.EAGER;
        graph = null;
    }

    Mode mode() { return mode; }

    /** Refuses waiting for the GPU inside any step of a step graph (it would fail once the step is captured). */
    void checkMayWait(String what) {
        if (mode != Mode.EAGER) refuse(what);
    }

    /** Refuses allocation inside a captured or replayed step (the first steps, run op by op, may allocate). */
    void checkMayAllocate(String what) {
        if (mode.inGraph()) refuse(what);
    }

    private static void refuse(String what) {
        throw new IllegalStateException(what + " inside a training step run through a CUDA graph: such a step must "
                + "not wait for the GPU or read results back, and once warm must not allocate device memory");
    }

    // ---------------------------------------------------------------- grids

    /** Blocks for a grid-stride kernel over n elements: one per BLOCK elements, at most 32 per SM. */
    int blocksFor(long n) {
        long cap = 32L * smCount;
        return (int) Math.max(1, Math.min((n + KernelLayouts.BLOCK - 1) / KernelLayouts.BLOCK, cap));
    }

    /** Blocks along x of a multi-tensor kernel whose largest tensor has n elements: at most 8 per SM. */
    int multiTensorBlocks(long n) {
        return (int) Math.max(1, Math.min((n + KernelLayouts.BLOCK - 1) / KernelLayouts.BLOCK, 8L * smCount));
    }

    // ---------------------------------------------------------------- work

    /** Starts a launch of {@code k} on a (gridX, 1) grid: add its arguments, then {@link KernelArgs#launch()}. */
    KernelArgs kernel(Kernels.Kernel k, int gridX) { return args.begin(k, gridX, 1); }

    /** Starts a launch of {@code k} on a (gridX, gridY) grid. */
    KernelArgs kernel(Kernels.Kernel k, int gridX, int gridY) { return args.begin(k, gridX, gridY); }

    /** Launches what {@code a} holds (called by {@link KernelArgs#launch()}). */
    void launch(Kernels.Kernel k, int gridX, int gridY, KernelArgs a) {
        if (noted(StepHash.of(k.function().address(), gridX, gridY, a.hash()), k.name())) return;
        CudaDriver.launchKernel(k.function(), gridX, gridY, KernelLayouts.BLOCK, 0, stream, a.pointers(), k.name());
    }

    /**
     * A library call, copy or memset on the stream: {@code call} makes it, {@code identity} is what identifies it in
     * a step graph (its pointers, sizes, scalars and choices: two calls with the same identity do the same work).
     */
    void library(String name, Runnable call, long... identity) {
        if (noted(StepHash.mix(StepHash.of(identity), name.hashCode()), name)) return;
        call.run();
    }

    /** Notes an operation of a captured step, or checks one of a replayed step; true when the graph does the work. */
    private boolean noted(long hash, String name) {
        if (!mode.inGraph()) return false;
        graph.operation(hash, name);
        return mode == Mode.REPLAY;
    }

    /** Whether per-step values go to the step record (captured or replayed) rather than to the kernel's arguments. */
    boolean valuesInRecord() { return mode.inGraph(); }

    /**
     * The device address of an operation's per-step values ({@code bytes} of {@code values}), written into the step
     * record; 0 op by op, where the kernel takes them by value (while measuring, the place is only reserved).
     */
    long stepValues(MemorySegment values, int bytes) {
        if (mode == Mode.EAGER) return 0;
        int off = graph.reserve(bytes);
        if (mode == Mode.MEASURE) return 0;
        MemorySegment.copy(values, 0, graph.hostRecord(), off, bytes);
        return graph.device(off);
    }

    /**
     * A host-to-device copy of a step. Op by op it goes through the staging ring; in a graph the data travels in the
     * step record, and the graph copies it from the record's device copy to {@code dst}.
     */
    void copyFromHost(long dst, MemorySegment heap, long bytes) {
        if (bytes == 0) return;
        if (!mode.inGraph()) {
            if (mode == Mode.MEASURE) graph.reserve(recordBytes(bytes));
            staging.toDevice(dst, heap, bytes);
            return;
        }
        int off = graph.reserve(recordBytes(bytes));
        MemorySegment.copy(heap, 0, graph.hostRecord(), off, bytes);
        long src = graph.device(off);
        library("copyFromHost", () -> CudaDriver.memcpyDtoDAsync(dst, src, bytes, stream), dst, bytes);
    }

    private static int recordBytes(long bytes) {
        if (bytes > Staging.LIMIT) {
            throw new IllegalStateException("copyFromHost of " + bytes + " bytes inside a training step run through a CUDA graph (at most " + Staging.LIMIT + ")");
        }
        return (int) bytes;
    }
}
