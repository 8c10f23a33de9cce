package dev.sparring.gan.loss;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The loss kernels through the CPU backend's fused loss ops: the reported L_D, L_G and gradients follow the
 * convention (L_D = -(mean phi + mean psi), dt = -phi'/B, -psi'/B; L_G = mean beta, dt = beta'/B), and a
 * critic sitting at t* = omega(1) on both batches reports exactly the equilibrium loss the trainer draws.
 */
class BackendContractTest {

    @Test
    void cpuBackendReportsTheConventionAndTheEquilibrium() {
        try (CpuBackend be = new CpuBackend()) {
            float[] tr = {-2.5f, 0.3f, 1.75f, 4f}, tf = {-1f, -0.2f, 0.6f};
            Tensor tReal = be.upload(tr, 4), tFake = be.upload(tf, 3);
            Tensor dtReal = be.zeros(DType.F32, 4), dtFake = be.zeros(DType.F32, 3), stats = be.zeros(DType.F32, 8);
            for (String name : new String[] {"nsgan", "lsgan:a=-1,b=1,c=0", "fgan-kl", "lr-exp", "hinge"}) {
                GanLoss loss = GanLoss.parse(name);
                be.criticLoss(loss.kernel(), dtReal, dtFake, tReal, tFake, stats, 0);
                be.generatorLoss(loss.kernel(), dtFake, tFake, stats, 5);
                float[] st = be.download(stats), dr = be.download(dtReal), df = be.download(dtFake);
                double sPhi = 0, sPsi = 0, sBeta = 0;
                for (int i = 0; i < tr.length; i++) {
                    sPhi += loss.phi().eval(tr[i]);
                    assertEquals(-loss.dphi().eval(tr[i]) / tr.length, dr[i], 1e-6, name + " dt_real");
                }
                for (int i = 0; i < tf.length; i++) {
                    sPsi += loss.psi().eval(tf[i]);
                    sBeta += loss.beta().eval(tf[i]);
                    assertEquals(loss.dbeta().eval(tf[i]) / tf.length, df[i], 1e-6, name + " dt_fake (generator)");
                }
                assertEquals(-(sPhi / tr.length + sPsi / tf.length), st[0], 1e-5 * (1 + Math.abs(st[0])), name + " L_D");
                assertEquals(sBeta / tf.length, st[5], 1e-5 * (1 + Math.abs(st[5])), name + " L_G");
            }
            // at p = q the optimal critic outputs t* = omega(1) everywhere: the backend then reports L_D* and L_G*
            for (String name : new String[] {"minimax", "nsgan", "lsgan", "lr-exp", "fgan-js", "lr-lsgan"}) {
                GanLoss loss = GanLoss.parse(name);
                float t1 = (float) loss.check().equilibriumT();
                Tensor at = be.upload(new float[] {t1, t1}, 2);
                be.criticLoss(loss.kernel(), be.zeros(DType.F32, 2), be.zeros(DType.F32, 2), at, at, stats, 0);
                be.generatorLoss(loss.kernel(), be.zeros(DType.F32, 2), at, stats, 5);
                float[] st = be.download(stats);
                assertEquals(loss.equilibriumCriticLoss(), st[0], 1e-6, name + " L_D at the equilibrium");
                assertEquals(loss.equilibriumGeneratorLoss(), st[5], 1e-6, name + " L_G at the equilibrium");
            }
        }
    }
}
