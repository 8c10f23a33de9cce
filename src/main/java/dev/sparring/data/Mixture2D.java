package dev.sparring.data;

import dev.sparring.random.NoiseStream;
import dev.sparring.random.Philox;

/**
 * An equal-weight mixture of isotropic 2-D Gaussians, the standard toy for mode collapse (Metz et al., "Unrolled
 * GANs", 2017: "ring8" and "grid25"). An infinite sampler: {@link #size()} is {@link Integer#MAX_VALUE}.
 *
 * <h2>Sampling</h2>
 * Sample i of a call uses Philox block b = c0 + i of the stream, where c0 is the stream's counter when the call
 * starts (the call advances the counter by n blocks). Of the block's words (w0, w1, w2, w3): the mode is
 * floor(u(w0) * modes) with u(w) = (w + 0.5) / 2^32, and the normals (z2, z3) that {@link Philox#boxMuller} makes from
 * (w2, w3) displace it: the point is center[mode] + sigma * (z2, z3) (w1 is unused). One block per sample, no state besides the
 * counter, so a GPU kernel can produce the same points with one thread per sample.
 *
 * <h2>Mode metrics</h2>
 * A sample is high-quality when it lies within 3 sigma of its nearest center. A mode is covered when at least
 * {@link #MIN_FAIR_SHARE} of its fair share (n / modes) of the samples are high-quality samples of that mode:
 * a quarter of 1/8 = 3.1% of samples for ring8, a quarter of 1/25 = 1% for grid25.
 */
public final class Mixture2D implements Dataset {
    /** A mode counts as covered when it holds at least this fraction of its fair share n / modes. */
    public static final double MIN_FAIR_SHARE = 0.25;

    private final String name;
    private final double[][] centers;   // (modes, 2)
    private final double sigma;

    private Mixture2D(String name, double[][] centers, double sigma) {
        if (!(sigma > 0)) throw new IllegalArgumentException("Mixture2D " + name + ": sigma must be > 0, not " + sigma);
        this.name = name;
        this.centers = centers;
        this.sigma = sigma;
    }

    /** modes Gaussians evenly spaced on a circle of the given radius, the first at angle 0. "ring8" is ring(8, 2, 0.02). */
    public static Mixture2D ring(int modes, double radius, double sigma) {
        if (modes < 1) throw new IllegalArgumentException("Mixture2D.ring: modes must be >= 1, not " + modes);
        double[][] c = new double[modes][2];
        for (int k = 0; k < modes; k++) {
            double a = 2.0 * Math.PI * k / modes;
            c[k][0] = radius * Math.cos(a);
            c[k][1] = radius * Math.sin(a);
        }
        return new Mixture2D("ring" + modes, c, sigma);
    }

    /**
     * side x side Gaussians on a square grid centered at the origin: coordinates (i - (side-1)/2) * spacing.
     * "grid25" is grid(5, 2, 0.05): centers at -4, -2, 0, 2, 4 on both axes. Modes are numbered row-major (y, then x).
     */
    public static Mixture2D grid(int side, double spacing, double sigma) {
        if (side < 1) throw new IllegalArgumentException("Mixture2D.grid: side must be >= 1, not " + side);
        double[][] c = new double[side * side][2];
        for (int iy = 0; iy < side; iy++) {
            for (int ix = 0; ix < side; ix++) {
                c[iy * side + ix][0] = (ix - (side - 1) / 2.0) * spacing;
                c[iy * side + ix][1] = (iy - (side - 1) / 2.0) * spacing;
            }
        }
        return new Mixture2D("grid" + side * side, c, sigma);
    }

    @Override public String name() { return name; }

    @Override public int size() { return Integer.MAX_VALUE; }

    @Override public int[] itemShape() { return new int[] {2}; }

    /** (modes, 2); a copy. */
    public double[][] centers() {
        double[][] c = new double[centers.length][];
        for (int k = 0; k < c.length; k++) c[k] = centers[k].clone();
        return c;
    }

    public int modes() { return centers.length; }

    public double sigma() { return sigma; }

    /** Writes n points into out (n, 2) and advances rng by n blocks; see the class comment for the layout. */
    public void sample(NoiseStream rng, float[] out, int n) {
        if (out.length < 2L * n) {
            throw new IllegalArgumentException("Mixture2D.sample: out holds " + out.length + " floats, need 2 * " + n);
        }
        long c0 = rng.take(4L * n);   // 4 values per sample = one block per sample
        int[] w = new int[4];
        double[] z = new double[4];
        int modes = centers.length;
        for (int i = 0; i < n; i++) {
            Philox.block(rng.seed(), c0 + i, w, 0);
            int mode = Math.min((int) (Philox.uniform(w[0]) * modes), modes - 1);
            Philox.boxMuller(w, z);   // z[0], z[1] from (w0, w1) are unused; z[2], z[3] from (w2, w3)
            out[2 * i] = (float) (centers[mode][0] + sigma * z[2]);
            out[2 * i + 1] = (float) (centers[mode][1] + sigma * z[3]);
        }
    }

    /** Index of the center nearest to (x, y). */
    public int nearestMode(double x, double y) {
        int best = 0;
        double bestD = Double.POSITIVE_INFINITY;
        for (int k = 0; k < centers.length; k++) {
            double dx = x - centers[k][0], dy = y - centers[k][1];
            double d = dx * dx + dy * dy;
            if (d < bestD) {
                bestD = d;
                best = k;
            }
        }
        return best;
    }

    /** High-quality samples per mode: counts (modes) of points (n, 2) within 3 sigma of that mode's center. */
    public int[] modeCounts(float[] points, int n) {
        int[] counts = new int[centers.length];
        double r2 = 9.0 * sigma * sigma;
        for (int i = 0; i < n; i++) {
            double x = points[2 * i], y = points[2 * i + 1];
            if (!Double.isFinite(x) || !Double.isFinite(y)) continue;
            int k = nearestMode(x, y);
            double dx = x - centers[k][0], dy = y - centers[k][1];
            if (dx * dx + dy * dy <= r2) counts[k]++;
        }
        return counts;
    }

    /** Modes covered and the share of high-quality samples among points (n, 2); see the class comment. */
    public Coverage coverage(float[] points, int n) {
        if (n <= 0) throw new IllegalArgumentException("Mixture2D.coverage: needs at least one point, got n = " + n);
        int[] counts = modeCounts(points, n);
        double need = MIN_FAIR_SHARE * n / centers.length;
        int covered = 0;
        long good = 0;
        for (int count : counts) {
            if (count > 0 && count >= need) covered++;
            good += count;
        }
        return new Coverage(covered, centers.length, (double) good / n);
    }

    /** modesCovered of modes; highQualityShare in [0, 1]: the fraction of samples within 3 sigma of a mode. */
    public record Coverage(int modesCovered, int modes, double highQualityShare) {
        @Override
        public String toString() {
            return String.format("%d/%d modes, %.1f%% high quality", modesCovered, modes, 100 * highQualityShare);
        }
    }
}
