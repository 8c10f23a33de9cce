package dev.sparring.optim;

import dev.sparring.nn.Network;
import dev.sparring.tensor.Tensor;

import java.util.List;
import java.util.Map;

/** RMSProp as torch.optim.RMSprop (no momentum, not centered); WGAN uses lr 5e-5. */
public final class RmsProp extends Optimizer {
    public final float alpha, eps;
    private final List<Tensor> sq;   // running mean of squared gradients

    public RmsProp(Network net, float lr, float alpha, float eps) {
        super(net, lr);
        this.alpha = alpha; this.eps = eps;
        this.sq = zerosLike();
    }

    @Override
    protected void update() { be.rmspropStep(params, grads, sq, lr, alpha, eps); }

    @Override
    public String name() { return "rmsprop"; }

    @Override
    public Map<String, Tensor> state() { return named("square_avg", sq, map()); }
}
