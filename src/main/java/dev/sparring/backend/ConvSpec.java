package dev.sparring.backend;

/**
 * Geometry of a 2-D convolution with square kernels: stride and zero padding, the same on both axes.
 * Output size: {@code (in + 2*pad - k) / stride + 1}.
 */
public record ConvSpec(int stride, int pad) {
    public ConvSpec {
        if (stride < 1) throw new IllegalArgumentException("stride must be >= 1, got " + stride);
        if (pad < 0) throw new IllegalArgumentException("pad must be >= 0, got " + pad);
    }

    public int outSize(int in, int k) {
        int o = (in + 2 * pad - k) / stride + 1;
        if (o < 1) throw new IllegalArgumentException("convolution of input " + in + " with kernel " + k + ", stride " + stride + ", pad " + pad + " has no output");
        return o;
    }

    /** Output size of the transposed convolution with this geometry (no output padding). */
    public int transposedOutSize(int in, int k) {
        return (in - 1) * stride - 2 * pad + k;
    }
}
