package dev.sparring.lab.latent;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.Dcgan;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ReferenceStatisticsTest {
    private static final int NZ = 8;

    @Test
    void aFixedGeneratorDrawsTheReferenceBatchAsTrainingModeDoesAndEachImageFromItsLatentAlone() {
        try (CpuBackend be = new CpuBackend()) {
            Network g = Dcgan.generator(be, new Dcgan.Config(28, 1, NZ, 4, 4), new NoiseStream(3, 0));
            Tensor ref = be.zeros(16, NZ, 1, 1);
            be.normal(ref, 11, 0);
            // training mode over the reference batch: normalised by its own statistics
            float[] train = be.download(g.forward(ref, Pass.FAKE));
            assertEquals(2, ReferenceStatistics.fix(be, g, ref), "the 28 px generator has two batch-norm layers");
            float[] fixed = be.download(g.forward(ref, Pass.EVAL));
            float max = 0;
            for (int i = 0; i < train.length; i++) max = Math.max(max, Math.abs(train[i] - fixed[i]));
            // float rounding gives about 3e-8; the unbiased variance instead of the biased one gives 5e-5
            assertEquals(0, max, 1e-6, "eval with the reference statistics is training mode over the reference batch");

            // an image depends on its own latent only: the same first latent beside different batch-mates
            Tensor z1 = be.zeros(3, NZ, 1, 1), z2 = be.zeros(3, NZ, 1, 1);
            be.normal(z1, 5, 0);
            float[] a = be.download(z1);
            float[] b = a.clone();
            for (int i = NZ; i < b.length; i++) b[i] = -3 * b[i];
            be.copyFromHost(b, z2);
            int item = 28 * 28;
            float[] x1 = Arrays.copyOf(be.download(g.forward(z1, Pass.EVAL)), item);
            float[] x2 = Arrays.copyOf(be.download(g.forward(z2, Pass.EVAL)), item);
            assertArrayEquals(x1, x2);
            // in training mode (as sample draws) the batch-mates move it
            float[] t1 = Arrays.copyOf(be.download(g.forward(z1, Pass.FAKE)), item);
            float[] t2 = Arrays.copyOf(be.download(g.forward(z2, Pass.FAKE)), item);
            assertFalse(Arrays.equals(t1, t2));
        }
    }
}
