package dev.sparring.lab.latent;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PathSmoothnessTest {
    @Test
    void anEvenStripHasEqualStepsAndAJumpShowsInTheLargest() {
        // 5 images of 4 values: image i is i * (0.1, -0.1, 0.1, -0.1): every step's RMS difference is 0.1
        int n = 5, size = 4;
        float[] x = new float[n * size];
        for (int i = 0; i < n; i++) for (int j = 0; j < size; j++) x[i * size + j] = (float) (i * 0.1 * (j % 2 == 0 ? 1 : -1));
        PathSmoothness s = PathSmoothness.of(x, n, size);
        assertEquals(4, s.steps().length);
        for (double d : s.steps()) assertEquals(0.1, d, 1e-6);
        assertEquals(0.1, s.mean(), 1e-6);
        assertEquals(0.4, s.total(), 1e-6);
        assertEquals(1, s.unevenness(), 1e-5);
        // one image jumps: the step into it and out of it grow by the jump's RMS, 0.8 / 2 = 0.4 (one value of four moves by 0.8)
        x[2 * size] += 0.8f;
        PathSmoothness j = PathSmoothness.of(x, n, size);
        double into = Math.sqrt((Math.pow(0.9, 2) + 3 * 0.01) / 4), out = Math.sqrt((Math.pow(0.7, 2) + 3 * 0.01) / 4);
        assertEquals(into, j.steps()[1], 1e-6);
        assertEquals(out, j.steps()[2], 1e-6);
        assertEquals(into, j.max(), 1e-6);
        assertEquals((0.1 + into + out + 0.1) / 4, j.mean(), 1e-6);
    }

    @Test
    void pathLengthOfALinearMapIsItsSquaredSlopeAndOutliersAreLeftOut() {
        // features f(t) = t * v with |v|^2 = 2: d(f(t), f(t + eps)) / eps^2 = 2 for every t
        PerceptualPathLength p = new PerceptualPathLength();
        double eps = PerceptualPathLength.EPSILON;
        for (int i = 0; i < 50; i++) {
            double t = i / 50.0;
            float[] rows = {(float) t, (float) -t, (float) (t + eps), (float) -(t + eps)};
            p.add(PerceptualPathLength.squaredDistance(rows, 0, 2, 2), eps);
        }
        assertEquals(2, p.result().ppl(), 2e-2);   // float32 features: t + eps keeps about 3 digits of eps
        // StyleGAN's filter: of 0, 1, ..., 999 the values from the 1st percentile (lower: 9) to the 99th (higher: 990) count
        PerceptualPathLength q = new PerceptualPathLength();
        for (int i = 999; i >= 0; i--) q.add(i, 1);
        PerceptualPathLength.Result r = q.result();
        assertEquals(982, r.kept());
        assertEquals((9 + 990) / 2.0, r.ppl(), 1e-9);
        assertEquals(499.5, r.meanAll(), 1e-9);
        assertEquals(1000, r.total());
    }
}
