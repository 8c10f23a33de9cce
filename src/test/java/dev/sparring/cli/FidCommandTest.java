package dev.sparring.cli;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.eval.FeatureMoments;
import dev.sparring.eval.FeatureStatistics;
import dev.sparring.eval.FrechetDistance;
import dev.sparring.eval.StatisticsFile;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.io.Json;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.TrainingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sparring fid}, end to end on a tiny run, against the same statistics made through the API. */
class FidCommandTest {

    @Test
    void fidOfARunAgainstTheDigitsIsTheApisAndStatisticsFilesGiveTheSameNumber(@TempDir Path dir) throws IOException {
        CliTest.Run t = CliTest.run("train", "--steps", "1", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", dir.toString(),
                "--name", "d", "--device", "cpu", "--no-progress");
        assertEquals(0, t.code(), t.err());
        String run = dir.resolve("d").toString();
        CliTest.Run r = CliTest.run("fid", "mnist", run, "--n", "40", "--batch", "16", "--seed", "2", "--device", "cpu", "--json");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> m = Json.parseObject(r.out().strip(), "fid --json");
        assertEquals(40, ((Number) m.get("n_a")).intValue());
        assertEquals(40, ((Number) m.get("n_b")).intValue());
        assertEquals("mnist", m.get("features"));

        // the same numbers through the API: the first 40 bundled digits, and 40 samples in batches of 16 from seed 2
        FeatureStatistics digits, samples;
        try (CpuBackend be = new CpuBackend()) {
            MnistClassifier net = MnistClassifier.bundled(be);
            ImageDataset mnist = Datasets.mnist();
            float[] x = new float[40 * 28 * 28];
            for (int i = 0; i < x.length; i++) x[i] = (mnist.pixels()[i] & 0xFF) / 127.5f - 1f;
            FeatureMoments a = new FeatureMoments(net.featureSize());
            try (Tensor images = be.zeros(40, 1, 28, 28)) {
                be.copyFromHost(x, images);
                a.add(net.features(images), 40);
            }
            digits = a.statistics("mnist", "digits");
            Path file = TrainingRun.findCheckpoint(dir.resolve("d"), "SOURCE");
            var f = TrainingRun.open(file);
            FeatureMoments b = new FeatureMoments(net.featureSize());
            new CheckpointGenerator(be, f, Checkpoint.config(f), 16, true).generate(40, 16, 2, (done, k, s) -> b.add(net.features(s), k));
            samples = b.statistics("mnist", "samples");
        }
        double expected = FrechetDistance.between(digits, samples).distance();
        assertEquals(expected, ((Number) m.get("fid")).doubleValue(), 1e-9 * expected);

        // --save-stats, then two statistics files: the same FID without any feature network
        Path a = dir.resolve("a.npz"), b = dir.resolve("b.npz");
        assertEquals(0, CliTest.run("fid", "mnist", "--n", "40", "--batch", "16", "--device", "cpu", "--save-stats", a.toString()).code());
        assertEquals(0, CliTest.run("fid", run, "--n", "40", "--batch", "16", "--seed", "2", "--device", "cpu", "--save-stats", b.toString()).code());
        assertEquals(40, StatisticsFile.read(a).count());
        CliTest.Run fromFiles = CliTest.run("fid", a.toString(), b.toString(), "--json");
        assertEquals(0, fromFiles.code(), fromFiles.err());
        assertEquals(expected, ((Number) Json.parseObject(fromFiles.out().strip(), "fid").get("fid")).doubleValue(), 1e-9 * expected);
        assertTrue(fromFiles.err().isEmpty() || !fromFiles.err().contains("device:"), "no backend for two statistics files: " + fromFiles.err());

        // a set against itself: 0, never a negative round-off
        CliTest.Run same = CliTest.run("fid", a.toString(), a.toString(), "--json");
        assertEquals(0.0, ((Number) Json.parseObject(same.out().strip(), "fid").get("fid")).doubleValue());
    }

    @Test
    void badInputGetsOneLineNamingWhatIsWrong(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.npz");
        Files.writeString(a, "not a zip");
        Path existing = dir.resolve("exists.npz");
        Files.writeString(existing, "mine");
        for (String[] args : new String[][] {
                {"fid", a.toString(), a.toString()},
                {"fid", dir.resolve("missing.npz").toString(), a.toString()},
                {"fid", "mnist"},
                {"fid", "mnist", "mnist", "--save-stats", dir.resolve("x.npz").toString()},
                {"fid", "mnist", "--save-stats", existing.toString()},
                {"fid", "mnist", "mnist", "--n", "1"},
                {"fid", "mnist", "mnist", "--features", "inception"},
                {"fid", "ring8", "mnist", "--device", "cpu"}}) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            String last = r.err().strip().lines().reduce((x, y) -> y).orElse("");
            assertTrue(last.startsWith("sparring: "), String.join(" ", args) + ": " + r.err());
            assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
        }
        assertEquals("mine", Files.readString(existing), "a file the user made is never replaced");
    }
}
