package dev.sparring.backend.cpu;

import dev.sparring.backend.Activation;
import dev.sparring.tensor.Shapes;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fused batch norm + activation ops against the unfused pair they replace, bit for bit: batchNormActTrain against
 * batchNormTrain then activationForward, batchNormActBackward against activationBackward then batchNormBackward.
 */
class BatchNormActTest {

    /** Shapes: the DCGAN's (32, 64, 7, 7) and (32, 32, 14, 14), planes off the vector width, C off the group of four, (N, C). */
    static final int[][] SHAPES = {{32, 64, 7, 7}, {32, 32, 14, 14}, {3, 6, 5, 3}, {2, 7, 1, 1}, {5, 9}, {1, 3, 4, 4}};

    static float[] randn(SplittableRandom r, int n, double mean, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (mean + std * r.nextGaussian());
        return v;
    }

    record Run(float[] y, float[] saveMean, float[] saveInvStd, float[] runMean, float[] runVar, float[] dx, float[] dgamma, float[] dbeta) { }

    /** One forward and backward in train mode, fused or as the two unfused ops. */
    static Run run(CpuBackend be, boolean fused, Activation act, double alpha, int[] s, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = (int) Shapes.size(s), C = s[1];
        Tensor x = be.upload(randn(r, n, 0.3, 1.7), s);
        Tensor gamma = be.upload(randn(r, C, 1, 0.3), C), beta = be.upload(randn(r, C, 0.1, 0.5), C);
        Tensor rm = be.upload(randn(r, C, 0, 0.5), C), rv = be.upload(randn(r, C, 2, 0.2), C);
        float[] dyv = randn(r, n, 0, 1);
        for (int i = 0; i < n; i += 17) dyv[i] = (i & 1) == 0 ? 0f : -0f;   // signed zeros through the select
        Tensor dy = be.upload(dyv, s);
        Tensor dg = be.upload(randn(r, C, 0, 1), C), db = be.upload(randn(r, C, 0, 1), C);   // accumulated into
        Tensor y = be.zeros(s), sm = be.zeros(C), si = be.zeros(C), dx = be.zeros(s);
        if (fused) {
            be.batchNormActTrain(act, alpha, y, sm, si, x, gamma, beta, rm, rv, 0.1, 1e-5);
            be.batchNormActBackward(act, alpha, dx, dg, db, dy, y, x, gamma, sm, si, 1e-5);
        } else {
            Tensor bn = be.zeros(s), dbn = be.zeros(s);
            be.batchNormTrain(bn, sm, si, x, gamma, beta, rm, rv, 0.1, 1e-5);
            be.activationForward(act, alpha, y, bn);
            be.activationBackward(act, alpha, dbn, dy, bn, y);
            be.batchNormBackward(dx, dg, db, dbn, x, gamma, sm, si, 1e-5);
        }
        return new Run(be.download(y), be.download(sm), be.download(si), be.download(rm), be.download(rv), be.download(dx),
                be.download(dg), be.download(db));
    }

    @Test
    void fusedOpsGiveTheUnfusedPairsBits() {
        try (CpuBackend be = new CpuBackend()) {
            for (Activation act : new Activation[] {Activation.RELU, Activation.LEAKY_RELU}) {
                for (int[] s : SHAPES) {
                    String what = act + " " + Arrays.toString(s);
                    Run want = run(be, false, act, 0.2, s, 11), got = run(be, true, act, 0.2, s, 11);
                    assertArrayEquals(want.y(), got.y(), what + ": y");
                    assertArrayEquals(want.saveMean(), got.saveMean(), what + ": saveMean");
                    assertArrayEquals(want.saveInvStd(), got.saveInvStd(), what + ": saveInvStd");
                    assertArrayEquals(want.runMean(), got.runMean(), what + ": runMean");
                    assertArrayEquals(want.runVar(), got.runVar(), what + ": runVar");
                    assertArrayEquals(want.dx(), got.dx(), what + ": dx");
                    assertArrayEquals(want.dgamma(), got.dgamma(), what + ": dgamma");
                    assertArrayEquals(want.dbeta(), got.dbeta(), what + ": dbeta");
                    boolean someNegative = false;
                    for (float v : got.y()) someNegative |= act == Activation.LEAKY_RELU && v < 0;
                    assertTrue(act == Activation.RELU || someNegative, what + ": the negative side was exercised");
                }
            }
        }
    }

    /** The batch norm sums of four channels side by side: the same statistics as a channel alone (C = 1 runs the single path). */
    @Test
    void groupedChannelSumsGiveEachChannelsBits() {
        try (CpuBackend be = new CpuBackend()) {
            int[] s = {4, 5, 6, 6};
            SplittableRandom r = new SplittableRandom(3);
            float[] xv = randn(r, 4 * 5 * 36, 0.2, 3);
            Tensor x = be.upload(xv, s), g = be.upload(randn(r, 5, 1, 0.3), 5), b = be.upload(randn(r, 5, 0, 0.3), 5);
            Tensor y = be.zeros(s), sm = be.zeros(5), si = be.zeros(5), rm = be.zeros(5), rv = be.zeros(5);
            be.batchNormTrain(y, sm, si, x, g, b, rm, rv, 0.1, 1e-5);
            float[] ya = be.download(y), sma = be.download(sm), sia = be.download(si);
            for (int c = 0; c < 5; c++) {
                float[] xc = new float[4 * 36];
                for (int n = 0; n < 4; n++) System.arraycopy(xv, (n * 5 + c) * 36, xc, n * 36, 36);
                int[] s1 = {4, 1, 6, 6};
                Tensor x1 = be.upload(xc, s1), y1 = be.zeros(s1), sm1 = be.zeros(1), si1 = be.zeros(1);
                be.batchNormTrain(y1, sm1, si1, x1, be.upload(new float[] {be.download(g)[c]}, 1), be.upload(new float[] {be.download(b)[c]}, 1),
                        be.zeros(1), be.zeros(1), 0.1, 1e-5);
                assertArrayEquals(new float[] {sma[c]}, be.download(sm1), "channel " + c + " mean");
                assertArrayEquals(new float[] {sia[c]}, be.download(si1), "channel " + c + " inverse std");
                float[] y1v = be.download(y1);
                for (int n = 0; n < 4; n++) {
                    assertArrayEquals(Arrays.copyOfRange(ya, (n * 5 + c) * 36, (n * 5 + c + 1) * 36), Arrays.copyOfRange(y1v, n * 36, (n + 1) * 36),
                            "channel " + c + " image " + n);
                }
            }
        }
    }

    @Test
    void refusesWhatDoesNotFuse() {
        try (CpuBackend be = new CpuBackend()) {
            int[] s = {2, 3, 2, 2};
            Tensor x = be.zeros(s), y = be.zeros(s), dx = be.zeros(s), dy = be.zeros(s), c = be.zeros(3);
            assertThrows(IllegalArgumentException.class, () -> be.batchNormActTrain(Activation.TANH, 0, y, c, c, x, c, c, c, c, 0.1, 1e-5));
            assertThrows(IllegalArgumentException.class, () -> be.batchNormActTrain(Activation.LEAKY_RELU, -0.1, y, c, c, x, c, c, c, c, 0.1, 1e-5));
            assertThrows(IllegalArgumentException.class, () -> be.batchNormActBackward(Activation.SIGMOID, 0, dx, c, c, dy, y, x, c, c, c, 1e-5));
            assertThrows(IllegalArgumentException.class, () -> be.batchNormActBackward(Activation.RELU, 0, dy, c, c, dy, y, x, c, c, c, 1e-5));
        }
    }
}
