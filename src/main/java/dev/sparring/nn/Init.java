package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.random.NoiseStream;
import dev.sparring.random.Philox;
import dev.sparring.tensor.Tensor;

/**
 * Weight initialisation, drawn on the host from a Philox stream so that every backend starts from the same
 * numbers for the same seed.
 */
public final class Init {
    private Init() { }

    /** t ~ N(mean, std^2). */
    public static void normal(Backend be, Tensor t, double mean, double std, NoiseStream rng) {
        float[] v = new float[t.sizeInt()];
        Philox.normals(rng.seed(), rng.take(v.length), v, 0, v.length);
        for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * v[i]);
        be.copyFromHost(v, t);
    }

    /** t ~ U(-bound, bound), one Philox word per element. */
    public static void uniform(Backend be, Tensor t, double bound, NoiseStream rng) {
        float[] v = new float[t.sizeInt()];
        long c = rng.take(v.length);
        int[] w = new int[4];
        for (int i = 0; i < v.length; i++) {
            if (i % 4 == 0) Philox.block(rng.seed(), c + i / 4, w, 0);
            v[i] = (float) ((2 * Philox.uniform(w[i % 4]) - 1) * bound);
        }
        be.copyFromHost(v, t);
    }

}
