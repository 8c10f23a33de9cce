package dev.sparring.nn;

import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

/** A pointwise activation layer: ReLU, LeakyReLU(alpha), Tanh, Sigmoid. */
public final class Act extends Layer {
    public final Activation kind;
    public final double alpha;
    private final Tensor[] x = new Tensor[Pass.SLOTS], y = new Tensor[Pass.SLOTS];

    public Act(Backend be, Activation kind, double alpha) {
        super(be);
        this.kind = kind;
        this.alpha = alpha;
    }

    public static Act relu(Backend be) { return new Act(be, Activation.RELU, 0); }

    public static Act leakyRelu(Backend be, double slope) { return new Act(be, Activation.LEAKY_RELU, slope); }

    public static Act tanh(Backend be) { return new Act(be, Activation.TANH, 0); }

    public static Act sigmoid(Backend be) { return new Act(be, Activation.SIGMOID, 0); }

    @Override
    public int[] outputShape(int[] s) { return s.clone(); }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        Tensor y = outputLike(pass, x);
        be.activationForward(kind, alpha, y, x);
        this.x[pass.slot()] = x;
        this.y[pass.slot()] = y;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        int s = pass.slot();
        requireCached(x[s], pass, kind.name());
        if (!inputGrad) return null;
        Tensor dx = inputGradLike(pass, x[s]);
        be.activationBackward(kind, alpha, dx, dy, x[s], y[s]);
        return dx;
    }

    /** gradDy = gradDx * f'(x), gradX = gradDx * dy * f''(x): {@link Backend#activationDoubleBackward}. */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass) {
        int s = pass.slot();
        requireCached(x[s], pass, kind.name());
        Tensor gradDy = gradDyLike(pass, x[s]), gradX = gradXLike(pass, x[s]);
        be.activationDoubleBackward(kind, alpha, gradDy, gradX, gradDx, dy, x[s], y[s]);
        return new DoubleBackward.Grads(gradDy, gradX);
    }
}
