package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Shapes;
import dev.sparring.tensor.Tensor;

/** Reshapes (N, ...) to (N, shape...) without copying; PyTorch's view/flatten. */
public final class Reshape extends Layer {
    private final int[] shape;   // per-sample shape
    private final int[][] inShape = new int[Pass.SLOTS][];
    private final int[][] outShape = new int[Pass.SLOTS][];
    private final Views views = new Views(), gradViews = new Views();

    public Reshape(Backend be, int... shape) {
        super(be);
        this.shape = shape.clone();
    }

    @Override
    public int[] outputShape(int[] s) {
        int[] o = new int[shape.length + 1];
        o[0] = s[0];
        System.arraycopy(shape, 0, o, 1, shape.length);
        if (Shapes.size(o) != Shapes.size(s)) throw new IllegalArgumentException("Reshape: cannot view " + Shapes.str(s) + " as " + Shapes.str(o));
        return o;
    }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        int s = pass.slot();
        if (inShape[s] == null || !x.sameShape(inShape[s])) {
            inShape[s] = x.shape();
            outShape[s] = outputShape(inShape[s]);
        }
        return views.of(pass, x, outShape[s]);
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        requireCached(inShape[pass.slot()] == null ? null : dy, pass, "Reshape");
        return inputGrad ? gradViews.of(pass, dy, inShape[pass.slot()]) : null;
    }

    /** Backward is a view of dy, so its backward is a view of gradDx as dy's shape; nothing for x. */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass) {
        requireCached(inShape[pass.slot()] == null ? null : dy, pass, "Reshape");
        return new DoubleBackward.Grads(be.view(gradDx, dy.shape()), null);
    }
}
