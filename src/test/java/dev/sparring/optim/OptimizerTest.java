package dev.sparring.optim;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.Dcgan;
import dev.sparring.nn.Linear;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import dev.sparring.random.NoiseStream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each optimizer against its PyTorch update rule, evaluated by hand in double precision for every element of every
 * parameter of a network (a weight and a bias, each with gradients of its own), and weight clipping on every
 * parameter of a DCGAN critic.
 */
class OptimizerTest {
    private final Backend be = new CpuBackend();

    /** Linear(2 -> 1) with a bias: two parameter tensors, weight (1, 2) and bias (1); elements in that order. */
    private Network net(float... values) {
        Linear l = new Linear(be, 2, 1, true);
        be.copyFromHost(new float[]{values[0], values[1]}, l.weight.value());
        be.copyFromHost(new float[]{values[2]}, l.bias.value());
        return new Network("n", "", l, 2);
    }

    private static final String[] ELEMENTS = {"weight[0]", "weight[1]", "bias[0]"};

    private void setGrads(Network n, float[] g) {
        be.copyFromHost(new float[]{g[0], g[1]}, n.namedParameters().get("weight").grad());
        be.copyFromHost(new float[]{g[2]}, n.namedParameters().get("bias").grad());
    }

    private float[] values(Network n) {
        float[] w = be.download(n.namedParameters().get("weight").value()), b = be.download(n.namedParameters().get("bias").value());
        return new float[]{w[0], w[1], b[0]};
    }

    /** One element's update at step t (1-based) from its value p and gradient g; state: that element's own slots. */
    @FunctionalInterface
    private interface Rule {
        double update(double p, double g, int t, double[] state);
    }

    /** Steps {@code opt} with {@code grads[t]} at step t + 1 and compares every element with {@code rule} after each step. */
    private void assertFollows(Rule rule, Network n, Optimizer opt, float[] initial, float[][] grads, String name) {
        double[] p = new double[initial.length];
        double[][] state = new double[initial.length][2];
        for (int e = 0; e < p.length; e++) p[e] = initial[e];
        for (int t = 1; t <= grads.length; t++) {
            setGrads(n, grads[t - 1]);
            opt.step();
            float[] got = values(n);
            for (int e = 0; e < p.length; e++) {
                p[e] = rule.update(p[e], grads[t - 1][e], t, state[e]);
                assertEquals(p[e], got[e], 1e-6, name + ": " + ELEMENTS[e] + " after step " + t);
            }
        }
    }

    @Test
    void adamMatchesTorchOptimAdam() {
        float[] initial = {1f, -2f, 0.5f};
        Network n = net(initial);
        // weight[1] keeps a zero gradient: Adam leaves a fresh parameter in place
        float[][] grads = {{0.3f, 0f, -0.7f}, {-1.2f, 0f, 0.05f}, {2.5f, 0f, 1.1f}};
        assertFollows((p, g, t, s) -> {
            s[0] = 0.5 * s[0] + 0.5 * g;                 // m
            s[1] = 0.999 * s[1] + 0.001 * g * g;         // v
            return p - 0.1 / (1 - Math.pow(0.5, t)) * s[0] / (Math.sqrt(s[1]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8);
        }, n, new Adam(n, 0.1f, 0.5f, 0.999f, 1e-8f, 0f), initial, grads, "Adam");
        assertEquals(-2f, values(n)[1], "a zero gradient leaves a fresh parameter in place");
    }

    @Test
    void rmspropMatchesTorchOptimRmsprop() {
        float[] initial = {0.5f, 0f, -1f};
        Network n = net(initial);
        float[][] grads = {{1f, -0.3f, 0.2f}, {-0.5f, 0.8f, 0f}, {0.25f, 0.1f, -2f}};
        assertFollows((p, g, t, s) -> {
            s[0] = 0.99 * s[0] + 0.01 * g * g;
            return p - 0.01 * g / (Math.sqrt(s[0]) + 1e-8);
        }, n, new RmsProp(n, 0.01f, 0.99f, 1e-8f), initial, grads, "RMSProp");
    }

    @Test
    void sgdWithMomentumMatchesTorchOptimSgd() {
        float[] initial = {0f, 0.25f, -0.5f};
        Network n = net(initial);
        float[][] grads = {{1f, 0.5f, -1f}, {1f, -0.5f, 2f}, {-2f, 0.25f, 0f}};
        assertFollows((p, g, t, s) -> {
            s[0] = t == 1 ? g : 0.9 * s[0] + g;          // the momentum buffer starts as the first gradient
            return p - 0.1 * s[0];
        }, n, new Sgd(n, 0.1f, 0.9f), initial, grads, "SGD");
    }

    @Test
    void weightClipClampsEveryParameterOfTheCriticAndNothingElse() {
        float c = 0.01f;
        Network d = Dcgan.discriminator(be, new Dcgan.Config(28, 1, 4, 4, 4), NoiseStream.derive(1, "init"));
        // every parameter gets values above c, below -c and inside [-c, c], and a gradient of 5
        Map<String, float[]> set = new LinkedHashMap<>();
        int k = 0;
        for (var e : d.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            float[] v = new float[(int) p.value().size()];
            for (int i = 0; i < v.length; i++) v[i] = ((i + k) % 5 - 2) * 0.007f;   // -0.014, -0.007, 0, 0.007, 0.014
            k++;
            be.copyFromHost(v, p.value());
            be.fill(p.grad(), 5f);
            set.put(e.getKey(), v);
        }
        Map<String, float[]> buffers = new LinkedHashMap<>();
        d.namedBuffers().forEach((name, b) -> buffers.put(name, be.download(b)));
        assertTrue(set.size() > 2, "the critic has several parameters: " + set.keySet());
        assertTrue(buffers.values().stream().anyMatch(b -> b.length > 0 && b[0] > c), "a buffer outside [-c, c] (running_var): " + buffers.keySet());

        new WeightClip(d, c).apply();

        for (var e : d.namedParameters().entrySet()) {
            float[] before = set.get(e.getKey()), after = be.download(e.getValue().value()), grad = be.download(e.getValue().grad());
            for (int i = 0; i < before.length; i++) {
                assertEquals(Math.min(c, Math.max(-c, before[i])), after[i], e.getKey() + "[" + i + "] clamped to [-c, c]");
                assertEquals(5f, grad[i], e.getKey() + ".grad[" + i + "]: gradients are not clipped");
            }
        }
        List<String> changed = new ArrayList<>();
        d.namedBuffers().forEach((name, b) -> { if (!Arrays.equals(buffers.get(name), be.download(b))) changed.add(name); });
        assertEquals(List.of(), changed, "buffers (running statistics) are not parameters: clipping leaves them alone");
    }

    @Test
    void weightClipRefusesAClipValueThatIsNotPositive() {
        Network n = net(0f, 0f, 0f);
        for (float c : new float[]{0f, -0.01f, Float.NaN}) {
            var e = assertThrows(UserError.class, () -> new WeightClip(n, c));
            assertTrue(e.getMessage().contains("clip value must be > 0, got " + c), e.getMessage());
        }
    }
}
