package dev.sparring.backend.cpu;

import dev.sparring.backend.Activation;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ActivationVectorTest {

    /**
     * Values in [-2, 2] with the edge cases sprinkled in: 0, -0, NaN, infinities and the smallest subnormals, whose
     * product by the slope rounds (the plain loop and the vector one must round it the same way).
     */
    static float[] values(SplittableRandom rnd, int n) {
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE, -1e-38f};
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = rnd.nextInt(7) == 0 ? special[rnd.nextInt(special.length)] : (float) (rnd.nextDouble() * 4 - 2);
        return v;
    }

    /** The vector path gives the plain loops' bits, forward and backward, on ranges that start and end off the vector width. */
    @Test
    void vectorPathGivesThePlainLoopsBits() {
        Assumptions.assumeTrue(Sgemm.VECTOR_BITS >= 256, "no Vector API micro-kernels on this JVM: the plain loops run");
        SplittableRandom rnd = new SplittableRandom(7);
        int n = 203;
        for (Activation act : new Activation[] {Activation.RELU, Activation.LEAKY_RELU}) {
            assertTrue(CpuBackend.vectorActivation(act));
            for (float alpha : new float[] {0.2f, 0.01f}) {
                float[] x = values(rnd, n), dy = values(rnd, n);
                for (int[] r : new int[][] {{0, n}, {3, 200}, {5, 12}, {7, 7}}) {
                    float[] want = new float[n], got = new float[n];
                    CpuBackend.activationForwardPlain(act, alpha, want, x, r[0], r[1]);
                    ActivationVector.forward(act, alpha, got, x, r[0], r[1]);
                    assertArrayEquals(want, got, act + " forward alpha " + alpha + " on [" + r[0] + ", " + r[1] + ")");
                    CpuBackend.activationBackwardPlain(act, alpha, want, dy, x, null, r[0], r[1]);
                    ActivationVector.backward(act, alpha, got, dy, x, r[0], r[1]);
                    assertArrayEquals(want, got, act + " backward alpha " + alpha + " on [" + r[0] + ", " + r[1] + ")");
                }
            }
        }
        for (Activation act : new Activation[] {Activation.TANH, Activation.SIGMOID}) assertTrue(!CpuBackend.vectorActivation(act), act + " stays plain");
    }

    /** The fused batch norm's write, act(x * a + b), gives the bits of the affine loop and the plain activation after it. */
    @Test
    void affineVectorPathGivesThePlainLoopsBits() {
        Assumptions.assumeTrue(Sgemm.VECTOR_BITS >= 256, "no Vector API micro-kernels on this JVM: the plain loops run");
        SplittableRandom rnd = new SplittableRandom(8);
        int n = 203;
        for (Activation act : new Activation[] {Activation.RELU, Activation.LEAKY_RELU}) {
            for (float[] ab : new float[][] {{1.3f, -0.2f}, {0.7f, 0f}, {-1.1f, 0.4f}, {1e-20f, 0f}}) {
                float[] x = values(rnd, n);
                for (int[] r : new int[][] {{0, n}, {3, 200}, {5, 12}, {7, 7}}) {
                    float[] want = new float[n], got = new float[n];
                    for (int i = r[0]; i < r[1]; i++) want[i] = x[i] * ab[0] + ab[1];
                    CpuBackend.activationForwardPlain(act, 0.2f, want, want, r[0], r[1]);
                    ActivationVector.affine(act, 0.2f, got, x, ab[0], ab[1], r[0], r[1]);
                    assertArrayEquals(want, got, act + " affine a " + ab[0] + " b " + ab[1] + " on [" + r[0] + ", " + r[1] + ")");
                }
            }
        }
    }
}
