package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.backend.ConvSpec;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.nn.Act;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.ConvTranspose2d;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import dev.sparring.nn.Projection;
import dev.sparring.nn.Reshape;
import dev.sparring.nn.Sequential;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The game Jacobian's products Jᵀu on DCGANs (transposed convolutions, batch norm in training mode, ReLU and Tanh in G;
 * convolutions, batch norm and LeakyReLU in D; and the class-conditional pair: G fed [z, onehot(y)], a projection critic)
 * proven by float64 central differences. The reference is plain double Java that runs only the networks' forwards,
 * read layer by layer from the networks under test: L_D and L_G as functions of θ (D's parameters, then G's). v is their
 * gradient by central differences, and u · v(θ) = d/dε [L_D(θ + ε u_D) + L_G(θ + ε u_G)] a central difference along u, so
 * Jᵀu = ∇_θ (u · v(θ)) is a central difference of central differences; in double with steps 1e-4 (θ) and 1e-5/‖u‖ (along
 * u) its error is ~1e-7, far below the float32 error of the passes under test.
 *
 * <p>The models are the DCGAN's layers at 8 px (1x1 → 2x2 → 4x4 → 8x8 and back), small enough to take every parameter's
 * difference in a second; pre-activations of ReLU and LeakyReLU are kept away from the kinks (the seed is the first one
 * that keeps all of them 5e-3 away), where a difference would straddle one.
 */
class GameJacobianDcganTest {
    private final Backend be = new CpuBackend();
    private static final double H = 1e-4, EPS = 1e-5, KINK = 5e-3;
    // float32 passes through batch norm over 16 values per channel: a few roundings of O(1) terms per value, ~1e-6
    // relative; 2e-4 absolute + 3e-3 relative stays far below a wrong term, off by O(1) of the gradient.
    private static final double ATOL = 2e-4, RTOL = 3e-3;
    private static final int N = 4, NZ = 2, K = 3;

    /** The DCGAN at 8 px: G ConvT(nz[+K] → 4, 2) BN ReLU ConvT(4 → 2, 4, 2, 1) BN ReLU ConvT(2 → 1, 4, 2, 1) Tanh. */
    private Network generator(int classes, boolean bias) {
        BatchNorm2d bn1 = new BatchNorm2d(be, 4), bn2 = new BatchNorm2d(be, 2);
        List<Layer> ls = List.of(new ConvTranspose2d(be, NZ + classes, 4, 2, 1, 0, bias), bn1, act(bn1, Act.relu(be)),
                new ConvTranspose2d(be, 4, 2, 4, 2, 1, bias), bn2, act(bn2, Act.relu(be)),
                new ConvTranspose2d(be, 2, 1, 4, 2, 1, bias), Act.tanh(be));
        return new Network("G", "main", new Sequential(be, ls), NZ + classes, 1, 1);
    }

    /** D Conv(1 → 2, 4, 2, 1) LeakyReLU Conv(2 → 4, 4, 2, 1) BN LeakyReLU | Conv(4 → 1, 2) Reshape; with classes a projection. */
    private Network critic(int classes, boolean bias) {
        BatchNorm2d bn = new BatchNorm2d(be, 4);
        List<Layer> body = List.of(new Conv2d(be, 1, 2, 4, 2, 1, bias), Act.leakyRelu(be, 0.2),
                new Conv2d(be, 2, 4, 4, 2, 1, bias), bn, act(bn, Act.leakyRelu(be, 0.2)));
        List<Layer> head = List.of(new Conv2d(be, 4, 1, 2, 1, 0, bias), new Reshape(be));
        if (classes == 0) {
            List<Layer> all = new ArrayList<>(body);
            all.addAll(head);
            return new Network("D", "main", new Sequential(be, all), 1, 8, 8);
        }
        Projection p = new Projection(be, new Sequential(be, body), new Sequential(be, head, List.of("5", "6")), 4 * 2 * 2, classes);
        return new Network("D", "", p, 1, 8, 8);
    }

    private boolean fuse;   // whether the networks fuse each batch norm with its activation (BatchNorm2d.fuse)

    private Act act(BatchNorm2d bn, Act act) { return fuse ? bn.fuse(act) : act; }

    @Test
    void consensusGradientMatchesFiniteDifferencesOnTheUnconditionalDcgan() {
        check(0, false, "nsgan", 100);
    }

    /** The same two DCGANs with each batch norm and its activation fused, as Dcgan builds them. */
    @Test
    void consensusGradientMatchesFiniteDifferencesOnTheFusedDcgans() {
        fuse = true;
        check(0, false, "nsgan", 100);
        check(K, true, "nsgan", 200);
    }

    @Test
    void consensusGradientMatchesFiniteDifferencesOnTheConditionalDcgan() {
        // biases on every convolution as well (the DCGAN has none): their terms G_b are checked too
        check(K, true, "nsgan", 200);
    }

    @Test
    void aLossWithOtherCurvaturesMatchesOnTheConditionalDcgan() {
        check(K, false, "lsgan", 300);
    }

    /** Checks v, then Jᵀv (consensus's term) and Jᵀu for a random u, against the reference. */
    private void check(int classes, boolean bias, String lossName, long firstSeed) {
        TrainLoss loss = TrainLoss.of(GanLoss.parse(lossName));
        Network g = generator(classes, bias), d = critic(classes, bias);
        Ref ref = null;
        SplittableRandom r = null;
        for (long seed = firstSeed; seed < firstSeed + 50 && ref == null; seed++) {
            r = new SplittableRandom(seed);
            Ref cand = new Ref(g, d, loss, classes, r);
            if (cand.minPreActivation() >= KINK) ref = cand;
        }
        assertTrue(ref != null, "no seed keeps the pre-activations away from the kinks");
        for (Network n : List.of(d, g)) {
            for (Parameter p : n.namedParameters().values()) be.copyFromHost(toFloat(ref.slice(p)), p.value());
        }
        Tensor xReal = be.upload(toFloat(ref.xr), N, 1, 8, 8), gIn = be.upload(toFloat(ref.gIn), N, NZ + classes, 1, 1);
        Tensor yReal = classes > 0 ? be.upload(toFloat(ref.onehot(ref.yr)), N, classes) : null;
        Tensor yFake = classes > 0 ? be.upload(toFloat(ref.onehot(ref.yf)), N, classes) : null;
        try (GameJacobian jac = new GameJacobian(g, d, loss)) {
            jac.field(xReal, yReal, gIn, yFake, be.zeros(16), 0, 5);
            double[] v = flat(jac.grads());
            double[] vRef = ref.field();
            compare("v", v, vRef);
            List<Tensor> u = new ArrayList<>();
            for (Tensor t : jac.grads()) u.add(be.upload(be.download(t), t.shape()));
            jac.transposeTimes(u);
            compare("J^T v", flat(jac.grads()), ref.transposeTimes(vRef));
            double[] rand = new double[v.length];
            int k = 0;
            for (Tensor t : u) {
                float[] h = new float[(int) t.size()];
                for (int i = 0; i < h.length; i++) rand[k + i] = h[i] = (float) r.nextGaussian();
                k += h.length;
                be.copyFromHost(h, t);
            }
            jac.transposeTimes(u);
            compare("J^T u", flat(jac.grads()), ref.transposeTimes(rand));
        }
    }

    private double[] flat(List<Tensor> ts) {
        List<Double> out = new ArrayList<>();
        for (Tensor t : ts) for (float f : be.download(t)) out.add((double) f);
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static void compare(String what, double[] ours, double[] ref) {
        assertEquals(ref.length, ours.length, what + " size");
        double maxDiff = 0, maxRef = 0;
        StringBuilder bad = new StringBuilder();
        for (int i = 0; i < ref.length; i++) {
            double diff = Math.abs(ours[i] - ref[i]);
            maxDiff = Math.max(maxDiff, diff);
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            if (diff > ATOL + RTOL * Math.abs(ref[i]) && bad.length() < 400) bad.append(" [").append(i).append("] ").append(ours[i]).append(" vs ").append(ref[i]);
        }
        if (bad.length() > 0) fail(what + ": max |diff| " + maxDiff + " (max |ref| " + maxRef + ");" + bad);
        assertTrue(maxRef > 1e-2, what + " is all but zero: the check would prove nothing");
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    /**
     * The game in double: θ (D's parameters, then G's, in the order of {@link GameJacobian#grads()}), the batch, and
     * the networks' forwards interpreted from their layers.
     */
    private static final class Ref {
        final Network g, d;
        final TrainLoss loss;
        final int classes;
        final double[] theta;
        final int dCount;
        final Map<Parameter, Integer> offset = new IdentityHashMap<>();
        final double[] xr, gIn;           // (N, 1, 8, 8); (N, NZ + K, 1, 1): z and the fake labels' one-hot rows
        final int[] yr, yf;               // labels of the real and the fake batch

        Ref(Network g, Network d, TrainLoss loss, int classes, SplittableRandom r) {
            this.g = g;
            this.d = d;
            this.loss = loss;
            this.classes = classes;
            List<Double> th = new ArrayList<>();
            int dc = 0;
            for (Network n : List.of(d, g)) {
                for (Parameter p : n.namedParameters().values()) {
                    offset.put(p, th.size());
                    boolean bnWeight = p.value().rank() == 1 && isBatchNormWeight(n, p);
                    for (long i = 0; i < p.value().size(); i++) th.add((bnWeight ? 1 : 0) + 0.5 * r.nextGaussian());
                }
                if (n == d) dc = th.size();
            }
            theta = th.stream().mapToDouble(Double::doubleValue).toArray();
            dCount = dc;
            xr = new double[N * 64];
            for (int i = 0; i < xr.length; i++) xr[i] = Math.tanh(r.nextGaussian());
            yr = new int[N];
            yf = new int[N];
            for (int n = 0; n < N; n++) {
                yr[n] = classes > 0 ? r.nextInt(classes) : 0;
                yf[n] = classes > 0 ? r.nextInt(classes) : 0;
            }
            int c = NZ + classes;
            gIn = new double[N * c];
            for (int n = 0; n < N; n++) {
                for (int j = 0; j < NZ; j++) gIn[n * c + j] = r.nextGaussian();
                if (classes > 0) gIn[n * c + NZ + yf[n]] = 1;
            }
        }

        private static boolean isBatchNormWeight(Network n, Parameter p) {
            for (var e : n.namedParameters().entrySet()) if (e.getValue() == p) return e.getKey().endsWith("weight") && bnOwner(n.root(), p);
            return false;
        }

        private static boolean bnOwner(Layer l, Parameter p) {
            if (l instanceof BatchNorm2d bn) return bn.weight == p;
            if (l instanceof Sequential s) return s.layers().stream().anyMatch(x -> bnOwner(x, p));
            if (l instanceof Projection pr) return bnOwner(pr.features(), p) || bnOwner(pr.head(), p);
            return false;
        }

        double[] slice(Parameter p) {
            double[] out = new double[(int) p.value().size()];
            System.arraycopy(theta, offset.get(p), out, 0, out.length);
            return out;
        }

        double[] onehot(int[] labels) {
            double[] o = new double[N * classes];
            for (int n = 0; n < N; n++) o[n * classes + labels[n]] = 1;
            return o;
        }

        // ------------------------------------------------------------ forwards, (N, size) rows and per-sample shapes

        /** A batch: rows (N, C*H*W) and the per-sample shape (C, H, W). */
        record Batch(double[][] x, int c, int h, int w) { }

        /** The smallest |pre-activation| of a ReLU or LeakyReLU seen by the last forwards ({@link #minPreActivation}). */
        private double minPre = Double.POSITIVE_INFINITY;

        Batch forward(Layer l, double[] th, Batch in, int[] labels) {
            if (l instanceof Sequential s) {
                for (Layer x : s.layers()) in = forward(x, th, in, labels);
                return in;
            }
            if (l instanceof Projection p) {
                Batch h = forward(p.features(), th, in, labels);
                Batch t = forward(p.head(), th, h, labels);
                int e = offset.get(p.embedding), f = p.featureSize;
                for (int n = 0; n < N; n++) for (int j = 0; j < f; j++) t.x[n][0] += th[e + labels[n] * f + j] * h.x[n][j];
                return t;
            }
            double[][] y = new double[N][];
            if (l instanceof Conv2d cv) {
                int oh = cv.spec.outH(in.h, cv.kernelH), ow = cv.spec.outW(in.w, cv.kernelW);
                int w0 = offset.get(cv.weight);
                for (int n = 0; n < N; n++) {
                    y[n] = new double[cv.out * oh * ow];
                    for (int k = 0; k < cv.out; k++) for (int p = 0; p < oh; p++) for (int q = 0; q < ow; q++) {
                        double s = cv.bias == null ? 0 : th[offset.get(cv.bias) + k];
                        for (int c = 0; c < cv.in; c++) for (int r = 0; r < cv.kernelH; r++) for (int t = 0; t < cv.kernelW; t++) {
                            int hh = p * cv.spec.strideH() + r - cv.spec.padH(), ww = q * cv.spec.strideW() + t - cv.spec.padW();
                            if (hh < 0 || hh >= in.h || ww < 0 || ww >= in.w) continue;
                            s += th[w0 + ((k * cv.in + c) * cv.kernelH + r) * cv.kernelW + t] * in.x[n][(c * in.h + hh) * in.w + ww];
                        }
                        y[n][(k * oh + p) * ow + q] = s;
                    }
                }
                return new Batch(y, cv.out, oh, ow);
            }
            if (l instanceof ConvTranspose2d ct) {
                ConvSpec sp = ct.spec;
                int oh = sp.transposedOutH(in.h, ct.kernel), ow = sp.transposedOutW(in.w, ct.kernel), r0 = ct.kernel;
                int w0 = offset.get(ct.weight);
                for (int n = 0; n < N; n++) {
                    y[n] = new double[ct.out * oh * ow];
                    if (ct.bias != null) for (int i = 0; i < y[n].length; i++) y[n][i] = th[offset.get(ct.bias) + i / (oh * ow)];
                    for (int ci = 0; ci < ct.in; ci++) for (int p = 0; p < in.h; p++) for (int q = 0; q < in.w; q++) {
                        double xv = in.x[n][(ci * in.h + p) * in.w + q];
                        for (int co = 0; co < ct.out; co++) for (int r = 0; r < r0; r++) for (int t = 0; t < r0; t++) {
                            int hh = p * sp.strideH() + r - sp.padH(), ww = q * sp.strideW() + t - sp.padW();
                            if (hh < 0 || hh >= oh || ww < 0 || ww >= ow) continue;
                            y[n][(co * oh + hh) * ow + ww] += th[w0 + ((ci * ct.out + co) * r0 + r) * r0 + t] * xv;
                        }
                    }
                }
                return new Batch(y, ct.out, oh, ow);
            }
            if (l instanceof BatchNorm2d bn) {
                int plane = in.h * in.w, m = N * plane, gOff = offset.get(bn.weight), bOff = offset.get(bn.bias);
                for (int n = 0; n < N; n++) y[n] = new double[in.x[n].length];
                for (int c = 0; c < in.c; c++) {
                    double sum = 0, sq = 0;
                    for (int n = 0; n < N; n++) for (int j = c * plane; j < (c + 1) * plane; j++) sum += in.x[n][j];
                    double mean = sum / m;
                    for (int n = 0; n < N; n++) for (int j = c * plane; j < (c + 1) * plane; j++) sq += (in.x[n][j] - mean) * (in.x[n][j] - mean);
                    double inv = 1 / Math.sqrt(sq / m + bn.eps);
                    for (int n = 0; n < N; n++) {
                        for (int j = c * plane; j < (c + 1) * plane; j++) y[n][j] = th[gOff + c] * (in.x[n][j] - mean) * inv + th[bOff + c];
                    }
                }
                return new Batch(y, in.c, in.h, in.w);
            }
            if (l instanceof Act a) {
                for (int n = 0; n < N; n++) {
                    y[n] = new double[in.x[n].length];
                    for (int i = 0; i < y[n].length; i++) {
                        double v = in.x[n][i];
                        if (a.kind == dev.sparring.backend.Activation.RELU || a.kind == dev.sparring.backend.Activation.LEAKY_RELU) {
                            minPre = Math.min(minPre, Math.abs(v));
                        }
                        y[n][i] = a.kind.apply(v, a.alpha);
                    }
                }
                return new Batch(y, in.c, in.h, in.w);
            }
            if (l instanceof Reshape) return new Batch(in.x, in.c * in.h * in.w, 1, 1);
            throw new IllegalArgumentException("no reference for " + l.getClass().getSimpleName());
        }

        /** {L_D, L_G} at θ. */
        double[] losses(double[] th) {
            double[][] z = new double[N][];
            int c = NZ + classes;
            for (int n = 0; n < N; n++) z[n] = java.util.Arrays.copyOfRange(gIn, n * c, (n + 1) * c);
            Batch xf = forward(g.root(), th, new Batch(z, c, 1, 1), yf);
            double[][] x = new double[N][];
            for (int n = 0; n < N; n++) x[n] = java.util.Arrays.copyOfRange(xr, n * 64, (n + 1) * 64);
            Batch tr = forward(d.root(), th, new Batch(x, 1, 8, 8), yr);
            Batch tf = forward(d.root(), th, xf, yf);
            double ld = 0, lg = 0;
            for (int n = 0; n < N; n++) {
                ld -= (loss.compiled().phi().eval(tr.x[n][0]) + loss.compiled().psi().eval(tf.x[n][0])) / N;
                lg += loss.compiled().beta().eval(tf.x[n][0]) / N;
            }
            return new double[] {ld, lg};
        }

        double minPreActivation() {
            minPre = Double.POSITIVE_INFINITY;
            losses(theta);
            return minPre;
        }

        /** v(θ) = (∇_θD L_D, ∇_θG L_G) by central differences. */
        double[] field() {
            double[] v = new double[theta.length];
            for (int k = 0; k < theta.length; k++) {
                double[] p = theta.clone(), m = theta.clone();
                p[k] += H;
                m[k] -= H;
                int which = k < dCount ? 0 : 1;
                v[k] = (losses(p)[which] - losses(m)[which]) / (2 * H);
            }
            return v;
        }

        /** u · v(θ) = d/dε [L_D(θ + ε u_D) + L_G(θ + ε u_G)], central differences with step EPS/‖u‖. */
        double dotField(double[] th, double[] u) {
            double norm = 0;
            for (double x : u) norm += x * x;
            double e = EPS / Math.sqrt(norm);
            double[] dp = th.clone(), dm = th.clone(), gp = th.clone(), gm = th.clone();
            for (int i = 0; i < dCount; i++) { dp[i] += e * u[i]; dm[i] -= e * u[i]; }
            for (int i = dCount; i < th.length; i++) { gp[i] += e * u[i]; gm[i] -= e * u[i]; }
            return (losses(dp)[0] - losses(dm)[0] + losses(gp)[1] - losses(gm)[1]) / (2 * e);
        }

        /** Jᵀu = ∇_θ (u · v(θ)) by central differences. */
        double[] transposeTimes(double[] u) {
            double[] out = new double[theta.length];
            for (int k = 0; k < theta.length; k++) {
                double[] p = theta.clone(), m = theta.clone();
                p[k] += H;
                m[k] -= H;
                out[k] = (dotField(p, u) - dotField(m, u)) / (2 * H);
            }
            return out;
        }
    }
}
