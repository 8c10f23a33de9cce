package dev.sparring.backend;

/**
 * Geometry of a 2-D pooling window: kernel, stride and padding per axis, as PyTorch's {@code max_pool2d} and
 * {@code avg_pool2d} take them (ceil_mode False, dilation 1). Output size on an axis: {@code (in + 2*pad - k) / stride
 * + 1}. As in PyTorch, the padding is at most half the kernel, so that every window holds at least one input element.
 */
public record PoolSpec(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW) {
    public PoolSpec {
        if (kernelH < 1 || kernelW < 1) throw new IllegalArgumentException("pooling kernel must be >= 1, got (" + kernelH + ", " + kernelW + ")");
        if (strideH < 1 || strideW < 1) throw new IllegalArgumentException("pooling stride must be >= 1, got (" + strideH + ", " + strideW + ")");
        if (padH < 0 || padW < 0 || 2 * padH > kernelH || 2 * padW > kernelW) {
            throw new IllegalArgumentException("pooling pad must be >= 0 and at most half the kernel (" + kernelH + ", " + kernelW
                    + "), got (" + padH + ", " + padW + ")");
        }
    }

    /** A square window with the same stride and padding on both axes. */
    public PoolSpec(int kernel, int stride, int pad) { this(kernel, kernel, stride, stride, pad, pad); }

    /** Output height P for input height H. */
    public int outH(int h) { return out(h, kernelH, strideH, padH, "height"); }

    /** Output width Q for input width W. */
    public int outW(int w) { return out(w, kernelW, strideW, padW, "width"); }

    private static int out(int in, int k, int stride, int pad, String axis) {
        int o = Math.floorDiv(in + 2 * pad - k, stride) + 1;
        if (o < 1) throw new IllegalArgumentException("pooling of input " + axis + " " + in + " with kernel " + k + ", stride " + stride + ", pad " + pad + " has no output");
        return o;
    }

    @Override
    public String toString() {
        return kernelH == kernelW && strideH == strideW && padH == padW ? kernelH + "x" + kernelW + " stride " + strideH + " pad " + padH
                : kernelH + "x" + kernelW + " stride (" + strideH + ", " + strideW + ") pad (" + padH + ", " + padW + ")";
    }
}
