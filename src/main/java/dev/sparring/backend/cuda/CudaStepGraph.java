package dev.sparring.backend.cuda;

import dev.sparring.backend.StepGraph;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A training step captured as a CUDA graph on the {@link CudaBackend}'s stream (see {@link StepGraph}).
 *
 * <p>Each call runs the step's code in one of three ways:
 * <ul>
 *   <li><b>eager</b>, op by op, while the backend measures the step record. Until a step has run this way without
 *       allocating or freeing device memory (the first steps find convolution algorithms and allocate activations),
 *       and again after memory changed between steps.</li>
 *   <li><b>capture</b>: the stream is captured (global mode: CUDA refuses allocations and waits meanwhile), each
 *       operation is noted by a hash of its kernel, grid and arguments, and the values that change between steps
 *       are written to the step record instead of the kernel arguments; the kernels read them from the record's
 *       device copy. Then the graph is instantiated, the record uploaded and the graph launched.</li>
 *   <li><b>replay</b>: the code runs on the host only; each operation is checked against the captured one and
 *       writes its per-step values into the record; then the record is uploaded and the graph launched.</li>
 * </ul>
 * The record upload goes through the backend's staging ring, queued on the stream before the launch, so the host
 * can run steps ahead of the GPU as without a graph.
 */
final class CudaStepGraph implements StepGraph {
    static final int ALIGN = 16;

    private final CudaBackend owner;
    private final CudaContext context;
    private final Launcher launcher;
    private final DeviceMemory memory;
    private final Staging staging;
    private final Arena arena = Arena.ofShared();
    // what the step did when it last ran
    private long[] ops = new long[256];     // operation hashes of the captured step
    private String[] names = new String[256];
    private int opCount;                     // operations in the captured step
    private int opAt;                        // operation being replayed
    private int recordBytes;                 // bytes of the record this step has reserved so far
    private int measured = -1;               // record bytes of the last clean eager step; -1: none yet
    private long memoryAfterEager = -1;      // the backend's memory generation after that step
    // the graph and its record
    private MemorySegment graph, exec;
    private long memoryAtCapture;
    private MemorySegment hostRecord;
    private long deviceRecord;
    private int recordCapacity;
    private long eager, captured, replayed;
    private boolean closed;

    CudaStepGraph(CudaBackend owner, CudaContext context, Launcher launcher, DeviceMemory memory, Staging staging) {
        this.owner = owner;
        this.context = context;
        this.launcher = launcher;
        this.memory = memory;
        this.staging = staging;
    }

    @Override
    public void run(Runnable step) {
        if (closed) throw new IllegalStateException("the step graph is closed");
        if (exec != null && memory.generation() == memoryAtCapture) {
            replay(step);
        } else {
            if (exec != null) dropGraph();
            if (measured >= 0 && memory.generation() == memoryAfterEager) capture(step);
            else runEager(step);
        }
    }

    /** Runs the step's code with the backend in {@code mode}, from the start of the record. */
    private void runAs(Launcher.Mode mode, Runnable step) {
        recordBytes = 0;
        context.bind();
        launcher.beginStep(this, mode);
        try {
            step.run();
        } finally {
            launcher.endStep();
        }
    }

    private void runEager(Runnable step) {
        long before = memory.generation();
        runAs(Launcher.Mode.MEASURE, step);
        eager++;
        boolean clean = memory.generation() == before;
        measured = clean ? recordBytes : -1;
        memoryAfterEager = memory.generation();
    }

    private void capture(Runnable step) {
        ensureRecord(measured);
        memoryAtCapture = memory.generation();
        opCount = 0;
        CudaDriver.streamBeginCapture(context.stream, CudaDriver.CU_STREAM_CAPTURE_MODE_GLOBAL);
        try {
            runAs(Launcher.Mode.CAPTURE, step);
        } catch (RuntimeException | Error e) {
            try {
                MemorySegment partial = CudaDriver.streamEndCapture(context.stream);
                if (!partial.equals(MemorySegment.NULL)) CudaDriver.graphDestroy(partial);
            } catch (RuntimeException end) {
                e.addSuppressed(end);
            }
            throw e;
        }
        MemorySegment g = CudaDriver.streamEndCapture(context.stream);
        try {
            exec = CudaDriver.graphInstantiate(g);
        } catch (RuntimeException | Error e) {
            CudaDriver.graphDestroy(g);
            throw e;
        }
        graph = g;
        captured++;
        launch();
    }

    private void replay(Runnable step) {
        opAt = 0;
        runAs(Launcher.Mode.REPLAY, step);
        if (opAt != opCount) {
            throw new IllegalStateException("the training step ran " + opAt + " operations where its CUDA graph has "
                    + opCount + " (the first one missing: " + names[opAt] + "); a step run through a graph must run the "
                    + "same operations every time: train without --cuda-graphs and report this");
        }
        replayed++;
        launch();
    }

    /** Uploads the record (queued before the launch, through the staging ring) and launches the graph. */
    private void launch() {
        if (recordBytes > 0) staging.toDevice(deviceRecord, hostRecord, recordBytes);
        CudaDriver.graphLaunch(exec, context.stream);
    }

    private void ensureRecord(int bytes) {
        if (bytes <= recordCapacity) return;
        int cap = Math.max(256, Integer.highestOneBit(Math.max(1, bytes - 1)) << 1);
        if (deviceRecord != 0) owner.free(deviceRecord);
        deviceRecord = 0;
        recordCapacity = 0;      // no record until the new one is allocated
        deviceRecord = memory.allocate(cap, "a step record");
        hostRecord = arena.allocate(cap, ALIGN);
        recordCapacity = cap;
    }

    private void dropGraph() {
        CudaDriver.graphExecDestroy(exec);
        CudaDriver.graphDestroy(graph);
        exec = null;
        graph = null;
        opCount = 0;
    }

    // ---------------------------------------------------------------- called by the backend during a step

    /**
     * Reserves {@code bytes} of the record for the current operation and returns its offset. While measuring, only
     * counts; the offsets of a replay equal those of the capture because its operations are the same.
     */
    int reserve(int bytes) {
        int off = recordBytes;
        recordBytes = off + (bytes + ALIGN - 1) / ALIGN * ALIGN;
        if (launcher.mode() != Launcher.Mode.MEASURE && recordBytes > recordCapacity) {
            throw new IllegalStateException("the training step needs a larger step record (" + recordBytes + " bytes) than "
                    + "the step before it (" + recordCapacity + "): it must run the same operations every time");
        }
        return off;
    }

    /** The host copy of the record, to write the current step's values into (valid while capturing or replaying). */
    MemorySegment hostRecord() { return hostRecord; }

    /** The device address of the record's byte {@code offset}. */
    long device(int offset) { return deviceRecord + offset; }

    /** Notes an operation while capturing; while replaying, checks that it is the one captured at this position. */
    void operation(long hash, String name) {
        if (launcher.mode() == Launcher.Mode.CAPTURE) {
            if (opCount == ops.length) {
                ops = Arrays.copyOf(ops, 2 * opCount);
                names = Arrays.copyOf(names, 2 * opCount);
            }
            ops[opCount] = hash;
            names[opCount] = name;
            opCount++;
        } else if (launcher.mode() == Launcher.Mode.REPLAY) {
            if (opAt >= opCount || ops[opAt] != hash) {
                String was = opAt >= opCount ? "the end of the step" : names[opAt] + (names[opAt].equals(name) ? " with other arguments" : "");
                throw new IllegalStateException("the training step differs from its CUDA graph at operation " + (opAt + 1)
                        + ": " + name + " where the graph has " + was + "; a step run through a graph must run the same "
                        + "operations on the same tensors every time: train without --cuda-graphs and report this");
            }
            opAt++;
        }
    }

    @Override
    public Stats stats() { return new Stats(eager, captured, replayed, opCount); }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            if (!owner.isClosed()) {
                try {
                    owner.synchronize();
                } finally {
                    if (exec != null) dropGraph();
                    if (deviceRecord != 0) owner.free(deviceRecord);
                    deviceRecord = 0;
                }
            }
        } finally {
            owner.forget(this);
            arena.close();
        }
    }
}
