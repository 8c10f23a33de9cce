package dev.sparring.gan.loss;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The loss kernels through the CPU backend's fused loss ops: the reported L_D, L_G, statistics and gradients follow
 * the convention (L_D = -(mean phi + mean psi), dt_real = -phi'/B, dt_fake = -psi'/B; L_G = mean beta,
 * dt = beta'/B; then mean sigmoid(t) and mean t of each batch), each op writes its own slots of the stats block and
 * no others, and a critic sitting at t* = omega(1) on both batches reports exactly the equilibrium loss the trainer
 * draws. Every output starts as NaN, so a value an op fails to write shows.
 */
class BackendContractTest {
    private static final String[] LOSSES = {"nsgan", "lsgan:a=-1,b=1,c=0", "fgan-kl", "lr-exp", "hinge"};
    private static final float[] T_REAL = {-2.5f, 0.3f, 1.75f, 4f}, T_FAKE = {-1f, -0.2f, 0.6f};
    /** A stats block of 16 floats; the ops write at slots inside it, as the trainer writes into a row of its block. */
    private static final int SLOTS = 16, CRITIC_SLOT = 3, GENERATOR_SLOT = 10;

    private static Tensor nans(CpuBackend be, int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN);
        return be.upload(a, n);
    }

    private static double sigmoid(double t) { return 1 / (1 + Math.exp(-t)); }

    private static void assertClose(double expected, float actual, String what) {
        assertEquals(expected, actual, 1e-6 * (1 + Math.abs(expected)), what);
    }

    /** Every slot of {@code stats} outside [from, from + n) is still NaN. */
    private static void assertOnlyWrote(float[] stats, int from, int n, String what) {
        for (int i = 0; i < stats.length; i++) {
            if (i < from || i >= from + n) assertTrue(Float.isNaN(stats[i]), what + " wrote stats slot " + i + " (" + stats[i] + ")");
        }
    }

    @Test
    void criticLossWritesLossStatisticsAndBothGradients() {
        try (CpuBackend be = new CpuBackend()) {
            for (String name : LOSSES) {
                GanLoss loss = GanLoss.parse(name);
                Tensor dtReal = nans(be, T_REAL.length), dtFake = nans(be, T_FAKE.length), stats = nans(be, SLOTS);
                be.criticLoss(loss.compiled(), dtReal, dtFake, be.upload(T_REAL, T_REAL.length), be.upload(T_FAKE, T_FAKE.length),
                        stats, CRITIC_SLOT);
                float[] st = be.download(stats), dr = be.download(dtReal), df = be.download(dtFake);
                int br = T_REAL.length, bf = T_FAKE.length;
                double sPhi = 0, sPsi = 0, sigReal = 0, sigFake = 0, sumReal = 0, sumFake = 0;
                for (int i = 0; i < br; i++) {
                    double t = T_REAL[i];
                    sPhi += loss.phi().eval(t);
                    sigReal += sigmoid(t);
                    sumReal += t;
                    assertClose(-loss.dphi().eval(t) / br, dr[i], name + " dt_real[" + i + "]");
                }
                for (int i = 0; i < bf; i++) {
                    double t = T_FAKE[i];
                    sPsi += loss.psi().eval(t);
                    sigFake += sigmoid(t);
                    sumFake += t;
                    assertClose(-loss.dpsi().eval(t) / bf, df[i], name + " dt_fake[" + i + "] (critic)");
                }
                double[] expected = {-(sPhi / br + sPsi / bf), sigReal / br, sigFake / bf, sumReal / br, sumFake / bf};
                String[] what = {"L_D", "mean sigmoid(t_real)", "mean sigmoid(t_fake)", "mean t_real", "mean t_fake"};
                for (int k = 0; k < expected.length; k++) assertClose(expected[k], st[CRITIC_SLOT + k], name + " " + what[k]);
                assertOnlyWrote(st, CRITIC_SLOT, 5, name + " criticLoss");
            }
        }
    }

    @Test
    void generatorLossWritesLossStatisticAndGradient() {
        try (CpuBackend be = new CpuBackend()) {
            for (String name : LOSSES) {
                GanLoss loss = GanLoss.parse(name);
                Tensor dtGen = nans(be, T_FAKE.length), stats = nans(be, SLOTS);
                be.generatorLoss(loss.compiled(), dtGen, be.upload(T_FAKE, T_FAKE.length), stats, GENERATOR_SLOT);
                float[] st = be.download(stats), dg = be.download(dtGen);
                int bf = T_FAKE.length;
                double sBeta = 0, sigFake = 0;
                for (int i = 0; i < bf; i++) {
                    double t = T_FAKE[i];
                    sBeta += loss.beta().eval(t);
                    sigFake += sigmoid(t);
                    assertClose(loss.dbeta().eval(t) / bf, dg[i], name + " dt_fake[" + i + "] (generator)");
                }
                assertClose(sBeta / bf, st[GENERATOR_SLOT], name + " L_G");
                assertClose(sigFake / bf, st[GENERATOR_SLOT + 1], name + " mean sigmoid(t_fake) (generator)");
                assertOnlyWrote(st, GENERATOR_SLOT, 2, name + " generatorLoss");
            }
        }
    }

    @Test
    void aCriticAtTheEquilibriumReportsTheEquilibriumLosses() {
        // at p = q the optimal critic outputs t* = omega(1) everywhere: the backend then reports L_D* and L_G*
        try (CpuBackend be = new CpuBackend()) {
            for (String name : new String[] {"minimax", "nsgan", "lsgan", "lr-exp", "fgan-js", "lr-lsgan"}) {
                GanLoss loss = GanLoss.parse(name);
                float t1 = (float) loss.check().equilibriumT();
                Tensor at = be.upload(new float[] {t1, t1}, 2), stats = nans(be, SLOTS);
                be.criticLoss(loss.compiled(), nans(be, 2), nans(be, 2), at, at, stats, CRITIC_SLOT);
                be.generatorLoss(loss.compiled(), nans(be, 2), at, stats, GENERATOR_SLOT);
                float[] st = be.download(stats);
                assertEquals(loss.equilibriumCriticLoss(), st[CRITIC_SLOT], 1e-6, name + " L_D at the equilibrium");
                assertEquals(loss.equilibriumGeneratorLoss(), st[GENERATOR_SLOT], 1e-6, name + " L_G at the equilibrium");
            }
        }
    }
}
