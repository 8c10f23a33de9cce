package dev.sparring.cli;

import dev.sparring.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The command line end to end, on tiny runs. */
class CliTest {
    record Run(int code, String out, String err) { }

    /** Runs the command line, capturing stdout and stderr (where notices and errors go). */
    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        int code;
        System.setErr(new PrintStream(err, true));   // notices and errors go to stderr
        try {
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(out, true));
            code = cl.execute(args);
        } finally {
            System.setErr(oldErr);
        }
        return new Run(code, out.toString(), err.toString());
    }

    /** A tiny ring8 run; {@code overrides} are flag/value pairs that replace or add to the defaults here. */
    private static String[] tinyRing(Path out, String... overrides) {
        Map<String, String> flags = new java.util.LinkedHashMap<>(Map.of("--data", "ring8", "--steps", "6", "--batch", "16",
                "--hidden", "8", "--depth", "1", "--nz", "2", "--log-every", "2", "--sample-every", "3"));
        flags.putAll(Map.of("--checkpoint-every", "4", "--out", out.toString(), "--name", "r", "--device", "cpu"));
        for (int i = 0; i < overrides.length; i += 2) flags.put(overrides[i], overrides[i + 1]);
        List<String> a = new java.util.ArrayList<>(List.of("train", "--no-progress"));
        flags.forEach((k, v) -> { a.add(k); a.add(v); });
        return a.toArray(String[]::new);
    }

    @Test
    void helpListsEveryTrainFlagWithItsDefault() {
        Run r = run("train", "--help");
        assertEquals(0, r.code());
        for (String flag : List.of("--data", "--loss", "--lr-d", "--lr-g", "--d-steps", "--batch", "--epochs", "--steps",
                "--seed", "--device", "--out", "--resume", "--clip", "--updates", "--lr-decay-at", "--lr-decay", "--beta1", "--beta2")) {
            assertTrue(r.out().contains(flag), "help lacks " + flag);
        }
        assertTrue(r.out().contains("Default: mnist"), r.out());
        assertTrue(r.out().contains("Default: nsgan"), r.out());
        String flat = r.out().replaceAll("\\s+", " ");
        for (String flag : List.of("--optimizer", "--lr-d", "--lr-g", "--beta1", "--beta2", "--d-steps", "--clip")) {
            int at = flat.lastIndexOf(flag + "=");   // the option list, after the usage synopsis
            String entry = flat.substring(at, flat.indexOf(")", at));
            assertTrue(entry.contains("default: from the loss"), "help of " + flag + ": " + entry);
        }
        assertTrue(flat.contains("(default: 0.1"), "--lr-decay's default: " + flat);
        assertFalse(flat.contains("Default: null"), flat);
    }

    @Test
    void aLearningRateScheduleIsRecordedAndLogged(@TempDir Path dir) throws IOException {
        Run r = run(tinyRing(dir, "--lr-decay-at", "2,4", "--lr-decay", "0.5", "--lr-d", "0.004", "--lr-g", "0.002"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("lr D 0.004, G 0.002, x0.5 after steps 2,4"), r.err());
        Path run = dir.resolve("r");
        Map<String, Object> cfg = Json.readObject(run.resolve("config.json"));
        assertEquals(List.of(2L, 4L), cfg.get("lrDecayAt"));
        assertEquals(0.5, cfg.get("lrDecay"));
        assertEquals(0.5, cfg.get("beta1"));
        assertEquals(0.999, cfg.get("beta2"));
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        double[] lrD = {0.004, 0.004, 0.002, 0.002, 0.001, 0.001}, lrG = {0.002, 0.002, 0.001, 0.001, 0.0005, 0.0005};
        for (int i = 0; i < 6; i++) {
            Map<String, Object> m = Json.parseObject(lines.get(i), "metrics");
            assertEquals(lrD[i], m.get("lr_d"), lines.get(i));
            assertEquals(lrG[i], m.get("lr_g"), lines.get(i));
        }
        assertTrue(lines.get(0).contains("\"grad_norm_g\":") && lines.get(0).indexOf("\"lr_d\":") > lines.get(0).indexOf("\"grad_norm_g\":"),
                lines.get(0));
    }

    @Test
    void badSchedulesAndBetasGetOneLineNamingTheFlag(@TempDir Path dir) {
        record Case(String[] args, String message) { }
        for (Case c : List.of(
                new Case(new String[]{"--lr-decay-at", "4,2"}, "--lr-decay-at steps must be strictly increasing, got 4,2"),
                new Case(new String[]{"--lr-decay-at", "0"}, "--lr-decay-at steps must be >= 1"),
                new Case(new String[]{"--lr-decay-at", "two"}, "--lr-decay-at"),
                new Case(new String[]{"--lr-decay-at", "3", "--lr-decay", "0"}, "--lr-decay must be in (0, 1]"),
                new Case(new String[]{"--lr-decay-at", "3", "--lr-decay", "-0.5"}, "--lr-decay must be in (0, 1]"),
                new Case(new String[]{"--lr-decay-at", "3", "--lr-decay", "2"}, "--lr-decay must be in (0, 1]"),
                new Case(new String[]{"--lr-decay", "0.5"}, "--lr-decay 0.5 needs --lr-decay-at"),
                new Case(new String[]{"--lr-decay-at", "6"}, "--lr-decay-at 6: the run ends at step 6"),
                new Case(new String[]{"--beta1", "1"}, "--beta1 must be in [0, 1)"),
                new Case(new String[]{"--beta2", "-0.1"}, "--beta2 must be in [0, 1)"),
                new Case(new String[]{"--loss", "wgan", "--beta1", "0.5"}, "--beta1 0.5: RMSProp here has no momentum"))) {
            Run r = run(tinyRing(dir, c.args()));
            assertEquals(2, r.code(), String.join(" ", c.args()) + ": " + r.err());
            assertTrue(r.err().contains(c.message()), String.join(" ", c.args()) + ": " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace for user errors: " + r.err());
        }
        assertFalse(Files.exists(dir.resolve("r")), "no run folder for a refused run");
    }

    @Test
    void trainWritesTheRunFolderAndResumeContinuesIt(@TempDir Path dir) throws IOException {
        Run r = run(tinyRing(dir));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("device: cpu"), r.err());
        Path run = dir.resolve("r");
        Map<String, Object> cfg = Json.readObject(run.resolve("config.json"));
        assertEquals("mlp", cfg.get("model"));
        assertEquals(6, Files.readAllLines(run.resolve("metrics.jsonl")).size());
        assertTrue(Files.exists(run.resolve("samples/step_000003.png")));
        assertTrue(Files.exists(run.resolve("checkpoints/step_000006.safetensors")));
        assertTrue(Files.exists(run.resolve("loss_curve.png")));

        // a second fresh run into the same folder is refused
        Run again = run(tinyRing(dir));
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--resume"), again.err());

        // resume from the step-4 checkpoint: metrics after step 4 are replaced, not duplicated
        Files.delete(run.resolve("checkpoints/step_000006.safetensors"));
        Run resumed = run("train", "--resume", run.toString(), "--device", "cpu", "--no-progress");
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("step 4"), resumed.err());
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(6, lines.size());
        for (int i = 0; i < 6; i++) assertEquals((long) i + 1, Json.parseObject(lines.get(i), "metrics").get("step"));

        Path png = dir.resolve("s.png");
        Run sample = run("sample", "--checkpoint", run.toString(), "--n", "50", "--out", png.toString(), "--device", "cpu");
        assertEquals(0, sample.code(), sample.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
    }

    @Test
    void sampleWritesAnImageGridFromADcganCheckpoint(@TempDir Path dir) throws IOException {
        Run r = run("train", "--steps", "1", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", dir.toString(),
                "--name", "d", "--device", "cpu", "--no-progress");
        assertEquals(0, r.code(), r.err());
        Path png = dir.resolve("grid.png");
        Run s = run("sample", "--checkpoint", dir.resolve("d").toString(), "--n", "16", "--cols", "4", "--out", png.toString(), "--device", "cpu");
        assertEquals(0, s.code(), s.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(4 * 28 + 5 * 2, img.getWidth());
        assertEquals(4 * 28 + 5 * 2, img.getHeight());
    }

    @Test
    void badInputGetsOneClearLine(@TempDir Path dir) {
        Run r = run(tinyRing(dir, "--batch", "0"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--batch must be >= 1"), r.err());

        r = run("train", "--data", dir.resolve("no-such-folder").toString(), "--out", dir.toString(), "--device", "cpu");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no-such-folder"), r.err());

        r = run(tinyRing(dir, "--device", "tpu"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--device must be auto, cpu or cuda"), r.err());

        r = run(tinyRing(dir, "--loss", "phi=log(t; psi=t"));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("column"), r.err());

        r = run("train", "--resume", dir.resolve("nothing-here").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--resume"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace for user errors: " + r.err());
    }
}
