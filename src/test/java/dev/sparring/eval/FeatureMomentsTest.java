package dev.sparring.eval;

import dev.sparring.UserError;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FeatureMomentsTest {
    /** n rows of f floats: a common offset of about {@code offset}, correlated spread of about {@code spread}. */
    private static float[] illConditioned(SplittableRandom r, int n, int f, double offset, double spread) {
        double[] base = new double[f];
        for (int j = 0; j < f; j++) base[j] = offset * (1 + 0.1 * r.nextDouble(-1, 1));
        double[][] mix = new double[f][f];
        for (int i = 0; i < f; i++) for (int j = 0; j < f; j++) mix[i][j] = r.nextGaussian() * spread / Math.sqrt(f);
        float[] x = new float[n * f];
        double[] z = new double[f];
        for (int row = 0; row < n; row++) {
            for (int j = 0; j < f; j++) z[j] = r.nextGaussian();
            for (int j = 0; j < f; j++) {
                double v = base[j];
                for (int k = 0; k < f; k++) v += mix[j][k] * z[k];
                x[row * f + j] = (float) v;
            }
        }
        return x;
    }

    /** The float64 two-pass reference: the mean, then Σ (x − mean)(x − mean)ᵀ / (n − 1). */
    private static double[][] twoPass(float[] x, int n, int f) {
        double[] mean = new double[f];
        for (int r = 0; r < n; r++) for (int j = 0; j < f; j++) mean[j] += x[r * f + j];
        for (int j = 0; j < f; j++) mean[j] /= n;
        double[] cov = new double[f * f];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < f; i++) {
                double di = x[r * f + i] - mean[i];
                for (int j = 0; j < f; j++) cov[i * f + j] += di * (x[r * f + j] - mean[j]);
            }
        }
        for (int i = 0; i < f * f; i++) cov[i] /= n - 1;
        return new double[][] {mean, cov};
    }

    /** The one-pass formula (Σxxᵀ − N m mᵀ) / (N − 1) in float64: what the test data defeats. */
    private static double[] naiveCovariance(float[] x, int n, int f) {
        double[] s = new double[f], ss = new double[f * f];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < f; i++) {
                s[i] += x[r * f + i];
                for (int j = 0; j < f; j++) ss[i * f + j] += (double) x[r * f + i] * x[r * f + j];
            }
        }
        double[] c = new double[f * f];
        for (int i = 0; i < f; i++) for (int j = 0; j < f; j++) c[i * f + j] = (ss[i * f + j] - s[i] * s[j] / n) / (n - 1);
        return c;
    }

    /** The largest |a − b| / sqrt(var_i var_j) over the covariance, var from the reference b. */
    private static double covError(double[] a, double[] b, int f) {
        double worst = 0;
        for (int i = 0; i < f; i++) {
            for (int j = 0; j < f; j++) {
                double scale = Math.sqrt(b[i * f + i] * b[j * f + j]);
                worst = Math.max(worst, Math.abs(a[i * f + j] - b[i * f + j]) / scale);
            }
        }
        return worst;
    }

    /** Feeds x in batches of varying size (1 row up to several blocks), so that partial blocks and flushes mix. */
    private static FeatureMoments feed(float[] x, int n, int f, SplittableRandom r) {
        FeatureMoments m = new FeatureMoments(f);
        int at = 0;
        while (at < n) {
            int batch = Math.min(n - at, r.nextInt(4) == 0 ? 1 : 1 + r.nextInt(700));
            m.add(x, at * f, batch);
            at += batch;
        }
        assertEquals(n, m.count());
        return m;
    }

    /**
     * Offset 1e5, spread 0.05 (a few float32 ulps of the offset): the one-pass formula, even in float64, is off by
     * 17 % of the standard deviations here (checked, so that the data really is ill-conditioned); ours agrees with the
     * two-pass reference to 1e-11 of them (8e-12 measured).
     */
    @Test
    void largeMeanSmallVarianceMatchesTwoPass() {
        SplittableRandom r = new SplittableRandom(3);
        int n = 3000, f = 24;
        float[] x = illConditioned(r, n, f, 1e5, 0.05);
        double[][] ref = twoPass(x, n, f);
        double naive = covError(naiveCovariance(x, n, f), ref[1], f);
        assertTrue(naive > 1e-2, "the one-pass formula should fail on this data, error " + naive);

        FeatureMoments m = feed(x, n, f, r);
        double[] mean = m.mean(), cov = m.covariance();
        for (int j = 0; j < f; j++) {
            assertEquals(ref[0][j], mean[j], 1e-12 * Math.abs(ref[0][j]), "mean " + j);
        }
        double err = covError(cov, ref[1], f);
        assertTrue(err < 1e-11, "covariance error " + err + " of the standard deviations");
        for (int i = 0; i < f; i++) for (int j = 0; j < f; j++) assertEquals(cov[i * f + j], cov[j * f + i], "symmetric");
    }

    /** The blocks' means differ a lot (drifting rows): the δδᵀ term of the merge carries most of the covariance. */
    @Test
    void driftingBlocksNeedTheMergeTerm() {
        SplittableRandom r = new SplittableRandom(4);
        int n = 2000, f = 8;
        float[] x = illConditioned(r, n, f, 1e3, 0.5);
        for (int row = 0; row < n; row++) for (int j = 0; j < f; j++) x[row * f + j] += (float) (row * 0.01 * (j + 1));
        double[][] ref = twoPass(x, n, f);
        FeatureMoments m = new FeatureMoments(f);
        m.add(x, n);
        assertTrue(covError(m.covariance(), ref[1], f) < 1e-11);
    }

    /** Two accumulators merged equal one that took all the rows. */
    @Test
    void mergeEqualsOneStream() {
        SplittableRandom r = new SplittableRandom(5);
        int n = 1500, f = 12, split = 611;
        float[] x = illConditioned(r, n, f, 50, 2);
        double[][] ref = twoPass(x, n, f);
        FeatureMoments a = new FeatureMoments(f), b = new FeatureMoments(f);
        a.add(x, 0, split);
        b.add(x, split * f, n - split);
        a.merge(b);
        assertEquals(n, a.count());
        assertTrue(covError(a.covariance(), ref[1], f) < 1e-12);
        for (int j = 0; j < f; j++) assertEquals(ref[0][j], a.mean()[j], 1e-12 * Math.abs(ref[0][j]));
        FeatureMoments empty = new FeatureMoments(f);
        empty.merge(a);
        assertTrue(covError(empty.covariance(), ref[1], f) < 1e-12, "merging into an empty accumulator");
    }

    /** The features that numpy's np.mean / np.cov (float64, two-pass) summarised, in the moments fixture. */
    @Test
    void agreesWithNumpy() {
        Map<String, NpyArray> fx = Fixtures.read("moments.npz");
        float[] x = fx.get("features").toFloats("features");
        int f = (int) fx.get("features").shape()[1], n = (int) fx.get("features").shape()[0];
        double[] mu = fx.get("mu").toDoubles("mu"), sigma = fx.get("sigma").toDoubles("sigma");
        FeatureMoments m = feed(x, n, f, new SplittableRandom(6));
        FeatureStatistics s = m.statistics("test", "moments.npz");
        for (int j = 0; j < f; j++) assertEquals(mu[j], s.mean()[j], 1e-13 * Math.abs(mu[j]));
        double err = covError(s.covariance(), sigma, f);
        assertTrue(err < 1e-10, "covariance error " + err);
        assertEquals(n, s.count());
    }

    @Test
    void refusesNonFiniteRowsAndTooFewRows() {
        FeatureMoments m = new FeatureMoments(3);
        m.add(new float[] {1, 2, 3}, 1);
        UserError e = assertThrows(UserError.class, m::covariance);
        assertTrue(e.getMessage().contains("at least 2 feature rows, got 1"), e.getMessage());
        e = assertThrows(UserError.class, () -> m.add(new float[] {1, Float.NaN, 3}, 1));
        assertTrue(e.getMessage().startsWith("feature row 2 has a non-finite value (NaN) in column 1"), e.getMessage());
        assertThrows(UserError.class, () -> new FeatureMoments(2).mean());
        assertThrows(IllegalArgumentException.class, () -> m.add(new float[5], 2));
    }
}
