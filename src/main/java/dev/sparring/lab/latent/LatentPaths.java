package dev.sparring.lab.latent;

/**
 * Paths between two latent vectors a and b, t in [0, 1]: linear ({@link #lerp}) and spherical ({@link #slerp}).
 *
 * <p>Spherical interpolation is White's (2016, "Sampling Generative Networks"), the one DCGAN latent walks use:
 * {@code slerp(a, b, t) = sin((1 - t) Ω) / sin Ω · a + sin(t Ω) / sin Ω · b} with Ω the angle between a and b. The
 * endpoints are a and b themselves, not their directions: a DCGAN generator takes z as it is, so the norms matter
 * (StyleGAN's PPL code normalises both ends to unit length because its mapping network normalises z first). For two
 * ends of equal norm every point keeps that norm and the angle advances by the same Ω / steps per step; a linear
 * path's midpoint has norm |a| cos(Ω/2), about 0.71 |a| for the near-orthogonal ends that high-dimensional Gaussian
 * latents are, where the generator has seen few latents.
 */
public final class LatentPaths {
    private LatentPaths() { }

    /** Linear or spherical. */
    public enum Kind {
        LERP("lerp", "linear"), SLERP("slerp", "spherical");

        public final String key, word;

        Kind(String key, String word) { this.key = key; this.word = word; }

        /** The point at t on the path from a to b. */
        public double[] at(double[] a, double[] b, double t) { return this == LERP ? lerp(a, b, t) : slerp(a, b, t); }
    }

    /** (1 - t) a + t b. */
    public static double[] lerp(double[] a, double[] b, double t) {
        requireSameLength(a, b);
        double[] p = new double[a.length];
        for (int i = 0; i < a.length; i++) p[i] = (1 - t) * a[i] + t * b[i];
        return p;
    }

    /** White's slerp; for (nearly) parallel or zero ends, where the angle is undefined or sin Ω underflows, lerp. */
    public static double[] slerp(double[] a, double[] b, double t) {
        requireSameLength(a, b);
        double omega = angle(a, b);
        double s = Math.sin(omega);
        if (!(s > 1e-12)) return lerp(a, b, t);
        double wa = Math.sin((1 - t) * omega) / s, wb = Math.sin(t * omega) / s;
        double[] p = new double[a.length];
        for (int i = 0; i < a.length; i++) p[i] = wa * a[i] + wb * b[i];
        return p;
    }

    /** The angle between a and b in radians, 0 to π (0 when either is zero). */
    public static double angle(double[] a, double[] b) {
        requireSameLength(a, b);
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        if (aa == 0 || bb == 0) return 0;
        return Math.acos(Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb))));
    }

    public static double norm(double[] a) {
        double s = 0;
        for (double v : a) s += v * v;
        return Math.sqrt(s);
    }

    private static void requireSameLength(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("latent paths need two vectors of one length, got " + a.length + " and " + b.length);
    }
}
