package dev.sparring.tensor;

/**
 * Element types a {@link Tensor} can hold. Networks compute in F32; U8 holds datasets, I32 index lists, F64 the
 * float64 feature statistics of the FID (mean, scatter, covariances).
 */
public enum DType {
    F32(4), U8(1), I32(4), F64(8);

    public final int bytes;

    DType(int bytes) { this.bytes = bytes; }
}
