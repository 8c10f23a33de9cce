package dev.sparring.backend.cpu;

import dev.sparring.backend.Activation;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * ReLU and LeakyReLU, forward and backward, on 8-float vectors: the fast path beside {@link CpuBackend}'s plain loops
 * ({@code activationForwardPlain}, {@code activationBackwardPlain}), which the JIT does not vectorize (a select per
 * element). Per element exactly the plain loops' arithmetic: where x > 0 the input (or dy), elsewhere 0 or alpha times
 * it, the same float product, so the bits agree, NaN inputs included (x > 0 is false for NaN, as in the plain loops).
 * The tail past the last whole vector runs the plain formula.
 *
 * <p>Used (hence loaded) only when {@link Sgemm#VECTOR_BITS} is at least 256, the jdk.incubator.vector module being there and vectors
 * at least 8 floats wide: {@code CpuBackend.vectorActivation} checks that first.
 */
final class ActivationVector {
    private ActivationVector() { }

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_256;

    /** y[i] = act(x[i]) for i in [i0, i1); alpha is LeakyReLU's slope (0 for ReLU). */
    static void forward(Activation act, float alpha, float[] y, float[] x, int i0, int i1) {
        float a = act == Activation.RELU ? 0f : alpha;
        int i = i0;
        for (; i <= i1 - 8; i += 8) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
            FloatVector neg = act == Activation.RELU ? FloatVector.zero(S) : v.mul(a);
            neg.blend(v, pos).intoArray(y, i);
        }
        for (; i < i1; i++) y[i] = x[i] > 0 ? x[i] : act == Activation.RELU ? 0f : a * x[i];
    }

    /**
     * y[i] = act(x[i] * a + b) for i in [i0, i1): batch norm's output and the activation after it in one pass
     * ({@code CpuBackend.batchNormActTrain}), with the float product and sum of the plain loop (no fused multiply-add).
     */
    static void affine(Activation act, float alpha, float[] y, float[] x, float a, float b, int i0, int i1) {
        float s = act == Activation.RELU ? 0f : alpha;
        int i = i0;
        for (; i <= i1 - 8; i += 8) {
            FloatVector v = FloatVector.fromArray(S, x, i).mul(a).add(b);
            VectorMask<Float> pos = v.compare(VectorOperators.GT, 0f);
            FloatVector neg = act == Activation.RELU ? FloatVector.zero(S) : v.mul(s);
            neg.blend(v, pos).intoArray(y, i);
        }
        for (; i < i1; i++) {
            float v = x[i] * a + b;
            y[i] = v > 0 ? v : act == Activation.RELU ? 0f : s * v;
        }
    }

    /** dx[i] = act'(x[i]) dy[i] for i in [i0, i1). */
    static void backward(Activation act, float alpha, float[] dx, float[] dy, float[] x, int i0, int i1) {
        float a = act == Activation.RELU ? 0f : alpha;
        int i = i0;
        for (; i <= i1 - 8; i += 8) {
            FloatVector d = FloatVector.fromArray(S, dy, i);
            VectorMask<Float> pos = FloatVector.fromArray(S, x, i).compare(VectorOperators.GT, 0f);
            FloatVector neg = act == Activation.RELU ? FloatVector.zero(S) : d.mul(a);
            neg.blend(d, pos).intoArray(dx, i);
        }
        for (; i < i1; i++) dx[i] = x[i] > 0 ? dy[i] : act == Activation.RELU ? 0f : a * dy[i];
    }
}
