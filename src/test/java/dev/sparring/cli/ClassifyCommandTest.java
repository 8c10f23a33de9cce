package dev.sparring.cli;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.eval.features.ClassScores;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.TrainingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sparring classify} and {@code sparring features}, end to end on a tiny run. */
class ClassifyCommandTest {

    @Test
    void classifyReportsTheClassifiersVerdictOnTheSamplesThatSampleDraws(@TempDir Path dir) throws IOException {
        CliTest.Run t = CliTest.run("train", "--steps", "1", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", dir.toString(),
                "--name", "d", "--device", "cpu", "--no-progress");
        assertEquals(0, t.code(), t.err());
        CliTest.Run r = CliTest.run("classify", "--checkpoint", dir.resolve("d").toString(), "--n", "20", "--batch", "8", "--seed", "3", "--device", "cpu");
        assertEquals(0, r.code(), r.err());

        // the same samples through the API: the generator's batches of 8 from seed 3, each classified by the shipped weights
        Path file = TrainingRun.findCheckpoint(dir.resolve("d"), "--checkpoint");
        var f = TrainingRun.open(file);
        float[] p = new float[20 * 10];
        try (CpuBackend be = new CpuBackend()) {
            MnistClassifier clf = MnistClassifier.bundled(be);
            new CheckpointGenerator(be, f, Checkpoint.config(f), 8, true).generate(20, 8, 3, (done, k, x) ->
                    System.arraycopy(clf.probabilities(x), 0, p, done * 10, k * 10));
        }
        ClassScores s = ClassScores.of(p, 10);
        String out = r.out();
        assertTrue(out.startsWith("classified 20 samples of G_ema in " + file + " (step 1, --seed 3) with the MNIST classifier in the jar"), out);
        assertTrue(out.contains(String.format(Locale.ROOT, "inception score (1 to 10)  %8.2f", s.inceptionScore())), out);
        assertTrue(out.contains(String.format(Locale.ROOT, "confident (p >= 0.9)       %7.1f%%", 100 * s.confidentShare())), out);
        for (int k = 0; k < 10; k++) {
            assertTrue(out.contains(String.format(Locale.ROOT, "digit %d                    %7.1f%%", k, 100 * s.share(k))), "digit " + k + ": " + out);
        }
        assertTrue(out.contains("the 2000 held-out bundled MNIST digits, 200 of each,"), out);
    }

    @Test
    void classifyRefusesAModelThatDoesNotDrawDigits(@TempDir Path dir) {
        CliTest.Run t = CliTest.run("train", "--data", "ring8", "--steps", "2", "--batch", "16", "--hidden", "8", "--depth", "1", "--nz", "2",
                "--out", dir.toString(), "--name", "r", "--device", "cpu", "--no-progress");
        assertEquals(0, t.code(), t.err());
        CliTest.Run r = CliTest.run("classify", "--checkpoint", dir.resolve("r").toString(), "--device", "cpu");
        assertEquals(2, r.code());
        assertTrue(r.err().strip().startsWith("sparring: --checkpoint ") && r.err().contains("holds a 2-D model (ring8); the MNIST classifier takes 28 x 28 gray digits"),
                r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }

    /** G_ema is what sample, classify and fid draw by default; --no-ema, or a run that kept none, gives G. */
    @Test
    void commandsSampleGEmaUnlessToldOrTheCheckpointHasNone(@TempDir Path dir) throws IOException {
        String[] train = {"train", "--no-conditional", "--steps", "2", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", dir.toString(),
                "--device", "cpu", "--no-progress"};
        assertEquals(0, CliTest.run(cat(train, "--name", "ema")).code());
        CliTest.Run plain = CliTest.run(cat(train, "--name", "plain", "--no-ema"));
        assertEquals(0, plain.code(), plain.err());
        String ema = dir.resolve("ema").toString(), raw = dir.resolve("plain").toString();
        String[] small = {"--n", "16", "--batch", "8", "--device", "cpu"};
        assertTrue(CliTest.run(cat(new String[]{"classify", "--checkpoint", ema}, small)).out().startsWith("classified 16 samples of G_ema in "));
        assertTrue(CliTest.run(cat(new String[]{"classify", "--checkpoint", ema, "--no-ema"}, small)).out().startsWith("classified 16 samples of G in "));
        assertTrue(CliTest.run(cat(new String[]{"classify", "--checkpoint", raw}, small)).out().startsWith("classified 16 samples of G in "), "no G_ema to take");
        // the same run's two generators give different samples
        String fidEma = CliTest.run(cat(new String[]{"fid", ema, raw, "--json"}, small)).out();
        String fidRaw = CliTest.run(cat(new String[]{"fid", ema, raw, "--json", "--no-ema"}, small)).out();
        assertTrue(fid(fidRaw) < 1e-6, "--no-ema: G against the same G (the runs train G alike): " + fidRaw);
        assertTrue(fid(fidEma) > 1e-6, "G_ema's samples should differ from G's: " + fidEma);
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png"), c = dir.resolve("c.png");
        CliTest.Run s = CliTest.run("sample", "--checkpoint", ema, "--n", "4", "--out", a.toString(), "--device", "cpu");
        assertTrue(s.err().contains("wrote 4 samples of G_ema from "), s.err());
        CliTest.run("sample", "--checkpoint", ema, "--n", "4", "--out", b.toString(), "--device", "cpu", "--no-ema");
        CliTest.run("sample", "--checkpoint", raw, "--n", "4", "--out", c.toString(), "--device", "cpu");
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b)));
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(b), Files.readAllBytes(c)), "the two runs train G alike");
        CliTest.Run both = CliTest.run(cat(train, "--name", "x", "--no-ema", "--ema-decay", "0.9"));
        assertEquals(2, both.code());
        assertTrue(both.err().contains("--no-ema and --ema-decay: give one"), both.err());
        CliTest.Run resumed = CliTest.run("train", "--resume", ema, "--steps", "3", "--ema-decay", "0.9", "--device", "cpu", "--no-progress");
        assertEquals(2, resumed.code());
        assertTrue(resumed.err().contains("does not take --ema-decay"), resumed.err());
    }

    private static double fid(String json) {
        return Double.parseDouble(json.strip().replaceAll(".*\"fid\":([^,]*),.*", "$1"));
    }

    private static String[] cat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void trainMnistLeavesAnExistingFileAlone(@TempDir Path dir) throws IOException {
        Path out = Files.writeString(dir.resolve("w.safetensors"), "mine");
        CliTest.Run r = CliTest.run("features", "train-mnist", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--out " + out + " exists"), r.err());
        assertEquals("mine", Files.readString(out));
        assertEquals(2, CliTest.run("features").code(), "features without a command");
        assertTrue(CliTest.run("features", "train-mnist", "--help").out().contains("--epochs"));
    }
}
