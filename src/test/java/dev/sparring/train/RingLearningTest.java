package dev.sparring.train;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.Mixture2D;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The learning check: a small MLP GAN trained on the CPU on the 8-Gaussian ring (radius 2, sigma 0.02) must
 * cover at least 7 of the 8 modes, with at least 70 % of its samples within 3 sigma of a mode.
 */
class RingLearningTest {
    @Test
    void nonSaturatingGanCoversTheRing() {
        TrainConfig cfg = TrainConfig.defaults().with("data", "ring8").with("model", "mlp")
                .with("hidden", Integer.getInteger("ring.hidden", 128)).with("depth", Integer.getInteger("ring.depth", 3))
                .with("nz", Integer.getInteger("ring.nz", 16)).with("batch", Integer.getInteger("ring.batch", 256))
                .with("lrD", Double.parseDouble(System.getProperty("ring.lr", "1e-3")))
                .with("lrG", Double.parseDouble(System.getProperty("ring.lr", "1e-3")))
                .with("steps", Long.getLong("ring.steps", 2000L)).with("logEvery", 100)
                .with("seed", Long.getLong("ring.seed", 1L));
        Mixture2D ring = (Mixture2D) Datasets.open("ring8", 0, 0);
        try (Trainer t = new Trainer(cfg, new CpuBackend(), ring, TestLosses.nonSaturating())) {
            for (long s = 0; s < cfg.steps(); s++) {
                t.step();
                if ((s + 1) % cfg.logEvery() == 0) {
                    t.drainMetrics();
                    if (Boolean.getBoolean("ring.trace") && (s + 1) % 500 == 0) {
                        System.out.println("step " + (s + 1) + ": " + ring.coverage(t.fixedSamples(2000), 2000));
                    }
                }
            }
            Mixture2D.Coverage c = ring.coverage(t.fixedSamples(2000), 2000);
            System.out.println("ring8 after " + cfg.steps() + " steps: " + c);
            assertTrue(c.modesCovered() >= 7, "modes covered: " + c);
            assertTrue(c.highQualityShare() >= 0.70, "high-quality share: " + c);
        }
    }
}
