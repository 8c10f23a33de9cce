package dev.sparring.nn;

import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.Mlp;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Finite-difference checks of every layer's backward, and of whole DCGAN and MLP generators and critics. */
class LayerGradientTest {
    private final Backend be = new CpuBackend();

    // float32 forward passes: central differences with eps 1e-2 have O(1e-4) rounding noise on L = sum r*y
    // (|L| ~ 10) and O(eps^2) truncation; 2e-3 absolute + 2 % relative separates that from a wrong backward,
    // which is off by O(1) of the gradient.
    private GradientChecker checker() { return new GradientChecker(be, 1e-2, 2e-3, 2e-2, 40); }

    private Tensor randn(long seed, double std, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return be.upload(GradientChecker.randn(seed, n, std), shape);
    }

    private void randomize(List<Parameter> ps, long seed) {
        long s = seed;
        for (Parameter p : ps) {
            float[] v = GradientChecker.randn(s++, p.value().sizeInt(), 0.3);
            if (p.name().endsWith("weight") && p.value().rank() == 1) for (int i = 0; i < v.length; i++) v[i] += 1f;  // BN gamma near 1
            be.copyFromHost(v, p.value());
        }
    }

    private void checkLayer(String name, Layer layer, Tensor x, boolean training) {
        randomize(layer.parameters(), 11);
        Pass pass = new Pass(0, training);
        GradientChecker gc = checker();
        gc.check(name, () -> layer.forward(x, pass), (dy, in) -> layer.backward(dy, pass, in, true),
                layer.parameters(), x, true, 7);
        assertTrue(gc.failures.isEmpty(), name + ": " + gc.report());
        assertTrue(gc.checked > 20, name + ": too few coordinates checked: " + gc.report());
    }

    @Test
    void conv2d() {
        checkLayer("Conv2d", new Conv2d(be, 3, 4, 3, 2, 1, true), randn(1, 1, 2, 3, 7, 6), true);
        checkLayer("Conv2d k4 s1 p0", new Conv2d(be, 2, 3, 4, 1, 0, false), randn(2, 1, 2, 2, 5, 5), true);
    }

    @Test
    void convTranspose2d() {
        checkLayer("ConvTranspose2d", new ConvTranspose2d(be, 4, 3, 4, 2, 1, true), randn(3, 1, 2, 4, 3, 3), true);
        checkLayer("ConvTranspose2d 1x1->7x7", new ConvTranspose2d(be, 5, 2, 7, 1, 0, false), randn(4, 1, 3, 5, 1, 1), true);
    }

    @Test
    void batchNorm2d() {
        checkLayer("BatchNorm2d", new BatchNorm2d(be, 4), randn(5, 1.5, 3, 4, 3, 2), true);
        checkLayer("BatchNorm (N,C)", new BatchNorm2d(be, 5), randn(6, 1.5, 6, 5), true);
    }

    @Test
    void batchNormEvalIsAffineInRunningStats() {
        BatchNorm2d bn = new BatchNorm2d(be, 2);
        be.copyFromHost(new float[]{0.5f, -1f}, bn.runningMean);
        be.copyFromHost(new float[]{4f, 0.25f}, bn.runningVar);
        be.copyFromHost(new float[]{2f, 3f}, bn.weight.value());
        be.copyFromHost(new float[]{0.1f, 0.2f}, bn.bias.value());
        Tensor x = be.upload(new float[]{1.5f, 0f}, 1, 2, 1, 1);
        float[] y = be.download(bn.forward(x, Pass.EVAL));
        assertTrue(Math.abs(y[0] - (2 * (1.5 - 0.5) / Math.sqrt(4 + 1e-5) + 0.1)) < 1e-6, "channel 0: " + y[0]);
        assertTrue(Math.abs(y[1] - (3 * (0 + 1) / Math.sqrt(0.25 + 1e-5) + 0.2)) < 1e-5, "channel 1: " + y[1]);
    }

    @Test
    void linear() {
        checkLayer("Linear", new Linear(be, 5, 4, true), randn(8, 1, 3, 5), true);
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void activations(Activation a) {
        checkLayer(a.name(), new Act(be, a, 0.2), randn(9, 1.5, 4, 3, 2, 2), true);
    }

    @Test
    void sequentialWithReshape() {
        Sequential s = new Sequential(be, List.of(new Conv2d(be, 1, 2, 3, 1, 1, true), Act.tanh(be),
                new Reshape(be, 2 * 4 * 4), new Linear(be, 32, 3, true)));
        checkLayer("Sequential", s, randn(10, 1, 2, 1, 4, 4), true);
    }

    private void checkNetwork(Network net, Tensor x, boolean checkInput) {
        randomize(net.namedParameters().values().stream().toList(), 21);
        // Whole ReLU networks: eps 1e-3 keeps perturbations from crossing many ReLU kinks at once (the rest
        // are detected and skipped); the float32 noise on L is then O(1e-2) against gradients of O(1..10).
        GradientChecker gc = new GradientChecker(be, 1e-3, 2e-2, 3e-2, 24);
        gc.check(net.name(), () -> net.forward(x, Pass.TRAIN), (dy, in) -> net.backward(dy, Pass.TRAIN, in, true),
                List.copyOf(net.namedParameters().values()), x, checkInput, 3);
        assertTrue(gc.failures.isEmpty(), net.name() + ": " + gc.report());
        assertTrue(gc.checked > 50, net.name() + ": too few coordinates checked: " + gc.report());
    }

    @Test
    void dcganGeneratorAndCritic28() {
        Dcgan.Config c = new Dcgan.Config(28, 1, 6, 4, 4);
        checkNetwork(Dcgan.generator(be, c, new NoiseStream(1, 0)), randn(31, 1, 3, 6, 1, 1), true);
        checkNetwork(Dcgan.discriminator(be, c, new NoiseStream(2, 0)), randn(32, 1, 3, 1, 28, 28), true);
    }

    @Test
    void dcganGeneratorAndCritic32Rgb() {
        Dcgan.Config c = new Dcgan.Config(32, 3, 5, 3, 3);
        checkNetwork(Dcgan.generator(be, c, new NoiseStream(3, 0)), randn(33, 1, 2, 5, 1, 1), true);
        checkNetwork(Dcgan.discriminator(be, c, new NoiseStream(4, 0)), randn(34, 1, 2, 3, 32, 32), true);
    }

    @Test
    void mlpGeneratorAndCritic() {
        Mlp.Config c = new Mlp.Config(4, 16, 2, 2);
        checkNetwork(Mlp.generator(be, c, new NoiseStream(5, 0)), randn(35, 1, 5, 4), true);
        checkNetwork(Mlp.discriminator(be, c, new NoiseStream(6, 0)), randn(36, 1, 5, 2), true);
    }
}
