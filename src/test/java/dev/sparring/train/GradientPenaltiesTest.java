package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.Mlp;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.nn.DoubleBackward;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Sequential;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The penalties in training: what they do to the critic's input gradient, measured apart from the penalty code
 * (through {@link DoubleBackward#inputGradient}, which DoubleBackwardTest proves against finite differences), lazy
 * regularisation's schedule and scale, and resuming.
 */
class GradientPenaltiesTest {
    private final Backend be = new CpuBackend();
    private final Mixture2D ring = (Mixture2D) Datasets.open("ring8", 0, 0);

    /** A small WGAN on ring8: the MLP at 32 units, batches of 64, the loss's 5 critic steps and the 2-D data rates. */
    private static TrainConfig smallRing(String loss) {
        return TrainConfig.builder().data("ring8").loss(loss).hidden(32).batch(64).steps(30).logEvery(1).build();
    }

    /** ‖∇ₓD‖ at each of the trainer's next real samples (real) or at interpolates of them and fresh fakes. */
    private double[] gradientNorms(Trainer t, boolean atInterpolates) {
        Tensor xReal = t.realBatches().next();
        Tensor x = xReal;
        int n = xReal.dim(0);
        if (atInterpolates) {
            Tensor z = be.zeros(n, t.config().nz());
            be.normal(z, 77, 0);
            Tensor xFake = t.generator().forward(z, Pass.TRAIN);
            x = be.zeros(xReal.shape());
            be.interpolate(x, be.zeros(n), xReal, xFake, 78, 0);
        }
        Tensor ones = be.zeros(n);
        be.fill(ones, 1f);
        float[] g = be.download(new DoubleBackward((Sequential) t.critic().root(), Pass.FAKE).inputGradient(x, ones));
        int f = g.length / n;
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < f; j++) s += (double) g[i * f + j] * g[i * f + j];
            norms[i] = Math.sqrt(s);
        }
        return norms;
    }

    private static double meanSquaredDeviation(double[] norms, double target) {
        double s = 0;
        for (double v : norms) s += (v - target) * (v - target);
        return s / norms.length;
    }

    @Test
    void wganGpKeepsTheCriticsGradientNormNearOneWhereWganWithoutClippingDoesNot() {
        // the same WGAN-GP settings with the penalty off: nothing bounds the critic's slope (lambda 10, the paper's, set:
        // on 2-D data wgan-gp's default is PointDefaults.GP)
        TrainConfig gp = smallRing("wgan-gp").toBuilder().gp(10).build(), none = gp.toBuilder().gp(0).build();
        assertEquals(10, gp.gp());
        double devGp, devNone;
        List<Metrics> metrics = new ArrayList<>();
        try (Trainer a = new Trainer(gp, be, ring, TrainLoss.of(GanLoss.parse("wgan-gp")));
             Trainer b = new Trainer(none, be, ring, TrainLoss.of(GanLoss.parse("wgan-gp")))) {
            for (int i = 0; i < gp.steps(); i++) {
                a.step();
                b.step();
                metrics.addAll(a.drainMetrics());
                assertTrue(b.drainMetrics().getFirst().penalties().isEmpty(), "no penalty metrics without a penalty");
            }
            devGp = meanSquaredDeviation(gradientNorms(a, true), 1);
            devNone = meanSquaredDeviation(gradientNorms(b, true), 1);
        }
        assertTrue(devGp < 0.1 && devGp < devNone / 10, "E(‖∇D(x^)‖ - 1)²: with the penalty " + devGp + ", without " + devNone);
        Metrics last = metrics.getLast();
        assertEquals(List.of("gp", "gp_grad_norm"), List.copyOf(last.toMap().keySet()).subList(12, 14));
        assertEquals(1, last.penalties().get("gp_grad_norm"), 0.3, "the mean norm the step's penalty saw");
        assertTrue(last.penalties().get("gp") >= 0 && last.penalties().get("gp") < 2, "gp " + last.penalties().get("gp"));
    }

    @Test
    void r1FlattensTheDcgansCriticAtTheRealSamplesThroughItsBatchNorm() {
        TrainConfig plain = TrainerTest.smallDcgan().toBuilder().steps(6).logEvery(1).build();
        TrainConfig r1 = plain.toBuilder().r1(20).build();
        ImageDataset data = TrainerTest.firstDigits(96);
        double normPlain, normR1;
        Metrics last = null;
        try (Trainer a = new Trainer(plain, be, data, TestLosses.nonSaturating());
             Trainer b = new Trainer(r1, be, data, TestLosses.nonSaturating())) {
            for (int i = 0; i < plain.steps(); i++) {
                a.step();
                b.step();
                a.drainMetrics();
                last = b.drainMetrics().getFirst();
            }
            normPlain = meanSquaredDeviation(gradientNorms(a, false), 0);
            normR1 = meanSquaredDeviation(gradientNorms(b, false), 0);
        }
        assertTrue(normR1 < normPlain / 4, "E‖∇D(x_real)‖²: with R1 " + normR1 + ", without " + normPlain);
        double n = last.penalties().get("r1_grad_norm");
        assertTrue(Double.isFinite(n) && n > 0, "r1_grad_norm " + n);
        // R1's value is (gamma/2) E‖g‖², at least (gamma/2) (E‖g‖)²
        assertTrue(last.penalties().get("r1") >= 10 * n * n * (1 - 1e-5), last.penalties().toString());
    }

    @Test
    void lazyRegularisationActsAtEveryKthCriticStepWithItsGradientScaledByK() {
        TrainConfig every = TrainConfig.builder().data("ring8").hidden(8).batch(16).steps(10).r1(3).r2(0.5).gp(2).build();
        TrainConfig lazy = every.toBuilder().regEvery(4).build();
        Mlp.Config mc = new Mlp.Config(every.nz(), every.hidden(), every.depth(), 2);
        Network d = Mlp.discriminator(be, mc, NoiseStream.derive(5, "init"));
        Tensor xReal = be.zeros(16, 2), xFake = be.zeros(16, 2), stats = be.zeros(Metrics.SLOTS);
        be.normal(xReal, 1, 0);
        be.normal(xFake, 2, 0);
        float[] once = penaltyGradients(every, d, xReal, xFake, stats, 0);
        assertTrue(java.util.Arrays.stream(toDouble(once)).anyMatch(v -> v != 0), "the penalties have a gradient");
        float[] scaled = penaltyGradients(lazy, d, xReal, xFake, stats, 0);
        float[] times4 = new float[once.length];
        for (int i = 0; i < once.length; i++) times4[i] = 4 * once[i];
        assertArrayEquals(times4, scaled, "scaled by a power of two: exactly 4x");
        for (long c = 1; c < 4; c++) {
            float[] none = penaltyGradients(lazy, d, xReal, xFake, stats, c);
            for (float v : none) assertEquals(0f, v, "critic step " + c + " is not regularised");
        }
        float[] eighth = penaltyGradients(lazy, d, xReal, xFake, stats, 8);   // other interpolates than at step 0
        assertTrue(java.util.Arrays.stream(toDouble(eighth)).anyMatch(v -> v != 0), "critic step 8 is regularised");
        // generator steps whose metrics show the penalties: those holding a critic step 0, k, 2k, ...
        TrainConfig sixteen = lazy.toBuilder().regEvery(16).dSteps(5).build();
        List<Long> shown = new ArrayList<>();
        for (long s = 0; s < 10; s++) if (GradientPenalties.actsDuring(sixteen, s)) shown.add(s);
        assertEquals(List.of(0L, 3L, 6L, 9L), shown, "critic steps 0, 16, 32, 48 lie in generator steps 0, 3, 6, 9");
    }

    /** D's parameter gradients from the penalties alone at critic step c, after forwards of xReal (REAL) and xFake (FAKE). */
    private float[] penaltyGradients(TrainConfig cfg, Network d, Tensor xReal, Tensor xFake, Tensor stats, long c) {
        d.forward(xReal, Pass.REAL);
        d.forward(xFake, Pass.FAKE);
        d.zeroGrad();
        try (GradientPenalties p = GradientPenalties.of(cfg, d, be)) {
            p.apply(xReal, xFake, stats, 0, c);
        }
        List<Float> all = new ArrayList<>();
        for (Tensor g : d.grads()) for (float v : be.download(g)) all.add(v);
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) out[i] = all.get(i);
        return out;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    @Test
    void aPenalizedRunResumesBitIdentically(@TempDir Path dir) throws IOException {
        TrainConfig cfg = TrainConfig.builder().data("ring8").hidden(16).batch(32).steps(6).dSteps(2).gp(5).r1(1).r2(0.5)
                .regEvery(3).logEvery(1).build();
        TrainLoss loss = TestLosses.nonSaturating();
        float[] straight;
        List<Metrics> straightMetrics = new ArrayList<>(), resumedMetrics = new ArrayList<>();
        try (Trainer t = new Trainer(cfg, be, ring, loss)) {
            for (int i = 0; i < 6; i++) {
                t.step();
                straightMetrics.addAll(t.drainMetrics());
            }
            straight = critic(t);
        }
        Path file = dir.resolve("cp.safetensors");
        try (Trainer t = new Trainer(cfg, be, ring, loss)) {
            for (int i = 0; i < 2; i++) {
                t.step();
                resumedMetrics.addAll(t.drainMetrics());
            }
            Checkpoint.save(t, file);
        }
        try (Trainer t = new Trainer(cfg, be, ring, loss)) {
            var f = TrainingRun.open(file);
            assertEquals(cfg.resolvedFor(ring), Checkpoint.config(f), "the checkpoint keeps the penalties");
            Checkpoint.restore(t, f);
            for (int i = 0; i < 4; i++) {
                t.step();
                resumedMetrics.addAll(t.drainMetrics());
            }
            assertArrayEquals(straight, critic(t));
        }
        assertEquals(straightMetrics, resumedMetrics);
        // dSteps 2, every 3rd critic step: generator steps 1, 2, 4, 5 (critic steps 0-1, 2-3, 6-7, 8-9) show them
        List<Long> shown = straightMetrics.stream().filter(m -> !m.penalties().isEmpty()).map(Metrics::step).toList();
        assertEquals(List.of(1L, 2L, 4L, 5L), shown);
        assertFalse(straightMetrics.get(2).toMap().containsKey("gp"));
    }

    private float[] critic(Trainer t) {
        List<Float> all = new ArrayList<>();
        for (Tensor v : t.critic().values()) for (float x : be.download(v)) all.add(x);
        float[] out = new float[all.size()];
        for (int i = 0; i < out.length; i++) out[i] = all.get(i);
        return out;
    }
}
