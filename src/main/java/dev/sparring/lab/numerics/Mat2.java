package dev.sparring.lab.numerics;

/**
 * A real 2 x 2 matrix [[a, b], [c, d]]: the Jacobians and update matrices of two-player games with one number per
 * player. Eigenvalues in closed form.
 */
public record Mat2(double a, double b, double c, double d) {
    public static final Mat2 IDENTITY = new Mat2(1, 0, 0, 1);

    public Mat2 plus(Mat2 m) { return new Mat2(a + m.a, b + m.b, c + m.c, d + m.d); }

    public Mat2 scale(double s) { return new Mat2(s * a, s * b, s * c, s * d); }

    public Mat2 times(Mat2 m) { return new Mat2(a * m.a + b * m.c, a * m.b + b * m.d, c * m.a + d * m.c, c * m.b + d * m.d); }

    public Mat2 transpose() { return new Mat2(a, c, b, d); }

    /** This matrix times the column (x, y). */
    public double[] apply(double x, double y) { return new double[] {a * x + b * y, c * x + d * y}; }

    public double trace() { return a + d; }

    public double det() { return a * d - b * c; }

    /**
     * The two eigenvalues: a complex pair with the positive imaginary part first, or two real ones, the larger first
     * (the smaller from det / larger where that keeps its digits, as in the quadratic formula's stable form).
     */
    public Complex[] eigenvalues() {
        double half = trace() / 2, disc = half * half - det();
        if (disc < 0) {
            double im = Math.sqrt(-disc);
            return new Complex[] {new Complex(half, im), new Complex(half, -im)};
        }
        double s = Math.sqrt(disc);
        double big = half >= 0 ? half + s : half - s;   // the root of larger magnitude, without cancellation
        double small = big != 0 ? det() / big : 0;
        double hi = Math.max(big, small), lo = Math.min(big, small);
        return new Complex[] {new Complex(hi, 0), new Complex(lo, 0)};
    }

    /** The largest modulus of an eigenvalue: the update matrix of a method contracts near an equilibrium iff it is below 1. */
    public double spectralRadius() {
        Complex[] e = eigenvalues();
        return Math.max(e[0].abs(), e[1].abs());
    }

    /** The solution of this matrix times z = (r0, r1), or null when the matrix is singular. */
    public double[] solve(double r0, double r1) {
        double det = det();
        if (det == 0 || !Double.isFinite(det)) return null;
        return new double[] {(d * r0 - b * r1) / det, (a * r1 - c * r0) / det};
    }

    /** [[a, b], [c, d]], as summary.json writes a matrix. */
    public double[][] rows() { return new double[][] {{a, b}, {c, d}}; }
}
