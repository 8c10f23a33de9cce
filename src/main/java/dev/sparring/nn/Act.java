package dev.sparring.nn;

import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

/**
 * A pointwise activation layer: ReLU, LeakyReLU(alpha), Tanh, Sigmoid. Fused into the {@link BatchNorm2d} before it
 * ({@link BatchNorm2d#fuse}), it passes its input (that layer's output, already activated) and its gradient through,
 * and that layer does its work.
 */
public final class Act extends Layer {
    public final Activation kind;
    public final double alpha;
    private final Tensor[] x = new Tensor[Pass.SLOTS], y = new Tensor[Pass.SLOTS];
    private BatchNorm2d fusedInto;   // the batch norm that applies this activation, or null

    public Act(Backend be, Activation kind, double alpha) {
        super(be);
        this.kind = kind;
        this.alpha = alpha;
    }

    public static Act relu(Backend be) { return new Act(be, Activation.RELU, 0); }

    public static Act leakyRelu(Backend be, double slope) { return new Act(be, Activation.LEAKY_RELU, slope); }

    public static Act tanh(Backend be) { return new Act(be, Activation.TANH, 0); }

    public static Act sigmoid(Backend be) { return new Act(be, Activation.SIGMOID, 0); }

    /** Called by {@link BatchNorm2d#fuse}. */
    void fuseInto(BatchNorm2d bn) {
        if (fusedInto != null) throw new IllegalStateException("Act: already fused into a batch norm");
        fusedInto = bn;
    }

    /** The batch norm this activation is fused into ({@link BatchNorm2d#fuse}), or null. */
    public BatchNorm2d fusedInto() { return fusedInto; }

    @Override
    public int[] outputShape(int[] s) { return s.clone(); }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        if (fusedInto != null) {
            if (x != fusedInto.lastOutput(pass)) {
                throw new IllegalStateException(kind.name() + " is fused into the BatchNorm2d before it and takes that layer's output, not another tensor");
            }
            this.x[pass.slot()] = x;
            return x;
        }
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
        if (fusedInto != null) return dy;   // the batch norm's backward takes it
        Tensor dx = inputGradLike(pass, x[s]);
        be.activationBackward(kind, alpha, dx, dy, x[s], y[s]);
        return dx;
    }

    /**
     * gradDy = gradDx * f'(x), gradX = gradDx * dy * f''(x): {@link Backend#activationDoubleBackward}. Fused, gradDy =
     * gradDx (the batch norm's double backward applies f') and gradX the zeros that f'' = 0 gives.
     */
    @Override
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass) {
        int s = pass.slot();
        requireCached(x[s], pass, kind.name());
        if (fusedInto != null) {
            Tensor gradX = gradXLike(pass, x[s]);
            be.fill(gradX, 0f);
            return new DoubleBackward.Grads(gradDx, gradX);
        }
        Tensor gradDy = gradDyLike(pass, x[s]), gradX = gradXLike(pass, x[s]);
        be.activationDoubleBackward(kind, alpha, gradDy, gradX, gradDx, dy, x[s], y[s]);
        return new DoubleBackward.Grads(gradDy, gradX);
    }
}
