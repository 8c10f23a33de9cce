package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.Json;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.io.SparseExtras;
import dev.sparring.nn.Network;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {
    private final Backend be = new CpuBackend();
    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());

    /**
     * A small unconditional DCGAN on the first 96 MNIST digits: fast enough for many steps in a test (the tests of the
     * class-conditional one, the default on these digits, add {@code conditional(true)}).
     */
    static TrainConfig smallDcgan() {
        return TrainConfig.builder().ngf(8).ndf(8).nz(8).batch(16).conditional(false)
                .model(TrainConfig.Model.DCGAN).channels(1).steps(8).logEvery(3)
                .sampleEvery(0).checkpointEvery(0).build();
    }

    /**
     * The smallest DCGAN (batches of 4; G 4-2-1 and D 2-4 feature maps, each layer kind and both batch norms
     * still there): for tests of what a step does on the device rather than of what it learns, on the host CUDA
     * simulator, where every GPU thread is a fiber and a step's cost grows with the activations' sizes and the
     * channels of the per-channel kernels. Its data sets are the first 24 (6 batches per epoch) or 8 digits.
     */
    static TrainConfig tinyDcgan() {
        return smallDcgan().toBuilder().batch(4).ngf(2).ndf(2).build();
    }

    static ImageDataset firstDigits(int n) {
        ImageDataset all = Datasets.mnist();
        return new ImageDataset("mnist-" + n, Arrays.copyOf(all.pixels(), n * 28 * 28), n, 1, 28, 28, Arrays.copyOf(all.labels(), n));
    }

    @Test
    void theTrainerMakesTheAutomaticChoicesForItsData() {
        TrainConfig ring = TrainConfig.builder().data("ring8").hidden(4).depth(1).nz(2).batch(8).steps(1).build();
        assertEquals(TrainConfig.Model.AUTO, ring.model());
        try (Trainer t = new Trainer(ring, be, Datasets.open("ring8", 0, 0), TrainLoss.of(GanLoss.parse("nsgan")))) {
            assertEquals(ring.toBuilder().model(TrainConfig.Model.MLP).build(), t.config(), "what config.json and checkpoints record");
        }
        TrainConfig digits = tinyDcgan().toBuilder().model(TrainConfig.Model.AUTO).channels(0).build();
        try (Trainer t = new Trainer(digits, be, firstDigits(8), TrainLoss.of(GanLoss.parse("nsgan")))) {
            assertEquals(digits.toBuilder().model(TrainConfig.Model.DCGAN).channels(1).build(), t.config());
        }
    }

    private static float[] state(Backend be, Network net) {
        List<float[]> parts = new java.util.ArrayList<>();
        net.namedParameters().values().forEach(p -> parts.add(be.download(p.value())));
        net.namedBuffers().values().forEach(t -> parts.add(be.download(t)));
        int n = parts.stream().mapToInt(a -> a.length).sum();
        float[] all = new float[n];
        int o = 0;
        for (float[] a : parts) { System.arraycopy(a, 0, all, o, a.length); o += a.length; }
        return all;
    }

    private static void assertBitIdentical(float[] a, float[] b, String what) {
        assertEquals(a.length, b.length, what);
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                fail(what + " differs at " + i + ": " + a[i] + " vs " + b[i]);
            }
        }
    }

    @Test
    void samplingLeavesTheGeneratorsBatchNormStatisticsAlone() {
        // G itself samples in a run without G_ema; the sampler's own statistics are checked in EmaTest
        try (Trainer t = new Trainer(smallDcgan().toBuilder().emaDecay(0).build(), be, firstDigits(96), TestLosses.nonSaturating())) {
            t.step();
            float[] before = state(be, t.generator());
            var counters = t.generator().counters();
            assertTrue(counters.values().stream().allMatch(c -> c == 1L), counters.toString());
            float[] first = t.fixedSamples(16);
            assertBitIdentical(before, state(be, t.generator()), "G's parameters and running statistics");
            assertEquals(counters, t.generator().counters());
            assertBitIdentical(first, t.fixedSamples(16), "a second sample grid");
        }
    }

    @Test
    void resumedDcganRunIsBitIdenticalToUninterruptedOne(@TempDir Path dir) throws IOException {
        // 14 real batches: crosses the 6-batch epoch twice; the rates halve after steps 2 and 5, so the run resumes from
        // step 4 with one decay in force and crosses the second one
        TrainConfig cfg = smallDcgan().toBuilder().steps(7).dSteps(2).lrDecayAt(2, 5).lrDecay(0.5).build();
        ImageDataset data = firstDigits(96);
        List<Metrics> straightMetrics = new java.util.ArrayList<>();
        float[] gStraight, dStraight, emaStraight;
        try (Trainer t = new Trainer(cfg, be, data, TestLosses.nonSaturating())) {
            for (int i = 0; i < 7; i++) {
                t.step();
                straightMetrics.addAll(t.drainMetrics());
            }
            gStraight = state(be, t.generator());
            dStraight = state(be, t.critic());
            emaStraight = state(be, t.emaGenerator());
        }
        float lr = (float) cfg.lrD();
        float[] expected = {lr, lr, lr / 2, lr / 2, lr / 2, lr / 4, lr / 4};   // steps 1..7
        for (int i = 0; i < 7; i++) {
            assertEquals(expected[i], straightMetrics.get(i).lrD(), "lr_d of step " + (i + 1));
            assertEquals(expected[i], straightMetrics.get(i).lrG(), "lr_g of step " + (i + 1));
        }
        Path file = dir.resolve("cp.safetensors");
        List<Metrics> resumedMetrics = new java.util.ArrayList<>();
        try (Trainer t = new Trainer(cfg, be, data, TestLosses.nonSaturating())) {
            for (int i = 0; i < 4; i++) {
                t.step();
                resumedMetrics.addAll(t.drainMetrics());
            }
            Checkpoint.save(t, file);
        }
        try (Trainer t = new Trainer(cfg, new CpuBackend(), data, TestLosses.nonSaturating())) {
            SafeTensorsFile f = TrainingRun.open(file);
            assertEquals(cfg, Checkpoint.config(f));
            assertEquals(List.of(2L, 5L), Checkpoint.config(f).lrDecayAt());
            Checkpoint.restore(t, f);
            assertEquals(4, t.stepCount());
            for (int i = 0; i < 3; i++) {
                t.step();
                resumedMetrics.addAll(t.drainMetrics());
            }
            assertBitIdentical(gStraight, state(t.backend(), t.generator()), "generator state");
            assertBitIdentical(dStraight, state(t.backend(), t.critic()), "critic state");
            assertBitIdentical(emaStraight, state(t.backend(), t.emaGenerator()), "G_ema state");
        }
        assertEquals(straightMetrics, resumedMetrics, "metrics of the resumed run");
    }

    @Test
    void learningRateDecayAtStepSChangesTrainingFromStepSPlusOne() {
        TrainConfig constant = smallDcgan().toBuilder().dSteps(2).build();
        TrainConfig decayed = constant.toBuilder().lrDecayAt(2).lrDecay(0.1).build();
        ImageDataset data = firstDigits(64);
        try (Trainer a = new Trainer(constant, be, data, TestLosses.nonSaturating());
             Trainer b = new Trainer(decayed, be, data, TestLosses.nonSaturating())) {
            for (int i = 0; i < 2; i++) {
                a.step();
                b.step();
            }
            assertBitIdentical(state(be, a.critic()), state(be, b.critic()), "critic after steps 1-2 (no decay yet)");
            assertBitIdentical(state(be, a.generator()), state(be, b.generator()), "generator after steps 1-2 (no decay yet)");
            a.step();
            b.step();
            assertNotEquals(Arrays.toString(state(be, a.critic())), Arrays.toString(state(be, b.critic())),
                    "step 3's critic updates must use the decayed rate");
            assertEquals((float) (constant.lrD() * 0.1), b.criticOptimizer().learningRate());
            assertEquals((float) (constant.lrG() * 0.1), b.generatorOptimizer().learningRate());
            assertEquals((float) constant.lrD(), a.criticOptimizer().learningRate());
        }
    }

    @Test
    void resumedRingRunIsBitIdentical(@TempDir Path dir) throws IOException {
        TrainConfig cfg = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).hidden(16).depth(2)
                .nz(4).batch(32).steps(6).logEvery(1).simultaneous(true).dSteps(2)
                .lrDecayAt(3).lrDecay(0.3).build();   // the resumed part (steps 3-6) crosses the decay
        Mixture2D ring = (Mixture2D) Datasets.open("ring8", 0, 0);
        float[] straight;
        try (Trainer t = new Trainer(cfg, be, ring, TestLosses.nonSaturating())) {
            for (int i = 0; i < 6; i++) t.step();
            straight = state(be, t.generator());
        }
        Path file = dir.resolve("ring.safetensors");
        try (Trainer t = new Trainer(cfg, be, ring, TestLosses.nonSaturating())) {
            for (int i = 0; i < 2; i++) t.step();
            Checkpoint.save(t, file);
        }
        try (Trainer t = new Trainer(cfg, be, ring, TestLosses.nonSaturating())) {
            Checkpoint.restore(t, TrainingRun.open(file));
            for (int i = 0; i < 4; i++) t.step();
            assertBitIdentical(straight, state(be, t.generator()), "generator state");
        }
    }

    @Test
    void trainingChangesWeightsAndReportsFiniteMetrics() {
        try (Trainer t = new Trainer(smallDcgan(), be, firstDigits(64), TestLosses.nonSaturating())) {
            float[] before = state(be, t.generator());
            for (int i = 0; i < 3; i++) t.step();
            List<Metrics> ms = t.drainMetrics();
            assertEquals(3, ms.size());
            for (Metrics m : ms) {
                assertTrue(m.finite(), m.toString());
                assertTrue(m.gradNormD() > 0 && m.gradNormG() > 0, m.toString());
                assertTrue(m.sigmaReal() > 0 && m.sigmaReal() < 1, m.toString());
                assertEquals(m.dLoss() - 2 * Math.log(2), m.dLossEqDistance(), 1e-9);
            }
            assertNotEquals(Arrays.toString(before), Arrays.toString(state(be, t.generator())));
        }
    }

    @Test
    void weightClippingKeepsEveryCriticParameterInRange() {
        TrainConfig cfg = smallDcgan().toBuilder().trainerDefaults(TrainerDefaults.WGAN).lrD(5e-3).dSteps(2).build();
        try (Trainer t = new Trainer(cfg, be, firstDigits(64), TestLosses.nonSaturating())) {
            t.step();
            for (Tensor v : t.critic().values()) {
                for (float x : be.download(v)) assertTrue(Math.abs(x) <= 0.01f, "critic weight " + x + " outside [-c, c]");
            }
        }
    }

    @Test
    void nonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        TrainConfig cfg = smallDcgan().toBuilder().steps(20).checkpointEvery(0).logEvery(1).build();
        try (Trainer t = new Trainer(cfg, be, firstDigits(64), TestLosses.nanProne())) {
            TrainingRun run = new TrainingRun(t, dir.resolve("run"), QUIET, null).progressBar(false);
            run.initFresh();
            TrainingRun.Result r = run.run();
            assertEquals(TrainingRun.Outcome.DIVERGED, r.outcome(), r.message());
            assertTrue(r.message().contains("non-finite"), r.message());
            assertNull(r.lastCheckpoint());
            try (var files = Files.list(dir.resolve("run/checkpoints"))) {
                assertEquals(0, files.count(), "no checkpoint may be written from a diverged state");
            }
        }
    }

    @Test
    void aRunStopsAtTheFirstNonFiniteMetricAndNamesIt(@TempDir Path dir) throws IOException {
        // metrics are read every 10 steps on a GPU; the CPU reads each step's at once and stops right there
        TrainConfig cfg = smallDcgan().toBuilder().steps(40).checkpointEvery(0).logEvery(10).build();
        try (Trainer t = new Trainer(cfg, be, firstDigits(64), TestLosses.nanProne())) {
            TrainingRun run = new TrainingRun(t, dir.resolve("run"), QUIET, null).progressBar(false);
            run.initFresh();
            TrainingRun.Result r = run.run();
            assertEquals(TrainingRun.Outcome.DIVERGED, r.outcome(), r.message());
            List<String> lines = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
            Map<String, Object> last = Json.parseObject(lines.get(lines.size() - 1), "metrics");
            assertEquals(r.steps(), ((Number) last.get("step")).longValue(), "the last line is the first non-finite step");
            assertEquals(r.steps(), t.stepCount(), "no step trained after it");
            assertEquals(r.steps(), lines.size());
            assertNull(last.get("d_loss"), "NaN is written as null");
            assertTrue(r.message().startsWith("training stopped: d_loss NaN became non-finite at step " + r.steps() + " ("), r.message());
            assertFalse(r.message().contains("found at step"), r.message());
        }
        // which metric: grad_norm_d alone, as the run names it
        Metrics m = new Metrics(7, 0.5, 0.7, 0.5, 0.5, 0.1, -0.1, Double.POSITIVE_INFINITY, 1, 0, 1e-4f, 1e-4f);
        assertEquals(List.of("grad_norm_d Infinity"), m.nonFinite());
        assertFalse(m.finite());
    }

    @Test
    void runFolderHoldsConfigMetricsSamplesCheckpointAndCurve(@TempDir Path dir) throws IOException {
        TrainConfig cfg = smallDcgan().toBuilder().steps(6).sampleEvery(3).checkpointEvery(4).logEvery(2).build();
        Path runDir = dir.resolve("run");
        try (Trainer t = new Trainer(cfg, be, firstDigits(64), TestLosses.nonSaturating())) {
            TrainingRun run = new TrainingRun(t, runDir, QUIET, null).progressBar(false);
            run.initFresh();
            TrainingRun.Result r = run.run();
            assertEquals(TrainingRun.Outcome.COMPLETED, r.outcome());
        }
        assertTrue(Files.exists(runDir.resolve("config.json")));
        assertEquals(6, Files.readAllLines(runDir.resolve("metrics.jsonl")).size());
        assertTrue(Files.exists(runDir.resolve("samples/step_000003.png")));
        assertTrue(Files.exists(runDir.resolve("samples/step_000006.png")));
        assertTrue(Files.exists(runDir.resolve("checkpoints/step_000004.safetensors")));
        assertTrue(Files.exists(runDir.resolve("checkpoints/step_000006.safetensors")));
        assertTrue(Files.exists(runDir.resolve("loss_curve.png")));
        assertEquals(runDir.resolve("checkpoints/step_000006.safetensors"), TrainingRun.findCheckpoint(runDir));
        // a fresh run may not overwrite it
        try (Trainer t = new Trainer(cfg, be, firstDigits(64), TestLosses.nonSaturating())) {
            IOException e = assertThrows(IOException.class, () -> new TrainingRun(t, runDir, QUIET, null).initFresh());
            assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        }
    }

    @Test
    void truncatedCheckpointIsRejectedWithTheFileNamed(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("cp.safetensors");
        try (Trainer t = new Trainer(smallDcgan(), be, firstDigits(64), TestLosses.nonSaturating())) {
            t.step();
            Checkpoint.save(t, file);
        }
        byte[] all = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(all, all.length - 100));
        IOException e = assertThrows(IOException.class, () -> TrainingRun.open(cut));
        assertTrue(e.getMessage().contains("cut.safetensors"), e.getMessage());
    }

    /**
     * A checkpoint that also holds extra tensors larger than the heap (a sparse file): resuming (restore) and sampling
     * (loadNetwork) read only the tensors they need, and the run continues exactly as from the plain checkpoint.
     */
    @Test
    void checkpointWithExtraTensorsLargerThanTheHeapRestoresAndSamples(@TempDir Path dir) throws IOException {
        TrainConfig cfg = smallDcgan();
        Path file = dir.resolve("cp.safetensors");
        float[] g, d, gNext;
        try (Trainer t = new Trainer(cfg, be, firstDigits(64), TestLosses.nonSaturating())) {
            t.step();
            t.step();
            Checkpoint.save(t, file);
            g = state(be, t.generator());
            d = state(be, t.critic());
            t.step();
            gNext = state(be, t.generator());
        }
        long heap = Runtime.getRuntime().maxMemory();
        Map<String, Long> extras = new LinkedHashMap<>();
        for (long total = 0; total <= heap; total += 1L << 30) extras.put("extra." + extras.size(), 1L << 30);
        Path big = SparseExtras.append(file, dir.resolve("big.safetensors"), extras);
        assertTrue(Files.size(big) > heap, "the extras must exceed the heap");

        SafeTensorsFile f = TrainingRun.open(big);
        assertEquals(cfg, Checkpoint.config(f));
        assertEquals(2, Checkpoint.step(f));
        try (Trainer t = new Trainer(cfg, new CpuBackend(), firstDigits(64), TestLosses.nonSaturating())) {
            Checkpoint.restore(t, f);
            assertBitIdentical(g, state(t.backend(), t.generator()), "restored generator");
            assertBitIdentical(d, state(t.backend(), t.critic()), "restored critic");
            t.step();
            assertBitIdentical(gNext, state(t.backend(), t.generator()), "generator one step after the checkpoint");
        }
        Network sampler = Dcgan.generator(be, new Dcgan.Config(cfg.imageSize(), cfg.channels(), cfg.nz(), cfg.ngf(), cfg.ndf()),
                new NoiseStream(0, 0));
        Checkpoint.loadNetwork(f, be, "G.", sampler);
        assertBitIdentical(g, state(be, sampler), "generator loaded as sparring sample loads it");
    }
}
