package dev.sparring.backend.cpu;

import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU twin of the classifier loss, against the definition: the mean of -log softmax at the label (written out
 * without the max shift), its gradient by central differences of that definition, the accuracy, its own two stats
 * slots and no others, and a label out of range refused.
 */
class SoftmaxCrossEntropyTest {
    private final CpuBackend be = new CpuBackend();

    /** The mean loss of a batch by the definition, in double, without the max shift. */
    private static double meanLoss(double[] l, int[] y, int K) {
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            double z = 0;
            for (int j = 0; j < K; j++) z += Math.exp(l[i * K + j]);
            s += -Math.log(Math.exp(l[i * K + y[i]]) / z);
        }
        return s / y.length;
    }

    @Test
    void lossGradientAndAccuracyFollowTheDefinition() {
        int B = 6, K = 5;
        SplittableRandom r = new SplittableRandom(3);
        float[] l = new float[B * K];
        for (int i = 0; i < l.length; i++) l[i] = (float) (2 * r.nextGaussian());
        int[] y = {0, 4, 2, 2, 1, 3};
        // rows 0 and 1: the label holds the largest score; the others are made wrong
        for (int i = 0; i < B; i++) {
            int top = i < 2 ? y[i] : (y[i] + 1) % K;
            l[i * K + top] = 9f + i;
        }
        float[] stats = new float[6];
        Arrays.fill(stats, Float.NaN);
        Tensor d = be.zeros(B, K), st = be.upload(stats, 6);
        be.softmaxCrossEntropy(d, be.upload(l, B, K), be.upload(y, B), st, 3);
        float[] g = be.download(d), s = be.download(st);

        double[] ld = new double[l.length];
        for (int i = 0; i < l.length; i++) ld[i] = l[i];
        assertEquals(meanLoss(ld, y, K), s[3], 1e-6 * meanLoss(ld, y, K), "mean loss");
        assertEquals(2.0 / B, s[4], 1e-7, "accuracy");
        for (int i = 0; i < s.length; i++) if (i != 3 && i != 4) assertTrue(Float.isNaN(s[i]), "wrote stats slot " + i);

        double h = 1e-5;
        for (int k = 0; k < l.length; k++) {
            double[] up = ld.clone(), down = ld.clone();
            up[k] += h;
            down[k] -= h;
            double numeric = (meanLoss(up, y, K) - meanLoss(down, y, K)) / (2 * h);
            assertEquals(numeric, g[k], 1e-6, "dLogits[" + k + "]");
        }
    }

    @Test
    void hugeScoresStayFinite() {
        Tensor d = be.zeros(1, 3), st = be.zeros(2);
        be.softmaxCrossEntropy(d, be.upload(new float[] {1000f, -1000f, 999f}, 1, 3), be.upload(new int[] {2}, 1), st, 0);
        float[] g = be.download(d), s = be.download(st);
        assertEquals(1 + Math.log1p(Math.exp(-1)), s[0], 1e-6, "loss = lse - l[label]");
        assertEquals(0f, s[1]);
        for (float v : g) assertTrue(Float.isFinite(v), Arrays.toString(g));
        assertEquals(0f, g[0] + g[1] + g[2], 1e-7, "a row of the gradient sums to 0");
    }

    @Test
    void aLabelOutOfRangeIsRefused() {
        Tensor d = be.zeros(2, 3), st = be.zeros(2), logits = be.zeros(2, 3);
        var e = assertThrows(IndexOutOfBoundsException.class, () -> be.softmaxCrossEntropy(d, logits, be.upload(new int[] {0, 3}, 2), st, 0));
        assertTrue(e.getMessage().contains("label 3 of row 1"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> be.softmaxCrossEntropy(d, logits, be.upload(new int[] {-1, 0}, 2), st, 0));
    }
}
