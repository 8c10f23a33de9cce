package dev.sparring.backend.cuda;

import dev.sparring.backend.BackendException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * One device as the backend holds it: its primary context (retained), the stream every operation is queued on, the
 * cuBLAS handle (with a workspace of ours, so that a captured step never makes cuBLAS allocate) and the cuDNN handle,
 * both bound to the stream, the device's facts, and host memory that lives as long as the backend. {@link #bind()}
 * makes the context current on whichever thread drives the backend. Closing releases all of it, in reverse order.
 */
final class CudaContext implements AutoCloseable {
    final MemorySegment stream;             // every operation is queued here
    final MemorySegment cublas, cudnn;      // library handles bound to the stream
    final String deviceName;
    final int ccMajor, ccMinor, smCount;
    final long totalMemory;
    // Host memory that lives as long as the backend: kernel arguments, scalar constants, encoded loss programs.
    // Shared (not confined) because the backend may be driven from another thread than the one that built it.
    final Arena arena = Arena.ofShared();
    final MemorySegment one, zero;          // float 1 and 0: cuDNN's alpha and beta

    private final Releases releases = new Releases();
    private final MemorySegment context;
    private Thread boundThread;
    private boolean closed;

    /**
     * Retains device {@code ordinal}'s primary context and creates the stream and the library handles. On failure,
     * releases what it made, so that a failed start (and a fallback to the CPU) leaves no context retained.
     */
    CudaContext(int ordinal, boolean allowTf32) {
        int count = CudaDriver.deviceCount();
        if (ordinal >= count) {
            throw new BackendException("CUDA device " + ordinal + " does not exist: the driver sees " + count
                    + " device(s); choose 0.." + (count - 1) + " (see nvidia-smi, CUDA_VISIBLE_DEVICES)");
        }
        try {
            int dev = CudaDriver.device(ordinal);
            context = CudaDriver.primaryCtxRetain(dev);
            releases.push(() -> CudaDriver.primaryCtxRelease(dev));
            CudaDriver.ctxSetCurrent(context);
            boundThread = Thread.currentThread();
            deviceName = CudaDriver.deviceName(dev);
            ccMajor = CudaDriver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
            ccMinor = CudaDriver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
            smCount = CudaDriver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
            totalMemory = CudaDriver.deviceTotalMem(dev);
            stream = CudaDriver.streamCreate(CudaDriver.CU_STREAM_NON_BLOCKING);
            releases.push(() -> CudaDriver.streamDestroy(stream));

            // our own cuBLAS workspace (the size cuBLAS picks itself: 32 MiB on Hopper, 4 MiB before); freed after
            // the handle
            long workspaceBytes = (ccMajor >= 9 ? 32L : 4L) << 20;
            long workspace = CudaDriver.memAlloc(workspaceBytes);
            releases.push(() -> CudaDriver.memFree(workspace));
            cublas = Cublas.create();
            releases.push(() -> Cublas.destroy(cublas));
            Cublas.setStream(cublas, stream);      // resets the workspace: set it after
            Cublas.setMathMode(cublas, allowTf32 ? Cublas.CUBLAS_TF32_TENSOR_OP_MATH : Cublas.CUBLAS_DEFAULT_MATH);
            Cublas.setWorkspace(cublas, workspace, workspaceBytes);
            cudnn = Cudnn.create();
            releases.push(() -> Cudnn.destroy(cudnn));
            Cudnn.setStream(cudnn, stream);

            one = arena.allocateFrom(JAVA_FLOAT, 1f);
            zero = arena.allocateFrom(JAVA_FLOAT, 0f);
        } catch (RuntimeException | Error failure) {
            releases.releaseAll(failure);
            arena.close();
            throw failure;
        }
    }

    /** Makes the context current on the calling thread when another thread drove the backend last. */
    void bind() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        Thread t = Thread.currentThread();
        if (t != boundThread) {
            CudaDriver.ctxSetCurrent(context);
            boundThread = t;
        }
    }

    boolean isClosed() { return closed; }

    /** Destroys the handles, the stream and the cuBLAS workspace, releases the context and frees the host memory. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            releases.releaseAll(null);
        } finally {
            arena.close();
        }
    }
}
