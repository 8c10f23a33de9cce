package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.ImageDataset;
import dev.sparring.eval.FeatureStatistics;
import dev.sparring.eval.NpyArray;
import dev.sparring.eval.Npz;
import dev.sparring.eval.StatisticsFile;
import dev.sparring.io.Json;
import dev.sparring.io.SafeTensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** FID (and KID) measured during a run: what it writes, and that it never changes what the run trains. */
class FidDuringTrainingTest {
    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());
    private final Backend be = new CpuBackend();

    /** The tiny DCGAN on 24 digits (6 batches of 4 per epoch), 6 steps, checkpoints at 3 and 6. */
    private static TrainConfig tiny(int fidEvery) {
        return TrainerTest.tinyDcgan().toBuilder().steps(6).checkpointEvery(3).fidEvery(fidEvery).fidSamples(40).build();
    }

    private static final ImageDataset DIGITS = TrainerTest.firstDigits(24);

    private TrainingRun.Result train(TrainConfig cfg, Path dir) throws IOException {
        try (Trainer t = new Trainer(cfg, be, DIGITS, TestLosses.nonSaturating())) {
            TrainingRun run = new TrainingRun(t, dir, QUIET, null).progressBar(false);
            run.initFresh();
            return run.run();
        }
    }

    private static List<Map<String, Object>> metrics(Path dir) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) out.add(Json.parseObject(line, "metrics"));
        return out;
    }

    /** Every tensor and every counter of a checkpoint (all but the config, which records fidEvery), bit for bit. */
    private static void assertSameTraining(Path a, Path b) throws IOException {
        SafeTensorsFile fa = TrainingRun.open(a), fb = TrainingRun.open(b);
        assertEquals(fa.names(), fb.names());
        for (String name : fa.names()) assertArrayEquals(fa.getRaw(name), fb.getRaw(name), name + " in " + b.getFileName());
        for (String key : List.of("step", "real_batches", "data_counter", "z_counter", "optG_step", "optD_step")) {
            assertEquals(fa.metadata().get(key), fb.metadata().get(key), key);
        }
    }

    @Test
    void aRunThatMeasuresTheFidTrainsTensorForTensorAsOneThatDoesNot(@TempDir Path dir) throws IOException {
        train(tiny(0), dir.resolve("plain"));
        TrainingRun.Result r = train(tiny(2), dir.resolve("fid"));
        for (String cp : List.of("step_000003.safetensors", "step_000006.safetensors")) {
            assertSameTraining(dir.resolve("plain/checkpoints").resolve(cp), dir.resolve("fid/checkpoints").resolve(cp));
        }
        List<Map<String, Object>> plain = metrics(dir.resolve("plain")), fid = metrics(dir.resolve("fid"));
        assertEquals(6, fid.size(), "one line per step");
        for (int i = 0; i < 6; i++) {
            for (String k : List.of("d_loss", "g_loss", "grad_norm_d", "grad_norm_g", "t_real", "t_fake")) {
                assertEquals(plain.get(i).get(k), fid.get(i).get(k), k + " at step " + (i + 1));
            }
        }
        assertTrue(r.message().contains("FID "), r.message());
    }

    @Test
    void measurementsGoIntoTheirStepsLinesAndTheCurve(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("r");
        TrainingRun.Result r = train(tiny(4), run);
        List<Map<String, Object>> lines = metrics(run);
        for (Map<String, Object> line : lines) {
            long step = ((Number) line.get("step")).longValue();
            boolean measured = step == 4 || step == 6;   // every 4 steps, and at the end
            assertEquals(measured, line.containsKey("fid"), "step " + step + ": " + line);
            if (!measured) continue;
            assertTrue(((Number) line.get("fid")).doubleValue() > 0, line.toString());
            assertTrue(Double.isFinite(((Number) line.get("kid")).doubleValue()), line.toString());
            assertTrue(((Number) line.get("kid_std")).doubleValue() >= 0, line.toString());
            assertEquals(40, ((Number) line.get("fid_samples")).intValue());
            assertEquals("mnist", line.get("fid_features"));
        }
        assertTrue(Files.size(run.resolve("fid_curve.png")) > 0);
        FeatureStatistics ref = StatisticsFile.read(run.resolve(FidEvaluator.REFERENCE_FILE));
        assertEquals(24, ref.count(), "the reference takes the data's 24 images (fewer than --fid-samples)");
        assertEquals("mnist", ref.network());
        assertEquals(64, ref.features());
        String fid6 = String.format(java.util.Locale.ROOT, "FID %.4g", ((Number) lines.get(5).get("fid")).doubleValue());
        assertTrue(r.message().startsWith("finished 6 steps: " + fid6), r.message() + " / " + fid6);
    }

    @Test
    void withoutKidTheLinesHoldTheFidOnly(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("r");
        train(tiny(6).toBuilder().kid(false).build(), run);
        Map<String, Object> last = metrics(run).getLast();
        assertTrue(last.containsKey("fid") && !last.containsKey("kid") && !last.containsKey("kid_std"), last.toString());
    }

    @Test
    void aResumedRunKeepsItsReferenceAndContinuesItsCurve(@TempDir Path dir) throws IOException {
        Path straight = dir.resolve("straight"), resumed = dir.resolve("resumed");
        train(tiny(2), straight);
        train(tiny(2).toBuilder().steps(3).build(), resumed);   // measured at 2 and at its end, 3
        Path ref = resumed.resolve(FidEvaluator.REFERENCE_FILE);
        byte[] before = Files.readAllBytes(ref);
        var modified = Files.getLastModifiedTime(ref);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Resume from = Resume.from(resumed).steps(6);
        TrainingRun run;
        try (Trainer t = from.trainer(be, DIGITS, TestLosses.nonSaturating())) {
            run = from.start(t, null, new PrintStream(log, true), null).progressBar(false);
            assertEquals(List.of(2L, 3L), run.fidHistory().stream().map(FidEvaluator.Measurement::step).toList(), "read back from metrics.jsonl");
            run.run();
        }
        assertTrue(log.toString().contains("kept from the run's start"), log.toString());
        assertArrayEquals(before, Files.readAllBytes(ref), "the reference statistics are not computed again");
        assertEquals(modified, Files.getLastModifiedTime(ref));
        assertEquals(List.of(2L, 3L, 4L, 6L), run.fidHistory().stream().map(FidEvaluator.Measurement::step).toList());
        Map<Long, Object> fidStraight = new java.util.HashMap<>(), fidResumed = new java.util.HashMap<>();
        metrics(straight).stream().filter(m -> m.containsKey("fid")).forEach(m -> fidStraight.put(((Number) m.get("step")).longValue(), m.get("fid")));
        metrics(resumed).stream().filter(m -> m.containsKey("fid")).forEach(m -> fidResumed.put(((Number) m.get("step")).longValue(), m.get("fid")));
        assertEquals(java.util.Set.of(2L, 4L, 6L), fidStraight.keySet());
        assertEquals(java.util.Set.of(2L, 3L, 4L, 6L), fidResumed.keySet());
        for (long s : new long[] {2, 4, 6}) assertEquals(fidStraight.get(s), fidResumed.get(s), "FID at step " + s);
    }

    @Test
    void aReferenceOfOtherImagesIsRefusedWithTheFileNamed(@TempDir Path dir) throws IOException {
        Path run = dir.resolve("r");
        train(tiny(3).toBuilder().steps(3).build(), run);
        Path ref = run.resolve(FidEvaluator.REFERENCE_FILE);
        Map<String, NpyArray> arrays = new java.util.LinkedHashMap<>(Npz.read(ref));
        arrays.put(StatisticsFile.N, NpyArray.ofLongs(new long[] {10}));   // as if made from 10 images; all else kept
        Npz.write(ref, arrays);
        Resume from = Resume.from(run).steps(6);
        try (Trainer t = from.trainer(be, DIGITS, TestLosses.nonSaturating())) {
            TrainingRun resumed = from.start(t, null, QUIET, null).progressBar(false);
            UserError e = assertThrows(UserError.class, resumed::run);
            assertTrue(e.getMessage().startsWith(ref + " holds the mnist network's 64 features of 10 images, but this run measures "
                    + "the mnist network's 64 features of 24 images"), e.getMessage());
        }
    }

    @Test
    void dataTheMnistNetworkCannotTakeIsRefusedNamingTheFlag() {
        TrainConfig rgb = TrainerTest.tinyDcgan().toBuilder().imageSize(32).channels(3).fidEvery(5).build();
        UserError e = assertThrows(UserError.class, () -> FidEvaluator.networkFor(rgb));
        assertTrue(e.getMessage().startsWith("--fid-every: ") && e.getMessage().contains("28 x 28 gray") && !e.getMessage().contains("\n"),
                e.getMessage());
        TrainConfig ring = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).steps(5).fidEvery(5).build();
        e = assertThrows(UserError.class, () -> FidEvaluator.networkFor(ring));
        assertTrue(e.getMessage().startsWith("--fid-every: ring8 is 2-D data"), e.getMessage());
    }

    @Test
    void samplesInBatchesLeaveTheGeneratorAndItsStreamsAlone() {
        try (Trainer t = new Trainer(tiny(0), be, DIGITS, TestLosses.nonSaturating())) {
            t.step();
            Map<String, Long> counters = t.generator().counters();
            List<float[]> buffers = t.generator().namedBuffers().values().stream().map(be::download).toList();
            long z = t.latentStream().counter(), data = t.realBatches().streamCounter();
            float[][] twice = new float[2][];
            for (int k = 0; k < 2; k++) {
                float[] all = new float[10 * 28 * 28];
                t.samples(10, 4, dev.sparring.random.NoiseStream.derive(0, "sample"), (done, n, x) -> {
                    float[] b = be.download(x);
                    System.arraycopy(b, 0, all, done * 28 * 28, b.length);
                });
                twice[k] = all;
            }
            assertArrayEquals(twice[0], twice[1], "the same stream draws the same samples");
            assertEquals(counters, t.generator().counters());
            List<float[]> after = t.generator().namedBuffers().values().stream().map(be::download).toList();
            for (int i = 0; i < buffers.size(); i++) assertArrayEquals(buffers.get(i), after.get(i), "running statistics");
            assertEquals(z, t.latentStream().counter());
            assertEquals(data, t.realBatches().streamCounter());
        }
    }
}
