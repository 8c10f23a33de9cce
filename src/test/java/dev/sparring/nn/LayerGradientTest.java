package dev.sparring.nn;

import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.backend.ConvSpec;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.Mlp;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
    void conv2dNonSquare() {
        checkLayer("Conv2d 1x7 pad (0, 3)", new Conv2d(be, 3, 4, 1, 7, new ConvSpec(1, 1, 0, 3), true), randn(11, 1, 2, 3, 4, 6), true);
        checkLayer("Conv2d 7x1 pad (3, 0)", new Conv2d(be, 3, 2, 7, 1, new ConvSpec(1, 1, 3, 0), false), randn(12, 1, 2, 3, 5, 4), true);
        checkLayer("Conv2d 3x1 stride (2, 1)", new Conv2d(be, 2, 3, 3, 1, new ConvSpec(2, 1, 1, 0), true), randn(13, 1, 2, 2, 7, 5), true);
    }

    @Test
    void pooling() {
        checkLayer("MaxPool2d 3 s2", new MaxPool2d(be, 3, 2, 0), randn(14, 1, 2, 3, 7, 8), true);
        checkLayer("MaxPool2d 3 s1 p1", new MaxPool2d(be, 3, 1, 1), randn(15, 1, 2, 2, 5, 4), true);
        checkLayer("AvgPool2d 3 s1 p1 exclude pad", new AvgPool2d(be, 3, 1, 1, false), randn(16, 1, 2, 2, 5, 4), true);
        checkLayer("AvgPool2d 3 s2 p1 include pad", new AvgPool2d(be, 3, 2, 1, true), randn(17, 1, 2, 2, 6, 5), true);
        checkLayer("GlobalAvgPool2d", new GlobalAvgPool2d(be), randn(18, 1, 3, 4, 3, 5), true);
    }

    @Test
    void bilinearResize() {
        checkLayer("BilinearResize up", new BilinearResize(be, 9, 7), randn(19, 1, 2, 2, 4, 3), true);
        checkLayer("BilinearResize down", new BilinearResize(be, 3, 4), randn(20, 1, 2, 2, 7, 9), true);
    }

    /** An Inception-style block: four branches (convolutions, batch norm, ReLU, pooling), concatenated. */
    private Concat block(int in) {
        return new Concat(be, List.of(
                Sequential.builder(be).add("b1", new Conv2d(be, in, 2, 1, 1, 0, true)).build(),
                Sequential.builder(be).add("b2_1", new Conv2d(be, in, 2, 1, 3, new ConvSpec(1, 1, 0, 1), false))
                        .add("b2_bn", new BatchNorm2d(be, 2, 1e-3, 0.1)).add(Act.relu(be))
                        .add("b2_2", new Conv2d(be, 2, 3, 3, 1, new ConvSpec(1, 1, 1, 0), true)).build(),
                Sequential.builder(be).add(new AvgPool2d(be, 3, 1, 1, false)).add("b3", new Conv2d(be, in, 1, 1, 1, 0, true)).build(),
                Sequential.builder(be).add(new MaxPool2d(be, 3, 1, 1)).add("b4", new Conv2d(be, in, 2, 1, 1, 0, false)).build()));
    }

    @Test
    void concatOfBranches() {
        checkLayer("Concat", block(3), randn(21, 1, 2, 3, 5, 4), true);
    }

    @Test
    void concatNamesBranchStateAsPyTorchModulesDo() {
        Sequential net = Sequential.builder(be).add("Mixed_5b", block(3)).add(new GlobalAvgPool2d(be)).build();
        Network n = new Network("inception-like", "", net, 3, 5, 4);
        assertEquals(List.of("Mixed_5b.b1.weight", "Mixed_5b.b1.bias", "Mixed_5b.b2_1.weight", "Mixed_5b.b2_bn.weight",
                "Mixed_5b.b2_bn.bias", "Mixed_5b.b2_2.weight", "Mixed_5b.b2_2.bias", "Mixed_5b.b3.weight", "Mixed_5b.b3.bias",
                "Mixed_5b.b4.weight"), List.copyOf(n.namedParameters().keySet()));
        assertEquals(List.of("Mixed_5b.b2_bn.running_mean", "Mixed_5b.b2_bn.running_var"), List.copyOf(n.namedBuffers().keySet()));
        assertEquals(List.of("Mixed_5b.b2_bn.num_batches_tracked"), List.copyOf(n.counters().keySet()));
        assertArrayEquals(new int[] {2, 8, 1, 1}, n.outputShape(2));
        // two unnamed branches with the same names are refused, not merged
        Concat clash = new Concat(be, List.of(Sequential.builder(be).add("c", new Conv2d(be, 3, 1, 1, 1, 0, false)).build(),
                Sequential.builder(be).add("c", new Conv2d(be, 3, 1, 1, 1, 0, false)).build()));
        var e = assertThrows(IllegalArgumentException.class, () -> new Network("clash", "", clash, 3, 4, 4));
        assertTrue(e.getMessage().contains("c.weight"), e.getMessage());
    }

    @Test
    void concatInEvalModeUsesRunningStatistics() {
        Concat b = block(3);
        Network n = new Network("block", "", b, 3, 5, 4);
        randomize(List.copyOf(n.namedParameters().values()), 5);
        Tensor x = randn(22, 1, 2, 3, 5, 4);
        float[] eval1 = be.download(n.forward(x, Pass.EVAL));
        n.forward(x, Pass.TRAIN);                                  // moves the running statistics
        float[] eval2 = be.download(n.forward(x, Pass.EVAL));
        float[] evalAgain = be.download(n.forward(x, Pass.EVAL));
        assertArrayEquals(eval2, evalAgain, "an eval pass changes nothing");
        assertFalse(Arrays.equals(eval1, eval2), "eval uses the running statistics that a training pass moved");
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
    void batchNormEvalWithInceptionEps() {
        BatchNorm2d bn = new BatchNorm2d(be, 1, 1e-3, 0.1);      // pytorch-fid's BatchNorm2d(eps=0.001)
        be.copyFromHost(new float[]{0.25f}, bn.runningMean);
        be.copyFromHost(new float[]{0.01f}, bn.runningVar);
        Tensor x = be.upload(new float[]{1.25f}, 1, 1, 1, 1);
        float y = be.download(bn.forward(x, Pass.EVAL))[0];
        assertEquals(1 / Math.sqrt(0.01 + 1e-3), y, 1e-5, "(x - mean) / sqrt(var + 0.001)");   // eps 1e-5 would give 9.995
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

    /** One-hot rows (N, K) of the given labels. */
    private Tensor onehot(int k, int... labels) {
        float[] y = new float[labels.length * k];
        for (int i = 0; i < labels.length; i++) y[i * k + labels[i]] = 1f;
        return be.upload(y, labels.length, k);
    }

    @Test
    void projection() {
        // features: conv + LeakyReLU to (N, 3, 3, 3), F = 27; head: a conv over the whole map to (N, 1, 1, 1), viewed as (N)
        Sequential features = new Sequential(be, List.of(new Conv2d(be, 2, 3, 3, 2, 1, true), Act.leakyRelu(be, 0.2)));
        Sequential head = new Sequential(be, List.of(new Conv2d(be, 3, 1, 3, 1, 0, false), new Reshape(be)));
        Projection p = new Projection(be, features, head, 27, 4);
        p.labels(new Pass(0, true), onehot(4, 2, 0, 3, 2));
        checkLayer("Projection", p, randn(41, 1, 4, 2, 6, 5), true);
    }

    @Test
    void projectionUsesTheLabels() {
        Sequential features = new Sequential(be, List.of(new Conv2d(be, 1, 2, 3, 1, 1, false)));
        Sequential head = new Sequential(be, List.of(new Conv2d(be, 2, 1, 4, 1, 0, false), new Reshape(be)));
        Projection p = new Projection(be, features, head, 32, 3);
        randomize(p.parameters(), 3);
        Tensor x = randn(42, 1, 2, 1, 4, 4);
        p.labels(Pass.TRAIN, onehot(3, 0, 1));
        float[] a = be.download(p.forward(x, Pass.TRAIN));
        p.labels(Pass.TRAIN, onehot(3, 2, 1));
        float[] b = be.download(p.forward(x, Pass.TRAIN));
        assertFalse(a[0] == b[0], "another label, another output");
        assertEquals(a[1], b[1], "the same label, the same output");
    }

    @Test
    void conditionalDcganGeneratorAndCritic28() {
        Dcgan.Config c = new Dcgan.Config(28, 1, 6, 4, 4, 3);
        Network g = Dcgan.generator(be, c, new NoiseStream(1, 0));
        assertArrayEquals(new int[] {9, 1, 1}, g.inputShape(), "z and the one-hot label");
        checkNetwork(g, randn(31, 1, 3, 9, 1, 1), true);
        Network d = Dcgan.discriminator(be, c, new NoiseStream(2, 0));
        assertEquals(List.of("main.0.weight", "main.2.weight", "main.3.weight", "main.3.bias", "main.5.weight", "embedding.weight"),
                List.copyOf(d.namedParameters().keySet()), "the unconditional critic's names, and the embedding");
        assertArrayEquals(new int[] {3, 8 * 7 * 7}, d.namedParameters().get("embedding.weight").value().shape());
        Dcgan.projection(d).labels(Pass.TRAIN, onehot(3, 1, 2, 1));
        checkNetwork(d, randn(32, 1, 3, 1, 28, 28), true);
    }
}
