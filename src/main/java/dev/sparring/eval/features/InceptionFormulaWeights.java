package dev.sparring.eval.features;

import dev.sparring.io.SafeTensors;
import dev.sparring.tensor.Tensor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * bench/inception's formula weights ({@code formula_weights.py}, README "Formula weights"): every tensor of the FID
 * Inception's state filled from its name and element index, so that the Java network and the PyTorch reference that
 * wrote the golden file hold the same weights without the 95 MB file. For tests and benchmarks
 * ({@code InceptionV3.withWeights(be, InceptionFormulaWeights::values)}); their features mean nothing.
 *
 * <pre>
 *   h   = FNV-1a 64 of the name's UTF-8 bytes
 *   u_i = the i-th SplittableRandom(h).nextLong()         (SplitMix64: mix64(h + (i + 1) * 0x9e3779b97f4a7c15))
 *   s_i = ((u_i >>> 11) - 2^52) * 2^-52                   in [-1, 1), exact
 *   v_i = (float) (c + w * s_i)                           (c, w) by the tensor's role
 * </pre>
 */
public final class InceptionFormulaWeights {
    /** Convolution weights have std CONV_GAIN / sqrt(fan_in). */
    public static final double CONV_GAIN = 1.4;

    private InceptionFormulaWeights() { }

    public static long fnv1a64(String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        return h;
    }

    /** s_0 .. s_{n-1}. */
    public static double[] units(String name, int n) {
        SplittableRandom r = new SplittableRandom(fnv1a64(name));
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = (double) ((r.nextLong() >>> 11) - (1L << 52)) * 0x1p-52;
        return s;
    }

    /** {c, w} of a floating-point tensor by its name's suffix. */
    public static double[] role(String name, int[] shape) {
        if (name.endsWith(".conv.weight")) {
            int fanIn = shape[1] * shape[2] * shape[3];
            return new double[] {0, CONV_GAIN * Math.sqrt(3.0 / fanIn)};
        }
        if (name.endsWith(".bn.weight")) return new double[] {1, 0.25};
        if (name.endsWith(".bn.bias") || name.endsWith(".bn.running_mean")) return new double[] {0, 0.25};
        if (name.endsWith(".bn.running_var")) return new double[] {1, 0.5};
        if (name.equals("fc.weight")) return new double[] {0, Math.sqrt(3.0 / 2048)};
        if (name.equals("fc.bias")) return new double[] {0, 0.125};
        throw new IllegalArgumentException("no formula role for " + name);
    }

    /** The values of tensor {@code name} of this shape. */
    public static float[] values(String name, int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        double[] cw = role(name, shape), s = units(name, n);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (cw[0] + cw[1] * s[i]);
        return v;
    }

    /**
     * Writes the formula weights of every tensor in {@code state} (names and shapes), as convert_weights.py lays a file
     * out; with {@code extras} also what such a file may hold beside them: fc.* and the num_batches_tracked counters.
     */
    public static Path write(Path file, Map<String, Tensor> state, boolean extras) throws IOException {
        SafeTensors.Writer w = SafeTensors.writer();
        for (var e : state.entrySet()) w.putF32(e.getKey(), values(e.getKey(), e.getValue().shape()), e.getValue().shape());
        if (extras) {
            for (String name : state.keySet()) {
                if (name.endsWith(".bn.running_var")) w.putI64(name.replace("running_var", "num_batches_tracked"), new long[] {0});
            }
            w.putF32("fc.weight", values("fc.weight", new int[] {1008, 2048}), 1008, 2048);
            w.putF32("fc.bias", values("fc.bias", new int[] {1008}), 1008);
        }
        w.putMetadata("format", "sparring-inception-weights/1");
        w.write(file);
        return file;
    }
}
