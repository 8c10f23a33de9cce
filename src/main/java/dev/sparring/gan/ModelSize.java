package dev.sparring.gan;

import dev.sparring.UserError;

import java.util.List;
import java.util.Locale;

/**
 * How large a GAN's networks are, worked out from its configuration in {@code long} arithmetic before anything is
 * allocated, so that a size no machine can hold ({@code --ngf 20000}, {@code --nz 2147483647}) is refused with a
 * message that says how much it would need, instead of failing deep inside a backend.
 *
 * <p>The counts follow the layers of {@link Dcgan} and {@link Mlp} (ModelSizeTest holds them to the built networks):
 * parameters per network, the values one sample produces in each network's forward pass (every layer's output; the
 * final reshape of D is a view), and the largest single array any layer needs (a weight, a batch of outputs, or the
 * CPU convolution's per-image column matrix, C*R*S x P*Q).
 *
 * @param description       the sizes in flag form, for messages ("DCGAN --nz 64 --ngf 32 --ndf 32, 28 px")
 * @param generatorParams   G's trainable parameters
 * @param criticParams      D's trainable parameters
 * @param generatorValues   G's activation values per sample (all layer outputs)
 * @param criticValues      D's activation values per sample
 * @param largestPerSample  the largest layer output of one sample, to be multiplied by the batch
 * @param largestFixed      the largest array that does not grow with the batch (a weight, one image's column matrix)
 */
public record ModelSize(String description, long generatorParams, long criticParams, long generatorValues, long criticValues,
                        long largestPerSample, long largestFixed) {
    /** The most values one array (a Java float[] on the CPU, an int-indexed tensor everywhere) can hold. */
    public static final long MAX_TENSOR = Integer.MAX_VALUE - 8;

    /** The sizes of a DCGAN (see {@link Dcgan}'s class comment for the layers). */
    public static ModelSize dcgan(int imageSize, int channels, int nz, int ngf, int ndf) {
        return dcgan(imageSize, channels, nz, ngf, ndf, 0);
    }

    /**
     * The sizes of a DCGAN pair conditioned on {@code classes} labels ({@link Dcgan}; 0: unconditional): G takes nz +
     * classes input channels, and the projection critic holds a classes x F class embedding and two (N, F) buffers per
     * pass, F its last features' size.
     */
    public static ModelSize dcgan(int imageSize, int channels, int nz, int ngf, int ndf, int classes) {
        long in = (long) nz + classes;                                  // G's input channels, [z, one-hot(y)] (long: nz may be huge)
        int stages = imageSize == 28 ? 2 : Integer.numberOfTrailingZeros(imageSize) - 2;
        long base = imageSize == 28 ? 7 : 4;
        Sizes g = new Sizes(), d = new Sizes();
        // G: ConvT(nz, w0, base) + BN + ReLU, then [ConvT(4, 2, 1) + BN + ReLU] halving the width, then ConvT to C + Tanh;
        // a transposed convolution's column matrix spans its input grid
        long w = (long) ngf << (stages - 1), side = base;
        // (each BN writes its ReLU's output: the fused ReLU layer keeps no outputs of its own)
        g.conv(in, w, base, 1, side);
        g.batchNorm(w, side);
        for (int i = 1; i < stages; i++) {
            g.conv(w, w / 2, 4, side, 2 * side);
            w /= 2;
            side *= 2;
            g.batchNorm(w, side);
        }
        g.conv(w, channels, 4, side, imageSize);
        g.outputs((long) channels * imageSize * imageSize);
        // D mirrors it: Conv(C, ndf) + LeakyReLU, [Conv + BN + LeakyReLU] doubling the width, Conv(.., 1, base) -> (N)
        w = ndf;
        side = imageSize / 2;
        d.conv(channels, w, 4, side, side);
        d.outputs(mul(w, side * side));
        for (int i = 1; i < stages; i++) {
            side /= 2;
            d.conv(w, 2 * w, 4, side, side);
            w *= 2;
            d.batchNorm(w, side);                                     // with its LeakyReLU fused
        }
        d.conv(w, 1, base, 1, 1);
        if (classes > 0) {
            d.embedding(classes, mul(w, base * base));               // the embedding E (no bias) and Y E
            d.outputs(mul(w, base * base));                          // the gradient of Y E
        }
        return of(String.format(Locale.ROOT, "DCGAN --nz %d --ngf %d --ndf %d, %d px, %d channel(s)%s", nz, ngf, ndf, imageSize, channels,
                classes > 0 ? ", " + classes + " classes" : ""), g, d);
    }

    /** The sizes of the MLP pair for 2-D data (see {@link Mlp}). */
    public static ModelSize mlp(int nz, int hidden, int depth, int dataDim) {
        Sizes g = new Sizes(), d = new Sizes();
        for (Sizes net : List.of(g, d)) {
            long in = net == g ? nz : dataDim;
            for (int i = 0; i < depth; i++) {
                net.linear(in, hidden);
                net.outputs(hidden);       // the activation
                in = hidden;
            }
            net.linear(in, net == g ? dataDim : 1);
        }
        return of(String.format(Locale.ROOT, "MLP --nz %d --hidden %d --depth %d", nz, hidden, depth), g, d);
    }

    private static ModelSize of(String description, Sizes g, Sizes d) {
        return new ModelSize(description, g.params, d.params, g.values, d.values, Math.max(g.perSample, d.perSample),
                Math.max(g.fixed, d.fixed));
    }

    /**
     * Bytes to train at a batch size: every parameter with its gradient and {@code optimizerSlots} optimizer tensors
     * (Adam 2, RMSProp and SGD 1); for G one pass and for D two (real and fake), each layer keeping its output and its
     * input gradient; and scratch for three of the largest fixed arrays (packed weights, column matrices, workspaces).
     * float32 throughout. An estimate: the dataset is not counted.
     */
    public long trainingBytes(int batch, int optimizerSlots) {
        long params = sat(generatorParams, criticParams);
        long act = sat(mul(2, generatorValues), mul(4, criticValues));
        return mul(4, sat(sat(mul(params, 2L + optimizerSlots), mul(batch, act)), mul(3, largestFixed)));
    }

    /** Java heap to write a checkpoint: each saved tensor downloaded as floats and then encoded as bytes. */
    public long checkpointBytes(int optimizerSlots) {
        return mul(8, mul(sat(generatorParams, criticParams), 1L + optimizerSlots));
    }

    /** Bytes to run G forward on batches of {@code batch}: its parameters and one pass of outputs, with scratch. */
    public long samplingBytes(int batch) {
        return mul(4, sat(sat(generatorParams, mul(batch, generatorValues)), mul(3, largestFixed)));
    }

    /**
     * Refuses a model that cannot be built: an array beyond {@link #MAX_TENSOR} values at this batch size, or more
     * bytes than {@code budgetBytes} (what the backend has: the JVM heap on the CPU, device memory on a GPU).
     *
     * @param what    "to train at batch 32", "to sample in batches of 256": how the bytes were counted
     * @param bytes   {@link #trainingBytes} or {@link #samplingBytes}
     * @param budget  where the memory comes from, for the message ("the 6.0 GiB this JVM may use")
     */
    public void require(int batch, String what, long bytes, long budgetBytes, String budget) {
        long largest = Math.max(largestFixed, mul(batch, largestPerSample));
        String need = String.format(Locale.ROOT, "%s would need about %s %s (G %s, D %s parameters)", description, bytesText(bytes),
                what, count(generatorParams), count(criticParams));
        if (largest > MAX_TENSOR) {
            throw new UserError(String.format(Locale.ROOT, "%s, with an array of %s values, more than the %,d one array can "
                    + "hold; choose smaller sizes", need, count(largest), MAX_TENSOR));
        }
        if (bytes > budgetBytes) throw new UserError(need + ", more than " + budget + "; choose smaller sizes");
    }

    /** "1.5 GiB", "12 MiB", "3.2 TiB". */
    public static String bytesText(long b) {
        if (b == Long.MAX_VALUE) return "more than 8 EiB";
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, v >= 100 || u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    }

    private static String count(long n) {
        if (n == Long.MAX_VALUE) return "more than 9.2e18";
        return n < 1_000_000 ? String.format(Locale.ROOT, "%,d", n) : String.format(Locale.ROOT, "%.3g", (double) n);
    }

    /** Saturating arithmetic: a size past Long.MAX_VALUE stays there instead of wrapping around. */
    public static long mul(long a, long b) {
        long hi = Math.multiplyHigh(a, b), lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }

    public static long sat(long a, long b) {
        long s = a + b;
        return s < 0 ? Long.MAX_VALUE : s;
    }

    /** Running totals for one network. */
    private static final class Sizes {
        long params, values, perSample, fixed;

        /**
         * A convolution from cin to cout channels with a k x k kernel, over a {@code grid} x {@code grid} of columns
         * (its output for a convolution, its input for a transposed one), writing a {@code side} x {@code side} output.
         */
        void conv(long cin, long cout, long k, long grid, long side) {
            long weight = mul(mul(cin, cout), k * k);
            params = sat(params, weight);
            fixed = Math.max(fixed, weight);
            // the CPU's column matrix of one image: (cin*k*k, grid^2) for a convolution, (cout*k*k, grid^2) transposed
            fixed = Math.max(fixed, mul(mul(Math.max(cin, cout), k * k), grid * grid));
            outputs(mul(cout, side * side));
        }

        void batchNorm(long channels, long side) {
            params = sat(params, mul(2, channels));
            outputs(mul(channels, side * side));
        }

        /** A table of in x out weights without a bias (the projection critic's class embedding). */
        void embedding(long in, long out) {
            long weight = mul(in, out);
            params = sat(params, weight);
            fixed = Math.max(fixed, weight);
            outputs(out);
        }

        void linear(long in, long out) {
            long weight = mul(in, out);
            params = sat(params, sat(weight, out));
            fixed = Math.max(fixed, weight);
            outputs(out);
        }

        /** Layer outputs of one sample. */
        void outputs(long n) {
            values = sat(values, n);
            perSample = Math.max(perSample, n);
        }
    }
}
