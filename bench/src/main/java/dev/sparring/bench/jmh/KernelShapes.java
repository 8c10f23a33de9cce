package dev.sparring.bench.jmh;

import dev.sparring.backend.cpu.Conv;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** The benchmarked shapes, their flop counts, and the checks every benchmark runs before it is timed. */
final class KernelShapes {
    private KernelShapes() { }

    /**
     * DCGAN layers as convolution geometries, batch 64. A transposed convolution is the backward-data of the convolution
     * with swapped channels, so each geometry stands for a D layer and the G layer that mirrors it.
     */
    static final Map<String, Conv.Geometry> LAYERS = new LinkedHashMap<>();
    static final Map<String, String> LAYER_NOTES = new LinkedHashMap<>();

    static {
        layer("mnist-1x32", new Conv.Geometry(64, 1, 28, 28, 32, 4, 4, 2, 1), "MNIST D conv 1->32 28->14; G convT 32->1 14->28");
        layer("mnist-32x64", new Conv.Geometry(64, 32, 14, 14, 64, 4, 4, 2, 1), "MNIST D conv 32->64 14->7; G convT 64->32 7->14");
        layer("dcgan-3x64", new Conv.Geometry(64, 3, 64, 64, 64, 4, 4, 2, 1), "64px D conv 3->64 64->32; G convT 64->3");
        layer("dcgan-64x128", new Conv.Geometry(64, 64, 32, 32, 128, 4, 4, 2, 1), "64px D conv 64->128 32->16; G convT 128->64");
        layer("dcgan-128x256", new Conv.Geometry(64, 128, 16, 16, 256, 4, 4, 2, 1), "64px D conv 128->256 16->8; G convT 256->128");
        layer("dcgan-256x512", new Conv.Geometry(64, 256, 8, 8, 512, 4, 4, 2, 1), "64px D conv 256->512 8->4; G convT 512->256");
    }

    private static void layer(String name, Conv.Geometry g, String note) {
        LAYERS.put(name, g);
        LAYER_NOTES.put(name, note);
    }

    static Conv.Geometry layer(String name) {
        Conv.Geometry g = LAYERS.get(name);
        if (g == null) throw new IllegalArgumentException("bench: unknown layer '" + name + "', known: " + LAYERS.keySet());
        return g;
    }

    /** 2 N K C R S P Q: the multiply-adds of one convolution pass (the same for all three passes). */
    static double convFlops(Conv.Geometry g) {
        return 2.0 * g.n() * g.k() * g.c() * g.r() * g.s() * g.p() * g.q();
    }

    /** "MxNxK" -> {M, N, K}. */
    static int[] mnk(String s) {
        String[] p = s.split("x");
        if (p.length != 3) throw new IllegalArgumentException("bench: sgemm shape must be MxNxK, got '" + s + "'");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2])};
    }

    static double sgemmFlops(String s) {
        int[] d = mnk(s);
        return 2.0 * d[0] * d[1] * d[2];
    }

    static float[] random(long seed, int n) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }

    /**
     * Compares got against want (double) for one sampled element. Inputs are in [-1, 1]: a float sum of T terms is off
     * by at most about T 2^-24 T; 1e-6 T + 1e-5 |want| is a wide margin that a wrong index still fails.
     */
    static void check(String what, int index, double want, float got, int terms) {
        double tol = 1e-6 * terms + 1e-5 * Math.abs(want);
        if (!(Math.abs(got - want) <= tol)) {
            throw new IllegalStateException(what + ": element " + index + " is " + got + ", the reference says " + want
                    + " (tolerance " + tol + "); the kernel is wrong, fix it before timing it");
        }
    }

    /** Sampled element indices in [0, size): a fixed pseudo-random set, always including the first and last. */
    static int[] samples(int size, int count) {
        SplittableRandom rnd = new SplittableRandom(99);
        int[] s = new int[Math.min(size, count)];
        for (int i = 0; i < s.length; i++) s[i] = i == 0 ? 0 : i == 1 ? size - 1 : rnd.nextInt(size);
        return s;
    }
}
