package dev.sparring.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ConvPhase}'s run additions on 8-float vectors (the JIT leaves the plain loop scalar): each element is the
 * plain loop's single float add, so the bits agree. Used (hence loaded) only when a Vector API kernel runs
 * ({@link Sgemm.Config#vector}).
 */
final class ConvPhaseVector {
    private ConvPhaseVector() { }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

    /** dst[d + j] += src[s + j] for j in [0, n). */
    static void add(float[] dst, int d, float[] src, int s, int n) {
        int j = 0;
        for (; j <= n - 8; j += 8) FloatVector.fromArray(S, dst, d + j).add(FloatVector.fromArray(S, src, s + j)).intoArray(dst, d + j);
        for (; j < n; j++) dst[d + j] += src[s + j];
    }
}
