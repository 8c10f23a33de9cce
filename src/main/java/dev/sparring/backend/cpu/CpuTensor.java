package dev.sparring.backend.cpu;

import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;

/** A tensor in a Java array: exactly one of {@code f}, {@code b}, {@code i}, {@code d} is set, by dtype. */
public final class CpuTensor extends Tensor {
    final float[] f;
    final byte[] b;
    final int[] i;
    final double[] d;

    CpuTensor(float[] f, int... shape) {
        super(DType.F32, shape);
        this.f = f; this.b = null; this.i = null; this.d = null;
        check(f.length);
    }

    CpuTensor(byte[] b, int... shape) {
        super(DType.U8, shape);
        this.f = null; this.b = b; this.i = null; this.d = null;
        check(b.length);
    }

    CpuTensor(int[] i, int... shape) {
        super(DType.I32, shape);
        this.f = null; this.b = null; this.i = i; this.d = null;
        check(i.length);
    }

    CpuTensor(double[] d, int... shape) {
        super(DType.F64, shape);
        this.f = null; this.b = null; this.i = null; this.d = d;
        check(d.length);
    }

    private void check(int len) {
        if (len != size()) throw new IllegalArgumentException("array of " + len + " elements for shape of " + size());
    }
}
