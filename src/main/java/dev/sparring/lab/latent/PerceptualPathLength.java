package dev.sparring.lab.latent;

import java.util.Arrays;

/**
 * A perceptual-path-length estimate as StyleGAN computes it (Karras et al. 2019, section 3 and its metrics code):
 * for many pairs of latents z1, z2 and t ~ U(0, 1), {@code d(G(p(t)), G(p(t + ε))) / ε²}, with p the path from z1 to
 * z2 and d the squared Euclidean distance of two images' feature rows (StyleGAN: LPIPS over VGG-16; Sparring: the
 * MNIST classifier's 64 features, or the pixels). The estimate is the mean of the values between their 1st and 99th
 * percentiles (numpy's "lower" and "higher" interpolation), as StyleGAN's {@code perceptual_path_length.py} leaves
 * out the outliers that a path crossing a discontinuity gives.
 */
public final class PerceptualPathLength {
    /** StyleGAN's ε. */
    public static final double EPSILON = 1e-4;

    private double[] values = new double[256];
    private int n;

    /** Adds one pair's value: the squared feature distance of the two images, divided by ε². */
    public void add(double squaredDistance, double epsilon) {
        if (n == values.length) values = Arrays.copyOf(values, 2 * n);
        values[n++] = squaredDistance / (epsilon * epsilon);
    }

    public int count() { return n; }

    /**
     * The estimate, with the standard error of the kept values' mean, the unfiltered mean, and how many values were
     * kept.
     */
    public record Result(double ppl, double standardError, double meanAll, int kept, int total) { }

    public Result result() {
        if (n == 0) throw new IllegalStateException("no path lengths added");
        double[] v = Arrays.copyOf(values, n);
        Arrays.sort(v);
        double lo = v[(int) Math.floor(0.01 * (n - 1))], hi = v[(int) Math.ceil(0.99 * (n - 1))];
        double sum = 0, all = 0;
        int k = 0;
        for (double x : v) {
            all += x;
            if (x >= lo && x <= hi) { sum += x; k++; }
        }
        double mean = sum / k, sq = 0;
        for (double x : v) if (x >= lo && x <= hi) sq += (x - mean) * (x - mean);
        double se = k > 1 ? Math.sqrt(sq / (k - 1) / k) : Double.NaN;
        return new Result(mean, se, all / n, k, n);
    }

    /** The squared Euclidean distance of rows[a, a + size) and rows[b, b + size). */
    public static double squaredDistance(float[] rows, int a, int b, int size) {
        double s = 0;
        for (int j = 0; j < size; j++) {
            double d = (double) rows[a + j] - rows[b + j];
            s += d * d;
        }
        return s;
    }
}
