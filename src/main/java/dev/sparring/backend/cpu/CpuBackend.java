package dev.sparring.backend.cpu;

import dev.sparring.UserError;
import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.ConvSpec;
import dev.sparring.backend.GemmDims;
import dev.sparring.backend.PoolSpec;
import dev.sparring.backend.ScalarProgram;
import dev.sparring.linalg.ScatterMoments;
import dev.sparring.linalg.SqrtTrace;
import dev.sparring.random.Philox;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Shapes;
import dev.sparring.tensor.Tensor;

import java.util.Arrays;
import java.util.List;

/**
 * The reference backend: float32, NCHW, in Java arrays, multi-threaded with static chunks (see
 * {@link Parallel}), deterministic bit for bit. Every op is written to be read: it is the specification that
 * the CUDA backend's kernels are tested against.
 */
public final class CpuBackend implements Backend {

    @Override
    public String name() { return "cpu"; }

    @Override
    public String description() {
        return "CPU, " + Parallel.THREADS + " threads, " + System.getProperty("os.arch");
    }

    // ---------------------------------------------------------------- memory

    @Override
    public boolean synchronous() { return true; }

    /** The heap this JVM may still use (tensors are Java arrays). */
    @Override
    public Memory memoryAvailable() { return Memory.ofJavaHeap(); }

    static CpuTensor t(Tensor t) {
        if (t instanceof CpuTensor c) return c;
        throw new IllegalArgumentException("tensor " + t + " does not belong to the CPU backend");
    }

    static float[] f(Tensor t) {
        float[] a = t(t).f;
        if (a == null) throw new IllegalArgumentException("expected an F32 tensor, got " + t);
        return a;
    }

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        int n = Math.toIntExact(Shapes.size(shape));
        return switch (dtype) {
            case F32 -> new CpuTensor(new float[n], shape);
            case U8 -> new CpuTensor(new byte[n], shape);
            case I32 -> new CpuTensor(new int[n], shape);
            case F64 -> new CpuTensor(new double[n], shape);
        };
    }

    @Override
    public Tensor upload(float[] data, int... shape) { return new CpuTensor(data.clone(), shape); }

    @Override
    public Tensor upload(byte[] data, int... shape) { return new CpuTensor(data.clone(), shape); }

    @Override
    public Tensor upload(int[] data, int... shape) { return new CpuTensor(data.clone(), shape); }

    @Override
    public Tensor upload(double[] data, int... shape) { return new CpuTensor(data.clone(), shape); }

    static double[] d(Tensor t) {
        double[] a = t(t).d;
        if (a == null) throw new IllegalArgumentException("expected an F64 tensor, got " + t);
        return a;
    }

    @Override
    public double[] downloadDoubles(Tensor t) { return d(t).clone(); }

    @Override
    public void copyFromHost(float[] src, Tensor dst) {
        float[] d = f(dst);
        if (src.length != d.length) throw new IllegalArgumentException("copyFromHost: " + src.length + " values into " + dst);
        System.arraycopy(src, 0, d, 0, d.length);
    }

    @Override
    public void copyFromHost(int[] src, Tensor dst) {
        int[] d = t(dst).i;
        if (d == null) throw new IllegalArgumentException("copyFromHost: expected an I32 tensor, got " + dst);
        if (src.length != d.length) throw new IllegalArgumentException("copyFromHost: " + src.length + " ints into " + dst);
        System.arraycopy(src, 0, d, 0, d.length);
    }

    @Override
    public float[] download(Tensor t) {
        CpuTensor c = t(t);
        if (c.f != null) return c.f.clone();
        float[] out = new float[t.sizeInt()];
        if (c.b != null) for (int i = 0; i < out.length; i++) out[i] = c.b[i] & 0xFF;
        else if (c.d != null) for (int i = 0; i < out.length; i++) out[i] = (float) c.d[i];
        else for (int i = 0; i < out.length; i++) out[i] = c.i[i];
        return out;
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        CpuTensor s = t(src), d = t(dst);
        if (s.dtype() != d.dtype() || s.size() != d.size()) throw new IllegalArgumentException("copy " + src + " -> " + dst);
        switch (s.dtype()) {
            case F32 -> System.arraycopy(s.f, 0, d.f, 0, s.f.length);
            case U8 -> System.arraycopy(s.b, 0, d.b, 0, s.b.length);
            case I32 -> System.arraycopy(s.i, 0, d.i, 0, s.i.length);
            case F64 -> System.arraycopy(s.d, 0, d.d, 0, s.d.length);
        }
    }

    @Override
    public Tensor view(Tensor t, int... shape) {
        CpuTensor c = t(t);
        if (Shapes.size(shape) != t.size()) throw new IllegalArgumentException("view of " + t + " as " + Arrays.toString(shape));
        return switch (c.dtype()) {
            case F32 -> new CpuTensor(c.f, shape);
            case U8 -> new CpuTensor(c.b, shape);
            case I32 -> new CpuTensor(c.i, shape);
            case F64 -> new CpuTensor(c.d, shape);
        };
    }

    @Override
    public void fill(Tensor t, float value) { Arrays.fill(f(t), value); }

    @Override
    public void synchronize() { }

    // ---------------------------------------------------------------- convolution

    private static Conv.Geometry geometry(Tensor x, Tensor w, Tensor y, ConvSpec spec, String op) {
        if (x.rank() != 4 || w.rank() != 4 || y.rank() != 4) throw new IllegalArgumentException(op + ": tensors must be 4-D");
        Conv.Geometry g = new Conv.Geometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), w.dim(2), w.dim(3),
                spec.strideH(), spec.strideW(), spec.padH(), spec.padW());
        if (w.dim(1) != g.c()) throw new IllegalArgumentException(op + ": weight " + w + " does not match input " + x);
        if (y.dim(0) != g.n() || y.dim(1) != g.k() || y.dim(2) != g.p() || y.dim(3) != g.q()) {
            Shapes.require(y, op + " output", g.n(), g.k(), g.p(), g.q());   // throws, naming both shapes
        }
        return g;
    }

    @Override
    public void conv2dForward(Tensor y, Tensor x, Tensor w, ConvSpec spec) {
        Conv.forward(f(y), f(x), f(w), geometry(x, w, y, spec, "conv2dForward"));
    }

    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, ConvSpec spec, boolean accumulate) {
        Conv.backwardData(f(dx), f(dy), f(w), geometry(dx, w, dy, spec, "conv2dBackwardData"), accumulate);
    }

    @Override
    public void conv2dBackwardFilter(Tensor dw, Tensor x, Tensor dy, ConvSpec spec, boolean accumulate) {
        Conv.backwardFilter(f(dw), f(x), f(dy), geometry(x, dw, dy, spec, "conv2dBackwardFilter"), accumulate);
    }

    // ---------------------------------------------------------------- bias

    /** Size of the dimensions after dimension 1 (H*W for images, 1 for matrices). */
    private static int inner(Tensor t) { return Math.toIntExact(t.sizeFrom(2)); }

    @Override
    public void addBias(Tensor y, Tensor b) {
        float[] yv = f(y), bv = f(b);
        int N = y.dim(0), C = y.dim(1), inner = inner(y);
        if (bv.length != C) throw new IllegalArgumentException("addBias: bias " + b + " for " + y);
        Parallel.range(N * C, 16, (i0, i1) -> {
            for (int nc = i0; nc < i1; nc++) {
                float bc = bv[nc % C];
                for (int j = nc * inner, e = j + inner; j < e; j++) yv[j] += bc;
            }
        });
    }

    @Override
    public void biasBackward(Tensor db, Tensor dy) {
        float[] dbv = f(db), g = f(dy);
        int N = dy.dim(0), C = dy.dim(1), inner = inner(dy);
        if (dbv.length != C) throw new IllegalArgumentException("biasBackward: " + db + " for " + dy);
        Parallel.range(C, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double s = 0;
                for (int n = 0; n < N; n++) {
                    for (int j = (n * C + c) * inner, e = j + inner; j < e; j++) s += g[j];
                }
                dbv[c] += (float) s;
            }
        });
    }

    // ---------------------------------------------------------------- batch norm

    @Override
    public void batchNormTrain(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
                               Tensor runMean, Tensor runVar, double momentum, double eps) {
        batchNormTrain(null, 0, y, saveMean, saveInvStd, x, gamma, beta, runMean, runVar, momentum, eps);
    }

    @Override
    public void batchNormActTrain(Activation act, double alpha, Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x,
                                  Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar, double momentum, double eps) {
        requireFusable("batchNormActTrain", act, alpha);
        batchNormTrain(act, alpha, y, saveMean, saveInvStd, x, gamma, beta, runMean, runVar, momentum, eps);
    }

    private static void requireFusable(String op, Activation act, double alpha) {
        if (!Backend.fusesWithBatchNorm(act, alpha)) {
            throw new IllegalArgumentException(op + ": " + act + " (alpha " + alpha + ") does not fuse with batch norm (ReLU, or LeakyReLU with alpha >= 0)");
        }
    }

    /**
     * Training batch norm, and act (null: none) applied to y as it is written. Per channel c, over its N * HW elements
     * in the order n, h, w: sum (x) and then sum ((x - mean)^2) in double, each in its own sequential chain; four
     * channels' chains run side by side (independent, so a channel's sums are the same whatever the grouping, and the
     * latency of one double add no longer sets the pace). Then y = act(x * a + b) with the float scale a and shift b.
     */
    private void batchNormTrain(Activation act, double alpha, Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x,
                                Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar, double momentum, double eps) {
        float[] xv = f(x), yv = f(y), g = f(gamma), bt = f(beta), rm = f(runMean), rv = f(runVar), sm = f(saveMean), si = f(saveInvStd);
        if (xv.length != yv.length) throw new IllegalArgumentException("batchNormTrain: " + x + " -> " + y);
        int N = x.dim(0), C = x.dim(1), HW = inner(x);
        long m = (long) N * HW;
        BnTrain bn = new BnTrain(act, (float) alpha, act != null && vectorActivation(act), yv, sm, si, xv, g, bt, rm, rv, N, C, HW, momentum, eps);
        Parallel.range(C, 1, (c0, c1) -> {
            int c = c0;
            for (; c + 4 <= c1; c += 4) {
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
                for (int n = 0; n < N; n++) {
                    for (int j = (n * C + c) * HW, e = j + HW; j < e; j++) {
                        s0 += xv[j];
                        s1 += xv[j + HW];
                        s2 += xv[j + 2 * HW];
                        s3 += xv[j + 3 * HW];
                    }
                }
                double m0 = s0 / m, m1 = s1 / m, m2 = s2 / m, m3 = s3 / m;
                double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
                for (int n = 0; n < N; n++) {
                    for (int j = (n * C + c) * HW, e = j + HW; j < e; j++) {
                        double d0 = xv[j] - m0, d1 = xv[j + HW] - m1, d2 = xv[j + 2 * HW] - m2, d3 = xv[j + 3 * HW] - m3;
                        q0 += d0 * d0;
                        q1 += d1 * d1;
                        q2 += d2 * d2;
                        q3 += d3 * d3;
                    }
                }
                bn.finish(c, m0, q0);
                bn.finish(c + 1, m1, q1);
                bn.finish(c + 2, m2, q2);
                bn.finish(c + 3, m3, q3);
            }
            for (; c < c1; c++) {
                double sum = 0;
                for (int n = 0; n < N; n++) for (int j = (n * C + c) * HW, e = j + HW; j < e; j++) sum += xv[j];
                double mean = sum / m;
                double sq = 0;
                for (int n = 0; n < N; n++) {
                    for (int j = (n * C + c) * HW, e = j + HW; j < e; j++) { double d = xv[j] - mean; sq += d * d; }
                }
                bn.finish(c, mean, sq);
            }
        });
    }

    /** One batchNormTrain call's tensors: {@link #finish} writes a channel once its sums are known. */
    private record BnTrain(Activation act, float alpha, boolean vector, float[] yv, float[] sm, float[] si, float[] xv, float[] g,
                           float[] bt, float[] rm, float[] rv, int N, int C, int HW, double momentum, double eps) {
        /** Channel c from its mean and its sum of squared deviations sq: y, the saved and the running statistics. */
        void finish(int c, double mean, double sq) {
            long m = (long) N * HW;
            double var = sq / m;
            double inv = 1.0 / Math.sqrt(var + eps);
            float a = (float) (g[c] * inv), b = (float) (bt[c] - mean * g[c] * inv);
            for (int n = 0; n < N; n++) {
                int j = (n * C + c) * HW, e = j + HW;
                if (act == null) {
                    for (; j < e; j++) yv[j] = xv[j] * a + b;
                } else if (vector) {
                    ActivationVector.affine(act, alpha, yv, xv, a, b, j, e);
                } else {
                    for (int i = j; i < e; i++) yv[i] = xv[i] * a + b;
                    activationForwardPlain(act, alpha, yv, yv, j, e);
                }
            }
            sm[c] = (float) mean;
            si[c] = (float) inv;
            double unbiased = m > 1 ? sq / (m - 1) : var;
            rm[c] = (float) ((1 - momentum) * rm[c] + momentum * mean);
            rv[c] = (float) ((1 - momentum) * rv[c] + momentum * unbiased);
        }
    }

    @Override
    public void batchNormEval(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runMean, Tensor runVar, double eps) {
        float[] xv = f(x), yv = f(y), g = f(gamma), bt = f(beta), rm = f(runMean), rv = f(runVar);
        int N = x.dim(0), C = x.dim(1), HW = inner(x);
        Parallel.range(N * C, 4, (i0, i1) -> {
            for (int nc = i0; nc < i1; nc++) {
                int c = nc % C;
                double inv = 1.0 / Math.sqrt(rv[c] + eps);
                float a = (float) (g[c] * inv), b = (float) (bt[c] - rm[c] * g[c] * inv);
                for (int j = nc * HW, e = j + HW; j < e; j++) yv[j] = xv[j] * a + b;
            }
        });
    }

    @Override
    public void batchNormBackward(Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor x, Tensor gamma,
                                  Tensor saveMean, Tensor saveInvStd, double eps) {
        batchNormBackward(null, 0, dx, dgamma, dbeta, dy, null, x, gamma, saveMean, saveInvStd);
    }

    @Override
    public void batchNormActBackward(Activation act, double alpha, Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor y,
                                     Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd, double eps) {
        requireFusable("batchNormActBackward", act, alpha);
        if (f(dx) == f(dy) || f(dx) == f(y) || f(dx) == f(x)) throw new IllegalArgumentException("batchNormActBackward: dx must not be dy, y or x");
        if (f(y).length != f(x).length) throw new IllegalArgumentException("batchNormActBackward: y " + y + " for x " + x);
        batchNormBackward(act, alpha, dx, dgamma, dbeta, dy, y, x, gamma, saveMean, saveInvStd);
    }

    /**
     * Batch norm's backward of dy, or with act (not null) of act's backward of dy, f' from the fused forward's output y:
     * that gradient is first written into dx (one contiguous pass on 8-float vectors, as activationBackward), and batch
     * norm's sums and dx read it there, channel by channel, and write dx over it: no tensor of its own. Applying f' on
     * the fly inside the sums (as the CUDA kernels do, in registers) costs more here: a float select is a branch in
     * C2's x86 code, mispredicted on random signs, and the branch-free integer form doubles the loop's work; writing it
     * channel by channel (planes of 49 floats) was slower than this one pass (bench/results/bn-act-fusion-20261203.md).
     */
    private void batchNormBackward(Activation act, double alpha, Tensor dx, Tensor dgamma, Tensor dbeta, Tensor dy, Tensor y,
                                   Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd) {
        float[] dxv = f(dx), dg = f(dgamma), db = f(dbeta), dyv = f(dy), xv = f(x), g = f(gamma), sm = f(saveMean), si = f(saveInvStd);
        float[] yv = act == null ? null : f(y);
        if (dxv.length != xv.length || dyv.length != xv.length) throw new IllegalArgumentException("batchNormBackward: dx " + dx + ", dy " + dy + " for x " + x);
        int N = x.dim(0), C = x.dim(1), HW = inner(x);
        long m = (long) N * HW;
        float a = (float) alpha;
        boolean vector = act != null && vectorActivation(act);
        if (act != null) {
            Parallel.range(dxv.length, 1 << 14, (i0, i1) -> {
                if (vector) ActivationVector.backward(act, a, dxv, dyv, yv, i0, i1);
                else activationBackwardPlain(act, a, dxv, dyv, yv, yv, i0, i1);
            });
        }
        float[] d = act == null ? dyv : dxv;    // the gradient with respect to batch norm's output
        Parallel.range(C, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double mean = sm[c], inv = si[c];
                double sdy = 0, sdyxh = 0;     // sum dy, sum dy * xhat
                for (int n = 0; n < N; n++) {
                    for (int j = (n * C + c) * HW, e = j + HW; j < e; j++) {
                        sdy += d[j];
                        sdyxh += d[j] * (xv[j] - mean) * inv;
                    }
                }
                dg[c] += (float) sdyxh;
                db[c] += (float) sdy;
                // dx = gamma * inv / m * (m dy - sum dy - xhat sum(dy xhat))
                double k = g[c] * inv / m;
                for (int n = 0; n < N; n++) {
                    for (int j = (n * C + c) * HW, e = j + HW; j < e; j++) {
                        double xh = (xv[j] - mean) * inv;
                        dxv[j] = (float) (k * (m * d[j] - sdy - xh * sdyxh));
                    }
                }
            }
        });
    }

    @Override
    public void batchNormDoubleBackward(Tensor gradDy, Tensor gradX, Tensor dgamma, Tensor gradDx, Tensor dy, Tensor x, Tensor gamma,
                                        Tensor saveMean, Tensor saveInvStd) {
        for (Tensor t : new Tensor[] {gradDy, gradX, gradDx, dy}) {
            if (t.size() != x.size()) throw new IllegalArgumentException("batchNormDoubleBackward: " + t + " for x " + x);
        }
        float[] gdy = f(gradDy), gx = f(gradX), dg = f(dgamma), gdx = f(gradDx), dyv = f(dy), xv = f(x), g = f(gamma);
        float[] sm = f(saveMean), si = f(saveInvStd);
        int N = x.dim(0), C = x.dim(1), HW = inner(x);
        long m = (long) N * HW;
        Parallel.range(C, 1, (c0, c1) -> {
            for (int c = c0; c < c1; c++) {
                double mean = sm[c], s = si[c];
                double sdy = 0, sdyxh = 0, gA = 0, gB = 0, sgdy = 0;   // Σ dy, Σ dy x̂, Σ G, Σ G x̂, Σ G dy (G = gradDx)
                for (int n = 0; n < N; n++) {
                    for (int j = (n * C + c) * HW, e = j + HW; j < e; j++) {
                        double xh = (xv[j] - mean) * s;
                        sdy += dyv[j];
                        sdyxh += dyv[j] * xh;
                        gA += gdx[j];
                        gB += gdx[j] * xh;
                        sgdy += (double) gdx[j] * dyv[j];
                    }
                }
                double a = sdy / m, b = sdyxh / m;
                double t = sgdy - a * gA - b * gB;         // Σ G (dy - a - x̂ b) = Σ G dx / (γ s)
                dg[c] += (float) (s * t);
                double k = g[c] * s / m, k2 = g[c] * s * s / m;
                for (int n = 0; n < N; n++) {
                    for (int j = (n * C + c) * HW, e = j + HW; j < e; j++) {
                        double xh = (xv[j] - mean) * s;
                        double back = m * (double) gdx[j] - gA - xh * gB;   // what batchNormBackward makes of G, over γ s/m
                        gdy[j] = (float) (k * back);
                        gx[j] = (float) (-k2 * (xh * t + gB * (dyv[j] - a - xh * b) + b * back));
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void activationForward(Activation act, double alpha, Tensor y, Tensor x) {
        float[] xv = f(x), yv = f(y);
        if (xv.length != yv.length) throw new IllegalArgumentException("activationForward: " + x + " -> " + y);
        float a = (float) alpha;
        boolean vector = vectorActivation(act);
        Parallel.range(xv.length, activationGrain(act), (i0, i1) -> {
            if (vector) ActivationVector.forward(act, a, yv, xv, i0, i1);
            else activationForwardPlain(act, a, yv, xv, i0, i1);
        });
    }

    /**
     * Least elements per chunk of an activation's forward: Tanh and Sigmoid cost about 10 ns an element (Math.tanh,
     * Math.exp), so 2048 of them are already worth a hand-off (the generator's 28 x 28 Tanh output, 25088 floats, was
     * one chunk at 16384); ReLU and LeakyReLU take a fraction of a nanosecond.
     */
    static int activationGrain(Activation act) { return act == Activation.TANH || act == Activation.SIGMOID ? 1 << 11 : 1 << 14; }

    /** Whether {@link ActivationVector} computes act: ReLU and LeakyReLU, when the Vector API micro-kernels run. */
    static boolean vectorActivation(Activation act) { return Sgemm.VECTOR_BITS >= 256 && (act == Activation.RELU || act == Activation.LEAKY_RELU); }

    /** y[i] = act(x[i]) for i in [i0, i1): the reference of {@link ActivationVector#forward}. */
    static void activationForwardPlain(Activation act, float a, float[] yv, float[] xv, int i0, int i1) {
        switch (act) {
            case RELU -> { for (int i = i0; i < i1; i++) yv[i] = xv[i] > 0 ? xv[i] : 0f; }
            case LEAKY_RELU -> { for (int i = i0; i < i1; i++) yv[i] = xv[i] > 0 ? xv[i] : a * xv[i]; }
            case TANH -> { for (int i = i0; i < i1; i++) yv[i] = (float) Math.tanh(xv[i]); }
            case SIGMOID -> { for (int i = i0; i < i1; i++) yv[i] = (float) act.apply(xv[i], 0); }
        }
    }

    @Override
    public void activationBackward(Activation act, double alpha, Tensor dx, Tensor dy, Tensor x, Tensor y) {
        float[] dxv = f(dx), dyv = f(dy), xv = f(x), yv = f(y);
        float a = (float) alpha;
        boolean vector = vectorActivation(act);
        Parallel.range(dxv.length, 1 << 14, (i0, i1) -> {
            if (vector) ActivationVector.backward(act, a, dxv, dyv, xv, i0, i1);
            else activationBackwardPlain(act, a, dxv, dyv, xv, yv, i0, i1);
        });
    }

    /** dx[i] = act'(x[i]) dy[i] for i in [i0, i1) (from y for Tanh and Sigmoid): the reference of {@link ActivationVector#backward}. */
    static void activationBackwardPlain(Activation act, float a, float[] dxv, float[] dyv, float[] xv, float[] yv, int i0, int i1) {
        switch (act) {
            case RELU -> { for (int i = i0; i < i1; i++) dxv[i] = xv[i] > 0 ? dyv[i] : 0f; }
            case LEAKY_RELU -> { for (int i = i0; i < i1; i++) dxv[i] = xv[i] > 0 ? dyv[i] : a * dyv[i]; }
            case TANH -> { for (int i = i0; i < i1; i++) dxv[i] = dyv[i] * (1f - yv[i] * yv[i]); }
            case SIGMOID -> { for (int i = i0; i < i1; i++) dxv[i] = dyv[i] * yv[i] * (1f - yv[i]); }
        }
    }

    @Override
    public void activationDoubleBackward(Activation act, double alpha, Tensor gradDy, Tensor gradX, Tensor gradDx,
                                         Tensor dy, Tensor x, Tensor y) {
        float[] gdy = f(gradDy), gx = f(gradX), gdx = f(gradDx), dyv = f(dy), xv = f(x), yv = f(y);
        int n = gdx.length;
        if (gdy.length != n || gx.length != n || dyv.length != n || xv.length != n || yv.length != n) {
            throw new IllegalArgumentException("activationDoubleBackward: sizes differ: " + gradDy + " " + gradX + " "
                    + gradDx + " " + dy + " " + x + " " + y);
        }
        float a = (float) alpha;
        Parallel.range(n, 1 << 14, (i0, i1) -> {
            switch (act) {
                case RELU -> { for (int i = i0; i < i1; i++) { gdy[i] = xv[i] > 0 ? gdx[i] : 0f; gx[i] = 0f; } }
                case LEAKY_RELU -> { for (int i = i0; i < i1; i++) { gdy[i] = xv[i] > 0 ? gdx[i] : a * gdx[i]; gx[i] = 0f; } }
                case TANH -> {
                    for (int i = i0; i < i1; i++) {
                        float d1 = 1f - yv[i] * yv[i];                         // f'  = 1 - y^2
                        gdy[i] = gdx[i] * d1;
                        gx[i] = gdx[i] * dyv[i] * (-2f * yv[i] * d1);          // f'' = -2 y (1 - y^2)
                    }
                }
                case SIGMOID -> {
                    for (int i = i0; i < i1; i++) {
                        gdy[i] = gdx[i] * yv[i] * (1f - yv[i]);               // f'  = y (1 - y), as backward
                        gx[i] = gdx[i] * dyv[i] * (yv[i] * (1f - yv[i]) * (1f - 2f * yv[i]));   // f'' = f' (1 - 2y)
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- pooling

    /** Sizes of one pooling: x (N,C,H,W), y (N,C,P,Q), checked against each other; planes = N*C. */
    private record Pool(int planes, int h, int w, int p, int q, PoolSpec spec) {
        /** First row of window (p, ·) inside the input, one past its last, and the same for columns. */
        int h0(int p) { return Math.max(p * spec.strideH() - spec.padH(), 0); }

        int h1(int p) { return Math.min(p * spec.strideH() - spec.padH() + spec.kernelH(), h); }

        int w0(int q) { return Math.max(q * spec.strideW() - spec.padW(), 0); }

        int w1(int q) { return Math.min(q * spec.strideW() - spec.padW() + spec.kernelW(), w); }

        /** What avg pooling divides window (p, q) by: its elements inside the input, or inside the padded input. */
        int count(int p, int q, boolean countIncludePad) {
            if (!countIncludePad) return (h1(p) - h0(p)) * (w1(q) - w0(q));
            int hs = p * spec.strideH() - spec.padH(), ws = q * spec.strideW() - spec.padW();
            return (Math.min(hs + spec.kernelH(), h + spec.padH()) - hs) * (Math.min(ws + spec.kernelW(), w + spec.padW()) - ws);
        }
    }

    private static Pool pool(Tensor x, Tensor y, PoolSpec spec, String op) {
        if (x.rank() != 4 || y.rank() != 4) throw new IllegalArgumentException(op + ": tensors must be 4-D, got " + x + " and " + y);
        Pool g = new Pool(x.dim(0) * x.dim(1), x.dim(2), x.dim(3), spec.outH(x.dim(2)), spec.outW(x.dim(3)), spec);
        Shapes.require(y, op + " output", x.dim(0), x.dim(1), g.p(), g.q());
        return g;
    }

    /** Index in x of window (p, q)'s maximum in plane nc: the first of equal ones, row by row; a NaN wins (PyTorch's rule). */
    private static int windowMax(float[] x, int nc, Pool g, int p, int q) {
        int plane = nc * g.h() * g.w(), best = plane + g.h0(p) * g.w() + g.w0(q);
        float max = Float.NEGATIVE_INFINITY;
        for (int h = g.h0(p); h < g.h1(p); h++) {
            for (int w = g.w0(q); w < g.w1(q); w++) {
                float v = x[plane + h * g.w() + w];
                if (v > max || Float.isNaN(v)) {
                    max = v;
                    best = plane + h * g.w() + w;
                }
            }
        }
        return best;
    }

    @Override
    public void maxPool2dForward(Tensor y, Tensor x, PoolSpec spec) {
        Pool g = pool(x, y, spec, "maxPool2dForward");
        float[] xv = f(x), yv = f(y);
        Parallel.range(g.planes(), 1, (i0, i1) -> {
            for (int nc = i0; nc < i1; nc++) {
                for (int p = 0; p < g.p(); p++) {
                    for (int q = 0; q < g.q(); q++) yv[(nc * g.p() + p) * g.q() + q] = xv[windowMax(xv, nc, g, p, q)];
                }
            }
        });
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, PoolSpec spec) {
        Pool g = pool(x, dy, spec, "maxPool2dBackward");
        Shapes.require(dx, "maxPool2dBackward dx", x.shape());
        float[] xv = f(x), dxv = f(dx), dyv = f(dy);
        Parallel.range(g.planes(), 1, (i0, i1) -> {
            for (int nc = i0; nc < i1; nc++) {
                Arrays.fill(dxv, nc * g.h() * g.w(), (nc + 1) * g.h() * g.w(), 0f);
                for (int p = 0; p < g.p(); p++) {
                    for (int q = 0; q < g.q(); q++) dxv[windowMax(xv, nc, g, p, q)] += dyv[(nc * g.p() + p) * g.q() + q];
                }
            }
        });
    }

    @Override
    public void avgPool2dForward(Tensor y, Tensor x, PoolSpec spec, boolean countIncludePad) {
        Pool g = pool(x, y, spec, "avgPool2dForward");
        float[] xv = f(x), yv = f(y);
        Parallel.range(g.planes(), 1, (i0, i1) -> {
            for (int nc = i0; nc < i1; nc++) {
                int plane = nc * g.h() * g.w();
                for (int p = 0; p < g.p(); p++) {
                    for (int q = 0; q < g.q(); q++) {
                        float sum = 0f;
                        for (int h = g.h0(p); h < g.h1(p); h++) {
                            for (int w = g.w0(q); w < g.w1(q); w++) sum += xv[plane + h * g.w() + w];
                        }
                        yv[(nc * g.p() + p) * g.q() + q] = sum / g.count(p, q, countIncludePad);
                    }
                }
            }
        });
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, PoolSpec spec, boolean countIncludePad) {
        Pool g = pool(dx, dy, spec, "avgPool2dBackward");
        float[] dxv = f(dx), dyv = f(dy);
        Parallel.range(g.planes(), 1, (i0, i1) -> {
            for (int nc = i0; nc < i1; nc++) {
                int plane = nc * g.h() * g.w();
                Arrays.fill(dxv, plane, plane + g.h() * g.w(), 0f);
                for (int p = 0; p < g.p(); p++) {
                    for (int q = 0; q < g.q(); q++) {
                        float share = dyv[(nc * g.p() + p) * g.q() + q] / g.count(p, q, countIncludePad);
                        for (int h = g.h0(p); h < g.h1(p); h++) {
                            for (int w = g.w0(q); w < g.w1(q); w++) dxv[plane + h * g.w() + w] += share;
                        }
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- channel slices and resizing

    @Override
    public void copyChannels(Tensor dst, int dstC0, Tensor src, int srcC0, int count) {
        float[] d = f(dst), s = f(src);
        checkChannels(dst, dstC0, src, srcC0, count);
        int N = src.dim(0), inner = inner(src), Cd = dst.dim(1), Cs = src.dim(1);
        for (int n = 0; n < N; n++) System.arraycopy(s, (n * Cs + srcC0) * inner, d, (n * Cd + dstC0) * inner, count * inner);
    }

    /** Same N and size past the channels, both channel ranges inside their tensors (CudaBackend checks the same). */
    private static void checkChannels(Tensor dst, int dstC0, Tensor src, int srcC0, int count) {
        if (dst.rank() < 2 || dst.rank() != src.rank() || dst.dim(0) != src.dim(0) || dst.sizeFrom(2) != src.sizeFrom(2)) {
            throw new IllegalArgumentException("copyChannels: " + src + " and " + dst + " differ past the channel dimension");
        }
        if (count < 0 || srcC0 < 0 || dstC0 < 0 || srcC0 + count > src.dim(1) || dstC0 + count > dst.dim(1)) {
            throw new IllegalArgumentException("copyChannels: channels [" + srcC0 + ", " + (srcC0 + count) + ") of " + src
                    + " into [" + dstC0 + ", " + (dstC0 + count) + ") of " + dst);
        }
    }

    /** Source row (or column) of output index {@code i} for bilinear resizing of {@code in} to {@code out}, as PyTorch. */
    private static float sourceIndex(int i, int in, int out) {
        float scale = (float) in / out;
        float src = scale * (i + 0.5f) - 0.5f;
        return src < 0f ? 0f : src;
    }

    @Override
    public void resizeBilinearForward(Tensor y, Tensor x) {
        if (x.rank() != 4 || y.rank() != 4 || x.dim(0) != y.dim(0) || x.dim(1) != y.dim(1)) {
            throw new IllegalArgumentException("resizeBilinearForward: " + x + " -> " + y);
        }
        float[] xv = f(x), yv = f(y);
        int H = x.dim(2), W = x.dim(3), P = y.dim(2), Q = y.dim(3);
        Parallel.range(x.dim(0) * x.dim(1), 1, (i0, i1) -> {
            for (int nc = i0; nc < i1; nc++) {
                int plane = nc * H * W;
                for (int p = 0; p < P; p++) {
                    float hr = sourceIndex(p, H, P);
                    int h1 = (int) hr, h1p = h1 < H - 1 ? 1 : 0;
                    float h1l = hr - h1, h0l = 1f - h1l;
                    for (int q = 0; q < Q; q++) {
                        float wr = sourceIndex(q, W, Q);
                        int w1 = (int) wr, w1p = w1 < W - 1 ? 1 : 0;
                        float w1l = wr - w1, w0l = 1f - w1l;
                        int a = plane + h1 * W + w1, b = a + h1p * W;
                        yv[(nc * P + p) * Q + q] = h0l * (w0l * xv[a] + w1l * xv[a + w1p]) + h1l * (w0l * xv[b] + w1l * xv[b + w1p]);
                    }
                }
            }
        });
    }

    @Override
    public void resizeBilinearBackward(Tensor dx, Tensor dy) {
        if (dx.rank() != 4 || dy.rank() != 4 || dx.dim(0) != dy.dim(0) || dx.dim(1) != dy.dim(1)) {
            throw new IllegalArgumentException("resizeBilinearBackward: " + dy + " -> " + dx);
        }
        float[] dxv = f(dx), dyv = f(dy);
        int H = dx.dim(2), W = dx.dim(3), P = dy.dim(2), Q = dy.dim(3);
        Parallel.range(dx.dim(0) * dx.dim(1), 1, (i0, i1) -> {
            for (int nc = i0; nc < i1; nc++) {
                int plane = nc * H * W;
                Arrays.fill(dxv, plane, plane + H * W, 0f);
                for (int p = 0; p < P; p++) {
                    float hr = sourceIndex(p, H, P);
                    int h1 = (int) hr, h1p = h1 < H - 1 ? 1 : 0;
                    float h1l = hr - h1, h0l = 1f - h1l;
                    for (int q = 0; q < Q; q++) {
                        float wr = sourceIndex(q, W, Q);
                        int w1 = (int) wr, w1p = w1 < W - 1 ? 1 : 0;
                        float w1l = wr - w1, w0l = 1f - w1l;
                        int a = plane + h1 * W + w1, b = a + h1p * W;
                        float g = dyv[(nc * P + p) * Q + q];
                        dxv[a] += h0l * w0l * g;
                        dxv[a + w1p] += h0l * w1l * g;
                        dxv[b] += h1l * w0l * g;
                        dxv[b + w1p] += h1l * w1l * g;
                    }
                }
            }
        });
    }

    // ---------------------------------------------------------------- linear algebra and elementwise

    @Override
    public void gemm(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        GemmDims dims = GemmDims.of(transA, transB, a, b, c);
        int m = dims.m(), n = dims.n(), k = dims.k();
        Sgemm.sgemm(transA, transB, m, n, k, alpha, f(a), 0, a.dim(1), f(b), 0, b.dim(1), beta, f(c), 0, n);
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        float[] xv = f(x), yv = f(y);
        if (xv.length != yv.length) throw new IllegalArgumentException("axpy: " + x + ", " + y);
        Parallel.range(xv.length, 1 << 15, (i0, i1) -> { for (int i = i0; i < i1; i++) yv[i] += alpha * xv[i]; });
    }

    @Override
    public void scale(Tensor x, float alpha) {
        float[] xv = f(x);
        Parallel.range(xv.length, 1 << 15, (i0, i1) -> { for (int i = i0; i < i1; i++) xv[i] *= alpha; });
    }

    @Override
    public void rowDot(Tensor out, Tensor a, Tensor b, boolean accumulate) {
        float[] o = f(out), av = f(a), bv = f(b);
        int n = Shapes.rows("rowDot", out, a, b);
        int len = n == 0 ? 0 : av.length / n;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = i * len; j < (i + 1) * len; j++) s += (double) av[j] * bv[j];
            o[i] = accumulate ? o[i] + (float) s : (float) s;
        }
    }

    @Override
    public void scaleRows(Tensor out, Tensor s, Tensor x, boolean accumulate) {
        float[] o = f(out), sv = f(s), xv = f(x);
        int n = Shapes.rows("scaleRows", s, out, x);
        int len = n == 0 ? 0 : xv.length / n;
        for (int i = 0; i < n; i++) {
            for (int j = i * len; j < (i + 1) * len; j++) o[j] = accumulate ? o[j] + sv[i] * xv[j] : sv[i] * xv[j];
        }
    }

    @Override
    public void sumSquares(List<Tensor> xs, Tensor out, int slot) {
        double s = 0;
        for (int i = 0; i < xs.size(); i++) for (float v : f(xs.get(i))) s += (double) v * v;
        f(out)[slot] = (float) s;
    }

    // ---------------------------------------------------------------- optimizers

    private static void checkLists(String op, List<Tensor> params, List<?>... others) {
        for (List<?> o : others) {
            if (o.size() != params.size()) throw new IllegalArgumentException(op + ": " + params.size() + " parameters but " + o.size() + " state tensors");
        }
    }

    /** Least elements per chunk of the optimizers' and EMA's loops: a few microseconds of work beside a hand-off's one. */
    private static final int ELEMENTWISE_GRAIN = 1 << 13;

    @Override
    public void adamStep(List<Tensor> params, List<Tensor> grads, List<Tensor> m, List<Tensor> v,
                         float lr, float beta1, float beta2, float eps, float weightDecay, long step) {
        checkLists("adamStep", params, grads, m, v);
        float bc1 = (float) (1 - Math.pow(beta1, step));
        float bc2sqrt = (float) Math.sqrt(1 - Math.pow(beta2, step));
        float stepSize = lr / bc1;
        for (int t = 0; t < params.size(); t++) {
            float[] p = f(params.get(t)), g = f(grads.get(t)), mv = f(m.get(t)), vv = f(v.get(t));
            Parallel.range(p.length, ELEMENTWISE_GRAIN, (i0, i1) -> {
                for (int i = i0; i < i1; i++) {
                    float gi = g[i] + weightDecay * p[i];
                    mv[i] = beta1 * mv[i] + (1 - beta1) * gi;
                    vv[i] = beta2 * vv[i] + (1 - beta2) * gi * gi;
                    float denom = (float) Math.sqrt(vv[i]) / bc2sqrt + eps;
                    p[i] -= stepSize * mv[i] / denom;
                }
            });
        }
    }

    @Override
    public void rmspropStep(List<Tensor> params, List<Tensor> grads, List<Tensor> sq, float lr, float alpha, float eps) {
        checkLists("rmspropStep", params, grads, sq);
        for (int t = 0; t < params.size(); t++) {
            float[] p = f(params.get(t)), g = f(grads.get(t)), s = f(sq.get(t));
            for (int i = 0; i < p.length; i++) {
                s[i] = alpha * s[i] + (1 - alpha) * g[i] * g[i];
                p[i] -= lr * g[i] / ((float) Math.sqrt(s[i]) + eps);
            }
        }
    }

    @Override
    public void sgdStep(List<Tensor> params, List<Tensor> grads, List<Tensor> buf, float lr, float momentum, long step) {
        checkLists("sgdStep", params, grads, buf);
        for (int t = 0; t < params.size(); t++) {
            float[] p = f(params.get(t)), g = f(grads.get(t)), b = f(buf.get(t));
            for (int i = 0; i < p.length; i++) {
                if (momentum != 0) {
                    b[i] = step <= 1 ? g[i] : momentum * b[i] + g[i];
                    p[i] -= lr * b[i];
                } else {
                    p[i] -= lr * g[i];
                }
            }
        }
    }

    @Override
    public void clamp(List<Tensor> params, float lo, float hi) {
        for (Tensor t : params) {
            float[] p = f(t);
            for (int i = 0; i < p.length; i++) p[i] = Math.min(hi, Math.max(lo, p[i]));
        }
    }

    @Override
    public void emaUpdate(List<Tensor> ema, List<Tensor> src, int averaged, float decay) {
        checkLists("emaUpdate", ema, src);
        if (averaged < 0 || averaged > ema.size()) throw new IllegalArgumentException("emaUpdate: averaged " + averaged + " of " + ema.size() + " tensors");
        for (int t = 0; t < ema.size(); t++) {
            float[] e = f(ema.get(t)), s = f(src.get(t));
            if (e.length != s.length) throw new IllegalArgumentException("emaUpdate: " + ema.get(t) + " from " + src.get(t));
            if (t < averaged) {
                Parallel.range(e.length, ELEMENTWISE_GRAIN, (i0, i1) -> { for (int i = i0; i < i1; i++) e[i] = s[i] + decay * (e[i] - s[i]); });
            } else {
                System.arraycopy(s, 0, e, 0, e.length);
            }
        }
    }

    // ---------------------------------------------------------------- noise

    @Override
    public void normal(Tensor out, long seed, long counter) {
        float[] o = f(out);
        int blocks = (int) Philox.blocks(o.length);
        Parallel.range(blocks, 1024, (b0, b1) -> {
            int from = b0 * 4, to = Math.min(o.length, b1 * 4);
            Philox.normals(seed, counter + b0, o, from, to - from);
        });
    }

    @Override
    public void interpolate(Tensor out, Tensor eps, Tensor a, Tensor b, long seed, long counter) {
        if (a.size() != out.size() || b.size() != out.size() || eps.size() != out.dim(0)) {
            throw new IllegalArgumentException("interpolate: out " + out + ", eps " + eps + ", a " + a + ", b " + b);
        }
        float[] o = f(out), e = f(eps), av = f(a), bv = f(b);
        int n = out.dim(0), row = n == 0 ? 0 : o.length / n;
        int[] w = new int[4];
        for (int i = 0; i < n; i++) {
            if (i % 4 == 0) Philox.block(seed, counter + i / 4, w, 0);
            e[i] = (float) Philox.uniform(w[i % 4]);
        }
        Parallel.range(n, 1, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float t = e[i], u = 1f - t;
                for (int j = i * row, end = j + row; j < end; j++) o[j] = t * av[j] + u * bv[j];
            }
        });
    }

    @Override
    public void gradientPenalty(Tensor gradG, Tensor g, double target, float weight, float gradScale, Tensor stats, int slot) {
        if (gradG.size() != g.size() || g.rank() < 2) throw new IllegalArgumentException("gradientPenalty: gradG " + gradG + ", g " + g);
        if (slot < 0 || slot + 2 > stats.size()) throw new IllegalArgumentException("gradientPenalty: slots " + slot + ".." + (slot + 1) + " of " + stats);
        float[] gg = f(gradG), gv = f(g), st = f(stats);
        int n = g.dim(0), row = gv.length / n;
        double p = 0, norms = 0;
        for (int i = 0; i < n; i++) {
            double ss = 0;
            for (int j = i * row, e = j + row; j < e; j++) ss += (double) gv[j] * gv[j];
            double norm = Math.sqrt(ss), d = norm - target;
            p += d * d;
            norms += norm;
            double k = target == 0 ? 1 : norm > 0 ? 1 - target / norm : 0;
            double c = (double) gradScale * weight * 2.0 / n * k;
            for (int j = i * row, e = j + row; j < e; j++) gg[j] = (float) (c * gv[j]);
        }
        st[slot] = (float) (weight * p / n);
        st[slot + 1] = (float) (norms / n);
    }

    // ---------------------------------------------------------------- data

    @Override
    public void gatherImages(Tensor out, Tensor images, Tensor indices, int start, float scale, float shift) {
        float[] o = f(out);
        byte[] img = t(images).b;
        int[] idx = t(indices).i;
        if (img == null || idx == null) throw new IllegalArgumentException("gatherImages needs U8 images and I32 indices");
        int B = out.dim(0), item = (int) (out.size() / B);
        if (images.size() / images.dim(0) != item) throw new IllegalArgumentException("gatherImages: " + images + " into " + out);
        if (start < 0 || start + B > idx.length) throw new IllegalArgumentException("gatherImages: indices [" + start + ", " + (start + B) + ") of " + idx.length);
        Parallel.range(B, 1, (b0, b1) -> {
            for (int b = b0; b < b1; b++) {
                int src = idx[start + b];
                if (src < 0 || src >= images.dim(0)) throw new IndexOutOfBoundsException("image index " + src);
                for (int j = 0; j < item; j++) o[b * item + j] = (img[src * item + j] & 0xFF) * scale + shift;
            }
        });
    }

    // ---------------------------------------------------------------- GAN loss

    private static double sigmoid(double t) { return Activation.SIGMOID.apply(t, 0); }

    @Override
    public void criticLoss(CompiledLoss loss, Tensor dtReal, Tensor dtFake, Tensor tReal, Tensor tFake, Tensor stats, int slot) {
        float[] tr = f(tReal), tf = f(tFake), dr = f(dtReal), df = f(dtFake), st = f(stats);
        int br = tr.length, bf = tf.length;
        double[] stack = Scratch.programStack();
        double sPhi = 0, sPsi = 0, sigR = 0, sigF = 0, sR = 0, sF = 0;
        for (int i = 0; i < br; i++) {
            double t = tr[i];
            sPhi += loss.phi().eval(t, stack);
            dr[i] = (float) (-loss.dphi().eval(t, stack) / br);
            sigR += sigmoid(t);
            sR += t;
        }
        for (int i = 0; i < bf; i++) {
            double t = tf[i];
            sPsi += loss.psi().eval(t, stack);
            df[i] = (float) (-loss.dpsi().eval(t, stack) / bf);
            sigF += sigmoid(t);
            sF += t;
        }
        st[slot] = (float) -(sPhi / br + sPsi / bf);
        st[slot + 1] = (float) (sigR / br);
        st[slot + 2] = (float) (sigF / bf);
        st[slot + 3] = (float) (sR / br);
        st[slot + 4] = (float) (sF / bf);
    }

    @Override
    public void generatorLoss(CompiledLoss loss, Tensor dtFake, Tensor tFake, Tensor stats, int slot) {
        float[] tf = f(tFake), df = f(dtFake), st = f(stats);
        int b = tf.length;
        double[] stack = Scratch.programStack();
        double s = 0, sig = 0;
        for (int i = 0; i < b; i++) {
            double t = tf[i];
            s += loss.beta().eval(t, stack);
            df[i] = (float) (loss.dbeta().eval(t, stack) / b);
            sig += sigmoid(t);
        }
        st[slot] = (float) (s / b);
        st[slot + 1] = (float) (sig / b);
    }

    @Override
    public void lossCurvature(ScalarProgram f, Tensor gradT, Tensor gradDt, Tensor t, float scale, boolean accumulate) {
        float[] out = f(gradT), g = f(gradDt), tv = f(t);
        if (out.length != g.length || out.length != tv.length) {
            throw new IllegalArgumentException("lossCurvature: " + gradT + ", " + gradDt + ", " + t);
        }
        double[] stack = Scratch.programStack();
        for (int i = 0; i < tv.length; i++) {
            float v = (float) ((double) scale * g[i] * f.eval(tv[i], stack));
            out[i] = accumulate ? out[i] + v : v;
        }
    }

    // ---------------------------------------------------------------- classifier loss

    @Override
    public void softmaxCrossEntropy(Tensor dLogits, Tensor logits, Tensor labels, Tensor stats, int slot) {
        if (logits.rank() != 2) throw new IllegalArgumentException("softmaxCrossEntropy: logits must be (B, K), got " + logits);
        Shapes.require(dLogits, "softmaxCrossEntropy dLogits", logits.dim(0), logits.dim(1));
        float[] l = f(logits), d = f(dLogits), st = f(stats);
        int[] y = t(labels).i;
        int B = logits.dim(0), K = logits.dim(1);
        if (y == null || y.length != B) throw new IllegalArgumentException("softmaxCrossEntropy: labels must be I32 (" + B + "), got " + labels);
        if (slot < 0 || slot + 2 > st.length) throw new IllegalArgumentException("softmaxCrossEntropy: stats " + stats + " has no room at slot " + slot);
        double loss = 0, correct = 0;
        for (int i = 0; i < B; i++) {
            int row = i * K, label = y[i];
            if (label < 0 || label >= K) throw new IndexOutOfBoundsException("softmaxCrossEntropy: label " + label + " of row " + i + " not in [0, " + K + ")");
            double max = l[row];
            int argmax = 0;
            for (int j = 1; j < K; j++) if (l[row + j] > max) { max = l[row + j]; argmax = j; }
            double sum = 0;
            for (int j = 0; j < K; j++) sum += Math.exp(l[row + j] - max);
            loss += max + Math.log(sum) - l[row + label];
            if (argmax == label) correct++;
            for (int j = 0; j < K; j++) d[row + j] = (float) ((Math.exp(l[row + j] - max) / sum - (j == label ? 1 : 0)) / B);
        }
        st[slot] = (float) (loss / B);
        st[slot + 1] = (float) (correct / B);
    }

    @Override
    public void close() { }

    // ---------------------------------------------------------------- feature statistics (FID), float64

    /** {@link ScatterMoments}, a block of up to 256 rows at a time (the arithmetic of eval.FeatureMoments). */
    @Override
    public void featureMoments(Tensor mean, Tensor m2, long count, Tensor rows, int n) {
        float[] x = f(rows);
        if (rows.rank() != 2) throw new IllegalArgumentException("featureMoments: rows must be (N, F), got " + rows);
        if (n < 0 || n > rows.dim(0)) throw new IllegalArgumentException("featureMoments: " + n + " rows of " + rows);
        int fs = rows.dim(1);
        Shapes.require(mean, "featureMoments mean", fs);
        Shapes.require(m2, "featureMoments m2", fs, fs);
        double[] mu = d(mean), s = d(m2);
        if (count < 0) throw new IllegalArgumentException("featureMoments: count " + count);
        double[] block = new double[Math.min(n, ScatterMoments.BLOCK) * fs], transposed = new double[block.length];
        for (int start = 0; start < n; start += ScatterMoments.BLOCK) {
            int nb = Math.min(ScatterMoments.BLOCK, n - start);
            for (int k = 0; k < nb * fs; k++) {
                float v = x[start * fs + k];
                if (!Float.isFinite(v)) {
                    throw new UserError("feature row " + (count + start + k / fs + 1) + " has a non-finite value (" + v + ") in column "
                            + k % fs + ": the images given to the feature network held NaN or infinite values");
                }
                block[k] = v;
            }
            count = ScatterMoments.foldBlock(fs, count, mu, s, block, nb, transposed);
        }
    }

    /** {@link SqrtTrace#compute}; CHOLESKY on two matrices that are not positive definite is a {@link UserError}. */
    @Override
    public SqrtTrace.Result sqrtTrace(Tensor sigma1, Tensor sigma2, SqrtTrace.Method method) {
        if (sigma1.rank() != 2) throw new IllegalArgumentException("sqrtTrace: sigma1 must be (F, F), got " + sigma1);
        int fs = sigma1.dim(0);
        Shapes.require(sigma1, "sqrtTrace sigma1", fs, fs);
        Shapes.require(sigma2, "sqrtTrace sigma2", fs, fs);
        SqrtTrace.Result r = SqrtTrace.compute(d(sigma1), d(sigma2), fs, method);
        if (r == null) throw new UserError("neither covariance is positive definite, so the Cholesky method cannot be used");
        return r;
    }
}
