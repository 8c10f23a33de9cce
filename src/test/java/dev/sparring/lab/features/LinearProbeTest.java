package dev.sparring.lab.features;

import dev.sparring.linalg.GramPca;
import dev.sparring.random.NoiseStream;
import dev.sparring.random.Philox;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;

import static dev.sparring.lab.features.Golden.map;
import static dev.sparring.lab.features.Golden.matrix;
import static dev.sparring.lab.features.Golden.num;
import static dev.sparring.lab.features.Golden.vector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The linear probe: scikit-learn's logistic regression, and held-out accuracies that see separation and nothing else. */
class LinearProbeTest {
    @Test
    void fitIsScikitLearnsLogisticRegression() throws IOException {
        Map<String, Object> g = map(Golden.read().get("logistic"));
        double[][] x = matrix(g.get("x"));
        double[] labels = vector(g.get("y")), coef = vector(g.get("coef"));
        boolean[] y = new boolean[labels.length];
        for (int i = 0; i < y.length; i++) y[i] = labels[i] == 1;
        double[] w = LinearProbe.fit(x, y, 1);
        for (int j = 0; j < coef.length; j++) assertEquals(coef[j], w[j], 1e-6, "coefficient " + j);
        assertEquals(num(g.get("intercept")), w[coef.length], 1e-6, "intercept (not penalised)");
    }

    /** n rows per class of d Gaussian features; the real rows' mean moved by {@code shift} along the first axis. */
    private static float[] rows(int n, int d, double shift, long seed) {
        float[] x = new float[2 * n * d];
        NoiseStream s = NoiseStream.derive(seed, "probe-test");
        Philox.normals(s.seed(), s.take(x.length), x, 0, x.length);
        for (int i = 0; i < n; i++) x[i * d] += (float) shift;
        return x;
    }

    private static boolean[] realFirst(int n) {
        boolean[] r = new boolean[2 * n];
        for (int i = 0; i < n; i++) r[i] = true;
        return r;
    }

    @Test
    void heldOutAccuracySeesASeparationAndNoneWhereThereIsNone() {
        int n = 64, d = 200;
        boolean[] real = realFirst(n);
        LinearProbe.Result apart = LinearProbe.crossValidate(GramPca.gram(rows(n, d, 6, 1), 2 * n, d), real, 4, 50, 0);
        assertTrue(apart.accuracy() > 0.95, "classes 6 sigma apart: " + apart.accuracy());
        assertEquals(2 * n, apart.n());
        assertEquals(50, apart.components());
        // the same distribution: a probe that saw its test rows (or the labels) would score far above chance here
        for (long seed = 1; seed <= 3; seed++) {
            LinearProbe.Result none = LinearProbe.crossValidate(GramPca.gram(rows(n, d, 0, seed), 2 * n, d), real, 4, 50, seed);
            assertEquals(0.5, none.accuracy(), 0.15, "one distribution, seed " + seed);
        }
        // one feature: the probe on a score
        float[] score = new float[2 * n];
        for (int i = 0; i < 2 * n; i++) score[i] = i < n ? 1 + 0.01f * i : -1 - 0.01f * i;
        LinearProbe.Result s = LinearProbe.crossValidate(GramPca.gram(score, 2 * n, 1), real, 4, 50, 0);
        assertEquals(1.0, s.accuracy(), 0);
        assertEquals(1, s.components());
    }

    @Test
    void foldsAreStratified() {
        boolean[] real = new boolean[30];
        for (int i = 0; i < 30; i += 3) real[i] = true;   // 10 real, 20 fake
        int[] fold = LinearProbe.folds(real, 4, 5);
        int[][] count = new int[4][2];
        for (int i = 0; i < 30; i++) count[fold[i]][real[i] ? 0 : 1]++;
        for (int f = 0; f < 4; f++) {
            assertTrue(count[f][0] == 2 || count[f][0] == 3, "real per fold");
            assertEquals(5, count[f][1], "fake per fold");
        }
    }
}
