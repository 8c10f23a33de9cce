package dev.sparring.optim;

import dev.sparring.nn.Network;
import dev.sparring.tensor.Tensor;

import java.util.List;
import java.util.Map;

/** SGD with momentum as torch.optim.SGD (dampening 0, not Nesterov). */
public final class Sgd extends Optimizer {
    public final float momentum;
    private final List<Tensor> buf;   // momentum buffers

    public Sgd(Network net, float lr, float momentum) {
        super(net, lr);
        this.momentum = momentum;
        this.buf = zerosLike();
    }

    @Override
    protected void update() { be.sgdStep(params, grads, buf, lr, momentum, step); }

    @Override
    public String name() { return "sgd"; }

    @Override
    public Map<String, Tensor> state() { return named("momentum_buffer", buf, map()); }
}
