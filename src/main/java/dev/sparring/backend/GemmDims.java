package dev.sparring.backend;

import dev.sparring.tensor.Shapes;
import dev.sparring.tensor.Tensor;

/** The sizes of C (m x n) = op(A) (m x k) op(B) (k x n) for 2-D tensors, checked once for every backend. */
public record GemmDims(int m, int n, int k) {

    public static GemmDims of(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c) {
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2) throw new IllegalArgumentException("gemm needs 2-D tensors");
        int m = transA ? a.dim(1) : a.dim(0), k = transA ? a.dim(0) : a.dim(1);
        int kb = transB ? b.dim(1) : b.dim(0), n = transB ? b.dim(0) : b.dim(1);
        if (k != kb || c.dim(0) != m || c.dim(1) != n) {
            throw new IllegalArgumentException("gemm: op(a) " + m + "x" + k + ", op(b) " + kb + "x" + n + ", c " + Shapes.str(c.shape()));
        }
        return new GemmDims(m, n, k);
    }
}
