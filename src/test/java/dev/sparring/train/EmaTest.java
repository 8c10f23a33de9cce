package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.ImageDataset;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.nn.Network;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** G_ema: the moving average of the generator's weights that a run keeps (TrainConfig.emaDecay). */
class EmaTest {
    private final Backend be = new CpuBackend();
    private static final ImageDataset DATA = TrainerTest.firstDigits(96);

    private static List<float[]> tensors(Backend be, Network net) {
        List<float[]> l = new ArrayList<>();
        net.namedParameters().values().forEach(p -> l.add(be.download(p.value())));
        net.namedBuffers().values().forEach(t -> l.add(be.download(t)));
        return l;
    }

    private static void assertSame(List<float[]> a, List<float[]> b, String what) {
        assertEquals(a.size(), b.size(), what);
        for (int t = 0; t < a.size(); t++) {
            float[] x = a.get(t), y = b.get(t);
            assertEquals(x.length, y.length, what);
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) fail(what + ": tensor " + t + " differs at " + i + ": " + x[i] + " vs " + y[i]);
            }
        }
    }

    @Test
    void theDecayIsACopyUpToTheStartStepThenWarmsUpToEmaDecay() {
        TrainConfig c = TrainConfig.builder().emaDecay(0.9).emaStart(2).build();
        assertEquals(0, c.emaDecayAfter(1));
        assertEquals(0, c.emaDecayAfter(2));
        assertEquals(2.0 / 11, c.emaDecayAfter(3), 1e-15, "the first averaging step: (1 + 1) / (10 + 1)");
        assertEquals(11.0 / 20, c.emaDecayAfter(12), 1e-15);
        assertEquals(0.9, c.emaDecayAfter(83), 1e-15, "(1 + 81) / (10 + 81) = 0.9010 is capped at emaDecay");
        assertEquals(0.999, TrainConfig.builder().build().emaDecayAfter(100_000), "the default at the end of a long run");
        assertTrue(TrainConfig.builder().build().ema(), "image runs keep G_ema by default");
        assertFalse(TrainConfig.builder().data("ring8").steps(100).build().ema(), "2-D runs keep none unless asked");
        assertTrue(TrainConfig.builder().data("ring8").steps(100).emaDecay(0.99).build().ema());
        var e = assertThrows(dev.sparring.UserError.class, () -> TrainConfig.builder().emaDecay(1).build());
        assertEquals("--ema-decay must be in [0, 1) (0: no EMA generator), got 1.0", e.getMessage());
        assertThrows(dev.sparring.UserError.class, () -> TrainConfig.builder().emaStart(-1).build());
    }

    @Test
    void aConfigFromBeforeEmaKeepsNone() {
        Map<String, Object> m = new java.util.LinkedHashMap<>(TrainConfig.builder().build().toMap());
        m.remove("emaDecay");
        m.remove("emaStart");
        TrainConfig old = TrainConfig.fromMap(m);
        assertFalse(old.ema());
        assertEquals(0, old.emaStart());
        assertEquals(TrainConfig.builder().emaDecay(0.5).emaStart(7).build(),
                TrainConfig.fromMap(TrainConfig.builder().emaDecay(0.5).emaStart(7).build().toMap()), "written and read back");
    }

    /** EMA only reads G: a run with it trains, tensor for tensor and metric for metric, as one without it. */
    @Test
    void aRunWithEmaTrainsExactlyAsOneWithout() {
        TrainConfig with = TrainerTest.smallDcgan().toBuilder().steps(5).emaDecay(0.9).build();
        TrainConfig without = with.toBuilder().emaDecay(0).build();
        List<float[]> g1, d1, g2, d2;
        List<Metrics> m1 = new ArrayList<>(), m2 = new ArrayList<>();
        try (Trainer t = new Trainer(with, be, DATA, TestLosses.nonSaturating())) {
            assertNotNull(t.emaGenerator());
            for (int i = 0; i < 5; i++) { t.step(); m1.addAll(t.drainMetrics()); }
            g1 = tensors(be, t.generator());
            d1 = tensors(be, t.critic());
        }
        try (Trainer t = new Trainer(without, be, DATA, TestLosses.nonSaturating())) {
            assertNull(t.emaGenerator());
            for (int i = 0; i < 5; i++) { t.step(); m2.addAll(t.drainMetrics()); }
            g2 = tensors(be, t.generator());
            d2 = tensors(be, t.critic());
        }
        assertSame(g1, g2, "G");
        assertSame(d1, d2, "D");
        assertEquals(m1, m2, "metrics");
    }

    /**
     * G_ema against the average computed here, in double, from G's weights after every step: a copy of G up to
     * emaStart, then e = s + decay (e - s) with the warm-up decays; running statistics and counters are G's.
     */
    @Test
    void gEmaIsTheWarmedUpMovingAverageOfGsWeights() {
        TrainConfig cfg = TrainerTest.smallDcgan().toBuilder().steps(6).emaDecay(0.3).emaStart(2).build();
        try (Trainer t = new Trainer(cfg, be, DATA, TestLosses.nonSaturating())) {
            int params = t.generator().namedParameters().size();
            List<float[]> start = tensors(be, t.generator());
            assertSame(start, tensors(be, t.emaGenerator()), "G_ema before the first step");
            double[][] ref = new double[params][];
            for (int i = 0; i < params; i++) ref[i] = toDouble(start.get(i));
            for (int s = 1; s <= 6; s++) {
                t.step();
                double decay = s <= 2 ? 0 : Math.min(0.3, (1.0 + (s - 2)) / (10.0 + (s - 2)));
                List<float[]> g = tensors(be, t.generator());
                for (int i = 0; i < params; i++) {
                    for (int j = 0; j < ref[i].length; j++) ref[i][j] = g.get(i)[j] + decay * (ref[i][j] - g.get(i)[j]);
                }
                List<float[]> e = tensors(be, t.emaGenerator());
                for (int i = 0; i < params; i++) {
                    for (int j = 0; j < ref[i].length; j++) {
                        // float arithmetic against double: a few roundings of values of order 0.1
                        assertEquals(ref[i][j], e.get(i)[j], 1e-7 + 1e-6 * Math.abs(ref[i][j]), "step " + s + ", tensor " + i + ", element " + j);
                    }
                }
                assertSame(g.subList(params, g.size()), e.subList(params, e.size()), "running statistics after step " + s);
                assertEquals(t.generator().counters(), t.emaGenerator().counters(), "num_batches_tracked after step " + s);
            }
            // by the last step G_ema has moved away from G: it is not a copy
            double diff = 0;
            List<float[]> g = tensors(be, t.generator()), e = tensors(be, t.emaGenerator());
            for (int j = 0; j < g.get(0).length; j++) diff = Math.max(diff, Math.abs(g.get(0)[j] - e.get(0)[j]));
            assertTrue(diff > 1e-5, "G_ema should differ from G, max difference " + diff);
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    @Test
    void samplesComeFromGEmaAndLeaveItsStateAlone() {
        try (Trainer t = new Trainer(TrainerTest.smallDcgan().toBuilder().emaDecay(0.9).build(), be, DATA, TestLosses.nonSaturating())) {
            for (int i = 0; i < 3; i++) t.step();
            Assertions.assertSame(t.emaGenerator(), t.sampler());
            List<float[]> before = tensors(be, t.emaGenerator());
            var counters = t.emaGenerator().counters();
            float[] first = t.fixedSamples(16);
            assertSame(before, tensors(be, t.emaGenerator()), "G_ema after sampling");
            assertEquals(counters, t.emaGenerator().counters());
            // the same grid from G differs: the samples are G_ema's
            float[] fromG;
            try (Trainer raw = new Trainer(t.config().toBuilder().emaDecay(0).build(), be, DATA, TestLosses.nonSaturating())) {
                for (int i = 0; i < 3; i++) raw.step();
                Assertions.assertSame(raw.generator(), raw.sampler());
                fromG = raw.fixedSamples(16);
            }
            assertFalse(java.util.Arrays.equals(first, fromG), "G_ema's samples equal G's");
        }
    }

    @Test
    void checkpointsHoldGEmaUnderPyTorchNamesAndAResumedRunContinuesIt(@TempDir Path dir) throws IOException {
        TrainConfig cfg = TrainerTest.smallDcgan().toBuilder().steps(6).emaDecay(0.9).emaStart(1).build();
        List<float[]> straight;
        try (Trainer t = new Trainer(cfg, be, DATA, TestLosses.nonSaturating())) {
            for (int i = 0; i < 6; i++) t.step();
            straight = tensors(be, t.emaGenerator());
        }
        Path file = dir.resolve("cp.safetensors");
        try (Trainer t = new Trainer(cfg, be, DATA, TestLosses.nonSaturating())) {
            for (int i = 0; i < 3; i++) t.step();
            Checkpoint.save(t, file);
            SafeTensorsFile f = TrainingRun.open(file);
            assertTrue(Checkpoint.hasEma(f, t.generator()));
            for (String name : List.of("G_ema.main.0.weight", "G_ema.main.1.running_mean", "G_ema.main.1.num_batches_tracked")) {
                assertTrue(f.contains(name), name);
            }
            assertEquals(3L, f.getI64("G_ema.main.1.num_batches_tracked")[0]);
        }
        try (Trainer t = new Trainer(cfg, new CpuBackend(), DATA, TestLosses.nonSaturating())) {
            Checkpoint.restore(t, TrainingRun.open(file));
            for (int i = 0; i < 3; i++) t.step();
            assertSame(straight, tensors(t.backend(), t.emaGenerator()), "G_ema of the resumed run");
        }
        // a run without EMA writes no G_ema, and its checkpoint says so
        Path plain = dir.resolve("plain.safetensors");
        try (Trainer t = new Trainer(cfg.toBuilder().emaDecay(0).build(), be, DATA, TestLosses.nonSaturating())) {
            t.step();
            Checkpoint.save(t, plain);
            SafeTensorsFile f = TrainingRun.open(plain);
            assertFalse(Checkpoint.hasEma(f, t.generator()));
            assertTrue(f.names().stream().noneMatch(n -> n.startsWith("G_ema.")), f.names().toString());
        }
    }
}
