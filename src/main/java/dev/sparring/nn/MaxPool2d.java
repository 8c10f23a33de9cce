package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.backend.PoolSpec;
import dev.sparring.tensor.Tensor;

/**
 * Max pooling, as PyTorch's nn.MaxPool2d / F.max_pool2d (padding counts as -inf, ceil_mode False). Backward sends each
 * output's gradient to its window's maximum, the first of equal ones row by row (see {@link Backend#maxPool2dBackward}).
 */
public final class MaxPool2d extends Layer {
    public final PoolSpec spec;
    private final Tensor[] x = new Tensor[Pass.SLOTS];   // cached input (N, C, H, W) per slot

    /** A square window: max_pool2d(kernel_size=kernel, stride=stride, padding=pad). */
    public MaxPool2d(Backend be, int kernel, int stride, int pad) { this(be, new PoolSpec(kernel, stride, pad)); }

    public MaxPool2d(Backend be, PoolSpec spec) {
        super(be);
        this.spec = spec;
    }

    @Override
    public int[] outputShape(int[] s) { return new int[]{s[0], s[1], spec.outH(s[2]), spec.outW(s[3])}; }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if (x.rank() != 4) throw badInput("MaxPool2d", x, "(N, C, H, W)");
        Tensor y = output(pass, outputShape(x.shape()));
        be.maxPool2dForward(y, x, spec);
        this.x[pass.slot()] = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        Tensor x = this.x[pass.slot()];
        requireCached(x, pass, "MaxPool2d");
        if (!inputGrad) return null;
        Tensor dx = inputGrad(pass, x.shape());
        be.maxPool2dBackward(dx, dy, x, spec);
        return dx;
    }
}
