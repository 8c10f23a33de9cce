package dev.sparring.backend;

/**
 * Geometry of a 2-D convolution: stride and zero padding per axis, as PyTorch's {@code nn.Conv2d(stride=(sH, sW),
 * padding=(pH, pW))} (the same padding on both sides of an axis). The kernel size comes from the weight (R, S).
 * Output size on an axis: {@code (in + 2*pad - k) / stride + 1}.
 */
public record ConvSpec(int strideH, int strideW, int padH, int padW) {
    public ConvSpec {
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("stride must be >= 1, got (" + strideH + ", " + strideW + ")");
        if (padH < 0 || padW < 0) throw new IllegalArgumentException("pad must be >= 0, got (" + padH + ", " + padW + ")");
    }

    /** The same stride and padding on both axes. */
    public ConvSpec(int stride, int pad) { this(stride, stride, pad, pad); }

    /** Output height P for input height H and kernel height R. */
    public int outH(int h, int r) { return out(h, r, strideH, padH, "height"); }

    /** Output width Q for input width W and kernel width S. */
    public int outW(int w, int s) { return out(w, s, strideW, padW, "width"); }

    /** Output height of the transposed convolution with this geometry (no output padding). */
    public int transposedOutH(int in, int r) { return (in - 1) * strideH - 2 * padH + r; }

    /** Output width of the transposed convolution with this geometry (no output padding). */
    public int transposedOutW(int in, int s) { return (in - 1) * strideW - 2 * padW + s; }

    private static int out(int in, int k, int stride, int pad, String axis) {
        int o = Math.floorDiv(in + 2 * pad - k, stride) + 1;
        if (o < 1) throw new IllegalArgumentException("convolution of input " + axis + " " + in + " with kernel " + k + ", stride " + stride + ", pad " + pad + " has no output");
        return o;
    }

    @Override
    public String toString() {
        return strideH == strideW && padH == padW ? "stride " + strideH + ", pad " + padH
                : "stride (" + strideH + ", " + strideW + "), pad (" + padH + ", " + padW + ")";
    }
}
