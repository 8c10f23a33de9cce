package dev.sparring.optim;

import dev.sparring.nn.Network;
import dev.sparring.tensor.Tensor;

import java.util.List;
import java.util.Map;

/** Adam (Kingma &amp; Ba) as torch.optim.Adam; DCGAN uses lr 2e-4, beta1 0.5. */
public final class Adam extends Optimizer {
    public final float beta1, beta2, eps, weightDecay;
    private final List<Tensor> m, v;   // first and second moments, one per parameter

    public Adam(Network net, float lr, float beta1, float beta2, float eps, float weightDecay) {
        super(net, lr);
        this.beta1 = beta1; this.beta2 = beta2; this.eps = eps; this.weightDecay = weightDecay;
        this.m = zerosLike();
        this.v = zerosLike();
    }

    @Override
    protected void update() { be.adamStep(params, grads, m, v, lr, beta1, beta2, eps, weightDecay, step); }

    @Override
    public String name() { return "adam"; }

    @Override
    public Map<String, Tensor> state() { return named("exp_avg_sq", v, named("exp_avg", m, map())); }
}
