package dev.sparring.cli;

import dev.sparring.io.Json;
import dev.sparring.train.FidEvaluator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** {@code sparring train --fid-every}: the command's flags, refusals and end-of-run line, and agreement with sparring fid. */
class TrainFidTest {
    private static String[] train(Path out, String name, String... more) {
        List<String> a = new ArrayList<>(List.of("train", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--sample-every", "0",
                "--out", out.toString(), "--name", name, "--device", "cpu", "--no-progress"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    private static List<Map<String, Object>> measured(Path run) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
            Map<String, Object> m = Json.parseObject(line, "metrics");
            if (m.containsKey("fid")) out.add(m);
        }
        return out;
    }

    @Test
    void theEndOfRunFidIsTheOneSparringFidGivesForTheRun(@TempDir Path dir) throws IOException {
        CliTest.Run t = CliTest.run(train(dir, "r", "--steps", "3", "--fid-every", "2", "--fid-samples", "48"));
        assertEquals(0, t.code(), t.err());
        Path run = dir.resolve("r");
        List<Map<String, Object>> fids = measured(run);
        assertEquals(List.of(2L, 3L), fids.stream().map(m -> ((Number) m.get("step")).longValue()).toList());
        double last = ((Number) fids.getLast().get("fid")).doubleValue();
        assertTrue(t.err().contains("finished 3 steps: " + String.format(java.util.Locale.ROOT, "FID %.4g, KID ", last)), t.err());
        assertTrue(t.err().contains("FID curve: " + run.resolve("fid_curve.png")), t.err());
        CliTest.Run f = CliTest.run("fid", "mnist", run.toString(), "--n", "48", "--device", "cpu", "--json");
        assertEquals(0, f.code(), f.err());
        assertEquals(last, ((Number) Json.parseObject(f.out().strip(), "fid --json").get("fid")).doubleValue(), 0.0,
                "the same samples (seed 0, batches of 256) against the same first 48 digits, to the last bit");
    }

    @Test
    void fidEveryOnDataTheMnistNetworkCannotTakeIsAOneLineRefusalBeforeAnyFolder(@TempDir Path dir) {
        CliTest.Run ring = CliTest.run(train(dir, "ring", "--data", "ring8", "--steps", "4", "--fid-every", "2"));
        assertEquals(2, ring.code(), ring.err());
        assertTrue(ring.err().contains("--fid-every: ring8 is 2-D data"), ring.err());
        CliTest.Run big = CliTest.run(train(dir, "big", "--image-size", "32", "--upscale", "--steps", "2", "--fid-every", "2"));
        assertEquals(2, big.code(), big.err());
        String line = big.err().lines().filter(l -> l.contains("--fid-every")).findFirst().orElseThrow();
        assertTrue(line.contains("take 28 x 28 gray images, and this run's are 32 x 32 with 1 channel: give --inception-weights FILE"), line);
        assertTrue(line.contains("or leave --fid-every out"), "says what would work: " + line);
        assertFalse(Files.exists(dir.resolve("ring")) || Files.exists(dir.resolve("big")), "no run folder is left behind");
    }

    @Test
    void resumeTakesFidEveryButKeepsFidSamples(@TempDir Path dir) throws IOException {
        CliTest.Run t = CliTest.run(train(dir, "r", "--steps", "2", "--fid-samples", "32"));
        assertEquals(0, t.code(), t.err());
        Path run = dir.resolve("r");
        assertFalse(Files.exists(run.resolve(FidEvaluator.REFERENCE_FILE)), "no FID asked for, no reference");
        CliTest.Run refused = CliTest.run("train", "--resume", run.toString(), "--steps", "4", "--fid-samples", "64");
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("does not take --fid-samples"), refused.err());
        CliTest.Run resumed = CliTest.run("train", "--resume", run.toString(), "--steps", "4", "--fid-every", "1", "--device", "cpu", "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());
        assertEquals(List.of(3L, 4L), measured(run).stream().map(m -> ((Number) m.get("step")).longValue()).toList());
        assertEquals(32, ((Number) measured(run).getLast().get("fid_samples")).intValue(), "the run's own --fid-samples");
        assertTrue(Files.exists(run.resolve(FidEvaluator.REFERENCE_FILE)));
    }

    @Test
    void helpDocumentsTheFidFlags() {
        CliTest.Run r = CliTest.run("train", "--help");
        assertEquals(0, r.code());
        for (String s : List.of("--fid-every=N", "--fid-samples=M", "--[no-]kid", "Default: 10000")) assertTrue(r.out().contains(s), s + "\n" + r.out());
    }
    /**
     * With --inception-weights the FID during training goes through Inception-v3 (bench/inception's formula weights here):
     * on images the MNIST network cannot take, the reference and the measurement record the inception network. Refusals
     * of a missing or foreign weights file come before any run folder. One measurement of 3 samples: a 2048 x 2048
     * square-root trace (about 10 to 25 s on 2 shared cores).
     */
    @Test
    void inceptionWeightsMeasureAnyImagesThroughInception(@TempDir Path dir) throws IOException {
        Path weights;
        try (dev.sparring.backend.cpu.CpuBackend be = new dev.sparring.backend.cpu.CpuBackend()) {
            var names = dev.sparring.eval.features.InceptionV3.withWeights(be, (name, shape) -> new float[java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)], 1);
            weights = dev.sparring.eval.features.InceptionFormulaWeights.write(dir.resolve("w.safetensors"), names.state(), true);
        }
        CliTest.Run missing = CliTest.run(train(dir, "m", "--image-size", "32", "--upscale", "--steps", "1", "--fid-every", "1",
                "--inception-weights", dir.resolve("nothing.safetensors").toString()));
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("--inception-weights " + dir.resolve("nothing.safetensors") + ": no such file"), missing.err());
        Path foreign = Files.writeString(dir.resolve("foreign.safetensors"), "not weights");
        CliTest.Run bad = CliTest.run(train(dir, "b", "--image-size", "32", "--upscale", "--steps", "1", "--fid-every", "1",
                "--inception-weights", foreign.toString()));
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("cannot be read as Inception weights"), bad.err());
        assertFalse(Files.exists(dir.resolve("m")) || Files.exists(dir.resolve("b")), "no run folder for a refused run");

        CliTest.Run t = CliTest.run(train(dir, "r", "--image-size", "32", "--upscale", "--steps", "1", "--fid-every", "1",
                "--fid-samples", "3", "--no-kid", "--inception-weights", weights.toString()));
        assertEquals(0, t.code(), t.err());
        List<Map<String, Object>> fids = measured(dir.resolve("r"));
        assertEquals(1, fids.size());
        assertEquals("inception", fids.getFirst().get("fid_features"));
        double fid = ((Number) fids.getFirst().get("fid")).doubleValue();
        assertTrue(Double.isFinite(fid) && fid > 0, "FID " + fid);
        var ref = dev.sparring.eval.StatisticsFile.read(dir.resolve("r").resolve(FidEvaluator.REFERENCE_FILE));
        assertEquals("inception", ref.network());
        assertEquals(2048, ref.features());
        assertEquals(3, ref.count());
    }
}
