package dev.sparring.nn;

import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.backend.ConvSpec;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.tensor.Shapes;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Second-order passes proven by finite differences in float64. The CPU backend computes in float32, so the
 * reference is plain double Java on the same weights and inputs: the penalty P = Σ_n ‖∂D/∂x_n‖² is written with
 * the first-order formulas only (forward, then dx = dy W, dx = dy f'(x), and a convolution's dx as the adjoint of
 * its forward's loop), and its gradient with respect to every weight and bias is a central difference of P. With
 * step 1e-5 in double the difference has O(1e-10) truncation and O(1e-11) rounding error, so the comparison
 * measures only the float32 error of the passes under test.
 */
class DoubleBackwardTest {
    private final Backend be = new CpuBackend();
    private static final double H = 1e-5;
    // float32 passes over at most 5 units and 4 samples: each value is a few roundings of O(1) terms, ~1e-6 relative;
    // 1e-4 absolute + 1e-3 relative leaves a wide margin below a wrong term, which is off by O(1) of the gradient.
    private static final double ATOL = 1e-4, RTOL = 1e-3;
    // LeakyReLU pre-activations are kept at least this far from the kink: a step of H moves them by < 1e-4.
    private static final double KINK = 0.05;

    private static float[] randn(long seed, int n, double std) { return GradientChecker.randn(seed, n, std); }

    /** Linear(2, 5) -> LeakyReLU(0.2) -> Linear(5, 1) -> Reshape: the shape of gan.Mlp's critic at depth 1. */
    private Sequential leakyCritic() {
        return new Sequential(be, List.of(new Linear(be, 2, 5, true), Act.leakyRelu(be, 0.2), new Linear(be, 5, 1, true),
                new Reshape(be)));
    }

    /** Two Tanh layers: f'' is not zero, so the forward values' own path (step 4 of DoubleBackward) carries weight. */
    private Sequential tanhCritic() {
        return new Sequential(be, List.of(new Linear(be, 2, 4, true), Act.tanh(be), new Linear(be, 4, 3, true),
                Act.sigmoid(be), new Linear(be, 3, 1, true), new Reshape(be)));
    }

    @Test
    void leakyReluCriticPenaltyGradientMatchesFiniteDifferences() {
        Sequential net = leakyCritic();
        Ref ref = randomize(net, 11, 2);
        // Inputs chosen away from the kink: candidates are drawn in turn and kept only when every LeakyReLU
        // pre-activation is at least KINK from 0, so that no central difference straddles the kink.
        int n = 4;
        double[][] x = new double[n][];
        float[] cand = randn(12, 200, 1.0);
        int kept = 0;
        for (int c = 0; c + 1 < cand.length && kept < n; c += 2) {
            double[] row = {cand[c], cand[c + 1]};
            if (ref.minPreActivation(row) >= KINK) x[kept++] = row;
        }
        assertEquals(n, kept, "too few inputs away from the kink");
        checkPenaltyGradient(net, ref, x, 2);
    }

    @Test
    void smoothCriticPenaltyGradientMatchesFiniteDifferences() {
        Sequential net = tanhCritic();
        Ref ref = randomize(net, 21, 2);
        float[] xs = randn(22, 8, 1.0);
        double[][] x = new double[4][];
        for (int i = 0; i < 4; i++) x[i] = new double[] {xs[2 * i], xs[2 * i + 1]};
        checkPenaltyGradient(net, ref, x, 2);
    }

    /**
     * Conv2d(1→2, 3x3, stride 2, pad 1) on 6x6 images -> LeakyReLU(0.2) -> Linear(18, 1): an even size, so the
     * padding after the last row and column is never read (the windows start at -1, 1 and 3).
     */
    private Sequential convCritic() {
        return new Sequential(be, List.of(new Conv2d(be, 1, 2, 3, 2, 1, true), Act.leakyRelu(be, 0.2), new Reshape(be, 18),
                new Linear(be, 18, 1, true), new Reshape(be)));
    }

    /**
     * Conv2d(1→2, 3x3, stride 2, pad 1) on 5x5 -> LeakyReLU -> ConvTranspose2d(2→1, 3, stride 2, pad 1) back to 5x5
     * -> Tanh -> Conv2d(1→2, (2, 3) kernel, stride (2, 1), pad (0, 1)) to (2, 2, 5), its input's last row outside
     * every window -> Linear(20, 1): a transposed convolution between two others, a rectangular kernel, and a Tanh
     * whose f'' gives the convolutions' inputs a forward path.
     */
    private Sequential convTransposeCritic() {
        return new Sequential(be, List.of(new Conv2d(be, 1, 2, 3, 2, 1, true), Act.leakyRelu(be, 0.2),
                new ConvTranspose2d(be, 2, 1, 3, 2, 1, true), Act.tanh(be),
                new Conv2d(be, 1, 2, 2, 3, new ConvSpec(2, 1, 0, 1), true),
                new Reshape(be, 20), new Linear(be, 20, 1, true), new Reshape(be)));
    }

    @Test
    void convCriticPenaltyGradientMatchesFiniteDifferences() {
        Sequential net = convCritic();
        Ref ref = randomize(net, 41, 1, 6, 6);
        checkPenaltyGradient(net, ref, awayFromKink(ref, 42, 3, 36), 1, 6, 6);
    }

    @Test
    void convTransposeCriticPenaltyGradientMatchesFiniteDifferences() {
        Sequential net = convTransposeCritic();
        Ref ref = randomize(net, 51, 1, 5, 5);
        checkPenaltyGradient(net, ref, awayFromKink(ref, 52, 3, 25), 1, 5, 5);
    }

    /**
     * The DCGAN critic's middle block: Conv2d(1→2, 3x3, stride 2, pad 1) on 6x6 -> BatchNorm2d(2) in training mode ->
     * LeakyReLU(0.2) -> Linear(18, 1). Batch norm couples the samples: each one's input gradient depends on the others.
     */
    private Sequential batchNormCritic(boolean fuse) {
        BatchNorm2d bn = new BatchNorm2d(be, 2);
        Act act = Act.leakyRelu(be, 0.2);
        return new Sequential(be, List.of(new Conv2d(be, 1, 2, 3, 2, 1, true), bn, fuse ? bn.fuse(act) : act,
                new Reshape(be, 18), new Linear(be, 18, 1, true), new Reshape(be)));
    }

    @Test
    void batchNormCriticPenaltyGradientMatchesFiniteDifferences() { batchNormCriticPenalty(false); }

    /** The same with the LeakyReLU fused into the batch norm (BatchNorm2d.fuse), as the DCGAN builds it. */
    @Test
    void fusedBatchNormCriticPenaltyGradientMatchesFiniteDifferences() { batchNormCriticPenalty(true); }

    private void batchNormCriticPenalty(boolean fuse) {
        Sequential net = batchNormCritic(fuse);
        Ref ref = randomize(net, 61, 1, 6, 6);
        // a batch whose every LeakyReLU pre-activation (after batch norm, so a property of the whole batch) is KINK from 0
        double[][] x = null;
        for (int c = 0; c < 2000 && x == null; c++) {
            double[][] cand = new double[4][];
            for (int n = 0; n < 4; n++) cand[n] = toDouble(randn(62 + 1000L * c + n, 36, 1.0));
            if (ref.minPreActivation(cand) >= KINK) x = cand;
        }
        assertTrue(x != null, "no batch away from the kink");
        checkPenaltyGradient(net, ref, x, 1, 6, 6);
    }

    /**
     * The batch-norm op against central differences, in double, of Q = Σ gradDx · dx with the first-order dx of
     * batch norm: its x, dy and γ derivatives are gradX, gradDy and dγ.
     */
    @Test
    void batchNormDoubleBackwardIsTheDerivativeOfBackward() {
        int n = 3, c = 2, hw = 5, size = n * c * hw;
        float[] xs = randn(71, size, 1.5), dys = randn(72, size, 1.0), gdxs = randn(73, size, 1.0), gs = randn(74, c, 0.7);
        for (int i = 0; i < c; i++) gs[i] += 1f;
        Tensor x = be.upload(xs, n, c, hw, 1), y = be.zeros(n, c, hw, 1), mean = be.zeros(c), inv = be.zeros(c);
        Tensor gamma = be.upload(gs, c), beta = be.zeros(c), rm = be.zeros(c), rv = be.zeros(c);
        be.batchNormTrain(y, mean, inv, x, gamma, beta, rm, rv, 0.1, RefBn.EPS);
        Tensor gdy = be.zeros(n, c, hw, 1), gx = be.zeros(n, c, hw, 1), dg = be.upload(new float[] {0.25f, -0.5f}, c);
        be.batchNormDoubleBackward(gdy, gx, dg, be.upload(gdxs, n, c, hw, 1), be.upload(dys, n, c, hw, 1), x, gamma, mean, inv);
        float[] gdyv = be.download(gdy), gxv = be.download(gx), dgv = be.download(dg);

        double[][] xd = rows(xs, n), dyd = rows(dys, n), gd = rows(gdxs, n);
        List<double[]> params = new ArrayList<>(List.of(toDouble(gs), new double[c]));
        RefBn bn = new RefBn(c, hw, 0);
        java.util.function.Supplier<Double> q = () -> {
            double[][] dx = bn.backward(xd, dyd, params);
            double sum = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < c * hw; j++) sum += gd[i][j] * dx[i][j];
            return sum;
        };
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < c * hw; j++) {
                near("gradX[" + i + "][" + j + "]", gxv[i * c * hw + j], central(xd[i], j, q));
                near("gradDy[" + i + "][" + j + "]", gdyv[i * c * hw + j], central(dyd[i], j, q));
            }
        }
        float[] before = {0.25f, -0.5f};
        for (int ch = 0; ch < c; ch++) near("dgamma[" + ch + "] (accumulated)", dgv[ch] - before[ch], central(params.get(0), ch, q));
    }

    private static double[][] rows(float[] v, int n) {
        double[][] r = new double[n][v.length / n];
        for (int i = 0; i < n; i++) for (int j = 0; j < r[i].length; j++) r[i][j] = v[i * r[i].length + j];
        return r;
    }

    /** The central difference of q in v[j]. */
    private static double central(double[] v, int j, java.util.function.Supplier<Double> q) {
        double keep = v[j];
        v[j] = keep + H;
        double up = q.get();
        v[j] = keep - H;
        double down = q.get();
        v[j] = keep;
        return (up - down) / (2 * H);
    }

    /** n samples of f normals each, drawn in turn and kept only when every LeakyReLU pre-activation is KINK from 0. */
    private static double[][] awayFromKink(Ref ref, long seed, int n, int f) {
        double[][] x = new double[n][];
        int kept = 0;
        for (int c = 0; c < 400 && kept < n; c++) {
            float[] cand = randn(seed + 1000L * c, f, 1.0);
            double[] row = toDouble(cand);
            if (ref.minPreActivation(row) >= KINK) x[kept++] = row;
        }
        assertEquals(n, kept, "too few inputs away from the kink");
        return x;
    }

    /**
     * The projection critic of the conditional DCGAN, small: φ = Conv2d(1→2, 3x3, stride 2, pad 1) on 6x6 -> BatchNorm2d(2)
     * -> Tanh, h (N, 2, 3, 3), F = 18; ψ = Conv2d(2→1, 3x3) -> Reshape, as the DCGAN's last convolution; E (3, 18).
     * D(x, y) = ψ(φ(x)) + ⟨E[y], φ(x)⟩: the penalty's gradient reaches E through g, and ψ's weights and h through ψ's
     * backward.
     */
    @Test
    void projectionCriticPenaltyGradientMatchesFiniteDifferences() {
        int k = 3;
        Sequential features = new Sequential(be, List.of(new Conv2d(be, 1, 2, 3, 2, 1, true), new BatchNorm2d(be, 2), Act.tanh(be)));
        Sequential head = new Sequential(be, List.of(new Conv2d(be, 2, 1, 3, 1, 0, true), new Reshape(be)));
        Projection net = new Projection(be, features, head, 18, k);
        Ref body = randomize(features, 81, 1, 6, 6), psi = randomize(head, 82, 2, 3, 3);
        float[] e = randn(83, k * 18, 0.7);
        be.copyFromHost(e, net.embedding.value());
        int[] labels = {0, 2, 1, 2};
        float[] onehot = new float[labels.length * k];
        for (int i = 0; i < labels.length; i++) onehot[i * k + labels[i]] = 1f;
        net.labels(Pass.REAL, be.upload(onehot, labels.length, k));
        RefProjection ref = new RefProjection(body, psi, toDouble(e), labels, 18);
        double[][] x = new double[labels.length][];
        for (int n = 0; n < labels.length; n++) x[n] = toDouble(randn(84 + n, 36, 1.0));
        checkPenaltyGradient(net, ref, x, 1, 6, 6);
    }

    @Test
    void aProjectionWhoseHeadIsNotASequentialIsRefused() {
        Sequential features = new Sequential(be, List.of(new Reshape(be, 2)));
        Projection p = new Projection(be, features, new Linear(be, 2, 1, true), 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DoubleBackward(p, Pass.REAL));
        assertTrue(e.getMessage().contains("head is a Linear"), e.getMessage());
    }

    /** P = Σ‖g‖², gradG = 2g: the passes' dP/dθ against central differences of the double reference. */
    private void checkPenaltyGradient(Layer net, RefCritic ref, double[][] x, int... sampleShape) {
        int n = x.length, fin = x[0].length;
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = n;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        float[] xf = new float[n * fin];
        for (int i = 0; i < n; i++) for (int j = 0; j < fin; j++) xf[i * fin + j] = (float) x[i][j];
        float[] one = new float[n];
        java.util.Arrays.fill(one, 1f);
        Tensor xt = be.upload(xf, shape), ones = be.upload(one, n);
        // x rounded to float, so both sides see the same input
        for (int i = 0; i < n; i++) for (int j = 0; j < fin; j++) x[i][j] = xf[i * fin + j];

        for (Parameter p : net.parameters()) be.fill(p.grad(), 0f);
        DoubleBackward db = new DoubleBackward(net, Pass.REAL);
        float[] g = be.download(db.inputGradient(xt, ones));
        double[][] gRef = ref.inputGradient(x);
        for (int i = 0; i < n; i++) for (int j = 0; j < fin; j++) near("g[" + i + "][" + j + "]", g[i * fin + j], gRef[i][j]);
        for (Parameter p : net.parameters()) {
            for (float v : be.download(p.grad())) assertEquals(0f, v, "inputGradient left parameter gradients alone");
        }
        float[] gradG = new float[g.length];
        for (int i = 0; i < g.length; i++) gradG[i] = 2 * g[i];
        db.backward(be.upload(gradG, shape));

        int checked = 0;
        List<double[]> refParams = ref.params();
        assertEquals(net.parameters().size(), refParams.size(), "parameters of the reference");
        for (int k = 0; k < refParams.size(); k++) {
            double[] theta = refParams.get(k);
            float[] ours = be.download(net.parameters().get(k).grad());
            for (int e = 0; e < theta.length; e++) {
                double keep = theta[e];
                theta[e] = keep + H;
                double up = ref.penalty(x);
                theta[e] = keep - H;
                double down = ref.penalty(x);
                theta[e] = keep;
                near("dP/d" + net.parameters().get(k).name() + "[" + e + "] of parameter " + k, ours[e], (up - down) / (2 * H));
                checked++;
            }
        }
        assertTrue(checked > 20, "checked " + checked);
    }

    private static void near(String what, double ours, double ref) {
        double tol = ATOL + RTOL * Math.abs(ref);
        assertTrue(Math.abs(ours - ref) <= tol, what + ": ours " + ours + ", reference " + ref + ", tolerance " + tol);
    }

    /** The activation op against central differences of the first-order formula f'(x), in double. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void activationDoubleBackwardIsTheDerivativeOfBackward(Activation act) {
        double alpha = 0.2;
        int n = 200;
        float[] xs = randn(31, n, 2.0), dys = randn(32, n, 1.0), gdxs = randn(33, n, 1.0), ys = new float[n];
        for (int i = 0; i < n; i++) {
            if (Math.abs(xs[i]) < KINK) xs[i] += (float) (2 * KINK);   // away from the kink of ReLU and LeakyReLU
            ys[i] = (float) act.apply(xs[i], alpha);
        }
        Tensor gdy = be.zeros(n), gx = be.zeros(n);
        be.activationDoubleBackward(act, alpha, gdy, gx, be.upload(gdxs, n), be.upload(dys, n), be.upload(xs, n), be.upload(ys, n));
        float[] gdyv = be.download(gdy), gxv = be.download(gx);
        for (int i = 0; i < n; i++) {
            double x = xs[i];
            double d1 = act.derivative(x, act.apply(x, alpha), alpha);
            double d2 = (act.derivative(x + H, act.apply(x + H, alpha), alpha) - act.derivative(x - H, act.apply(x - H, alpha), alpha)) / (2 * H);
            // float32 f' from the float y: relative 1e-6 of O(1) terms
            assertEquals(gdxs[i] * d1, gdyv[i], 1e-6 + 1e-5 * Math.abs(gdxs[i] * d1), act + " gradDy[" + i + "] at x " + x);
            assertEquals(gdxs[i] * dys[i] * d2, gxv[i], 1e-6 + 1e-4 * Math.abs(gdxs[i] * dys[i] * d2), act + " gradX[" + i + "] at x " + x);
        }
    }

    @Test
    void layersWithoutDoubleBackwardAreRefusedByName() {
        Sequential net = new Sequential(be, List.of(new Linear(be, 2, 2, true), new MaxPool2d(be, 2, 2, 0)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DoubleBackward(net, Pass.REAL));
        assertTrue(e.getMessage().contains("MaxPool2d"), e.getMessage());
    }

    // ------------------------------------------------------------------ the float64 reference

    /**
     * Sets every parameter of net to seeded normals (std 0.7, no zeros) and returns the double copy, for samples of
     * the given shape.
     */
    private Ref randomize(Sequential net, long seed, int... sampleShape) {
        Ref ref = new Ref();
        long s = seed;
        int[] shape = new int[sampleShape.length + 1];
        shape[0] = 1;
        System.arraycopy(sampleShape, 0, shape, 1, sampleShape.length);
        for (Layer l : net.layers()) {
            int[] out = l.outputShape(shape);
            if (l instanceof Conv2d conv) {
                float[] w = randn(s++, conv.out * conv.in * conv.kernelH * conv.kernelW, 0.7), b = randn(s++, conv.out, 0.7);
                be.copyFromHost(w, conv.weight.value());
                be.copyFromHost(b, conv.bias.value());
                ref.layers.add(new RefConv(false, conv.out, conv.in, conv.kernelH, conv.kernelW, conv.spec, shape[2], shape[3],
                        out[2], out[3], ref.params.size()));
                ref.params.add(toDouble(w));
                ref.params.add(toDouble(b));
            } else if (l instanceof ConvTranspose2d ct) {
                float[] w = randn(s++, ct.in * ct.out * ct.kernel * ct.kernel, 0.7), b = randn(s++, ct.out, 0.7);
                be.copyFromHost(w, ct.weight.value());
                be.copyFromHost(b, ct.bias.value());
                // the equivalent convolution: K = Cin on the small (input) side, C = Cout on the big (output) side
                ref.layers.add(new RefConv(true, ct.in, ct.out, ct.kernel, ct.kernel, ct.spec, out[2], out[3],
                        shape[2], shape[3], ref.params.size()));
                ref.params.add(toDouble(w));
                ref.params.add(toDouble(b));
            } else if (l instanceof Linear lin) {
                float[] w = randn(s++, lin.out * lin.in, 0.7), b = randn(s++, lin.out, 0.7);
                be.copyFromHost(w, lin.weight.value());
                be.copyFromHost(b, lin.bias.value());
                ref.layers.add(new RefLinear(lin.in, lin.out, ref.params.size()));
                ref.params.add(toDouble(w));
                ref.params.add(toDouble(b));
            } else if (l instanceof BatchNorm2d bn) {
                float[] g = randn(s++, bn.channels, 0.7), b = randn(s++, bn.channels, 0.7);
                for (int i = 0; i < g.length; i++) g[i] += 1f;   // γ around 1, as trained batch norms have it
                be.copyFromHost(g, bn.weight.value());
                be.copyFromHost(b, bn.bias.value());
                ref.layers.add(new RefBn(bn.channels, (int) (Shapes.size(shape) / shape[0] / bn.channels), ref.params.size()));
                ref.params.add(toDouble(g));
                ref.params.add(toDouble(b));
            } else if (l instanceof Act a) {
                ref.layers.add(new RefAct(a.kind, a.alpha));
            }
            shape = out;   // Reshape: the reference works on flat NCHW samples, so it has no layer of its own
        }
        return ref;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    private record RefLinear(int in, int out, int param) { }

    private record RefAct(Activation kind, double alpha) { }

    /**
     * A convolution of the big side (C, bigH, bigW) into the small side (K, smallH, smallW) with weight (K, C, R, S):
     * small[k,p,q] += W[k,c,r,s] · big[c, p·strideH + r - padH, q·strideW + s - padW] over the in-range big indices.
     * For Conv2d the input is the big side; for ConvTranspose2d (weight (Cin, Cout, R, R), K = Cin) the small one.
     */
    private record RefConv(boolean transposed, int k, int c, int r, int s, ConvSpec spec,
                           int bigH, int bigW, int smallH, int smallW, int param) {
        int inSize() { return transposed ? k * smallH * smallW : c * bigH * bigW; }

        int outSize() { return transposed ? c * bigH * bigW : k * smallH * smallW; }

        /** to[...] += W · from[...] in the direction small <- big (bigToSmall) or big <- small. */
        void apply(double[] w, double[] from, double[] to, boolean bigToSmall) {
            for (int kk = 0; kk < k; kk++) for (int cc = 0; cc < c; cc++) for (int p = 0; p < smallH; p++) {
                for (int q = 0; q < smallW; q++) for (int rr = 0; rr < r; rr++) for (int ss = 0; ss < s; ss++) {
                    int h = p * spec.strideH() + rr - spec.padH(), ww = q * spec.strideW() + ss - spec.padW();
                    if (h < 0 || h >= bigH || ww < 0 || ww >= bigW) continue;
                    int small = (kk * smallH + p) * smallW + q, big = (cc * bigH + h) * bigW + ww;
                    double wv = w[((kk * c + cc) * r + rr) * s + ss];
                    if (bigToSmall) to[small] += wv * from[big];
                    else to[big] += wv * from[small];
                }
            }
        }
    }

    /**
     * Batch norm in training mode over a batch of flat samples (C planes of `plane` values each), γ and β at
     * params[param], params[param + 1], with PyTorch's eps.
     */
    private record RefBn(int c, int plane, int param) {
        static final double EPS = 1e-5;

        /** Per channel: mean and 1/sqrt(var + eps) over the batch's N * plane values. */
        double[][] stats(double[][] x) {
            double[][] st = new double[c][2];
            int m = x.length * plane;
            for (int ch = 0; ch < c; ch++) {
                double sum = 0, sq = 0;
                for (double[] row : x) for (int j = ch * plane; j < (ch + 1) * plane; j++) sum += row[j];
                double mean = sum / m;
                for (double[] row : x) for (int j = ch * plane; j < (ch + 1) * plane; j++) sq += (row[j] - mean) * (row[j] - mean);
                st[ch][0] = mean;
                st[ch][1] = 1 / Math.sqrt(sq / m + EPS);
            }
            return st;
        }

        double[][] forward(double[][] x, List<double[]> params) {
            double[] g = params.get(param), b = params.get(param + 1);
            double[][] st = stats(x), y = new double[x.length][x[0].length];
            for (int n = 0; n < x.length; n++) {
                for (int j = 0; j < x[n].length; j++) {
                    int ch = j / plane;
                    y[n][j] = g[ch] * (x[n][j] - st[ch][0]) * st[ch][1] + b[ch];
                }
            }
            return y;
        }

        /** The first-order input gradient: dx = γ s/m (m dy - Σ dy - x̂ Σ dy x̂). */
        double[][] backward(double[][] x, double[][] dy, List<double[]> params) {
            double[] g = params.get(param);
            double[][] st = stats(x), dx = new double[x.length][x[0].length];
            int m = x.length * plane;
            for (int ch = 0; ch < c; ch++) {
                double sdy = 0, sdyxh = 0;
                for (int n = 0; n < x.length; n++) {
                    for (int j = ch * plane; j < (ch + 1) * plane; j++) {
                        sdy += dy[n][j];
                        sdyxh += dy[n][j] * (x[n][j] - st[ch][0]) * st[ch][1];
                    }
                }
                for (int n = 0; n < x.length; n++) {
                    for (int j = ch * plane; j < (ch + 1) * plane; j++) {
                        double xh = (x[n][j] - st[ch][0]) * st[ch][1];
                        dx[n][j] = g[ch] * st[ch][1] / m * (m * dy[n][j] - sdy - xh * sdyxh);
                    }
                }
            }
            return dx;
        }
    }

    /**
     * The same network in double with the first-order formulas only: sample by sample, except batch norm, which sees
     * the batch.
     */
    /** A critic in double: its input gradient d(Σ_n D(x_n))/dx, its parameters (in the order of the network's), P = Σ‖g‖². */
    private interface RefCritic {
        double[][] inputGradient(double[][] x);

        List<double[]> params();

        default double penalty(double[][] x) {
            double p = 0;
            for (double[] row : inputGradient(x)) for (double v : row) p += v * v;
            return p;
        }
    }

    /**
     * The projection critic in double: g = φ.backward(ψ.backward(1) + E[y]) at h = φ(x), with the first-order formulas
     * of {@link Ref} for φ and ψ.
     */
    private record RefProjection(Ref body, Ref head, double[] e, int[] labels, int f) implements RefCritic {
        @Override
        public double[][] inputGradient(double[][] x) {
            List<double[][]> xs = body.forward(x);
            double[][] h = xs.getLast();
            double[][] dh = head.inputGradient(h);
            for (int n = 0; n < x.length; n++) for (int j = 0; j < f; j++) dh[n][j] += e[labels[n] * f + j];
            return body.backwardFrom(xs, dh);
        }

        @Override
        public List<double[]> params() {
            List<double[]> all = new ArrayList<>(body.params);
            all.addAll(head.params);
            all.add(e);
            return all;
        }
    }

    private static final class Ref implements RefCritic {
        final List<Object> layers = new ArrayList<>();
        final List<double[]> params = new ArrayList<>();   // weight, bias, per Linear, convolution and batch norm

        @Override
        public List<double[]> params() { return params; }

        /** Inputs of every layer for a batch; the last entry is the output. */
        List<double[][]> forward(double[][] x) {
            List<double[][]> xs = new ArrayList<>();
            xs.add(x);
            for (Object l : layers) {
                double[][] v = xs.getLast(), y = new double[v.length][];
                if (l instanceof RefBn bn) y = bn.forward(v, params);
                else for (int n = 0; n < v.length; n++) y[n] = forwardOne(l, v[n]);
                xs.add(y);
            }
            return xs;
        }

        private double[] forwardOne(Object l, double[] v) {
            double[] y;
            if (l instanceof RefConv conv) {
                // conv: small = W * big + b; transposed: big = W^T * small + b (b per output channel)
                double[] w = params.get(conv.param), b = params.get(conv.param + 1);
                y = new double[conv.outSize()];
                conv.apply(w, v, y, !conv.transposed);
                int plane = y.length / b.length;
                for (int i = 0; i < y.length; i++) y[i] += b[i / plane];
            } else if (l instanceof RefLinear lin) {
                double[] w = params.get(lin.param), b = params.get(lin.param + 1);
                y = new double[lin.out];
                for (int o = 0; o < lin.out; o++) {
                    double s = b[o];
                    for (int i = 0; i < lin.in; i++) s += w[o * lin.in + i] * v[i];
                    y[o] = s;
                }
            } else {
                RefAct a = (RefAct) l;
                y = new double[v.length];
                for (int i = 0; i < v.length; i++) y[i] = a.kind.apply(v[i], a.alpha);
            }
            return y;
        }

        private double[] backwardOne(Object l, double[] in, double[] dy) {
            double[] dx;
            if (l instanceof RefConv conv) {
                // the first-order input gradient: the adjoint of the forward's direction
                dx = new double[conv.inSize()];
                conv.apply(params.get(conv.param), dy, dx, conv.transposed);
            } else if (l instanceof RefLinear lin) {
                double[] w = params.get(lin.param);
                dx = new double[lin.in];
                for (int o = 0; o < lin.out; o++) for (int i = 0; i < lin.in; i++) dx[i] += dy[o] * w[o * lin.in + i];
            } else {
                RefAct a = (RefAct) l;
                dx = new double[in.length];
                for (int i = 0; i < in.length; i++) dx[i] = dy[i] * a.kind.derivative(in[i], a.kind.apply(in[i], a.alpha), a.alpha);
            }
            return dx;
        }

        /** d(Σ_n D(x_n))/dx for a batch, from dD/dout = 1: dx = dy W, dx = dy f'(x), batch norm's dx. */
        @Override
        public double[][] inputGradient(double[][] x) {
            double[][] dy = new double[x.length][];
            for (int n = 0; n < x.length; n++) dy[n] = new double[] {1};
            return backwardFrom(forward(x), dy);
        }

        /** The input gradient from dy at the output, given the layers' inputs xs of {@link #forward}. */
        double[][] backwardFrom(List<double[][]> xs, double[][] dy) {
            int batch = xs.getFirst().length;
            for (int k = layers.size() - 1; k >= 0; k--) {
                double[][] in = xs.get(k), dx = new double[batch][];
                if (layers.get(k) instanceof RefBn bn) dx = bn.backward(in, dy, params);
                else for (int n = 0; n < batch; n++) dx[n] = backwardOne(layers.get(k), in[n], dy[n]);
                dy = dx;
            }
            return dy;
        }

        /** The smallest |pre-activation| of any activation layer over a batch. */
        double minPreActivation(double[][] x) {
            List<double[][]> xs = forward(x);
            double m = Double.POSITIVE_INFINITY;
            for (int k = 0; k < layers.size(); k++) {
                if (layers.get(k) instanceof RefAct) for (double[] row : xs.get(k)) for (double v : row) m = Math.min(m, Math.abs(v));
            }
            return m;
        }

        double minPreActivation(double[] x) { return minPreActivation(new double[][] {x}); }
    }
}
