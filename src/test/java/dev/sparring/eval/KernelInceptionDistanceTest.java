package dev.sparring.eval;

import dev.sparring.UserError;
import dev.sparring.eval.KernelInceptionDistance.Result;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static dev.sparring.eval.Fixtures.rel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KernelInceptionDistanceTest {
    private static int[][] subsets(NpyArray a) {
        long[] v = a.toLongs("subsets");
        int s = (int) a.shape()[0], m = (int) a.shape()[1];
        int[][] out = new int[s][m];
        for (int i = 0; i < s; i++) for (int j = 0; j < m; j++) out[i][j] = (int) v[i * m + j];
        return out;
    }

    /**
     * torch-fidelity's formula on the fixture's features and subsets (drawn as torch-fidelity draws them), evaluated
     * with exact dot products and sums by bench/fid/make-fixtures.py: each MMD², the mean and the std within 1e-9.
     */
    @Test
    void agreesWithTorchFidelitysFormula() {
        Map<String, NpyArray> fx = Fixtures.read("kid.npz");
        NpyArray f1 = fx.get("features1"), f2 = fx.get("features2");
        int f = (int) f1.shape()[1];
        Result r = KernelInceptionDistance.compute(f1.toFloats("f1"), (int) f1.shape()[0], f2.toFloats("f2"), (int) f2.shape()[0], f,
                subsets(fx.get("subsets1")), subsets(fx.get("subsets2")));
        double[] want = fx.get("mmd2_reference").toDoubles("mmd2");
        assertEquals(want.length, r.subsets());
        for (int s = 0; s < want.length; s++) assertTrue(rel(r.values()[s], want[s]) < 1e-12, "subset " + s + ": " + r.values()[s] + " vs " + want[s]);
        double mean = Fixtures.scalar(fx, "kid_mean_reference"), std = Fixtures.scalar(fx, "kid_std_reference");
        System.out.printf("KID mean %.17g (reference %.17g, rel %.2g), std %.17g (reference %.17g, rel %.2g); torch-fidelity in float32: %.17g, %.17g%n",
                r.mean(), mean, rel(r.mean(), mean), r.std(), std, rel(r.std(), std),
                Fixtures.scalar(fx, "kid_mean_float32"), Fixtures.scalar(fx, "kid_std_float32"));
        assertTrue(rel(r.mean(), mean) < 1e-9, r.mean() + " vs " + mean);
        assertTrue(rel(r.std(), std) < 1e-9, r.std() + " vs " + std);
        assertTrue(rel(r.mean(), Fixtures.scalar(fx, "kid_mean_numpy64")) < 1e-9);
        assertEquals(100, r.subsetSize());
    }

    /** MMD² of a set with itself-like data: two halves of one sample; the unbiased estimate averages to about 0. */
    @Test
    void nearZeroForOneDistribution() {
        SplittableRandom r = new SplittableRandom(12);
        int f = 16, n = 2000;
        float[] a = new float[n * f], b = new float[n * f];
        for (int i = 0; i < n * f; i++) {
            a[i] = (float) Math.abs(r.nextGaussian());
            b[i] = (float) Math.abs(r.nextGaussian());
        }
        Result same = KernelInceptionDistance.compute(a, n, b, n, f, 50, 200, 1);
        assertTrue(Math.abs(same.mean()) < 4 * same.std() / Math.sqrt(50) + 1e-12, same.mean() + " ± " + same.std());
        for (int i = 0; i < n * f; i++) b[i] *= 1.2f;
        Result apart = KernelInceptionDistance.compute(a, n, b, n, f, 50, 200, 1);
        assertTrue(apart.mean() > 10 * Math.abs(same.mean()) && apart.mean() > 4 * apart.std() / Math.sqrt(50),
                "scaled features are told apart: " + apart.mean() + " ± " + apart.std());
    }

    /** The same seed gives the same subsets and result; another seed other subsets. */
    @Test
    void seeded() {
        SplittableRandom r = new SplittableRandom(13);
        int f = 8, n = 300;
        float[] a = new float[n * f], b = new float[n * f];
        for (int i = 0; i < n * f; i++) {
            a[i] = (float) r.nextDouble();
            b[i] = (float) r.nextDouble(0.1, 1.1);
        }
        Result x = KernelInceptionDistance.compute(a, n, b, n, f, 5, 50, 42), y = KernelInceptionDistance.compute(a, n, b, n, f, 5, 50, 42);
        assertArrayEquals(x.values(), y.values());
        assertNotEquals(x.mean(), KernelInceptionDistance.compute(a, n, b, n, f, 5, 50, 43).mean());
        int[] idx = KernelInceptionDistance.sample(new SplittableRandom(1), 100, 100);
        Set<Integer> distinct = new HashSet<>();
        for (int i : idx) distinct.add(i);
        assertEquals(100, distinct.size(), "a subset of all rows is a permutation");
    }

    @Test
    void refusesASubsetLargerThanASet() {
        float[] a = new float[10 * 4], b = new float[20 * 4];
        UserError e = assertThrows(UserError.class, () -> KernelInceptionDistance.compute(a, 10, b, 20, 4, 100, 1000, 0));
        assertEquals("the KID subset size 1000 is larger than the number of feature rows (first: 10, second: 20); use a subset size of at most 10",
                e.getMessage());
        assertThrows(UserError.class, () -> KernelInceptionDistance.compute(a, 10, b, 20, 4, 100, 1, 0));
        assertThrows(UserError.class, () -> KernelInceptionDistance.compute(a, 10, b, 20, 4, 0, 5, 0));
    }

    /** Capacity at least N keeps every row in order; smaller keeps a subset of the rows. */
    @Test
    void reservoirKeepsRows() {
        int f = 3, n = 50;
        float[] x = new float[n * f];
        for (int i = 0; i < n * f; i++) x[i] = i;
        FeatureReservoir all = new FeatureReservoir(f, 80, 1);
        all.add(x, 0, 7);
        all.add(x, 7 * f, n - 7);
        assertArrayEquals(x, all.rows());
        FeatureReservoir some = new FeatureReservoir(f, 10, 1);
        some.add(x, n);
        assertEquals(10, some.kept());
        assertEquals(n, some.seen());
        float[] kept = some.rows();
        for (int r = 0; r < 10; r++) {
            float first = kept[r * f];
            assertEquals(0, first % f, "whole rows");
            for (int j = 1; j < f; j++) assertEquals(first + j, kept[r * f + j]);
        }
        assertThrows(UserError.class, () -> some.add(new float[] {0, Float.NaN, 0}, 1));
    }

    /**
     * Each of N rows is kept with probability capacity / N: over 20000 seeds, every row's count is within 5 standard
     * deviations of its expectation, wherever it came in the stream (first, last, middle).
     */
    @Test
    void reservoirIsUniform() {
        int n = 40, capacity = 8, trials = 20000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i;
        int[] counts = new int[n];
        for (int t = 0; t < trials; t++) {
            FeatureReservoir res = new FeatureReservoir(1, capacity, t);
            for (int i = 0; i < n; i += 5) res.add(x, i, 5);
            for (float v : res.rows()) counts[(int) v]++;
        }
        double p = (double) capacity / n, mean = trials * p, sd = Math.sqrt(trials * p * (1 - p));
        for (int i = 0; i < n; i++) {
            assertTrue(Math.abs(counts[i] - mean) < 5 * sd, "row " + i + " kept " + counts[i] + " times, expected " + mean + " ± " + sd
                    + ": " + Arrays.toString(counts));
        }
    }
}
