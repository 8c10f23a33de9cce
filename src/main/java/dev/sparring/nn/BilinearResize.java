package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

/**
 * Resizes (N, C, H, W) to (N, C, height, width) bilinearly, as PyTorch's F.interpolate(x, size=(height, width),
 * mode='bilinear', align_corners=False) (pytorch-fid resizes its input to 299 x 299 so).
 */
public final class BilinearResize extends Layer {
    public final int height, width;
    private final int[][] inShape = new int[Pass.SLOTS][];   // input shape per slot

    public BilinearResize(Backend be, int height, int width) {
        super(be);
        if (height < 1 || width < 1) throw new IllegalArgumentException("BilinearResize: size must be >= 1, got " + height + " x " + width);
        this.height = height;
        this.width = width;
    }

    @Override
    public int[] outputShape(int[] s) { return new int[]{s[0], s[1], height, width}; }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if (x.rank() != 4) throw badInput("BilinearResize", x, "(N, C, H, W)");
        Tensor y = output(pass, outputShape(x.shape()));
        be.resizeBilinearForward(y, x);
        inShape[pass.slot()] = x.shape();
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        int[] s = inShape[pass.slot()];
        if (s == null) throw new IllegalStateException("BilinearResize.backward for slot " + pass.slot() + " without a forward");
        if (!inputGrad) return null;
        Tensor dx = inputGrad(pass, s);
        be.resizeBilinearBackward(dx, dy);
        return dx;
    }
}
