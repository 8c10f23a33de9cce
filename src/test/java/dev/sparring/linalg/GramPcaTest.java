package dev.sparring.linalg;

import dev.sparring.random.NoiseStream;
import dev.sparring.random.Philox;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PCA from the Gram matrix against the covariance matrix's own eigenvalues, and projections of rows outside the fit. */
class GramPcaTest {
    /** n rows of d features, coordinate c scaled by (c + 1) and shifted by 3, so the axes' variances differ. */
    private static float[] rows(int n, int d) {
        float[] x = new float[n * d];
        NoiseStream s = NoiseStream.derive(3, "gram-pca-test");
        Philox.normals(s.seed(), s.take(x.length), x, 0, x.length);
        for (int i = 0; i < n; i++) for (int c = 0; c < d; c++) x[i * d + c] = x[i * d + c] * (c + 1) + 3;
        return x;
    }

    @Test
    void gramAndDistancesAreTheRowsOwn() {
        int n = 7, d = 1100;   // more than one block of columns
        float[] x = rows(n, d);
        double[][] g = GramPca.gram(x, n, d), d2 = GramPca.squaredDistances(g);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double dot = 0, dist = 0;
                for (int c = 0; c < d; c++) {
                    dot += (double) x[i * d + c] * x[j * d + c];
                    dist += ((double) x[i * d + c] - x[j * d + c]) * ((double) x[i * d + c] - x[j * d + c]);
                }
                assertEquals(dot, g[i][j], 1e-9 * Math.abs(dot));
                assertEquals(dist, d2[i][j], 1e-7 * dist + 1e-9);
            }
        }
    }

    @Test
    void variancesAreTheCovarianceEigenvaluesAndProjectionsKeepDistances() {
        int n = 40, d = 5;
        float[] x = rows(n, d);
        double[][] g = GramPca.gram(x, n, d);
        int[] fit = new int[30];
        for (int i = 0; i < 30; i++) fit[i] = i;          // rows 30 .. 39 are outside the fit
        GramPca pca = GramPca.fit(g, fit, 10);
        assertEquals(d, pca.components(), "rank d: only d components");
        double[] mean = new double[d];
        for (int a : fit) for (int c = 0; c < d; c++) mean[c] += x[a * d + c] / 30.0;
        double[][] cov = new double[d][d];
        for (int a : fit) for (int i = 0; i < d; i++) for (int j = 0; j < d; j++) cov[i][j] += (x[a * d + i] - mean[i]) * (x[a * d + j] - mean[j]) / 30.0;
        List<Eigenvalues.Eigenvalue> ev = Eigenvalues.of(cov);
        double total = 0;
        for (int c = 0; c < d; c++) {
            assertEquals(ev.get(c).re(), pca.variance(c), 1e-9 * ev.get(0).re(), "variance along axis " + c);
            total += pca.explained(c);
            if (c > 0) assertTrue(pca.variance(c) <= pca.variance(c - 1));
        }
        assertEquals(1, total, 1e-9, "d axes explain everything");
        // with all d axes the scores are a rotation of x - mean: lengths kept, for rows inside and outside the fit
        for (int r = 0; r < n; r++) {
            double[] s = pca.scores(r);
            double len = 0, ref = 0;
            for (int c = 0; c < d; c++) {
                len += s[c] * s[c];
                ref += (x[r * d + c] - mean[c]) * (x[r * d + c] - mean[c]);
            }
            assertEquals(ref, len, 1e-8 * ref, "row " + r);
        }
        // the fit rows' scores have mean 0 and the axis's variance
        for (int c = 0; c < d; c++) {
            double m = 0, v = 0;
            for (int a : fit) m += pca.scores(a)[c] / 30;
            for (int a : fit) v += pca.scores(a)[c] * pca.scores(a)[c] / 30;
            assertEquals(0, m, 1e-9);
            assertEquals(pca.variance(c), v, 1e-9 * pca.variance(c));
        }
    }
}
