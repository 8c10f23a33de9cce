package dev.sparring.optim;

import dev.sparring.UserError;
import dev.sparring.nn.Network;
import dev.sparring.tensor.Tensor;

import java.util.List;

/** WGAN weight clipping: after each critic step every critic parameter is clamped to [-c, c] (one call). */
public final class WeightClip {
    private final Network net;
    private final List<Tensor> params;
    public final float c;

    public WeightClip(Network net, float c) {
        if (!(c > 0)) throw new UserError("clip value must be > 0, got " + c);
        this.net = net;
        this.params = net.values();
        this.c = c;
    }

    public void apply() { net.backend().clamp(params, -c, c); }
}
