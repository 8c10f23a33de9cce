package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.ImageDataset;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.random.NoiseStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** A class-conditional DCGAN ({@link TrainConfig#conditional()}): it learns the labels, and it resumes bit for bit. */
class ConditionalTrainingTest {
    private final Backend be = new CpuBackend();

    /**
     * 4 classes of 28 x 28 images: a bright 14 x 14 square in quadrant k (0 top left, 1 top right, 2 bottom left,
     * 3 bottom right) on a dark ground, with pixel noise, labelled k: a toy set whose class any sample shows plainly.
     */
    static ImageDataset quadrants(int n, long seed) {
        NoiseStream rng = new NoiseStream(seed, 0);
        byte[] px = new byte[n * 28 * 28];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int k = i % 4;
            labels[i] = k;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    boolean in = (y < 14) == (k < 2) && (x < 14) == (k % 2 == 0);
                    int v = (in ? 220 : 20) + rng.nextInt(31) - 15;
                    px[i * 784 + y * 28 + x] = (byte) v;
                }
            }
        }
        return new ImageDataset("quadrants", px, n, 1, 28, 28, labels);
    }

    /** The quadrant of largest mean brightness of each image (N, 1, 28, 28). */
    static int[] brightestQuadrant(float[] images, int n) {
        int[] q = new int[n];
        for (int i = 0; i < n; i++) {
            double[] sum = new double[4];
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) sum[(y < 14 ? 0 : 2) + (x < 14 ? 0 : 1)] += images[i * 784 + y * 28 + x];
            }
            for (int k = 1; k < 4; k++) if (sum[k] > sum[q[i]]) q[i] = k;
        }
        return q;
    }

    static TrainConfig small() {
        return TrainerTest.smallDcgan().toBuilder().conditional(true).steps(150).emaDecay(0).build();
    }

    @Test
    void samplesShowTheClassTheyAreDrawnFor() {
        try (Trainer t = new Trainer(small(), be, quadrants(256, 5), TestLosses.nonSaturating())) {
            assertEquals(4, t.classes(), "the classes of the labels, resolved from the data");
            assertEquals(4, t.config().classes(), "and recorded in the configuration");
            for (int s = 0; s < 150; s++) t.step();
            int n = 64;
            int[] shown = brightestQuadrant(t.fixedSamples(n), n);   // sample i drawn for class i mod 4
            int hits = 0;
            for (int i = 0; i < n; i++) if (shown[i] == i % 4) hits++;
            // chance is a quarter (16 of 64); a generator that ignores its labels cannot place a sample's square
            // by the label it was drawn for
            assertTrue(hits >= 0.8 * n, hits + " of " + n + " samples show their requested class: " + Arrays.toString(shown));
        }
    }

    @Test
    void aResumedConditionalRunEqualsAnUninterruptedOne(@TempDir Path dir) throws IOException {
        TrainConfig cfg = small().toBuilder().steps(6).build();
        ImageDataset data = quadrants(64, 6);
        float[] straight;
        try (Trainer t = new Trainer(cfg, be, data, TestLosses.nonSaturating())) {
            for (int s = 0; s < 6; s++) t.step();
            straight = be.download(t.critic().namedParameters().get("embedding.weight").value());
        }
        Path file = dir.resolve("step3.safetensors");
        try (Trainer t = new Trainer(cfg, be, data, TestLosses.nonSaturating())) {
            for (int s = 0; s < 3; s++) t.step();
            Checkpoint.save(t, file);
        }
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig saved = Checkpoint.config(f);
        assertTrue(saved.conditional());
        assertEquals(4, saved.classes());
        assertTrue(f.contains("D.embedding.weight") && f.contains("D.main.5.weight"), "the critic's state under PyTorch-style names");
        try (Trainer t = new Trainer(saved, be, data, TestLosses.nonSaturating())) {
            Checkpoint.restore(t, f);
            for (int s = 3; s < 6; s++) t.step();
            assertArrayEquals(straight, be.download(t.critic().namedParameters().get("embedding.weight").value()),
                    "the fake labels' stream and the real labels' order resume where they were");
        }
    }

    /**
     * The gradient penalties on the projection critic (their gradient is proven in nn.DoubleBackwardTest): a conditional
     * run with WGAN-GP, R1 and R2 trains with finite metrics, and WGAN-GP, which differentiates x̂ with the real labels in
     * the fake batch's slot, gives that slot its fake labels back for the generator step.
     */
    @Test
    void aConditionalRunTrainsWithGradientPenalties() {
        TrainConfig cfg = small().toBuilder().gp(10).r1(1).r2(1).steps(4).logEvery(4).build();
        try (Trainer t = new Trainer(cfg, be, quadrants(64, 3), TestLosses.nonSaturating())) {
            dev.sparring.nn.Projection p = dev.sparring.gan.Dcgan.projection(t.critic());
            for (int s = 0; s < 4; s++) {
                t.step();
                assertNotSame(p.labels(dev.sparring.nn.Pass.REAL), p.labels(dev.sparring.nn.Pass.FAKE), "the fake labels are back in slot FAKE");
            }
            for (Metrics m : t.drainMetrics()) {
                assertTrue(Double.isFinite(m.dLoss()) && Double.isFinite(m.gLoss()), m.toString());
                for (String k : java.util.List.of("gp", "gp_grad_norm", "r1", "r1_grad_norm", "r2", "r2_grad_norm")) {
                    assertTrue(Double.isFinite(m.penalties().get(k)) && m.penalties().get(k) > 0, k + " " + m.penalties());
                }
            }
        }
    }

    @Test
    void dataThatCannotBeTrainedConditionallyIsRefusedInOneLine() {
        TrainConfig cfg = small().toBuilder().data("idx:digits-idx3-ubyte").build();
        ImageDataset q = quadrants(16, 1);
        ImageDataset unlabelled = new ImageDataset("u", q.pixels(), 16, 1, 28, 28, null);
        String m = assertThrows(UserError.class, () -> new Trainer(cfg, be, unlabelled, TestLosses.nonSaturating())).getMessage();
        assertTrue(m.startsWith("--conditional: --data idx:digits-idx3-ubyte has no labels"), m);
        int[] one = new int[16];
        Arrays.fill(one, 3);
        m = assertThrows(UserError.class, () -> new Trainer(cfg, be, new ImageDataset("o", q.pixels(), 16, 1, 28, 28, one),
                TestLosses.nonSaturating())).getMessage();
        assertTrue(m.contains("has one class only (every label is 3)"), m);
        int[] gap = q.labels().clone();
        for (int i = 0; i < gap.length; i++) if (gap[i] == 2) gap[i] = 1;
        m = assertThrows(UserError.class, () -> new Trainer(cfg, be, new ImageDataset("g", q.pixels(), 16, 1, 28, 28, gap),
                TestLosses.nonSaturating())).getMessage();
        assertTrue(m.contains("no image of class 2"), m);
        // a run of 3 classes resumed on data with a label 3
        m = assertThrows(UserError.class, () -> new Trainer(cfg.toBuilder().classes(3).build(), be, q, TestLosses.nonSaturating())).getMessage();
        assertTrue(m.contains("has label 3 (label 3), out of the run's 3 classes (0 to 2)"), m);
        assertFalse(m.contains("\n"), "one line");
        m = assertThrows(UserError.class, () -> new Trainer(cfg.toBuilder().data("ring8").build(), be,
                dev.sparring.data.Datasets.open("ring8", 0, 0), TestLosses.nonSaturating())).getMessage();
        assertTrue(m.startsWith("--conditional"), m);
    }
}
