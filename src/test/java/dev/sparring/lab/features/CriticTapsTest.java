package dev.sparring.lab.features;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.Dcgan;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Sequential;
import dev.sparring.random.NoiseStream;
import dev.sparring.random.Philox;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The taps of a DCGAN critic: where they sit, eval-mode batch norm, and the projection critic's labels. */
class CriticTapsTest {
    private static float[] images(int n, long seed) {
        float[] x = new float[n * 28 * 28];
        NoiseStream s = NoiseStream.derive(seed, "taps-test");
        Philox.normals(s.seed(), s.take(x.length), x, 0, x.length);
        return x;
    }

    /** A critic whose batch-norm running statistics are not the defaults (0, 1), as a trained one's. */
    private static Network critic(CpuBackend be, int classes) {
        Network d = Dcgan.discriminator(be, new Dcgan.Config(28, 1, 4, 4, 4, classes), new NoiseStream(1, 0));
        for (var e : d.namedBuffers().entrySet()) {
            float[] v = be.download(e.getValue());
            for (int i = 0; i < v.length; i++) v[i] = e.getKey().endsWith("running_var") ? 0.5f + 0.1f * i : 0.05f * i - 0.1f;
            be.copyFromHost(v, e.getValue());
        }
        return d;
    }

    @Test
    void tapsArePostActivationBlockOutputsAndLeadToTheScore() {
        try (CpuBackend be = new CpuBackend()) {
            Network d = critic(be, 0);
            CriticTaps taps = new CriticTaps(d);
            List<CriticTaps.Tap> t = taps.taps();
            assertEquals(2, t.size(), "28 px: two blocks before the last convolution");
            assertArrayEquals(new int[] {4, 14, 14}, t.get(0).shape());
            assertArrayEquals(new int[] {8, 7, 7}, t.get(1).shape());
            assertEquals("main.0 conv + main.1 leaky_relu", t.get(0).layers());
            assertEquals("main.2 conv + main.3 batch norm + main.4 leaky_relu", t.get(1).layers());
            try (Tensor x = be.upload(images(3, 1), 3, 1, 28, 28)) {
                CriticTaps.Outputs o = taps.forward(x, null);
                List<Layer> layers = ((Sequential) d.root()).layers();
                // block 1 = LeakyReLU(0.2) of the first convolution's output
                float[] conv = be.download(layers.get(0).forward(x, Pass.EVAL));
                assertEquals(conv.length, o.taps()[0].length);
                for (int i = 0; i < conv.length; i++) assertEquals(conv[i] > 0 ? conv[i] : 0.2f * conv[i], o.taps()[0][i], 1e-6f, "block 1 at " + i);
                // block 2 through the last convolution and the reshape is the critic's score
                Tensor h = be.upload(o.taps()[1], 3, 8, 7, 7);
                for (Layer l : layers.subList(5, layers.size())) h = l.forward(h, Pass.EVAL);
                assertArrayEquals(be.download(h), o.scores(), 1e-5f);
                assertArrayEquals(be.download(d.forward(x, Pass.EVAL)), o.scores(), 0f);
            }
        }
    }

    @Test
    void evalModeFeaturesDependOnTheImageAlone() {
        try (CpuBackend be = new CpuBackend()) {
            CriticTaps taps = new CriticTaps(critic(be, 0));
            float[] three = images(3, 2);
            try (Tensor x3 = be.upload(three, 3, 1, 28, 28); Tensor x1 = be.upload(Arrays.copyOf(three, 28 * 28), 1, 1, 28, 28)) {
                CriticTaps.Outputs all = taps.forward(x3, null);
                float[] second = all.taps()[1].clone();
                CriticTaps.Outputs one = taps.forward(x1, null);
                assertArrayEquals(Arrays.copyOf(second, 8 * 49), one.taps()[1], 1e-6f, "image 0's block 2 with or without its batch-mates");
                assertEquals(all.scores()[0], one.scores()[0], 1e-5f);
                // a training pass normalises by the batch: the same image's features then depend on its batch-mates
                CriticTaps.Outputs batch = taps.forward(x3, null, Pass.TRAIN);
                assertFalse(Arrays.equals(Arrays.copyOf(batch.taps()[1], 8 * 49), Arrays.copyOf(second, 8 * 49)));
            }
        }
    }

    @Test
    void aProjectionCriticScoresWithTheLabelsItIsGiven() {
        try (CpuBackend be = new CpuBackend()) {
            Network d = critic(be, 3);
            CriticTaps taps = new CriticTaps(d);
            assertEquals(2, taps.taps().size());
            try (Tensor x = be.upload(images(2, 3), 2, 1, 28, 28);
                 Tensor y0 = be.upload(new float[] {1, 0, 0, 0, 1, 0}, 2, 3); Tensor y1 = be.upload(new float[] {0, 0, 1, 0, 0, 1}, 2, 3)) {
                CriticTaps.Outputs a = taps.forward(x, y0), b = taps.forward(x, y1);
                assertArrayEquals(a.taps()[1], b.taps()[1], 0f, "the body takes no labels");
                assertFalse(Arrays.equals(a.scores(), b.scores()), "the score does");
                Dcgan.projection(d).labels(Pass.EVAL, y1);
                assertArrayEquals(be.download(d.forward(x, Pass.EVAL)), b.scores(), 0f);
                assertThrows(IllegalArgumentException.class, () -> taps.forward(x, null));
            }
        }
    }
}
