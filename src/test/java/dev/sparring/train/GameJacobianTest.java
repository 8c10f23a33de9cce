package dev.sparring.train;

import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.nn.Act;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Linear;
import dev.sparring.nn.Network;
import dev.sparring.nn.Reshape;
import dev.sparring.nn.Sequential;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The game Jacobian's products Jᵀu proven by float64 central differences. The reference is plain double Java on the
 * same weights and batch: the field v(θ) = (∇_θD L_D, ∇_θG L_G) written with first-order formulas only (forward, then
 * dW = dyᵀx, db = Σ dy, dx = dy W, dx = dy f'(x), and the loss's first derivatives φ', ψ', β' from its compiled
 * programs), and the gradient of u · v(θ) with respect to every weight and bias a central difference with step 1e-5
 * (truncation O(1e-10), rounding O(1e-11)), so the comparison measures the float32 error of the passes under test.
 */
class GameJacobianTest {
    private final Backend be = new CpuBackend();
    private static final double H = 1e-5;
    // float32 passes over at most 4 units and 4 samples, second order: a few roundings of O(1) terms, ~1e-6 relative;
    // 1e-4 absolute + 2e-3 relative stays far below a wrong term, which is off by O(1) of the gradient.
    private static final double ATOL = 1e-4, RTOL = 2e-3;
    private static final int N = 4;

    /** G: Linear(2,4) tanh Linear(4,2); D: Linear(2,4) sigmoid Linear(4,3) tanh Linear(3,1): every f'' is nonzero. */
    private Network[] smoothGame() {
        Network g = new Network("G", "main", new Sequential(be, List.of(new Linear(be, 2, 4, true), Act.tanh(be),
                new Linear(be, 4, 2, true))), 2);
        Network d = new Network("D", "main", new Sequential(be, List.of(new Linear(be, 2, 4, true), Act.sigmoid(be),
                new Linear(be, 4, 3, true), Act.tanh(be), new Linear(be, 3, 1, true), new Reshape(be))), 2);
        return new Network[] {g, d};
    }

    /** gan.Mlp's shapes at depth 1, hidden 4: ReLU in G, LeakyReLU(0.2) in D. */
    private Network[] mlpGame() {
        Network g = new Network("G", "main", new Sequential(be, List.of(new Linear(be, 2, 4, true), Act.relu(be),
                new Linear(be, 4, 2, true))), 2);
        Network d = new Network("D", "main", new Sequential(be, List.of(new Linear(be, 2, 4, true), Act.leakyRelu(be, 0.2),
                new Linear(be, 4, 1, true), new Reshape(be))), 2);
        return new Network[] {g, d};
    }

    @Test
    void consensusGradientMatchesFiniteDifferencesWithSmoothNetworks() {
        check(smoothGame(), "nsgan", 31);
    }

    @Test
    void consensusGradientMatchesFiniteDifferencesWithTheMlpLayers() {
        check(mlpGame(), "nsgan", 41);
    }

    @Test
    void aLossWithOtherCurvaturesMatchesToo() {
        // lsgan: φ, ψ, β quadratic (constant second derivatives); hinge would be piecewise linear (φ'' = 0)
        check(smoothGame(), "lsgan", 51);
    }

    /** Checks v against the reference, then Jᵀv (consensus's term) and Jᵀu for a random u against central differences. */
    private void check(Network[] game, String lossName, long seed) {
        Network g = game[0], d = game[1];
        TrainLoss loss = TrainLoss.of(GanLoss.parse(lossName));
        SplittableRandom r = new SplittableRandom(seed);
        for (Network n : game) for (var p : n.namedParameters().values()) be.copyFromHost(randn(r, (int) p.value().size(), 0.7), p.value());
        float[] xr = randn(r, 2 * N, 1.0), zz = randn(r, 2 * N, 1.0);
        Tensor xReal = be.upload(xr, N, 2), z = be.upload(zz, N, 2), stats = be.zeros(16);
        Ref ref = new Ref(g, d, loss, xr, zz);
        assertTrue(ref.minPreActivation() > 1e-3, "a pre-activation within 1e-3 of a kink: pick another seed");
        try (GameJacobian jac = new GameJacobian(g, d, loss)) {
            jac.field(xReal, z, stats, 0, 5);
            double[] v = flat(jac.grads());
            double[] vRef = ref.field(ref.theta);
            compare("v", v, vRef);
            List<Tensor> u = new ArrayList<>();
            for (Tensor t : jac.grads()) u.add(be.upload(be.download(t), t.shape()));
            jac.transposeTimes(u);
            compare("J^T v", flat(jac.grads()), ref.gradientOfDot(vRef, true));
            double[] rand = new double[v.length];
            for (int i = 0; i < rand.length; i++) rand[i] = r.nextGaussian();
            int k = 0;
            for (Tensor t : u) {
                float[] h = new float[(int) t.size()];
                for (int i = 0; i < h.length; i++) h[i] = (float) rand[k++];
                be.copyFromHost(h, t);
                for (int i = 0; i < h.length; i++) rand[k - h.length + i] = h[i];
            }
            jac.transposeTimes(u);
            compare("J^T u", flat(jac.grads()), ref.gradientOfDot(rand, false));
        }
    }

    private double[] flat(List<Tensor> ts) {
        List<Double> out = new ArrayList<>();
        for (Tensor t : ts) for (float f : be.download(t)) out.add((double) f);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void compare(String what, double[] ours, double[] ref) {
        assertEquals(ref.length, ours.length, what + " size");
        double maxDiff = 0;
        StringBuilder bad = new StringBuilder();
        for (int i = 0; i < ref.length; i++) {
            double diff = Math.abs(ours[i] - ref[i]);
            maxDiff = Math.max(maxDiff, diff);
            if (diff > ATOL + RTOL * Math.abs(ref[i]) && bad.length() < 400) bad.append(" [").append(i).append("] ").append(ours[i]).append(" vs ").append(ref[i]);
        }
        if (bad.length() > 0) fail(what + ": max |diff| " + maxDiff + ";" + bad);
    }

    private static float[] randn(SplittableRandom r, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (std * r.nextGaussian());
        return a;
    }

    /** The game in double: θ is D's parameters then G's, in the networks' order (weight, bias per Linear). */
    private static final class Ref {
        record L(int in, int out, Activation act, double alpha) { }   // act null: a Linear (in -> out)

        final List<L> gl, dl;
        final double[] theta;
        final TrainLoss loss;
        final double[] xr, z;
        final int dCount;

        Ref(Network g, Network d, TrainLoss loss, float[] xr, float[] z) {
            this.gl = layers(g);
            this.dl = layers(d);
            this.loss = loss;
            this.xr = toDouble(xr);
            this.z = toDouble(z);
            List<Double> th = new ArrayList<>();
            for (Network n : List.of(d, g)) for (var p : n.namedParameters().values()) for (float f : n.backend().download(p.value())) th.add((double) f);
            theta = th.stream().mapToDouble(Double::doubleValue).toArray();
            int c = 0;
            for (L l : dl) if (l.act == null) c += l.out * l.in + l.out;
            dCount = c;
        }

        static List<L> layers(Network n) {
            List<L> out = new ArrayList<>();
            for (Layer l : ((Sequential) n.root()).layers()) {
                if (l instanceof Linear lin) out.add(new L(lin.in, lin.out, null, 0));
                else if (l instanceof Act a) out.add(new L(0, 0, a.kind, a.alpha));
            }
            return out;
        }

        static double[] toDouble(float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return d;
        }

        /** A network's forward on (N, F) rows: the inputs of each layer, and the output (last). */
        static List<double[][]> forward(List<L> ls, double[] th, int off, double[][] x) {
            List<double[][]> ins = new ArrayList<>();
            for (L l : ls) {
                ins.add(x);
                double[][] y = new double[x.length][];
                if (l.act == null) {
                    for (int n = 0; n < x.length; n++) {
                        y[n] = new double[l.out];
                        for (int o = 0; o < l.out; o++) {
                            double s = th[off + l.out * l.in + o];
                            for (int i = 0; i < l.in; i++) s += th[off + o * l.in + i] * x[n][i];
                            y[n][o] = s;
                        }
                    }
                    off += l.out * l.in + l.out;
                } else {
                    for (int n = 0; n < x.length; n++) {
                        y[n] = new double[x[n].length];
                        for (int i = 0; i < y[n].length; i++) y[n][i] = f(l, x[n][i]);
                    }
                }
                x = y;
            }
            ins.add(x);
            return ins;
        }

        static double f(L l, double x) {
            return switch (l.act) {
                case RELU -> Math.max(x, 0);
                case LEAKY_RELU -> x > 0 ? x : l.alpha * x;
                case TANH -> Math.tanh(x);
                case SIGMOID -> 1 / (1 + Math.exp(-x));
            };
        }

        static double df(L l, double x) {
            return switch (l.act) {
                case RELU -> x > 0 ? 1 : 0;
                case LEAKY_RELU -> x > 0 ? 1 : l.alpha;
                case TANH -> 1 - Math.tanh(x) * Math.tanh(x);
                case SIGMOID -> { double s = 1 / (1 + Math.exp(-x)); yield s * (1 - s); }
            };
        }

        /** Backward from dy through the cached inputs; adds parameter gradients into grad (when non-null) at off; returns dx. */
        static double[][] backward(List<L> ls, double[] th, int off, List<double[][]> ins, double[][] dy, double[] grad) {
            int[] offs = new int[ls.size()];
            for (int i = 0; i < ls.size(); i++) {
                offs[i] = off;
                if (ls.get(i).act == null) off += ls.get(i).out * ls.get(i).in + ls.get(i).out;
            }
            for (int k = ls.size() - 1; k >= 0; k--) {
                L l = ls.get(k);
                double[][] x = ins.get(k), dx = new double[x.length][x[0].length];
                for (int n = 0; n < x.length; n++) {
                    if (l.act == null) {
                        for (int o = 0; o < l.out; o++) {
                            if (grad != null) {
                                grad[offs[k] + l.out * l.in + o] += dy[n][o];
                                for (int i = 0; i < l.in; i++) grad[offs[k] + o * l.in + i] += dy[n][o] * x[n][i];
                            }
                            for (int i = 0; i < l.in; i++) dx[n][i] += dy[n][o] * th[offs[k] + o * l.in + i];
                        }
                    } else {
                        for (int i = 0; i < x[n].length; i++) dx[n][i] = dy[n][i] * df(l, x[n][i]);
                    }
                }
                dy = dx;
            }
            return dy;
        }

        double[][] rows(double[] flat) {
            double[][] m = new double[N][2];
            for (int n = 0; n < N; n++) { m[n][0] = flat[2 * n]; m[n][1] = flat[2 * n + 1]; }
            return m;
        }

        /** v(θ): D's gradient of L_D, then G's of L_G. */
        double[] field(double[] th) {
            double[] v = new double[th.length];
            List<double[][]> gIns = forward(gl, th, dCount, rows(z));
            double[][] xf = gIns.get(gIns.size() - 1);
            List<double[][]> rIns = forward(dl, th, 0, rows(xr)), fIns = forward(dl, th, 0, xf);
            double[][] tr = rIns.get(rIns.size() - 1), tf = fIns.get(fIns.size() - 1);
            double[][] dtr = new double[N][1], dtf = new double[N][1], dtg = new double[N][1];
            for (int n = 0; n < N; n++) {
                dtr[n][0] = -loss.compiled().dphi().eval(tr[n][0]) / N;
                dtf[n][0] = -loss.compiled().dpsi().eval(tf[n][0]) / N;
                dtg[n][0] = loss.compiled().dbeta().eval(tf[n][0]) / N;
            }
            backward(dl, th, 0, rIns, dtr, v);
            backward(dl, th, 0, fIns, dtf, v);
            double[][] dxf = backward(dl, th, 0, fIns, dtg, null);
            double[] gGrad = new double[th.length];
            backward(gl, th, dCount, gIns, dxf, gGrad);
            for (int i = dCount; i < th.length; i++) v[i] = gGrad[i];
            return v;
        }

        /** ∇_θ (u · v(θ)) by central differences; with self, u is v(θ) itself (∇ ½‖v‖²). */
        double[] gradientOfDot(double[] u, boolean self) {
            double[] out = new double[theta.length];
            for (int k = 0; k < theta.length; k++) {
                double[] p = theta.clone(), m = theta.clone();
                p[k] += H;
                m[k] -= H;
                double fp = self ? half(field(p)) : dot(u, field(p)), fm = self ? half(field(m)) : dot(u, field(m));
                out[k] = (fp - fm) / (2 * H);
            }
            return out;
        }

        static double half(double[] v) { return 0.5 * dot(v, v); }

        static double dot(double[] a, double[] b) {
            double s = 0;
            for (int i = 0; i < a.length; i++) s += a[i] * b[i];
            return s;
        }

        /** The smallest |pre-activation| of a ReLU/LeakyReLU layer over both batches (infinite without such layers). */
        double minPreActivation() {
            double min = Double.POSITIVE_INFINITY;
            List<double[][]> gIns = forward(gl, theta, dCount, rows(z));
            List<List<double[][]>> passes = List.of(gIns, forward(dl, theta, 0, rows(xr)), forward(dl, theta, 0, gIns.get(gIns.size() - 1)));
            for (int p = 0; p < 3; p++) {
                List<L> ls = p == 0 ? gl : dl;
                for (int k = 0; k < ls.size(); k++) {
                    L l = ls.get(k);
                    if (l.act != Activation.RELU && l.act != Activation.LEAKY_RELU) continue;
                    for (double[] row : passes.get(p).get(k)) for (double x : row) min = Math.min(min, Math.abs(x));
                }
            }
            return min;
        }
    }
}
