package dev.sparring.eval;

import dev.sparring.UserError;
import dev.sparring.eval.FrechetDistance.Result;
import dev.sparring.linalg.SqrtTrace.Method;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static dev.sparring.eval.Fixtures.rel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrechetDistanceTest {
    private static FeatureStatistics stats(Map<String, NpyArray> fx, int side, String name) {
        NpyArray mu = fx.get("mu" + side);
        int f = (int) mu.shape()[0];
        return new FeatureStatistics(f, (long) Fixtures.scalar(fx, "n" + side), mu.toDoubles("mu"),
                fx.get("sigma" + side).toDoubles("sigma"), "", name + " side " + side);
    }

    /**
     * Each fixture against its reference (mpmath at 40 digits, bench/fid/make-fixtures.py) within 1e-6 relative, by
     * every method that applies: full rank, rank-deficient (N < F: Cholesky fails, so AUTO falls back to the
     * eigendecomposition) and near-singular (eigenvalues ~1e-10 of ~100, condition ~1e12).
     */
    @Test
    void agreesWithTheReferenceOnTheFixtures() {
        for (String name : new String[] {"fid-full-rank", "fid-rank-deficient", "fid-near-singular"}) {
            Map<String, NpyArray> fx = Fixtures.read(name + ".npz");
            assertEquals("mpmath", Fixtures.string(fx, "reference"));
            double want = Fixtures.scalar(fx, "fid_reference");
            FeatureStatistics a = stats(fx, 1, name), b = stats(fx, 2, name);
            for (Method m : Method.values()) {
                Result r;
                try {
                    r = FrechetDistance.between(a, b, m);
                } catch (UserError e) {
                    assertEquals(Method.CHOLESKY, m, name + ": only the forced Cholesky method may refuse: " + e.getMessage());
                    assertTrue(name.equals("fid-rank-deficient"), name + ": Cholesky refused " + e.getMessage());
                    continue;
                }
                double err = rel(r.distance(), want);
                System.out.printf("%s %s (%s of sigma%d, rank %d, %d clamped): %.17g, relative error %.2g%n",
                        name, m, r.method(), r.factored(), r.rank(), r.clamped(), r.distance(), err);
                assertTrue(err < 1e-6, name + " " + m + ": " + r.distance() + " vs " + want + " (relative error " + err + ")");
                assertEquals(r.meanTerm() + r.trace1() + r.trace2() - 2 * r.traceSqrt(), r.distance(), 1e-9 * want);
                assertTrue(rel(r.traceSqrt(), Fixtures.scalar(fx, "trace_sqrt_mpmath")) < 1e-6);
                // the distance is symmetric, whichever side gets factored
                assertTrue(rel(FrechetDistance.between(b, a, m).distance(), want) < 1e-6, name + " " + m + " swapped");
            }
        }
    }

    /** AUTO uses Cholesky when a covariance is positive definite and the eigendecomposition when neither is. */
    @Test
    void autoPicksTheFactor() {
        Map<String, NpyArray> fx = Fixtures.read("fid-full-rank.npz");
        Result r = FrechetDistance.between(stats(fx, 1, "a"), stats(fx, 2, "b"));
        assertEquals(Method.CHOLESKY, r.method());
        assertEquals(1, r.factored());
        fx = Fixtures.read("fid-rank-deficient.npz");
        r = FrechetDistance.between(stats(fx, 1, "a"), stats(fx, 2, "b"));
        assertEquals(Method.EIGEN, r.method());
        // Σ1 of 30 rows has rank 29; of its other 19 eigenvalues, round-off makes some negative (clamped, dropped)
        assertTrue(r.rank() < 48 && r.rank() >= 29, "positive eigenvalues of Σ1: " + r.rank());
        assertTrue(r.clamped() >= 48 - r.rank(), "clamped " + r.clamped());
    }

    /** A random orthogonal matrix (Gram–Schmidt of Gaussian columns), row-major. */
    private static double[] orthogonal(SplittableRandom r, int f) {
        double[] q = new double[f * f];
        for (int c = 0; c < f; c++) {
            double[] v = new double[f];
            for (int i = 0; i < f; i++) v[i] = r.nextGaussian();
            for (int pass = 0; pass < 2; pass++) {
                for (int p = 0; p < c; p++) {
                    double d = 0;
                    for (int i = 0; i < f; i++) d += v[i] * q[i * f + p];
                    for (int i = 0; i < f; i++) v[i] -= d * q[i * f + p];
                }
            }
            double norm = 0;
            for (double x : v) norm += x * x;
            norm = Math.sqrt(norm);
            for (int i = 0; i < f; i++) q[i * f + c] = v[i] / norm;
        }
        return q;
    }

    /** Q diag(d) Qᵀ. */
    private static double[] rotated(double[] q, double[] d, int f) {
        double[] s = new double[f * f];
        for (int i = 0; i < f; i++) {
            for (int j = i; j < f; j++) {
                double v = 0;
                for (int k = 0; k < f; k++) v += q[i * f + k] * d[k] * q[j * f + k];
                s[i * f + j] = v;
                s[j * f + i] = v;
            }
        }
        return s;
    }

    /**
     * Covariances that share eigenvectors, Σᵢ = Q Dᵢ Qᵀ, have the closed form d² = ‖μ₁ − μ₂‖² + Σₖ (√d₁ₖ − √d₂ₖ)²; here
     * both are rank-deficient (a ninth of d₁ₖ and a quarter of d₂ₖ are 0, the rest spread over 1e-8..1e2), so neither
     * has a Cholesky factor and Bᵀ Σ₂ B has zero eigenvalues that round-off makes negative: they must be clamped. The
     * tolerance is 1e-8: the round-off in Q Dᵢ Qᵀ moves each zero eigenvalue by ~1e-14, and its square root by ~1e-7.
     */
    @Test
    void closedFormForCommutingCovariances() {
        SplittableRandom r = new SplittableRandom(8);
        int f = 90;
        double[] q = orthogonal(r, f);
        double[] d1 = new double[f], d2 = new double[f], mu1 = new double[f], mu2 = new double[f];
        double want = 0;
        for (int k = 0; k < f; k++) {
            d1[k] = k % 9 == 0 ? 0 : Math.pow(10, r.nextDouble(-8, 2));
            d2[k] = k % 4 == 0 ? 0 : Math.pow(10, r.nextDouble(-3, 2));
            mu1[k] = r.nextGaussian();
            mu2[k] = r.nextGaussian();
            double dm = mu1[k] - mu2[k], ds = Math.sqrt(d1[k]) - Math.sqrt(d2[k]);
            want += dm * dm + ds * ds;
        }
        FeatureStatistics a = new FeatureStatistics(f, -1, mu1, rotated(q, d1, f), "", "a");
        FeatureStatistics b = new FeatureStatistics(f, -1, mu2, rotated(q, d2, f), "", "b");
        for (Method m : new Method[] {Method.AUTO, Method.EIGEN}) {
            Result res = FrechetDistance.between(a, b, m);
            assertEquals(Method.EIGEN, res.method());
            assertTrue(rel(res.distance(), want) < 1e-8, m + ": " + res.distance() + " vs " + want);
        }
        assertThrows(UserError.class, () -> FrechetDistance.between(a, b, Method.CHOLESKY));
    }

    /** d(a, a) is 0 up to round-off, by every method, for a random full-rank covariance of 200 features. */
    @Test
    void zeroForEqualStatistics() {
        SplittableRandom r = new SplittableRandom(9);
        int f = 200;
        double[] q = orthogonal(r, f), d = new double[f], mu = new double[f];
        for (int k = 0; k < f; k++) {
            d[k] = Math.pow(10, r.nextDouble(-4, 1));
            mu[k] = r.nextGaussian() * 10;
        }
        FeatureStatistics a = new FeatureStatistics(f, 1000, mu, rotated(q, d, f), "net", "a");
        for (Method m : Method.values()) {
            Result res = FrechetDistance.between(a, a, m);
            assertTrue(Math.abs(res.distance()) < 1e-10 * res.trace1(), m + ": " + res.distance());
            assertEquals(0, res.meanTerm());
        }
    }

    private static UserError refused(FeatureStatistics a, FeatureStatistics b, String phrase) {
        UserError e = assertThrows(UserError.class, () -> FrechetDistance.between(a, b));
        assertTrue(e.getMessage().contains(phrase), "expected \"" + phrase + "\" in: " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    @Test
    void refusesBadStatistics() {
        double[] mu = {0, 1}, sigma = {2, 0.5, 0.5, 1};
        FeatureStatistics good = new FeatureStatistics(2, 10, mu, sigma, "inception", "real.npz");
        refused(good, new FeatureStatistics(3, 10, new double[3], new double[9], "", "fake.npz"),
                "real.npz has 2 features but fake.npz has 3");
        refused(good, new FeatureStatistics(2, 10, new double[] {0, Double.NaN}, sigma, "", "fake.npz"), "fake.npz: mu[1] is NaN");
        refused(good, new FeatureStatistics(2, 10, mu, new double[] {2, 0.5, 0.5, Double.POSITIVE_INFINITY}, "", "fake.npz"),
                "fake.npz: sigma[1][1] is Infinity");
        refused(good, new FeatureStatistics(2, 10, mu, new double[] {2, 0.5, 0.6, 1}, "", "fake.npz"),
                "fake.npz: sigma is not symmetric: sigma[0][1] = 0.5 but sigma[1][0] = 0.6");
        refused(good, new FeatureStatistics(2, 10, mu, new double[] {2, 0, 0, -1}, "", "fake.npz"),
                "fake.npz: sigma[1][1] = -1.0 is a negative variance");
        refused(good, new FeatureStatistics(2, 10, mu, new double[3], "", "fake.npz"), "fake.npz: sigma has 3 values, expected 2 x 2");
        refused(good, new FeatureStatistics(2, 10, mu, sigma, "clip", "fake.npz"),
                "real.npz was made with the feature network inception but fake.npz with clip");
        // float32 round-off in a symmetric matrix is accepted
        FrechetDistance.between(good, new FeatureStatistics(2, 10, mu, new double[] {2, 0.5, 0.5 + 1e-7, 1}, "", "fake.npz"));
    }
}
