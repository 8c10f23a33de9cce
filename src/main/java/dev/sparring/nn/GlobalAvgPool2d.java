package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.backend.PoolSpec;
import dev.sparring.tensor.Tensor;

/**
 * The mean of each channel plane: (N, C, H, W) to (N, C, 1, 1), as PyTorch's nn.AdaptiveAvgPool2d((1, 1)) (the last
 * pooling of Inception-v3). Runs as an average pooling whose window is the whole plane.
 */
public final class GlobalAvgPool2d extends Layer {
    private final int[][] inShape = new int[Pass.SLOTS][];   // input shape per slot

    public GlobalAvgPool2d(Backend be) { super(be); }

    private static PoolSpec whole(int[] s) { return new PoolSpec(s[2], s[3], 1, 1, 0, 0); }

    @Override
    public int[] outputShape(int[] s) { return new int[]{s[0], s[1], 1, 1}; }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if (x.rank() != 4) throw badInput("GlobalAvgPool2d", x, "(N, C, H, W)");
        Tensor y = output(pass, outputShape(x.shape()));
        be.avgPool2dForward(y, x, whole(x.shape()), false);
        inShape[pass.slot()] = x.shape();
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        int[] s = inShape[pass.slot()];
        if (s == null) throw new IllegalStateException("GlobalAvgPool2d.backward for slot " + pass.slot() + " without a forward");
        if (!inputGrad) return null;
        Tensor dx = inputGrad(pass, s);
        be.avgPool2dBackward(dx, dy, whole(s), false);
        return dx;
    }
}
