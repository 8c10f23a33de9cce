package dev.sparring.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparring.random.NoiseStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Mixture2DTest {
    static final Mixture2D RING8 = Mixture2D.ring(8, 2.0, 0.02);

    @Test
    void centersOfRingAndGrid() {
        double[][] c = RING8.centers();
        assertEquals(8, c.length);
        for (int k = 0; k < 8; k++) assertEquals(2.0, Math.hypot(c[k][0], c[k][1]), 1e-12);
        assertEquals(2.0, c[0][0], 1e-12);
        assertEquals(2.0, c[2][1], 1e-12);   // 90 degrees
        assertEquals("ring8", RING8.name());
        assertArrayEquals(new int[] {2}, RING8.itemShape());
        assertEquals(Integer.MAX_VALUE, RING8.size());

        Mixture2D grid = Mixture2D.grid(5, 2.0, 0.05);
        assertEquals("grid25", grid.name());
        double[][] g = grid.centers();
        assertEquals(25, g.length);
        assertArrayEquals(new double[] {-4, -4}, g[0], 1e-12);
        assertArrayEquals(new double[] {0, 0}, g[12], 1e-12);
        assertArrayEquals(new double[] {4, 4}, g[24], 1e-12);
        assertArrayEquals(new double[] {-2, -4}, g[1], 1e-12);
        assertEquals(0.05, grid.sigma());
    }

    @Test
    void samplingIsDeterministicFromTheStream() {
        float[] a = new float[2 * 100], b = new float[2 * 100];
        NoiseStream sa = new NoiseStream(1234, 10), sb = new NoiseStream(1234, 10);
        RING8.sample(sa, a, 100);
        RING8.sample(sb, b, 100);
        assertArrayEquals(a, b);
        assertEquals(110, sa.counter(), "one Philox block per sample");

        // two draws of 50 continue the stream exactly like one draw of 100
        float[] c = new float[2 * 100], half = new float[2 * 50];
        NoiseStream sc = new NoiseStream(1234, 10);
        RING8.sample(sc, half, 50);
        System.arraycopy(half, 0, c, 0, 100);
        RING8.sample(sc, half, 50);
        System.arraycopy(half, 0, c, 100, 100);
        assertArrayEquals(a, c);

        float[] d = new float[2 * 100];
        RING8.sample(new NoiseStream(1235, 10), d, 100);
        assertFalse(Arrays.equals(a, d), "another seed gives other points");
    }

    @Test
    void sampleStatisticsMatchTheMixture() {
        int n = 40_000;
        float[] p = new float[2 * n];
        RING8.sample(NoiseStream.derive(7, "data"), p, n);
        double[][] centers = RING8.centers();
        int[] count = new int[8];
        double[] sx = new double[8], sy = new double[8], ss = new double[8];
        for (int i = 0; i < n; i++) {
            int k = RING8.nearestMode(p[2 * i], p[2 * i + 1]);
            double dx = p[2 * i] - centers[k][0], dy = p[2 * i + 1] - centers[k][1];
            count[k]++;
            sx[k] += dx;
            sy[k] += dy;
            ss[k] += dx * dx + dy * dy;
        }
        for (int k = 0; k < 8; k++) {
            // mode share: binomial, 1/8 +- 5 standard deviations (sd = sqrt(p(1-p)/n) = 0.0017)
            assertEquals(0.125, (double) count[k] / n, 5 * Math.sqrt(0.125 * 0.875 / n), "share of mode " + k);
            // mean offset: sd sigma / sqrt(count) = 0.02 / 70 ~ 3e-4 per axis; allow 5 sd
            double tol = 5 * 0.02 / Math.sqrt(count[k]);
            assertEquals(0.0, sx[k] / count[k], tol, "mean x offset of mode " + k);
            assertEquals(0.0, sy[k] / count[k], tol, "mean y offset of mode " + k);
            // per-axis standard deviation sigma, within 3% (its relative sd is 1/sqrt(2*2*count) ~ 1%)
            assertEquals(0.02, Math.sqrt(ss[k] / (2 * count[k])), 0.03 * 0.02, "sigma of mode " + k);
        }
    }

    @Test
    void coverageOfPerfectSamples() {
        double[][] c = RING8.centers();
        float[] exact = new float[2 * 800];
        for (int i = 0; i < 800; i++) {
            exact[2 * i] = (float) c[i % 8][0];
            exact[2 * i + 1] = (float) c[i % 8][1];
        }
        Mixture2D.Coverage onCenters = RING8.coverage(exact, 800);
        assertEquals(new Mixture2D.Coverage(8, 8, 1.0), onCenters);

        int n = 20_000;
        float[] p = new float[2 * n];
        RING8.sample(new NoiseStream(99, 0), p, n);
        Mixture2D.Coverage real = RING8.coverage(p, n);
        assertEquals(8, real.modesCovered());
        assertEquals(8, real.modes());
        // P(|z| <= 3) for a 2-D standard normal is 1 - exp(-4.5) = 0.98889
        assertEquals(1 - Math.exp(-4.5), real.highQualityShare(), 0.004);
    }

    @Test
    void coverageOfCollapsedSamples() {
        Mixture2D one = Mixture2D.ring(1, 0.0, 0.02);   // a single Gaussian at the origin...
        int n = 5000;
        float[] p = new float[2 * n];
        one.sample(new NoiseStream(5, 0), p, n);
        double[] c3 = RING8.centers()[3];
        for (int i = 0; i < n; i++) {                    // ...moved onto mode 3 of the ring
            p[2 * i] += (float) c3[0];
            p[2 * i + 1] += (float) c3[1];
        }
        Mixture2D.Coverage cov = RING8.coverage(p, n);
        assertEquals(1, cov.modesCovered());
        assertEquals(8, cov.modes());
        assertTrue(cov.highQualityShare() > 0.97, cov.toString());

        float[] off = new float[2 * n];                  // everything between the modes: nothing covered
        Arrays.fill(off, 0.0f);
        Mixture2D.Coverage none = RING8.coverage(off, n);
        assertEquals(new Mixture2D.Coverage(0, 8, 0.0), none);
    }

    @Test
    void coverageThresholdIsAQuarterOfTheFairShare() {
        // n = 800, fair share 100, threshold 25: mode 0 with 25 samples counts, mode 1 with 24 does not
        int n = 800;
        float[] p = new float[2 * n];
        double[][] c = RING8.centers();
        for (int i = 0; i < n; i++) {
            int k = i < 25 ? 0 : i < 49 ? 1 : -1;
            p[2 * i] = k < 0 ? 100f : (float) c[k][0];
            p[2 * i + 1] = k < 0 ? 100f : (float) c[k][1];
        }
        Mixture2D.Coverage cov = RING8.coverage(p, n);
        assertEquals(1, cov.modesCovered());
        assertEquals(49.0 / 800, cov.highQualityShare(), 1e-12);
        assertArrayEquals(new int[] {25, 24, 0, 0, 0, 0, 0, 0}, RING8.modeCounts(p, n));
    }
}
