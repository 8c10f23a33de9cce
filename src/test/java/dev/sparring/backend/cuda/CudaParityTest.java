package dev.sparring.backend.cuda;

import dev.sparring.backend.Activation;
import dev.sparring.backend.Backend;
import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.ConvSpec;
import dev.sparring.backend.PoolSpec;
import dev.sparring.backend.ScalarProgram;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.nn.Act;
import dev.sparring.nn.AvgPool2d;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.BilinearResize;
import dev.sparring.nn.Concat;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.GlobalAvgPool2d;
import dev.sparring.nn.MaxPool2d;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Sequential;
import dev.sparring.random.Philox;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every Backend op on CudaBackend against CpuBackend, on seeded inputs. Each output is compared with
 * |cuda - cpu| <= atol + rtol |cpu|, the tolerance chosen per output with its reason beside it. Skipped (never
 * failed) where {@link CudaRuntime#probe()} finds no usable GPU.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnabledIf(value = "gpuAvailable", disabledReason = "no usable GPU (see CudaRuntime.probe())")
class CudaParityTest {
    static boolean gpuAvailable() { return CudaRuntime.probe().available(); }

    private Backend cpu;
    private CudaBackend gpu;
    private CudaBackend gpuBn;   // batch norm by our kernels

    @BeforeAll
    void open() {
        CudaRuntime.Status s = CudaRuntime.probe();
        assumeTrue(s.available(), () -> "no usable GPU: " + s.reason());
        cpu = new CpuBackend();
        gpu = new CudaBackend();
        gpuBn = new CudaBackend(CudaBackend.Options.defaults().withBatchNorm(CudaBackend.BatchNorm.KERNELS));
        System.out.println("parity: " + gpu.description());
    }

    @AfterAll
    void close() {
        if (gpu != null) gpu.close();
        if (gpuBn != null) gpuBn.close();
    }

    // ---------------------------------------------------------------- tolerances

    record Tol(double atol, double rtol, String why) { }

    static final Tol EXACT = new Tol(0, 0, "bit copies, or the same single float operations in the same order");
    /** Kernels do the CPU's float operations in its order (built with --fmad=false): expected bit-identical. */
    static final Tol SAME_OPS = new Tol(0, 2.4e-7, "same float operations in the same order (--fmad=false), sqrt and "
            + "division correctly rounded on both: expected identical; 2 ulps leave room for one unforeseen contraction");
    /** Both sides compute in double and round once to float; double sums differ only in order. */
    static final Tol DOUBLE_ROUNDED = new Tol(1e-7, 2.4e-7, "computed in double on both sides (sums in another order, "
            + "math libraries within 1 ulp of double) and rounded to float: equal but for rare rounding ties");

    /** Float dot products of {@code terms} products of unit-scale values, summed in a different order. */
    static Tol dot(int terms) {
        return new Tol(2e-6 * terms, 1e-4, "float sums of " + terms + " products in another order (cuDNN/cuBLAS kernels "
                + "vs im2col + GEMM): rounding error grows with the number of terms");
    }

    /** Our batch-norm kernels do the CPU's arithmetic; only the order of the double sums differs. */
    static final Tol OUR_BN = new Tol(1e-6, 1e-6, "statistics in double as on the CPU, summed in another order and "
            + "rounded to float: a saved statistic, scale or shift may round the other way, and y = x*a + b carries it");
    static final Tol CUDNN_BN = new Tol(2e-5, 1e-4, "cuDNN computes batch statistics in float with its own summation "
            + "(the CPU in double, two-pass): a few float roundings of sums over N*H*W");

    // ---------------------------------------------------------------- cases

    /** Collects the outputs of one run, each with its tolerance. */
    static final class Outputs {
        final Map<String, float[]> values = new LinkedHashMap<>();
        final Map<String, Tol> tols = new LinkedHashMap<>();

        void put(String name, float[] v, Tol tol) {
            values.put(name, v);
            tols.put(name, tol);
        }
    }

    interface Op { void run(Backend b, Outputs out); }

    record Case(String name, Op op) {
        @Override
        public String toString() { return name; }
    }

    static float[] randn(long seed, int n, double mean, double std) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (mean + std * r.nextGaussian());
        return a;
    }

    static Tensor randn(Backend b, long seed, int... shape) {
        return b.upload(randn(seed, (int) dev.sparring.tensor.Shapes.size(shape), 0, 1), shape);
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();

        // ------------------------------------------------------------ memory
        cases.add(new Case("upload/download F32, U8, I32; zeros", (b, o) -> {
            o.put("f32", b.download(randn(b, 1, 3, 5)), EXACT);
            byte[] bytes = new byte[37];
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) (i * 7);
            o.put("u8", b.download(b.upload(bytes, 37)), EXACT);
            o.put("i32", b.download(b.upload(new int[] {-5, 0, 7, 1 << 20}, 2, 2)), EXACT);
            o.put("zeros", b.download(b.zeros(DType.F32, 4, 3)), EXACT);
            o.put("zeros u8", b.download(b.zeros(DType.U8, 9)), EXACT);
        }));
        cases.add(new Case("copy, view, fill, copyFromHost", (b, o) -> {
            Tensor x = randn(b, 2, 4, 6), y = b.zeros(4, 6);
            b.copy(x, y);
            o.put("copy", b.download(y), EXACT);
            o.put("view", b.download(b.view(x, 2, 12)), EXACT);
            b.fill(y, -2.5f);
            o.put("fill", b.download(y), EXACT);
            b.copyFromHost(randn(3, 24, 0, 1), y);
            b.copyFromHost(randn(4, 24, 0, 1), x);         // a second staged copy right after the first
            Tensor[] ring = new Tensor[2 * Staging.SLOTS + 1];   // round the staging ring twice
            for (int i = 0; i < ring.length; i++) {
                ring[i] = b.zeros(5);
                b.copyFromHost(randn(10 + i, 5, 0, 1), ring[i]);
            }
            for (int i = 0; i < ring.length; i++) o.put("staged copy " + i, b.download(ring[i]), EXACT);
            o.put("copyFromHost 1", b.download(y), EXACT);
            o.put("copyFromHost 2", b.download(x), EXACT);
            Tensor ints = b.zeros(DType.I32, 5);
            b.copyFromHost(new int[] {3, -1, 0, 1 << 24, 42}, ints);
            o.put("copyFromHost i32", b.download(ints), EXACT);
        }));
        cases.add(new Case("large upload (synchronous path)", (b, o) -> {
            int n = (int) (Staging.LIMIT / 4) + 1000;
            o.put("big", b.download(b.upload(randn(5, n, 0, 1), n)), EXACT);
        }));

        // ------------------------------------------------------------ convolution
        int[][] geoms = {   // N, C, H, W, K, R, S, strideH, strideW, padH, padW
                {2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1},
                {2, 8, 16, 16, 16, 4, 4, 2, 2, 1, 1},     // DCGAN down-sampling (and, read backwards, up-sampling)
                {2, 16, 4, 4, 8, 4, 4, 1, 1, 0, 0},       // 4x4 -> 1x1, the critic's last layer
                {3, 5, 7, 7, 6, 1, 1, 1, 1, 0, 0},
                {2, 4, 6, 7, 3, 1, 7, 1, 1, 0, 3},        // Inception's 1x7, padding (0, 3)
                {2, 4, 7, 6, 3, 7, 1, 1, 1, 3, 0},        // and 7x1, padding (3, 0)
                {2, 3, 9, 8, 4, 3, 1, 2, 1, 1, 0}};       // 3x1, per-axis stride (2, 1) and padding (1, 0)
        for (int[] g : geoms) {
            int N = g[0], C = g[1], H = g[2], W = g[3], K = g[4], R = g[5], S = g[6];
            ConvSpec spec = new ConvSpec(g[7], g[8], g[9], g[10]);
            int P = spec.outH(H, R), Q = spec.outW(W, S);
            String shape = "x(" + N + "," + C + "," + H + "," + W + ") w(" + K + "," + C + "," + R + "," + S + ") " + spec;
            cases.add(new Case("conv2dForward " + shape, (b, o) -> {
                Tensor x = randn(b, 10, N, C, H, W), w = randn(b, 11, K, C, R, S), y = b.zeros(N, K, P, Q);
                b.conv2dForward(y, x, w, spec);
                o.put("y", b.download(y), dot(C * R * S));
            }));
            cases.add(new Case("conv2dBackwardData " + shape, (b, o) -> {
                Tensor dy = randn(b, 12, N, K, P, Q), w = randn(b, 11, K, C, R, S);
                Tensor dx = b.zeros(N, C, H, W);
                b.conv2dBackwardData(dx, dy, w, spec, false);
                o.put("dx written", b.download(dx), dot(K * R * S));
                Tensor acc = randn(b, 13, N, C, H, W);
                b.conv2dBackwardData(acc, dy, w, spec, true);
                o.put("dx accumulated", b.download(acc), dot(K * R * S));
            }));
            cases.add(new Case("conv2dBackwardFilter " + shape, (b, o) -> {
                Tensor x = randn(b, 10, N, C, H, W), dy = randn(b, 12, N, K, P, Q);
                Tensor dw = b.zeros(K, C, R, S);
                b.conv2dBackwardFilter(dw, x, dy, spec, false);
                o.put("dw written", b.download(dw), dot(N * P * Q));
                Tensor acc = randn(b, 14, K, C, R, S);
                b.conv2dBackwardFilter(acc, x, dy, spec, true);
                o.put("dw accumulated", b.download(acc), dot(N * P * Q));
            }));
        }

        // ------------------------------------------------------------ pooling, channel slices, resizing (Inception-v3)
        // Both sides do the same float operations in the same order (kernels/pool.cu, resize.cu gather or scatter in
        // the CPU twin's order), so the results are expected to be the same bits: SAME_OPS, EXACT for copies.
        record PoolCase(int n, int c, int h, int w, PoolSpec spec, boolean ties) { }
        List<PoolCase> pools = List.of(
                new PoolCase(2, 3, 7, 8, new PoolSpec(3, 2, 0), false),            // the stem, Mixed_6a, Mixed_7a
                new PoolCase(2, 2, 5, 6, new PoolSpec(3, 1, 1), true),             // FIDInceptionE_2, and equal maxima
                new PoolCase(1, 2, 6, 5, new PoolSpec(3, 2, 2, 1, 1, 1), false),   // 3x2, stride (2, 1), pad 1 of kernel 2
                new PoolCase(2, 3, 4, 5, new PoolSpec(4, 5, 1, 1, 0, 0), false));  // the whole plane: global average
        for (PoolCase pc : pools) {
            PoolSpec spec = pc.spec();
            int P = spec.outH(pc.h()), Q = spec.outW(pc.w());
            String shape = "x(" + pc.n() + "," + pc.c() + "," + pc.h() + "," + pc.w() + ") " + spec + (pc.ties() ? ", ties" : "");
            cases.add(new Case("maxPool2d " + shape, (b, o) -> {
                float[] xv = randn(30, pc.n() * pc.c() * pc.h() * pc.w(), 0, 1.5);
                if (pc.ties()) for (int i = 0; i < xv.length; i++) xv[i] = Math.round(xv[i]);
                Tensor x = b.upload(xv, pc.n(), pc.c(), pc.h(), pc.w()), y = b.zeros(pc.n(), pc.c(), P, Q);
                b.maxPool2dForward(y, x, spec);
                o.put("y", b.download(y), EXACT);
                Tensor dy = randn(b, 31, pc.n(), pc.c(), P, Q), dx = b.upload(randn(32, xv.length, 0, 1), x.shape());
                b.maxPool2dBackward(dx, dy, x, spec);
                o.put("dx", b.download(dx), SAME_OPS);
            }));
            for (boolean include : new boolean[] {false, true}) {
                cases.add(new Case("avgPool2d " + shape + (include ? ", count_include_pad" : ""), (b, o) -> {
                    Tensor x = randn(b, 33, pc.n(), pc.c(), pc.h(), pc.w()), y = b.zeros(pc.n(), pc.c(), P, Q);
                    b.avgPool2dForward(y, x, spec, include);
                    o.put("y", b.download(y), SAME_OPS);
                    Tensor dy = randn(b, 34, pc.n(), pc.c(), P, Q), dx = randn(b, 35, pc.n(), pc.c(), pc.h(), pc.w());
                    b.avgPool2dBackward(dx, dy, spec, include);
                    o.put("dx", b.download(dx), SAME_OPS);
                }));
            }
        }
        cases.add(new Case("batchNormEval with Inception's eps 0.001", (b, o) -> {
            int C = 6;
            Tensor x = randn(b, 41, 3, C, 5, 4), y = b.zeros(3, C, 5, 4);
            Tensor gamma = randn(b, 42, C), beta = randn(b, 43, C), rm = randn(b, 44, C), rv = b.upload(randn(45, C, 0.004, 0.001), C);
            b.batchNormEval(y, x, gamma, beta, rm, rv, 1e-3);      // var of the order of eps: eps 1e-5 would be far off
            o.put("y", b.download(y), new Tol(1e-5, 1e-5, "one scale and shift per element, as batchNormEval's other cases, "
                    + "at a larger scale (1/sqrt(var + eps) ~ 13)"));
        }));
        cases.add(new Case("an Inception-style network: resize, Concat of branches (1x7 and 7x1 convolutions, batch norm, "
                + "ReLU, pooling), max pooling, global average", (b, o) -> {
            Network net = new Network("block", "", inceptionLike(b), 4, 9, 8);
            long seed = 50;
            for (Parameter p : net.namedParameters().values()) b.copyFromHost(randn(seed++, p.value().sizeInt(), 0, 0.5), p.value());
            for (Tensor t : net.namedBuffers().values()) b.copyFromHost(randn(seed++, t.sizeInt(), 1, 0.2), t);
            Tensor x = randn(b, 60, 2, 4, 9, 8);
            Tol chain = new Tol(1e-4, 1e-3, "float sums of up to 28 products per convolution (cuDNN vs im2col + GEMM) and "
                    + "cuDNN's batch norm, carried through a few layers");
            o.put("eval forward", b.download(net.forward(x, Pass.EVAL)), chain);
            Tensor y = net.forward(x, Pass.TRAIN);
            o.put("training forward", b.download(y), chain);
            net.zeroGrad();
            Tensor dx = net.backward(randn(b, 61, y.shape()), Pass.TRAIN, true, true);
            o.put("dx", b.download(dx), chain);
            for (var e : net.namedParameters().entrySet()) o.put("d " + e.getKey(), b.download(e.getValue().grad()), chain);
        }));
        cases.add(new Case("copyChannels into and out of a concatenation", (b, o) -> {
            Tensor cat = randn(b, 36, 2, 7, 3, 4), part = randn(b, 37, 2, 3, 3, 4), back = b.zeros(2, 4, 3, 4);
            b.copyChannels(cat, 2, part, 0, 3);                // channels 2..4 of cat from part
            o.put("cat", b.download(cat), EXACT);
            b.copyChannels(back, 1, cat, 4, 3);                // channels 4..6 of cat into 1..3 of back; channel 0 stays 0
            o.put("back", b.download(back), EXACT);
        }));
        int[][] resizes = {{2, 3, 5, 7, 11, 13}, {1, 2, 9, 8, 4, 3}, {1, 1, 28, 28, 299, 299}};   // up, down, MNIST to Inception
        for (int[] r : resizes) {
            String shape = "(" + r[2] + "x" + r[3] + " -> " + r[4] + "x" + r[5] + ") x " + r[0] * r[1];
            cases.add(new Case("resizeBilinear " + shape, (b, o) -> {
                Tensor x = randn(b, 38, r[0], r[1], r[2], r[3]), y = b.zeros(r[0], r[1], r[4], r[5]);
                b.resizeBilinearForward(y, x);
                o.put("y", b.download(y), SAME_OPS);
                Tensor dy = randn(b, 39, r[0], r[1], r[4], r[5]), dx = randn(b, 40, r[0], r[1], r[2], r[3]);
                b.resizeBilinearBackward(dx, dy);
                o.put("dx", b.download(dx), SAME_OPS);
            }));
        }

        // ------------------------------------------------------------ bias
        cases.add(new Case("addBias 4-D and 2-D", (b, o) -> {
            Tensor y = randn(b, 20, 3, 5, 4, 4), bias = randn(b, 21, 5);
            b.addBias(y, bias);
            o.put("4-D", b.download(y), EXACT);
            Tensor m = randn(b, 22, 7, 5);
            b.addBias(m, bias);
            o.put("2-D", b.download(m), EXACT);
        }));
        cases.add(new Case("biasBackward accumulates", (b, o) -> {
            Tensor dy = randn(b, 23, 6, 5, 9, 9), db = randn(b, 24, 5);
            b.biasBackward(db, dy);
            o.put("db 4-D", b.download(db), DOUBLE_ROUNDED);
            Tensor dm = randn(b, 25, 300, 40), dbm = b.zeros(40);
            b.biasBackward(dbm, dm);
            o.put("db 2-D", b.download(dbm), DOUBLE_ROUNDED);
        }));

        // ------------------------------------------------------------ batch norm
        // {3, 5, 33, 17}: 1683 values per channel, so a block's threads go round several times
        for (int[] s : new int[][] {{4, 6, 5, 5}, {16, 10}, {3, 5, 33, 17}}) {
            String shape = Arrays.toString(s);
            int C = s[1];
            cases.add(new Case("batchNormTrain " + shape, (b, o) -> {
                Tensor x = b.upload(randn(30, (int) dev.sparring.tensor.Shapes.size(s), 0.7, 1.9), s);
                Tensor y = b.zeros(s), sm = b.zeros(C), si = b.zeros(C);
                Tensor gamma = b.upload(randn(31, C, 1, 0.3), C), beta = randn(b, 32, C);
                Tensor rm = randn(b, 33, C), rv = b.upload(randn(34, C, 2, 0.2), C);
                b.batchNormTrain(y, sm, si, x, gamma, beta, rm, rv, 0.1, 1e-5);
                o.put("y", b.download(y), CUDNN_BN);
                o.put("saveMean", b.download(sm), CUDNN_BN);
                o.put("saveInvStd", b.download(si), CUDNN_BN);
                o.put("runMean", b.download(rm), CUDNN_BN);
                o.put("runVar (unbiased update)", b.download(rv), CUDNN_BN);
            }));
            cases.add(new Case("batchNormEval " + shape, (b, o) -> {
                Tensor x = randn(b, 35, s), y = b.zeros(s);
                Tensor gamma = randn(b, 31, C), beta = randn(b, 32, C), rm = randn(b, 33, C), rv = b.upload(randn(34, C, 2, 0.2), C);
                b.batchNormEval(y, x, gamma, beta, rm, rv, 1e-5);
                o.put("y", b.download(y), new Tol(1e-6, 1e-5, "one scale and shift per element; cuDNN may fold "
                        + "(x - mean) * gamma * invstd + beta in another order: a few float roundings"));
            }));
            cases.add(new Case("batchNormBackward " + shape, (b, o) -> {
                Tensor x = b.upload(randn(36, (int) dev.sparring.tensor.Shapes.size(s), 0.5, 1.5), s);
                Tensor gamma = b.upload(randn(31, C, 1, 0.3), C), beta = randn(b, 32, C);
                Tensor sm = b.zeros(C), si = b.zeros(C), y = b.zeros(s), rm = b.zeros(C), rv = b.zeros(C);
                b.batchNormTrain(y, sm, si, x, gamma, beta, rm, rv, 0.1, 1e-5);
                Tensor dy = randn(b, 37, s), dx = b.zeros(s), dg = randn(b, 38, C), dbt = randn(b, 39, C);
                b.batchNormBackward(dx, dg, dbt, dy, x, gamma, sm, si, 1e-5);
                o.put("dx", b.download(dx), CUDNN_BN);
                o.put("dgamma accumulated", b.download(dg), CUDNN_BN);
                o.put("dbeta accumulated", b.download(dbt), CUDNN_BN);
            }));
            for (Activation act : new Activation[] {Activation.RELU, Activation.LEAKY_RELU}) {
                cases.add(new Case("batchNormActTrain " + act + " " + shape, (b, o) -> {
                    Tensor x = b.upload(randn(30, (int) dev.sparring.tensor.Shapes.size(s), 0.7, 1.9), s);
                    Tensor y = b.zeros(s), sm = b.zeros(C), si = b.zeros(C);
                    Tensor gamma = b.upload(randn(31, C, 1, 0.3), C), beta = randn(b, 32, C);
                    Tensor rm = randn(b, 33, C), rv = b.upload(randn(34, C, 2, 0.2), C);
                    b.batchNormActTrain(act, 0.2, y, sm, si, x, gamma, beta, rm, rv, 0.1, 1e-5);
                    o.put("y = f(batch norm)", b.download(y), CUDNN_BN);
                    o.put("saveMean", b.download(sm), CUDNN_BN);
                    o.put("saveInvStd", b.download(si), CUDNN_BN);
                    o.put("runMean", b.download(rm), CUDNN_BN);
                    o.put("runVar (unbiased update)", b.download(rv), CUDNN_BN);
                }));
                cases.add(new Case("batchNormActBackward " + act + " " + shape, (b, o) -> {
                    // y and the saved statistics given, not computed: f' comes from y's sign, which a forward computed on
                    // each side could flip for a value next to 0 (a whole gradient apart); the op alone is compared
                    Tensor x = b.upload(randn(36, (int) dev.sparring.tensor.Shapes.size(s), 0.5, 1.5), s);
                    Tensor gamma = b.upload(randn(31, C, 1, 0.3), C), sm = b.upload(randn(40, C, 0.5, 0.2), C);
                    Tensor si = b.upload(randn(41, C, 0.8, 0.1), C);
                    float[] yv = randn(45, (int) dev.sparring.tensor.Shapes.size(s), 0, 1);
                    for (int i = 0; i < yv.length; i++) if (yv[i] < 0) yv[i] = act == Activation.RELU || i % 5 == 0 ? 0f : 0.2f * yv[i];
                    Tensor y = b.upload(yv, s);
                    Tensor dy = randn(b, 37, s), dx = randn(b, 46, s), dg = randn(b, 38, C), dbt = randn(b, 39, C);
                    b.batchNormActBackward(act, 0.2, dx, dg, dbt, dy, y, x, gamma, sm, si, 1e-5);
                    o.put("dx", b.download(dx), CUDNN_BN);
                    o.put("dgamma accumulated", b.download(dg), CUDNN_BN);
                    o.put("dbeta accumulated", b.download(dbt), CUDNN_BN);
                }));
            }
            cases.add(new Case("batchNormDoubleBackward " + shape, (b, o) -> {
                // the saved statistics given, not computed (cuDNN's would differ in the last bits): the op alone is compared
                Tensor x = b.upload(randn(36, (int) dev.sparring.tensor.Shapes.size(s), 0.5, 1.5), s);
                Tensor gamma = b.upload(randn(31, C, 1, 0.3), C), sm = b.upload(randn(40, C, 0.5, 0.2), C);
                Tensor si = b.upload(randn(41, C, 0.8, 0.1), C);
                Tensor dy = randn(b, 37, s), gdx = randn(b, 42, s), dg = randn(b, 38, C);
                Tensor gdy = randn(b, 43, s), gx = randn(b, 44, s);   // written over: not zeros, to see it
                b.batchNormDoubleBackward(gdy, gx, dg, gdx, dy, x, gamma, sm, si);
                Tol sums = new Tol(1e-6, 1e-5, "five double sums per channel in another order, rounded to float; gradX subtracts "
                        + "terms of the size of those sums, so its small values carry their rounding");
                o.put("gradDy", b.download(gdy), sums);
                o.put("gradX", b.download(gx), sums);
                o.put("dgamma accumulated", b.download(dg), sums);
            }));
        }

        // ------------------------------------------------------------ activations
        for (Activation act : Activation.values()) {
            double alpha = 0.2;
            Tol fwd = act == Activation.TANH || act == Activation.SIGMOID
                    ? new Tol(0, 1.2e-7, "double tanh/exp on both sides rounded to float; the two math libraries agree "
                    + "within 1 ulp of double, which can flip a float rounding only at a tie")
                    : EXACT;
            cases.add(new Case(act + " forward (and in place)", (b, o) -> {
                Tensor x = b.upload(randn(40, 1000, 0, 3), 10, 100), y = b.zeros(10, 100);
                b.activationForward(act, alpha, y, x);
                o.put("y", b.download(y), fwd);
                b.activationForward(act, alpha, x, x);
                o.put("in place", b.download(x), fwd);
            }));
            cases.add(new Case(act + " backward", (b, o) -> {
                float[] xs = randn(41, 1000, 0, 3), ys = new float[xs.length];
                for (int i = 0; i < xs.length; i++) ys[i] = (float) act.apply(xs[i], alpha);   // same y on both sides
                Tensor x = b.upload(xs, 1000), y = b.upload(ys, 1000), dy = randn(b, 42, 1000), dx = b.zeros(1000);
                b.activationBackward(act, alpha, dx, dy, x, y);
                o.put("dx", b.download(dx), EXACT);
            }));
            Tol second = act == Activation.TANH || act == Activation.SIGMOID ? SAME_OPS : EXACT;
            cases.add(new Case(act + " double backward", (b, o) -> {
                float[] xs = randn(43, 1000, 0, 3), ys = new float[xs.length];
                for (int i = 0; i < xs.length; i++) ys[i] = (float) act.apply(xs[i], alpha);   // same y on both sides
                Tensor x = b.upload(xs, 1000), y = b.upload(ys, 1000), dy = randn(b, 44, 1000), gdx = randn(b, 45, 1000);
                Tensor gdy = randn(b, 46, 1000), gx = randn(b, 47, 1000);    // written over: not zeros, to see it
                b.activationDoubleBackward(act, alpha, gdy, gx, gdx, dy, x, y);
                o.put("gradDy", b.download(gdy), EXACT);
                o.put("gradX", b.download(gx), second);
            }));
        }

        // ------------------------------------------------------------ linear algebra and elementwise
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int m = 7, n = 5, k = 9;
                cases.add(new Case("gemm transA=" + ta + " transB=" + tb, (b, o) -> {
                    Tensor a = ta ? randn(b, 50, k, m) : randn(b, 50, m, k);
                    Tensor bb = tb ? randn(b, 51, n, k) : randn(b, 51, k, n);
                    Tensor c = randn(b, 52, m, n);
                    b.gemm(ta, tb, 1.5f, a, bb, 0.5f, c);
                    o.put("c = 1.5 op(a) op(b) + 0.5 c", b.download(c), dot(k));
                    Tensor nan = b.zeros(m, n);
                    b.fill(nan, Float.NaN);
                    b.gemm(ta, tb, 1f, a, bb, 0f, nan);
                    o.put("beta 0 ignores c (NaN)", b.download(nan), dot(k));
                }));
            }
        }
        cases.add(new Case("gemm 64x128x256", (b, o) -> {
            Tensor a = randn(b, 53, 64, 256), bb = randn(b, 54, 256, 128), c = b.zeros(64, 128);
            b.gemm(false, false, 1f, a, bb, 0f, c);
            o.put("c", b.download(c), dot(256));
        }));
        cases.add(new Case("axpy, scale", (b, o) -> {
            Tensor x = randn(b, 55, 3000), y = randn(b, 56, 3000);
            b.axpy(-0.3f, x, y);
            o.put("axpy", b.download(y), EXACT);
            b.scale(x, 1.7f);
            o.put("scale", b.download(x), EXACT);
        }));
        cases.add(new Case("rowDot, scaleRows (the projection critic's inner product)", (b, o) -> {
            Tensor a = randn(b, 61, 33, 64, 7, 7), x = randn(b, 62, 33, 64, 7, 7), s = randn(b, 63, 33);
            Tensor t = randn(b, 64, 33), t1 = b.zeros(5), a1 = randn(b, 65, 5, 1), x1 = randn(b, 66, 5, 1);
            b.rowDot(t, a, x, true);                          // F = 3136, added to what t holds
            o.put("rowDot accumulated", b.download(t), DOUBLE_ROUNDED);
            b.rowDot(t, a, x, false);
            o.put("rowDot written", b.download(t), DOUBLE_ROUNDED);
            b.rowDot(t1, a1, x1, false);                      // F = 1: a row of one product
            o.put("rowDot F = 1", b.download(t1), DOUBLE_ROUNDED);
            Tensor out = randn(b, 67, 33, 64, 7, 7);
            b.scaleRows(out, s, a, true);
            o.put("scaleRows accumulated", b.download(out), EXACT);
            b.scaleRows(out, s, x, false);
            o.put("scaleRows written", b.download(out), EXACT);
        }));
        cases.add(new Case("sumSquares", (b, o) -> {
            List<Tensor> xs = List.of(randn(b, 57, 3, 4), randn(b, 58, 1), randn(b, 59, 100_000), randn(b, 60, 70_001));
            Tensor stats = b.upload(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 8);
            b.sumSquares(xs, stats, 2);
            b.sumSquares(xs.subList(0, 2), stats, 5);       // a second launch: the last-block ticket was reset
            b.sumSquares(List.of(), stats, 7);
            o.put("stats", b.download(stats), DOUBLE_ROUNDED);
        }));

        // ------------------------------------------------------------ optimizers
        cases.add(new Case("adamStep x3 with weight decay", (b, o) -> {
            int[] sizes = {1, 1000, 70_000};
            List<Tensor> p = new ArrayList<>(), g = new ArrayList<>(), m = new ArrayList<>(), v = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                p.add(randn(b, 70 + i, sizes[i]));
                g.add(randn(b, 80 + i, sizes[i]));
                m.add(b.zeros(sizes[i]));
                v.add(b.zeros(sizes[i]));
            }
            for (long step = 1; step <= 3; step++) b.adamStep(p, g, m, v, 2e-4f, 0.5f, 0.999f, 1e-8f, 0.01f, step);
            for (int i = 0; i < sizes.length; i++) {
                o.put("p" + i, b.download(p.get(i)), SAME_OPS);
                o.put("m" + i, b.download(m.get(i)), SAME_OPS);
                o.put("v" + i, b.download(v.get(i)), SAME_OPS);
            }
        }));
        cases.add(new Case("rmspropStep x2", (b, o) -> {
            List<Tensor> p = List.of(randn(b, 90, 33), randn(b, 91, 5000)), g = List.of(randn(b, 92, 33), randn(b, 93, 5000));
            List<Tensor> sq = List.of(b.zeros(33), b.zeros(5000));
            b.rmspropStep(p, g, sq, 5e-5f, 0.99f, 1e-8f);
            b.rmspropStep(p, g, sq, 5e-5f, 0.99f, 1e-8f);
            for (int i = 0; i < 2; i++) {
                o.put("p" + i, b.download(p.get(i)), SAME_OPS);
                o.put("sq" + i, b.download(sq.get(i)), SAME_OPS);
            }
        }));
        cases.add(new Case("sgdStep momentum 0.9 (steps 1, 2) and 0", (b, o) -> {
            List<Tensor> p = List.of(randn(b, 94, 17), randn(b, 95, 2000)), g = List.of(randn(b, 96, 17), randn(b, 97, 2000));
            List<Tensor> buf = List.of(randn(b, 98, 17), randn(b, 99, 2000));   // step 1 must overwrite, not read
            b.sgdStep(p, g, buf, 0.01f, 0.9f, 1);
            b.sgdStep(p, g, buf, 0.01f, 0.9f, 2);
            b.sgdStep(p, g, buf, 0.01f, 0f, 3);
            for (int i = 0; i < 2; i++) {
                o.put("p" + i, b.download(p.get(i)), SAME_OPS);
                o.put("buf" + i, b.download(buf.get(i)), SAME_OPS);
            }
        }));
        cases.add(new Case("clamp keeps NaN", (b, o) -> {
            float[] a = randn(100, 500, 0, 0.05);
            a[7] = Float.NaN;
            a[8] = Float.POSITIVE_INFINITY;
            List<Tensor> p = List.of(b.upload(a, 500), randn(b, 101, 3, 3));
            b.clamp(p, -0.01f, 0.01f);
            o.put("p0", b.download(p.get(0)), EXACT);
            o.put("p1", b.download(p.get(1)), EXACT);
        }));

        cases.add(new Case("emaUpdate: 3 averaged (decay 0, 0.5, 0.999), 1 copied", (b, o) -> {
            int[] sizes = {1, 1000, 70_000, 33};   // the last is copied (a running statistic)
            List<Tensor> e = new ArrayList<>(), s = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                e.add(randn(b, 102 + i, sizes[i]));
                s.add(randn(b, 106 + i, sizes[i]));
            }
            b.emaUpdate(e, s, 3, 0.5f);
            for (int i = 0; i < sizes.length; i++) o.put("e" + i + " (decay 0.5)", b.download(e.get(i)), SAME_OPS);
            b.emaUpdate(e, s, 3, 0.999f);
            for (int i = 0; i < sizes.length; i++) o.put("e" + i + " (then 0.999)", b.download(e.get(i)), SAME_OPS);
            List<Tensor> s2 = List.of(randn(b, 110, 1), randn(b, 111, 1000), randn(b, 112, 70_000), randn(b, 113, 33));
            b.emaUpdate(e, s2, 3, 0f);   // decay 0 copies every tensor
            for (int i = 0; i < sizes.length; i++) o.put("e" + i + " (then 0: a copy)", b.download(e.get(i)), EXACT);
        }));

        // ------------------------------------------------------------ noise and data
        cases.add(new Case("normal (odd size, high counter word)", (b, o) -> {
            Tensor z = b.zeros(1001);
            b.normal(z, 0x1234_5678_9ABC_DEF0L, 7);
            o.put("z", b.download(z), DOUBLE_ROUNDED);
            Tensor z2 = b.zeros(4, 9);
            b.normal(z2, -42, (1L << 33) + 5);
            o.put("z2", b.download(z2), DOUBLE_ROUNDED);
        }));
        cases.add(new Case("interpolate (rows not a multiple of 4, high counter word)", (b, o) -> {
            Tensor a = randn(b, 120, 9, 3, 4), c = randn(b, 121, 9, 3, 4), out = randn(b, 122, 9, 3, 4), eps = b.zeros(9);
            b.interpolate(out, eps, a, c, 0x0FED_CBA9_8765_4321L, (1L << 32) + 3);
            o.put("eps", b.download(eps), EXACT);
            o.put("out", b.download(out), EXACT);
        }));
        for (double target : new double[] {1, 0}) {
            cases.add(new Case("gradientPenalty, target " + target, (b, o) -> {
                float[] gv = randn(123, 7 * 300, 0, 0.1);
                java.util.Arrays.fill(gv, 2 * 300, 3 * 300, 0f);   // a zero row: no direction to push (target 1)
                Tensor g = b.upload(gv, 7, 3, 10, 10), gradG = randn(b, 124, 7, 3, 10, 10), stats = randn(b, 125, 6);
                b.gradientPenalty(gradG, g, target, 10f, 4f, stats, 3);
                o.put("gradG", b.download(gradG), DOUBLE_ROUNDED);
                o.put("stats (P and the mean norm at 3, 4)", b.download(stats), DOUBLE_ROUNDED);
            }));
        }
        cases.add(new Case("gatherImages", (b, o) -> {
            byte[] img = new byte[10 * 16];
            for (int i = 0; i < img.length; i++) img[i] = (byte) (i * 37 + 11);
            Tensor images = b.upload(img, 10, 1, 4, 4);
            Tensor idx = b.upload(new int[] {9, 3, 0, 4, 4, 8, 1, 2}, 8);
            Tensor out = b.zeros(5, 1, 4, 4);
            b.gatherImages(out, images, idx, 3, 2f / 255f, -1f);
            o.put("out", b.download(out), EXACT);
        }));

        // ------------------------------------------------------------ GAN losses
        for (int[] sizes : new int[][] {{7, 9}, {300, 600}}) {
            cases.add(new Case("criticLoss and generatorLoss, batches " + Arrays.toString(sizes), (b, o) -> {
                CompiledLoss loss = testLoss();
                Tensor tr = b.upload(randn(110, sizes[0], 0.3, 2.5), sizes[0]), tf = b.upload(randn(111, sizes[1], -0.4, 2.5), sizes[1]);
                Tensor dr = b.zeros(sizes[0]), df = b.zeros(sizes[1]);
                Tensor stats = b.upload(new float[] {9, 9, 9, 9, 9, 9, 9, 9, 9}, 9);
                b.criticLoss(loss, dr, df, tr, tf, stats, 1);
                o.put("dtReal", b.download(dr), DOUBLE_ROUNDED);
                o.put("dtFake", b.download(df), DOUBLE_ROUNDED);
                Tensor dg = b.zeros(sizes[1]);
                b.generatorLoss(loss, dg, tf, stats, 6);
                o.put("dtFake (generator)", b.download(dg), DOUBLE_ROUNDED);
                o.put("stats", b.download(stats), DOUBLE_ROUNDED);
            }));
        }

        // {9}: fewer elements than a block; {3000}: several blocks. "t sigmoid": a loss's second derivative, EVERY_OP the rest
        for (int n : new int[] {9, 3000}) {
            cases.add(new Case("lossCurvature, " + n + " elements", (b, o) -> {
                Tensor t = b.upload(randn(112, n, 0.2, 2.5), n), gradDt = b.upload(randn(113, n, 0.0, 1.0), n);
                Tensor out = b.upload(randn(114, n, 0.0, 1.0), n);
                b.lossCurvature(postfix(EVERY_OP), out, gradDt, t, -0.125f, true);
                o.put("accumulated", b.download(out), DOUBLE_ROUNDED);
                b.lossCurvature(postfix("t sigmoid t neg sigmoid *"), out, gradDt, t, 1f / n, false);
                o.put("written", b.download(out), DOUBLE_ROUNDED);
            }));
        }

        // ------------------------------------------------------------ classifier loss
        // {3, 10}: fewer rows than threads; {600, 10}: rows go round the block twice; {5, 1}: a single class
        for (int[] bk : new int[][] {{3, 10}, {600, 10}, {5, 1}}) {
            int B = bk[0], K = bk[1];
            cases.add(new Case("softmaxCrossEntropy (" + B + ", " + K + ")", (b, o) -> {
                float[] l = randn(120, B * K, 0.5, 4);
                int[] y = new int[B];
                for (int i = 0; i < B; i++) y[i] = (i * 7 + 3) % K;
                if (K > 1) {                                // row 1: a tie for the largest score; the first one counts
                    l[K + y[1]] = 20f;
                    l[K + K - 1] = 20f;
                }
                Tensor logits = b.upload(l, B, K), labels = b.upload(y, B), d = b.zeros(B, K);
                b.fill(d, Float.NaN);
                Tensor stats = b.upload(new float[] {9, 9, 9, 9, 9}, 5);
                b.softmaxCrossEntropy(d, logits, labels, stats, 2);
                o.put("dLogits", b.download(d), DOUBLE_ROUNDED);
                o.put("stats (loss, accuracy)", b.download(stats), DOUBLE_ROUNDED);
            }));
        }
        return cases;
    }

    /**
     * An Inception-v3 block at a small size, between the layers around it: BilinearResize to 11 x 10, four branches
     * concatenated (1x1; 1x7 with batch norm (eps 0.001) and ReLU, then 7x1; 3x3 average pooling without the padding
     * in the count, then 1x1; 3x3 max pooling with padding 1, then 1x1), max pooling 3 stride 2, global average.
     */
    static Sequential inceptionLike(Backend b) {
        Concat block = new Concat(b, List.of(
                Sequential.builder(b).add("branch1x1", new Conv2d(b, 4, 3, 1, 1, 0, true)).build(),
                Sequential.builder(b).add("branch7x7_1", new Conv2d(b, 4, 3, 1, 7, new ConvSpec(1, 1, 0, 3), false))
                        .add("bn", new BatchNorm2d(b, 3, 1e-3, 0.1)).add(Act.relu(b))
                        .add("branch7x7_2", new Conv2d(b, 3, 2, 7, 1, new ConvSpec(1, 1, 3, 0), true)).build(),
                Sequential.builder(b).add(new AvgPool2d(b, 3, 1, 1, false)).add("branch_pool", new Conv2d(b, 4, 2, 1, 1, 0, true)).build(),
                Sequential.builder(b).add(new MaxPool2d(b, 3, 1, 1)).add("branch_max", new Conv2d(b, 4, 3, 1, 1, 0, false)).build()));
        return Sequential.builder(b).add(new BilinearResize(b, 11, 10)).add("Mixed", block).add(new MaxPool2d(b, 3, 2, 0))
                .add(new GlobalAvgPool2d(b)).build();
    }

    // ---------------------------------------------------------------- loss programs

    private static final Map<String, Integer> OPS = Map.ofEntries(
            Map.entry("t", ScalarProgram.T), Map.entry("+", ScalarProgram.ADD), Map.entry("-", ScalarProgram.SUB),
            Map.entry("*", ScalarProgram.MUL), Map.entry("/", ScalarProgram.DIV), Map.entry("^", ScalarProgram.POW),
            Map.entry("neg", ScalarProgram.NEG), Map.entry("exp", ScalarProgram.EXP), Map.entry("log", ScalarProgram.LOG),
            Map.entry("log1p", ScalarProgram.LOG1P), Map.entry("expm1", ScalarProgram.EXPM1),
            Map.entry("softplus", ScalarProgram.SOFTPLUS), Map.entry("sigmoid", ScalarProgram.SIGMOID),
            Map.entry("log_sigmoid", ScalarProgram.LOG_SIGMOID), Map.entry("tanh", ScalarProgram.TANH),
            Map.entry("sqrt", ScalarProgram.SQRT), Map.entry("abs", ScalarProgram.ABS), Map.entry("min", ScalarProgram.MIN),
            Map.entry("max", ScalarProgram.MAX), Map.entry("relu", ScalarProgram.RELU), Map.entry("sign", ScalarProgram.SIGN),
            Map.entry("step", ScalarProgram.STEP), Map.entry("select", ScalarProgram.SELECT));

    /** A postfix program from tokens: numbers become constants, names are ops. */
    static ScalarProgram postfix(String src) {
        List<Integer> code = new ArrayList<>();
        List<Double> consts = new ArrayList<>();
        for (String tok : src.trim().split("\\s+")) {
            Integer op = OPS.get(tok);
            if (op != null) {
                code.add(op);
            } else {
                code.add(ScalarProgram.CONST);
                code.add(consts.size());
                consts.add(Double.parseDouble(tok));
            }
        }
        return new ScalarProgram(code.stream().mapToInt(Integer::intValue).toArray(), consts.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Uses every op code once or more, finite for |t| < 20: the interpreter's whole instruction set. */
    static final String EVERY_OP = "t 0.25 - t 3 * t neg select  t 1.5 * +  t 2 / +  t abs 0.5 ^ -  t neg exp log1p +"
            + "  t tanh expm1 *  t softplus log min  t sigmoid sqrt t log_sigmoid max +  t relu t sign * +  t step -";

    static CompiledLoss testLoss() {
        return new CompiledLoss("parity", postfix(EVERY_OP), postfix("t neg sigmoid"), postfix("t softplus neg"),
                postfix("t sigmoid neg"), postfix(EVERY_OP), postfix("t neg sigmoid neg"));
    }

    // ---------------------------------------------------------------- the comparison

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesCpu(Case c) { compareWithCpu(c, gpu, "", tol -> tol); }

    static List<Case> batchNormCases() { return cases().stream().filter(c -> c.name().startsWith("batchNorm")).toList(); }

    /** The batch-norm cases on a backend whose batch norm is our kernels (kernels/batchnorm.cu), not cuDNN's. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("batchNormCases")
    void ourBatchNormKernelsMatchCpu(Case c) { compareWithCpu(c, gpuBn, " (kernels)", tol -> tol == CUDNN_BN ? OUR_BN : tol); }

    /** Runs the case on the CPU and on {@code on}; each output must agree within its tolerance, as {@code tolFor} maps it. */
    private void compareWithCpu(Case c, Backend on, String label, java.util.function.UnaryOperator<Tol> tolFor) {
        Outputs ref = new Outputs(), got = new Outputs();
        c.op().run(cpu, ref);
        c.op().run(on, got);
        assertEquals(ref.values.keySet(), got.values.keySet());
        for (String name : ref.values.keySet()) {
            compare(c.name() + label + ": " + name, ref.values.get(name), got.values.get(name), tolFor.apply(ref.tols.get(name)));
        }
    }

    static void compare(String what, float[] ref, float[] got, Tol tol) {
        assertEquals(ref.length, got.length, what + ": sizes differ");
        int bad = 0;
        double maxDiff = 0;
        StringBuilder first = new StringBuilder();
        for (int i = 0; i < ref.length; i++) {
            float r = ref[i], g = got[i];
            if (Float.isNaN(r) && Float.isNaN(g) || r == g) continue;
            double d = Math.abs((double) r - g);
            if (!Double.isNaN(d)) maxDiff = Math.max(maxDiff, d);
            if (!(d <= tol.atol() + tol.rtol() * Math.abs(r))) {
                if (++bad <= 5) first.append(String.format("%n  [%d] cpu %s cuda %s (diff %.3g)", i, r, g, d));
            }
        }
        assertEquals(0, bad, String.format("%s: %d of %d outside atol %.3g + rtol %.3g |ref| (%s); max diff %.3g; first:%s",
                what, bad, ref.length, tol.atol(), tol.rtol(), tol.why(), maxDiff, first));
    }

    // ---------------------------------------------------------------- CUDA-only behaviour

    @Test
    void philoxWordsAreTheJavaStreamBitForBit() {
        long seed = 0xDEAD_BEEF_0123_4567L, counter = (1L << 32) - 3;    // crosses into the high counter word
        int n = 4 * 50 + 3;
        Tensor t = gpu.zeros(DType.I32, n);
        gpu.philoxWords(t, seed, counter);
        int[] got = gpu.downloadInts(t);
        int[] want = new int[n + 3];
        for (int i = 0; i < n; i += 4) Philox.block(seed, counter + i / 4, want, i);
        assertArrayEquals(Arrays.copyOf(want, n), got);
    }

    @Test
    void gatherImagesWritesNaNForAnIndexOutOfRange() {
        Tensor images = gpu.upload(new byte[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor idx = gpu.upload(new int[] {2, 3, -1, 0}, 4);
        Tensor out = gpu.zeros(4, 2);
        gpu.gatherImages(out, images, idx, 0, 1f, 0f);
        float[] o = gpu.download(out);
        assertEquals(List.of(5f, 6f), List.of(o[0], o[1]));
        assertTrue(Float.isNaN(o[2]) && Float.isNaN(o[3]) && Float.isNaN(o[4]) && Float.isNaN(o[5]));
        assertEquals(List.of(1f, 2f), List.of(o[6], o[7]));
    }

    @Test
    void softmaxCrossEntropyWritesNaNForALabelOutOfRange() {
        Tensor logits = gpu.upload(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor labels = gpu.upload(new int[] {1, 2, 0}, 3);
        Tensor d = gpu.zeros(3, 2), stats = gpu.zeros(2);
        gpu.softmaxCrossEntropy(d, logits, labels, stats, 0);
        float[] g = gpu.download(d), st = gpu.download(stats);
        assertTrue(Float.isFinite(g[0]) && Float.isFinite(g[1]) && Float.isFinite(g[4]) && Float.isFinite(g[5]), Arrays.toString(g));
        assertTrue(Float.isNaN(g[2]) && Float.isNaN(g[3]), Arrays.toString(g));
        assertTrue(Float.isNaN(st[0]), "loss " + st[0]);
    }

    @Test
    void descriptionNamesTheDeviceAndLibraries() {
        String d = gpu.description();
        assertTrue(d.startsWith("CUDA, ") && d.contains("sm_") && d.contains("cuDNN") && d.contains("cuBLAS"), d);
    }
}
