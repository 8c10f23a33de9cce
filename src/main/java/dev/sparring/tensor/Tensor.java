package dev.sparring.tensor;

import java.util.Arrays;

/**
 * A dense, row-major (NCHW for images) array owned by one backend. Layers, losses and optimizers only
 * see this type; each backend keeps its storage in its own subclass (a {@code float[]} on the CPU, a
 * device pointer on the GPU) and nothing outside the backend reaches into it.
 *
 * <p>Size letters used in shape comments throughout the code: N batch, C channels, H height, W width,
 * K output channels (filters), F features.
 */
public abstract class Tensor implements AutoCloseable {
    private final int[] shape;
    private final DType dtype;
    private final long size;

    protected Tensor(DType dtype, int... shape) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.size = Shapes.size(shape);
    }

    public final int[] shape() { return shape.clone(); }

    public final int rank() { return shape.length; }

    public final int dim(int i) { return shape[i < 0 ? shape.length + i : i]; }

    /** Number of elements. */
    public final long size() { return size; }

    public final int sizeInt() { return Math.toIntExact(size); }

    public final DType dtype() { return dtype; }

    /** Product of the dimensions from {@code from} on: {@code sizeFrom(2)} is H*W of an NCHW tensor, 1 for (N, C). */
    public final long sizeFrom(int from) {
        long n = 1;
        for (int i = from; i < shape.length; i++) n *= shape[i];
        return n;
    }

    public final boolean sameShape(int... other) { return Arrays.equals(shape, other); }

    /** Whether other has this tensor's shape (without copying either shape). */
    public final boolean sameShape(Tensor other) { return Arrays.equals(shape, other.shape); }

    /** Releases backend memory (a no-op on the CPU). Views share storage and must not outlive their base. */
    @Override
    public void close() { }

    @Override
    public String toString() { return getClass().getSimpleName() + dtype + Arrays.toString(shape); }
}
