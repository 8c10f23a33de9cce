package dev.sparring.lab.latent;

/**
 * How evenly a strip of images changes: the distance between each image and the next, and its mean, largest and sum.
 * The distance is the root mean square difference of the two images' values (pixels in [-1, 1], or feature rows):
 * {@code sqrt(mean_j (x_i[j] - x_{i+1}[j])²)}. A path that changes at a steady rate has {@code max / mean} near 1; a
 * jump (the image flips from one digit to another between two neighbours) shows as a large ratio.
 *
 * @param steps the distances, one per neighbouring pair (images - 1 of them)
 */
public record PathSmoothness(double[] steps) {
    public PathSmoothness {
        if (steps.length < 1) throw new IllegalArgumentException("a strip needs at least two images");
        steps = steps.clone();
    }

    /**
     * The smoothness of a strip of {@code n} rows of {@code size} values each (row-major, rows in path order).
     */
    public static PathSmoothness of(float[] rows, int n, int size) {
        if (n < 2) throw new IllegalArgumentException("a strip needs at least two images, got " + n);
        if ((long) n * size > rows.length) throw new IllegalArgumentException(n + " rows of " + size + " need " + (long) n * size + " values, got " + rows.length);
        double[] d = new double[n - 1];
        for (int i = 0; i + 1 < n; i++) d[i] = rms(rows, i * size, (i + 1) * size, size);
        return new PathSmoothness(d);
    }

    /** The root mean square difference of rows[a, a + size) and rows[b, b + size). */
    public static double rms(float[] rows, int a, int b, int size) {
        double s = 0;
        for (int j = 0; j < size; j++) {
            double d = (double) rows[a + j] - rows[b + j];
            s += d * d;
        }
        return Math.sqrt(s / size);
    }

    /** The mean step: the "mean change between neighbouring images". */
    public double mean() { return total() / steps.length; }

    public double max() {
        double m = 0;
        for (double d : steps) m = Math.max(m, d);
        return m;
    }

    /** The path's length: the sum of its steps. */
    public double total() {
        double s = 0;
        for (double d : steps) s += d;
        return s;
    }

    /** max / mean: 1 for a perfectly even path, large when one step holds a jump (NaN for a path that never changes). */
    public double unevenness() { return max() / mean(); }

    @Override
    public double[] steps() { return steps.clone(); }
}
