package dev.sparring.backend.cuda;

import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;

/**
 * A tensor in device memory: a {@code CUdeviceptr} of {@code size * dtype.bytes} bytes allocated by
 * {@link CudaBackend}, freed by {@link #close()}. Views share the pointer and free nothing.
 */
public final class CudaTensor extends Tensor {
    final CudaBackend backend;
    final long ptr;          // CUdeviceptr; 0 for an empty tensor
    final long bytes;
    private final boolean owner;
    private boolean freed;

    CudaTensor(CudaBackend backend, long ptr, DType dtype, boolean owner, int... shape) {
        super(dtype, shape);
        this.backend = backend;
        this.ptr = ptr;
        this.bytes = size() * dtype.bytes;
        this.owner = owner;
    }

    /** The device address, for code that passes it to other CUDA libraries. */
    public long devicePointer() {
        if (freed) throw new IllegalStateException(this + " was closed");
        return ptr;
    }

    @Override
    public void close() {
        if (owner && !freed) {
            freed = true;
            backend.free(ptr);
        }
    }

    boolean isFreed() { return freed; }
}
