package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.linalg.Eigenvalues;
import dev.sparring.linalg.Eigenvalues.Eigenvalue;
import dev.sparring.nn.Act;
import dev.sparring.nn.Linear;
import dev.sparring.nn.Network;
import dev.sparring.nn.Reshape;
import dev.sparring.nn.Sequential;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Arnoldi's eigenvalues of the game Jacobian against those of the dense Jᵀ, built column by column on a tiny MLP game. */
class JacobianSpectrumTest {
    private final Backend be = new CpuBackend();

    @Test
    void arnoldiOverTheWholeSpaceGivesTheDenseJacobiansEigenvalues() {
        Network g = new Network("G", "main", new Sequential(be, List.of(new Linear(be, 2, 3, true), Act.tanh(be),
                new Linear(be, 3, 2, true))), 2);
        Network d = new Network("D", "main", new Sequential(be, List.of(new Linear(be, 2, 3, true), Act.leakyRelu(be, 0.2),
                new Linear(be, 3, 1, true), new Reshape(be))), 2);
        SplittableRandom r = new SplittableRandom(7);
        for (Network net : List.of(g, d)) for (var p : net.namedParameters().values()) be.copyFromHost(randn(r, p.value().sizeInt()), p.value());
        try (GameJacobian jac = new GameJacobian(g, d, TrainLoss.of(GanLoss.parse("nsgan")))) {
            jac.field(be.upload(randn(r, 12), 6, 2), be.upload(randn(r, 12), 6, 2), be.zeros(16), 0, 5);
            int n = 0;
            for (Tensor t : jac.grads()) n += t.sizeInt();
            assertEquals(30, n);
            List<Tensor> u = new ArrayList<>();
            for (Tensor t : jac.grads()) u.add(be.zeros(t.shape()));
            double[][] jt = new double[n][n];          // Jᵀ, column i = Jᵀ e_i
            for (int i = 0; i < n; i++) {
                double[] e = new double[n];
                e[i] = 1;
                double[] col = JacobianSpectrum.times(jac, u, e, n);
                for (int row = 0; row < n; row++) jt[row][i] = col[row];
            }
            List<Eigenvalue> dense = Eigenvalues.of(jt);
            List<Eigenvalue> arnoldi = JacobianSpectrum.largest(jac, 6, n, 3);
            assertEquals(6, arnoldi.size());
            // conjugate pairs share a magnitude, so match each Ritz value to its nearest dense eigenvalue
            double scale = dense.getFirst().magnitude();
            assertTrue(scale > 1e-3, "a Jacobian that is not ~0: " + dense);
            for (int i = 0; i < arnoldi.size(); i++) {
                Eigenvalue a = arnoldi.get(i);
                double best = Double.POSITIVE_INFINITY;
                for (Eigenvalue e : dense) best = Math.min(best, Math.hypot(a.re() - e.re(), a.im() - e.im()));
                // float32 products (~1e-6 relative) through 30 Arnoldi steps: 1e-3 of the largest magnitude
                assertTrue(best < 1e-3 * scale, "Ritz value " + a + " is " + best + " from every dense eigenvalue " + dense);
                assertEquals(dense.get(i).magnitude(), a.magnitude(), 1e-3 * scale, "the " + i + "th largest magnitude");
            }
        }
    }

    private static float[] randn(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (0.8 * r.nextGaussian());
        return a;
    }
}
