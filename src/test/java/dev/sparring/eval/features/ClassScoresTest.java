package dev.sparring.eval.features;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The classifier's verdict on a set of samples, against hand-computed values and the score's limits. */
class ClassScoresTest {

    @Test
    void certainSamplesOfEveryClassEquallyScoreTheNumberOfClasses() {
        int K = 4;
        float[] p = new float[8 * K];
        for (int i = 0; i < 8; i++) p[i * K + i % K] = 1f;
        ClassScores s = ClassScores.of(p, K);
        assertEquals(K, s.inceptionScore(), 1e-12);
        assertEquals(1.0, s.confidentShare());
        assertArrayEquals(new int[] {2, 2, 2, 2}, s.counts());
        for (int k = 0; k < K; k++) assertEquals(0.25, s.share(k));
    }

    @Test
    void samplesWithOneAndTheSameDistributionScoreOne() {
        float[] p = {0.7f, 0.2f, 0.1f, 0.7f, 0.2f, 0.1f, 0.7f, 0.2f, 0.1f};
        ClassScores s = ClassScores.of(p, 3);
        assertEquals(1.0, s.inceptionScore(), 1e-12);
        assertEquals(0.0, s.confidentShare());
        assertArrayEquals(new int[] {3, 0, 0}, s.counts());
    }

    @Test
    void aHandComputedScore() {
        // two samples: (0.95, 0.05) and (0.25, 0.75); p(y) = (0.6, 0.4)
        float[] p = {0.95f, 0.05f, 0.25f, 0.75f};
        double kl1 = 0.95f * Math.log(0.95f / 0.6) + 0.05f * Math.log(0.05f / 0.4);
        double kl2 = 0.25f * Math.log(0.25f / 0.6) + 0.75f * Math.log(0.75f / 0.4);
        ClassScores s = ClassScores.of(p, 2);
        assertEquals(Math.exp((kl1 + kl2) / 2), s.inceptionScore(), 1e-7);
        assertEquals(0.6, s.marginal()[0], 1e-7);
        assertEquals(1, s.confident(), "0.95 counts as confident at 0.9, 0.75 does not");
        assertArrayEquals(new int[] {1, 1}, s.counts());
        assertEquals(2, ClassScores.of(p, 2, 0.75).confident(), "a probability equal to the threshold counts");
    }

    @Test
    void samplesAddedInBatchesScoreAsAllAtOnce() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        float[] logits = new float[30 * 4];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (3 * r.nextGaussian());
        float[] p = ClassScores.softmax(logits, 4);
        ClassScores all = ClassScores.of(p, 4);
        ClassScores.Accumulator a = new ClassScores.Accumulator(4, ClassScores.CONFIDENCE);
        a.add(java.util.Arrays.copyOfRange(p, 0, 7 * 4));
        a.add(java.util.Arrays.copyOfRange(p, 7 * 4, 30 * 4));
        ClassScores batched = a.scores();
        assertEquals(all.inceptionScore(), batched.inceptionScore(), 1e-12);
        assertArrayEquals(all.counts(), batched.counts());
        assertEquals(all.confident(), batched.confident());
        assertEquals(30, batched.samples());
        assertTrue(all.inceptionScore() > 1 && all.inceptionScore() < 4, "IS " + all.inceptionScore());
    }

    @Test
    void theFirstOfEqualProbabilitiesIsTheClass() {
        float[] p = {0.1f, 0.45f, 0.45f};
        assertArrayEquals(new int[] {1}, ClassScores.assignments(p, 3));
        assertArrayEquals(new int[] {0, 1, 0}, ClassScores.of(p, 3).counts());
    }

    @Test
    void softmaxIsTheDefinitionAndStaysFiniteForHugeScores() {
        float[] p = ClassScores.softmax(new float[] {1f, 2f, 3f, 1000f, 0f, -1000f}, 3);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertEquals(Math.exp(1) / z, p[0], 1e-7);
        assertEquals(Math.exp(3) / z, p[2], 1e-7);
        assertArrayEquals(new float[] {1f, 0f, 0f}, java.util.Arrays.copyOfRange(p, 3, 6));
    }
}
