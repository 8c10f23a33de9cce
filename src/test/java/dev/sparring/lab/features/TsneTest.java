package dev.sparring.lab.features;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Map;

import static dev.sparring.lab.features.Golden.list;
import static dev.sparring.lab.features.Golden.map;
import static dev.sparring.lab.features.Golden.matrix;
import static dev.sparring.lab.features.Golden.num;
import static dev.sparring.lab.features.Golden.vector;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exact t-SNE against scikit-learn's (bench/tsne/golden.py): its probabilities, its KL and trustworthiness, on three clusters. */
class TsneTest {
    static Map<String, Object> golden;
    static double[][] x, d2;
    static double perplexity;
    static Tsne.Result result;

    @BeforeAll
    static void embed() throws IOException {
        golden = map(Golden.read().get("tsne"));
        x = matrix(golden.get("x"));
        d2 = Golden.squaredDistances(x);
        perplexity = num(golden.get("perplexity"));
        result = Tsne.embed(d2, perplexity, 0, null);
    }

    @Test
    void jointProbabilitiesAreScikitLearns() {
        double[][] p = Tsne.joint(d2, perplexity);
        for (var e : map(golden.get("p_rows")).entrySet()) {
            int i = Integer.parseInt(e.getKey());
            double[] ref = vector(e.getValue());
            for (int j = 0; j < ref.length; j++) {
                // scikit-learn searches on float32 distances: agreement to a few parts in 1e5 of a row's largest entries
                assertEquals(ref[j], p[i][j], 2e-5 * 1.0 / x.length + 1e-4 * ref[j], "P[" + i + "][" + j + "]");
            }
        }
        double[][] c = Tsne.conditional(d2, perplexity);
        for (double[] row : c) {
            double sum = 0, entropy = 0;
            for (double v : row) {
                sum += v;
                if (v > 0) entropy -= v * Math.log(v);
            }
            assertEquals(1, sum, 1e-12);
            assertEquals(Math.log(perplexity), entropy, 1e-4, "each row's entropy is log(perplexity)");
        }
    }

    @Test
    void reachesScikitLearnsKlAndTrustworthiness() {
        List<Object> runs = list(golden.get("runs"));
        double worstKl = 0, worstTrust = 1;
        for (Object r : runs) {
            worstKl = Math.max(worstKl, num(map(r).get("kl")));
            worstTrust = Math.min(worstTrust, num(map(r).get("trustworthiness")));
        }
        double trust = Tsne.trustworthiness(d2, result.y(), x.length, 5);
        // scikit-learn's three seeds give KL 0.210 to 0.214 and trustworthiness 0.966 to 0.969
        assertTrue(result.kl() < worstKl * 1.05, "KL " + result.kl() + " against scikit-learn's worst " + worstKl);
        assertTrue(trust > worstTrust - 0.01, "trustworthiness " + trust + " against scikit-learn's worst " + worstTrust);
    }

    @Test
    void klFallsAndTheClustersSeparate() {
        double[] h = result.klHistory();
        assertEquals(Tsne.ITERATIONS / 50 + 1, h.length);
        int afterExaggeration = Tsne.EXAGGERATION_STEPS / 50 + 1;
        assertTrue(h[afterExaggeration] < h[0], "KL falls during exaggeration: " + java.util.Arrays.toString(h));
        for (int i = afterExaggeration + 1; i < h.length; i++) assertTrue(h[i] <= h[i - 1] + 1e-3, "KL falls after exaggeration: " + java.util.Arrays.toString(h));
        assertEquals(h[h.length - 1], result.kl(), 0);
        // each point's 5 nearest neighbours in the embedding are of its own cluster (50 points per cluster, in order)
        int n = x.length, wrong = 0;
        for (int i = 0; i < n; i++) {
            final int fi = i;
            Integer[] order = new Integer[n];
            for (int j = 0; j < n; j++) order[j] = j;
            java.util.Arrays.sort(order, (a, b) -> Double.compare(dist(result.y(), fi, a), dist(result.y(), fi, b)));
            for (int r = 1; r <= 5; r++) if (order[r] / 50 != i / 50) wrong++;
        }
        assertEquals(0, wrong, "neighbours from another cluster");
    }

    private static double dist(double[] y, int i, int j) {
        double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
        return dx * dx + dy * dy;
    }

    @Test
    void trustworthinessIsScikitLearns() throws IOException {
        Map<String, Object> t = map(Golden.read().get("trust"));
        double[][] y = matrix(t.get("y"));
        double[] flat = new double[2 * y.length];
        for (int i = 0; i < y.length; i++) {
            flat[2 * i] = y[i][0];
            flat[2 * i + 1] = y[i][1];
        }
        assertEquals(num(t.get("value")), Tsne.trustworthiness(d2, flat, y.length, 5), 1e-12);
    }

    @Test
    void seededAndChecked() {
        double[][] small = new double[12][12];
        for (int i = 0; i < 12; i++) for (int j = 0; j < 12; j++) small[i][j] = (i - j) * (i - j);
        Tsne.Result a = Tsne.embed(small, 3.0, 7, null), b = Tsne.embed(small, 3.0, 7, null), c = Tsne.embed(small, 3.0, 8, null);
        assertArrayEquals(a.y(), b.y(), 0);
        assertFalse(java.util.Arrays.equals(a.y(), c.y()));
        assertEquals(11 / 3.0, Tsne.maxPerplexity(12), 0);
        assertThrows(IllegalArgumentException.class, () -> Tsne.joint(small, 3.7));
        assertThrows(IllegalArgumentException.class, () -> Tsne.joint(small, 0));
    }
}
