package dev.sparring.optim;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.nn.Linear;
import dev.sparring.nn.Network;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Each optimizer against its PyTorch update rule, evaluated by hand in double precision. */
class OptimizerTest {
    private final Backend be = new CpuBackend();

    private Network oneWeight(float w0, float w1) {
        Linear l = new Linear(be, 2, 1, false);
        be.copyFromHost(new float[]{w0, w1}, l.weight.value());
        return new Network("n", "", l, 2);
    }

    private void setGrad(Network n, float g0, float g1) {
        be.copyFromHost(new float[]{g0, g1}, n.namedParameters().get("weight").grad());
    }

    private float[] weight(Network n) { return be.download(n.namedParameters().get("weight").value()); }

    @Test
    void adamMatchesTorchOptimAdam() {
        Network n = oneWeight(1f, -2f);
        Adam adam = new Adam(n, 0.1f, 0.5f, 0.999f, 1e-8f, 0f);
        double p = 1, m = 0, v = 0;
        float[] grads = {0.3f, -1.2f, 2.5f};
        for (int t = 1; t <= 3; t++) {
            setGrad(n, grads[t - 1], 0f);
            adam.step();
            double g = grads[t - 1];
            m = 0.5 * m + 0.5 * g;
            v = 0.999 * v + 0.001 * g * g;
            p -= 0.1 / (1 - Math.pow(0.5, t)) * m / (Math.sqrt(v) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8);
            assertEquals(p, weight(n)[0], 1e-6, "Adam after step " + t);
        }
        assertEquals(-2f, weight(n)[1], 1e-7, "a zero gradient leaves a fresh parameter in place");
    }

    @Test
    void rmspropMatchesTorchOptimRmsprop() {
        Network n = oneWeight(0.5f, 0f);
        RmsProp opt = new RmsProp(n, 0.01f, 0.99f, 1e-8f);
        double p = 0.5, sq = 0;
        for (float g : new float[]{1f, -0.5f, 0.25f}) {
            setGrad(n, g, 0f);
            opt.step();
            sq = 0.99 * sq + 0.01 * g * g;
            p -= 0.01 * g / (Math.sqrt(sq) + 1e-8);
            assertEquals(p, weight(n)[0], 1e-6);
        }
    }

    @Test
    void sgdWithMomentumMatchesTorchOptimSgd() {
        Network n = oneWeight(0f, 0f);
        Sgd opt = new Sgd(n, 0.1f, 0.9f);
        double p = 0, buf = 0;
        int t = 0;
        for (float g : new float[]{1f, 1f, -2f}) {
            setGrad(n, g, 0f);
            opt.step();
            buf = ++t == 1 ? g : 0.9 * buf + g;
            p -= 0.1 * buf;
            assertEquals(p, weight(n)[0], 1e-6);
        }
    }

    @Test
    void weightClipClampsEveryParameter() {
        Network n = oneWeight(0.5f, -0.003f);
        new WeightClip(n, 0.01f).apply();
        float[] w = weight(n);
        assertEquals(0.01f, w[0]);
        assertEquals(-0.003f, w[1]);
        Tensor g = n.namedParameters().get("weight").grad();
        assertEquals(2, g.size());
    }
}
