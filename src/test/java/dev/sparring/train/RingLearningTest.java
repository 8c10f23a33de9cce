package dev.sparring.train;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.loss.GanLoss;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The learning check: a small MLP GAN trained on the CPU on the 8-Gaussian ring (radius 2, sigma 0.02) must
 * cover at least 7 of the 8 modes, with at least 70 % of its samples within 3 sigma of a mode (2000 samples of G on
 * fixed noise, {@link Mixture2D#coverage}).
 *
 * <h2>The configuration, and why</h2>
 * G and D are MLPs with 2 hidden layers of 128 units, latent size 4, batch 128, loss {@code lr-logistic} (the logistic
 * critic of the minimax GAN with the generator loss beta(t) = -t), Adam(beta1 0.5), alternating updates, one critic
 * step. Training runs in two phases with a step decay of the learning rates: 3000 generator steps at lr D 2e-3 / G 1e-3,
 * then 2000 steps at a fifth of that (4e-4 / 2e-4), resumed from a checkpoint of the first phase (so the check also
 * covers a resume), since {@link TrainConfig} has no learning-rate schedule. About 20 s on a loaded 2-core machine.
 *
 * <p>What the tuning runs showed (ring8, CPU, G on fixed noise as here):
 * <ul>
 *   <li>Coverage and precision pull the learning rate in opposite directions. With Adam, G's clusters keep moving by
 *   about lr per weight per step, whatever the batch, and at lr 1e-3 they wander about 0.1 around the centres, more
 *   than the 3 sigma = 0.06 of the metric, so the verdict at a fixed step is a lottery: with this model at a constant
 *   2e-3/1e-3, seed 2 reads 8/8 modes 64 %, 5/8 48 %, 8/8 88 % at steps 3000, 4000, 5000, and 3 of seeds 5-10 fail at
 *   step 5000 (5/8 56 %, 7/8 65 %, 8/8 67 %). At lr 3e-4 to 5e-4 the clusters sit still but G drops modes early
 *   (2-7 of 8 after 8000 steps, MLP 3 x 64, nsgan and lsgan). Hence the decay: the fast phase spreads G over the
 *   modes, the slow phase pulls the clusters onto the centres (HQ 17-73 % at the decay, 79-87 % at the end).</li>
 *   <li>Critic rate twice the generator's and one critic step: with lr D 5x lr G, or with 2-3 critic steps, the early
 *   critic pushes G's whole initial blob one way and it lands on 1-3 modes (MLP 3 x 64). Equal rates were tried only
 *   without the decay.</li>
 *   <li>In the same two-phase schedule with MLP 3 x 64 and batch 64, lr-logistic and nsgan (Adam beta1 0) passed about
 *   6 of 7 seeds, minimax, lsgan, hinge and lr-lsgan 0-1 of 3. With MLP 2 x 128 (about the cost of 3 x 64 here),
 *   lr-logistic passed 5 of 5 seeds and nsgan (beta1 0) 1 of 5; with batch 128 instead of 64, lr-logistic passed
 *   seeds 1-11, all of them (7 or 8 modes, HQ 79-87 %).</li>
 * </ul>
 *
 * <p>System properties override each setting for tuning, e.g.
 * {@code ./build -q test -Dtest=RingLearningTest -Dring.seed=7 -Dring.trace=true}: ring.loss, ring.hidden, ring.depth,
 * ring.nz, ring.batch, ring.beta1, ring.lrD, ring.lrG, ring.steps (total generator steps), ring.decayAt (steps at the
 * first rates; equal to ring.steps for no decay), ring.decay (divisor of the rates after it), ring.seed,
 * ring.trace (print the coverage every 500 steps).
 */
class RingLearningTest {
    @Test
    void smallGanCoversTheRingOnTheCpu(@TempDir Path tmp) throws Exception {
        String lossSpec = System.getProperty("ring.loss", "lr-logistic");
        long steps = Long.getLong("ring.steps", 5000L);
        long decayAt = Long.getLong("ring.decayAt", 3000L);
        double decay = Double.parseDouble(System.getProperty("ring.decay", "5"));
        boolean trace = Boolean.getBoolean("ring.trace");
        TrainConfig fast = TrainConfig.defaults().with("data", "ring8").with("model", "mlp").with("loss", lossSpec)
                .with("hidden", Integer.getInteger("ring.hidden", 128)).with("depth", Integer.getInteger("ring.depth", 2))
                .with("nz", Integer.getInteger("ring.nz", 4)).with("batch", Integer.getInteger("ring.batch", 128))
                .with("optimizer", "adam").with("beta1", Double.parseDouble(System.getProperty("ring.beta1", "0.5")))
                .with("lrD", Double.parseDouble(System.getProperty("ring.lrD", "2e-3")))
                .with("lrG", Double.parseDouble(System.getProperty("ring.lrG", "1e-3")))
                .with("dSteps", 1).with("clip", 0.0).with("simultaneous", false)
                .with("steps", decayAt).with("logEvery", 100).with("seed", Long.getLong("ring.seed", 1L));
        TrainConfig slow = fast.with("lrD", fast.lrD() / decay).with("lrG", fast.lrG() / decay).with("steps", steps);
        assertTrue(decayAt > 0 && decayAt <= steps && decayAt % fast.logEvery() == 0 && steps % fast.logEvery() == 0,
                "ring.decayAt (" + decayAt + ") must be in (0, ring.steps = " + steps + "], both multiples of " + fast.logEvery());

        Mixture2D ring = (Mixture2D) Datasets.open("ring8", 0, 0);
        TrainLoss loss = TrainLoss.of(GanLoss.parse(lossSpec));
        CpuBackend be = new CpuBackend();
        Path checkpoint = tmp.resolve("fast-phase.safetensors");
        long t0 = System.nanoTime();
        Mixture2D.Coverage atDecay;
        try (Trainer t = new Trainer(fast, be, ring, loss)) {
            train(t, ring, trace);
            atDecay = ring.coverage(t.fixedSamples(2000), 2000);
            Checkpoint.save(t, checkpoint);
        }
        String where = String.format(Locale.ROOT, "%s, MLP %dx%d, nz %d, batch %d, seed %d: %d steps at lr D/G %s/%s (%s), then %d at %s/%s",
                lossSpec, fast.depth(), fast.hidden(), fast.nz(), fast.batch(), fast.seed(), decayAt, plain(fast.lrD()), plain(fast.lrG()), atDecay,
                steps - decayAt, plain(slow.lrD()), plain(slow.lrG()));
        try (Trainer t = new Trainer(slow, be, ring, loss)) {
            Checkpoint.restore(t, TrainingRun.open(checkpoint));
            assertTrue(t.stepCount() == decayAt, "resumed at step " + t.stepCount() + ", expected " + decayAt);
            train(t, ring, trace);
            float[] points = t.fixedSamples(2000);   // (2000, 2)
            Mixture2D.Coverage c = ring.coverage(points, 2000);
            String result = String.format(Locale.ROOT, "ring8 after %s: %s; HQ samples per mode %s (covered: >= %d); %.1f s",
                    where, c, Arrays.toString(ring.modeCounts(points, 2000)),
                    (int) Math.ceil(Mixture2D.MIN_FAIR_SHARE * 2000 / ring.modes()), (System.nanoTime() - t0) / 1e9);
            System.out.println(result);
            assertTrue(c.modesCovered() >= 7, "too few modes covered (need >= 7 of 8): " + result);
            assertTrue(c.highQualityShare() >= 0.70, "too few samples within 3 sigma of a mode (need >= 70 %): " + result);
        }
    }

    private static String plain(double v) { return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); }

    /** Steps t up to its configured step count, reading the metrics every logEvery steps and failing on NaN. */
    private static void train(Trainer t, Mixture2D ring, boolean trace) {
        TrainConfig cfg = t.config();
        while (t.stepCount() < cfg.steps()) {
            t.step();
            if (t.stepCount() % cfg.logEvery() == 0) {
                for (Metrics m : t.drainMetrics()) {
                    assertTrue(m.finite(), "training diverged at step " + m.step() + ": " + m);
                }
                if (trace && t.stepCount() % 500 == 0) {
                    System.out.println("step " + t.stepCount() + ": " + ring.coverage(t.fixedSamples(2000), 2000));
                }
            }
        }
    }
}
