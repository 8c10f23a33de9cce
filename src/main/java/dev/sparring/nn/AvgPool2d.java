package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.backend.PoolSpec;
import dev.sparring.tensor.Tensor;

/**
 * Average pooling, as PyTorch's nn.AvgPool2d / F.avg_pool2d (ceil_mode False). With {@code countIncludePad} false (as
 * pytorch-fid's Inception blocks call it) a window is divided by its elements inside the input; with true (PyTorch's
 * default) by its size within the padded input.
 */
public final class AvgPool2d extends Layer {
    public final PoolSpec spec;
    public final boolean countIncludePad;
    private final int[][] inShape = new int[Pass.SLOTS][];   // input shape per slot

    /** A square window: avg_pool2d(kernel_size=kernel, stride=stride, padding=pad, count_include_pad=countIncludePad). */
    public AvgPool2d(Backend be, int kernel, int stride, int pad, boolean countIncludePad) {
        this(be, new PoolSpec(kernel, stride, pad), countIncludePad);
    }

    public AvgPool2d(Backend be, PoolSpec spec, boolean countIncludePad) {
        super(be);
        this.spec = spec;
        this.countIncludePad = countIncludePad;
    }

    @Override
    public int[] outputShape(int[] s) { return new int[]{s[0], s[1], spec.outH(s[2]), spec.outW(s[3])}; }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if (x.rank() != 4) throw badInput("AvgPool2d", x, "(N, C, H, W)");
        Tensor y = output(pass, outputShape(x.shape()));
        be.avgPool2dForward(y, x, spec, countIncludePad);
        inShape[pass.slot()] = x.shape();
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        int[] s = inShape[pass.slot()];
        if (s == null) throw new IllegalStateException("AvgPool2d.backward for slot " + pass.slot() + " without a forward");
        if (!inputGrad) return null;
        Tensor dx = inputGrad(pass, s);
        be.avgPool2dBackward(dx, dy, spec, countIncludePad);
        return dx;
    }
}
