package dev.sparring.cli;

import dev.sparring.io.Json;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
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
import java.util.Arrays;
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

    /** Trains a one-step class-conditional DCGAN (the default on the bundled digits, ngf = ndf = nz = 4) into out/name. */
    static Run trainTinyDigits(Path out, String name) {
        Run r = run("train", "--steps", "1", "--batch", "10", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", out.toString(),
                "--name", name, "--device", "cpu", "--no-progress");
        assertEquals(0, r.code(), r.err());
        return r;
    }

    /** Trains a two-step ring8 MLP (hidden 8, depth 1, nz 2) into out/name. */
    static Run trainTinyRing(Path out, String name) {
        Run r = run("train", "--data", "ring8", "--steps", "2", "--batch", "16", "--hidden", "8", "--depth", "1", "--nz", "2",
                "--out", out.toString(), "--name", name, "--device", "cpu", "--no-progress");
        assertEquals(0, r.code(), r.err());
        return r;
    }

    /** A tiny ring8 run; {@code overrides} are flag/value pairs that replace or add to the defaults here. */
    private static String[] tinyRing(Path out, String... overrides) {
        Map<String, String> flags = new java.util.LinkedHashMap<>(Map.of("--data", "ring8", "--steps", "6", "--batch", "16",
                "--hidden", "8", "--depth", "1", "--nz", "2", "--log-every", "2", "--sample-every", "3"));
        flags.putAll(Map.of("--checkpoint-every", "4", "--out", out.toString(), "--name", "r", "--device", "cpu"));
        // constant rates of 2e-4 (2-D data otherwise trains at 2e-3 and drops the rates after 60 % of the steps)
        flags.putAll(Map.of("--lr-d", "2e-4", "--lr-g", "2e-4", "--lr-decay", "1"));
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
        assertEquals(List.of(2, 4), cfg.get("lrDecayAt"));
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
    void anImageSizeTheDcganDoesNotTakeIsReportedBeforeTheData(@TempDir Path dir) {
        Run r = run("train", "--image-size", "40", "--upscale", "--steps", "1", "--out", dir.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--image-size 40: the DCGAN is built for 28, 32 or 64 px"), r.err());
        r = run("train", "--image-size", "40", "--steps", "1", "--out", dir.toString());
        assertTrue(r.err().contains("--image-size 40: the DCGAN is built for 28, 32 or 64 px") && !r.err().contains("--upscale"),
                "no advice to upscale to a size that is refused anyway: " + r.err());
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
                new Case(new String[]{"--data", "mnist", "--lr-decay", "0.5"}, "--lr-decay 0.5 needs --lr-decay-at"),
                new Case(new String[]{"--lr-decay-at", "6"}, "--lr-decay-at 6: the run ends at step 6"),
                new Case(new String[]{"--beta1", "1"}, "--beta1 must be in [0, 1)"),
                new Case(new String[]{"--beta2", "-0.1"}, "--beta2 must be in [0, 1)"),
                new Case(new String[]{"--loss", "wgan", "--beta1", "0.5"}, "--beta1 0.5: RMSProp here has no momentum"),
                new Case(new String[]{"--gp", "-1"}, "--gp must be >= 0 and finite"),
                new Case(new String[]{"--loss", "wgan-gp", "--gp", "-10"}, "--gp must be >= 0 and finite"),
                new Case(new String[]{"--r1", "-1"}, "--r1 must be >= 0 and finite"),
                new Case(new String[]{"--r2", "-0.5"}, "--r2 must be >= 0 and finite"),
                new Case(new String[]{"--r1", "1", "--reg-every", "0"}, "--reg-every must be >= 1"),
                new Case(new String[]{"--consensus", "1"}, "--consensus needs --updates simultaneous: consensus optimization is defined on the simultaneous update"),
                new Case(new String[]{"--updates", "simultaneous", "--consensus", "-1"}, "--consensus must be >= 0"),
                new Case(new String[]{"--updates", "simultaneous", "--consensus", "1", "--consensus-estimator", "exact"},
                        "--consensus-estimator must be biased or unbiased, got exact"),
                new Case(new String[]{"--updates", "simultaneous", "--consensus", "1", "--consensus-estimator", "unbiased", "--d-steps", "2"},
                        "--consensus-estimator unbiased draws half batches of real data, which critic steps before the joint step cannot take: give --d-steps 1, got 2"))) {
            Run r = run(tinyRing(dir, c.args()));
            assertEquals(2, r.code(), String.join(" ", c.args()) + ": " + r.err());
            assertTrue(r.err().contains(c.message()), String.join(" ", c.args()) + ": " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace for user errors: " + r.err());
        }
        assertFalse(Files.exists(dir.resolve("r")), "no run folder for a refused run");
    }

    @Test
    void numericsPrintsAndDrawsTheLargestEigenvaluesOfTheGameJacobian(@TempDir Path dir) throws IOException {
        Run r = run(tinyRing(dir, "--updates", "simultaneous", "--consensus", "1"));
        assertEquals(0, r.code(), r.err());
        Path png = dir.resolve("eig.png");
        Run n = run("numerics", "--checkpoint", dir.resolve("r").toString(), "--eigs", "4", "--batch", "8", "--out", png.toString(),
                "--device", "cpu");
        assertEquals(0, n.code(), n.err());
        List<String> rows = n.out().lines().filter(l -> l.matches("\\s*[1-4]\\s+\\S+\\s+\\S+\\s+\\S+")).toList();
        assertEquals(4, rows.size(), n.out());
        double[] mags = rows.stream().mapToDouble(l -> Double.parseDouble(l.trim().split("\\s+")[3])).toArray();
        for (int i = 1; i < mags.length; i++) assertTrue(mags[i] <= mags[i - 1], "largest magnitude first: " + n.out());
        assertTrue(ImageIO.read(png.toFile()).getWidth() > 0);
        Run again = run("numerics", "--checkpoint", dir.resolve("r").toString(), "--out", png.toString(), "--device", "cpu");
        assertEquals(2, again.code(), again.err());
        assertTrue(again.err().contains("--out " + png + " exists"), again.err());
        Run bad = run("numerics", "--checkpoint", dir.resolve("r").toString(), "--eigs", "0", "--device", "cpu");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--eigs must be >= 1"), bad.err());
        Run mixed = run("numerics", "--game", "bilinear", "--eigs", "3", "--out", dir.resolve("g").toString());
        assertEquals(2, mixed.code());
        assertTrue(mixed.err().contains("--eigs does not go with --game"), mixed.err());
        Run mixed2 = run("numerics", "--checkpoint", dir.resolve("r").toString(), "--lr", "0.1");
        assertEquals(2, mixed2.code());
        assertTrue(mixed2.err().contains("--lr does not go with --checkpoint"), mixed2.err());
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
        for (int i = 0; i < 6; i++) assertEquals(i + 1, Json.parseObject(lines.get(i), "metrics").get("step"));

        Path png = dir.resolve("s.png");
        Run sample = run("sample", "--checkpoint", run.toString(), "--n", "50", "--out", png.toString(), "--device", "cpu");
        assertEquals(0, sample.code(), sample.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
    }

    @Test
    void sampleWritesAnImageGridFromADcganCheckpoint(@TempDir Path dir) throws IOException {
        Run r = run("train", "--no-conditional", "--steps", "1", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", dir.toString(),
                "--name", "d", "--device", "cpu", "--no-progress");
        assertEquals(0, r.code(), r.err());
        Path png = dir.resolve("grid.png");
        Run s = run("sample", "--checkpoint", dir.resolve("d").toString(), "--n", "16", "--cols", "4", "--out", png.toString(), "--device", "cpu");
        assertEquals(0, s.code(), s.err());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(4 * 28 + 5 * 2, img.getWidth());
        assertEquals(4 * 28 + 5 * 2, img.getHeight());
    }

    /**
     * A folder with an image that cannot be decoded: refused with the file named, trained on the rest with
     * --skip-bad-images, and a resumed run opens it the same way (the setting is in config.json) and trains the same.
     */
    @Test
    void skipBadImagesTrainsOnTheRestAndAResumedRunKeepsItsData(@TempDir Path dir) throws IOException {
        Path faces = Files.createDirectories(dir.resolve("faces"));
        for (int i = 0; i < 6; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) img.getRaster().setSample(x, y, 0, (x * (i + 1) + 9 * y) & 0xFF);
            assertTrue(ImageIO.write(img, "png", faces.resolve("face" + i + ".png").toFile()));
        }
        Path bad = Files.writeString(faces.resolve("face3b.png"), "not a png");
        List<String> flags = List.of("train", "--data", faces.toString(), "--steps", "2", "--batch", "4", "--ngf", "4", "--ndf", "4",
                "--nz", "4", "--sample-every", "0", "--checkpoint-every", "1", "--out", dir.toString(), "--name", "f",
                "--device", "cpu", "--no-progress");
        Run refused = run(flags.toArray(String[]::new));
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("  " + bad + ": not a PNG or JPEG image") && refused.err().contains("--skip-bad-images"),
                refused.err());

        List<String> skipping = new java.util.ArrayList<>(flags);
        skipping.add("--skip-bad-images");
        Run r = run(skipping.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("--skip-bad-images: left out 1 of 7 images in " + faces + " that cannot be used (face3b.png;"),
                r.err());
        Path run = dir.resolve("f");
        assertEquals(true, Json.readObject(run.resolve("config.json")).get("skipBadImages"));

        Path straight = Files.move(run.resolve("checkpoints/step_000002.safetensors"), dir.resolve("straight.safetensors"));
        Run resumed = resume(run);
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("from step_000001.safetensors") && resumed.err().contains("left out 1 of 7"), resumed.err());
        assertSameCheckpoint(straight, run.resolve("checkpoints/step_000002.safetensors"));

        Run typed = resume(run, "--skip-bad-images");
        assertEquals(2, typed.code());
        assertTrue(typed.err().contains("does not take --skip-bad-images"), typed.err());
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

    // ---------------------------------------------------------------- run folders: never touch what Sparring did not write

    /** Every file under a folder with its bytes' hash, to show that nothing there was written, moved or deleted. */
    private static Map<String, Integer> snapshot(Path root) throws IOException {
        Map<String, Integer> m = new java.util.TreeMap<>();
        try (var s = Files.walk(root)) {
            for (Path p : s.toList()) {
                m.put(root.relativize(p).toString() + (Files.isDirectory(p) ? "/" : ""),
                        Files.isDirectory(p) ? 0 : Arrays.hashCode(Files.readAllBytes(p)));
            }
        }
        return m;
    }

    /** A folder of the user's that looks like a run folder (config.json, metrics.jsonl, samples/, loss_curve.png). */
    private static Path usersFolder(Path home) throws IOException {
        Files.createDirectories(home.resolve("samples"));
        Files.writeString(home.resolve("config.json"), "{\"editor\": \"vim\"}\n");
        Files.writeString(home.resolve("metrics.jsonl"), "{\"step\": 99}\n");
        Files.writeString(home.resolve("loss_curve.png"), "mine");
        Files.writeString(home.resolve("samples/step_000009.png"), "mine too");
        return home;
    }

    @Test
    void resumeFromACheckpointOutsideARunFolderStartsANewRunAndTouchesNothingBesideIt(@TempDir Path dir) throws IOException {
        assertEquals(0, run(tinyRing(dir)).code());
        // the user keeps a checkpoint in ~/models/ (grandparent: ~) and another in ~/x/checkpoints/ beside a config.json
        // that is not a Sparring run's
        Path home = usersFolder(dir.resolve("home"));
        Files.createDirectories(home.resolve("models"));
        Path kept = Files.copy(dir.resolve("r/checkpoints/step_000004.safetensors"), home.resolve("models/x.safetensors"));
        Path other = usersFolder(home.resolve("x"));
        Files.createDirectories(other.resolve("checkpoints"));
        Path kept2 = Files.copy(kept, other.resolve("checkpoints/step_000002.safetensors"));
        Map<String, Integer> before = snapshot(home);

        Path runs = dir.resolve("runs");
        Run r = resume(kept, "--steps", "8", "--out", runs.toString(), "--name", "cont");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("as a new run in " + runs.resolve("cont")), r.err());
        assertEquals(before, snapshot(home), "nothing beside the checkpoint was written, moved or deleted");
        // the new run continues from step 4: its metrics are steps 5..8, and it resumes like any run
        assertEquals(List.of(5L, 6L, 7L, 8L), metricSteps(runs.resolve("cont")));
        assertTrue(Files.exists(runs.resolve("cont/checkpoints/step_000008.safetensors")));
        Run on = resume(runs.resolve("cont"), "--steps", "9");
        assertEquals(0, on.code(), on.err());
        assertEquals(List.of(5L, 6L, 7L, 8L, 9L), metricSteps(runs.resolve("cont")));

        // a checkpoints/ folder beside a config.json that is not a run's: also a new run (default name, under --out)
        Run r2 = resume(kept2, "--steps", "6", "--out", runs.toString());
        assertEquals(0, r2.code(), r2.err());
        assertEquals(before, snapshot(home));
        try (var s = Files.list(runs)) {
            assertEquals(2, s.filter(p -> p.getFileName().toString().startsWith("ring8-nsgan-")
                    || p.getFileName().toString().equals("cont")).count());
        }
        // --out and --name stay refused when --resume names a run folder: that run continues where it is
        Run refused = resume(runs.resolve("cont"), "--steps", "12", "--name", "elsewhere");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("--name"), refused.err());
    }

    @Test
    void aRunWithADamagedConfigurationIsReportedNotContinuedElsewhere(@TempDir Path dir) throws IOException {
        assertEquals(0, run(tinyRing(dir)).code());
        Path r = dir.resolve("r");
        Files.writeString(r.resolve("config.json"), "{\"data\": \"ring8\", ");   // cut short
        Map<String, Integer> before = snapshot(dir);
        Run resumed = resume(r, "--steps", "12", "--out", dir.resolve("runs").toString());
        assertEquals(2, resumed.code(), resumed.err());
        String last = resumed.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.contains(r.resolve("config.json").toString()) && last.contains("does not read"), last);
        assertEquals(before, snapshot(dir), "nothing written: no new run folder, the damaged run left as it was");
    }

    @Test
    void aRunIsWrittenOnlyIntoANewFolder(@TempDir Path dir) throws IOException {
        Path mine = usersFolder(dir.resolve("mine"));
        Files.writeString(dir.resolve("notes.txt"), "mine");
        Map<String, Integer> before = snapshot(dir);
        Run r = run(tinyRing(dir, "--name", "mine"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--name mine") && r.err().contains("already holds a run"), r.err());
        Files.delete(mine.resolve("metrics.jsonl"));
        before = snapshot(dir);
        for (String name : List.of("mine", "notes.txt")) {
            r = run(tinyRing(dir, "--name", name));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--name " + name) && r.err().contains("not an empty folder"), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
            assertEquals(before, snapshot(dir));
        }
        // an empty folder made beforehand is fine
        Files.createDirectories(dir.resolve("empty"));
        assertEquals(0, run(tinyRing(dir, "--name", "empty")).code());
    }

    @Test
    void defaultRunNamesAreUniqueAndSayWhichLoss(@TempDir Path dir) throws IOException {
        // two runs with the same default name (same data, loss and second) get a folder each
        Path a = dev.sparring.train.TrainingRun.createFolder(dir, "ring8-nsgan-20261203-101010", true);
        Path b = dev.sparring.train.TrainingRun.createFolder(dir, "ring8-nsgan-20261203-101010", true);
        assertNotEquals(a, b);
        assertEquals("ring8-nsgan-20261203-101010-2", b.getFileName().toString());
        assertEquals("nsgan", TrainCommand.lossName("nsgan"));
        assertEquals("lsgan_a-1_b1_c0", TrainCommand.lossName("lsgan:a=-1,b=1,c=0"));
        assertEquals("lsgan_a-1_b1_c0", TrainCommand.lossName("lsgan:-1,1,0"));
        assertEquals("lsgan_a0_b0.5_c1", TrainCommand.lossName("lsgan:a=0,b=0.5,c=1"));
        String f1 = TrainCommand.lossName("phi=-exp(t); psi=-exp(-t); beta=exp(t)");
        String f2 = TrainCommand.lossName("phi=-exp(t); psi=-exp(-t)");
        assertTrue(f1.matches("formula-[0-9a-f]{8}"), f1);
        assertNotEquals(f1, f2);
        assertEquals(f1, TrainCommand.lossName("phi=-exp(t);psi=-exp(-t);  beta=exp(t)"), "spaces do not change the name");
        // two fresh runs of the same formula in one folder, default names: both run, in folders of their own
        for (int i = 0; i < 2; i++) {
            List<String> args = new java.util.ArrayList<>(List.of(tinyRing(dir.resolve("runs"), "--loss", "phi=-exp(t); psi=-exp(-t); beta=exp(t)")));
            int at = args.indexOf("--name");
            args.remove(at);
            args.remove(at);
            Run r = run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
        }
        try (var s = Files.list(dir.resolve("runs"))) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(2, names.size(), names.toString());
            for (String n : names) assertTrue(n.startsWith("ring8-" + f1 + "-"), n);
        }
    }

    // ---------------------------------------------------------------- sizes, sampling, bugs

    /** A copy of a checkpoint whose stored config has one field changed (the tensors are kept as they are). */
    private static Path withConfig(Path checkpoint, Path copy, String field, Object value) throws IOException {
        SafeTensorsFile f = SafeTensors.read(checkpoint);
        Map<String, Object> cfg = Json.parseObject(f.metadata().get("config"), "config");
        cfg.put(field, value);
        SafeTensors.Writer w = SafeTensors.writer();
        for (String n : f.names()) w.putRaw(n, f.dtype(n), f.getRaw(n), f.info(n).shape());
        f.metadata().forEach((k, v) -> w.putMetadata(k, k.equals("config") ? Json.write(cfg) : v));
        w.write(copy);
        return copy;
    }

    @Test
    void sizesNoMachineCanHoldAreRefusedUpFrontWithWhatTheyWouldNeed(@TempDir Path dir) throws IOException {
        for (String[] flags : List.of(new String[] {"--ngf", "20000"}, new String[] {"--nz", "2147483647"}, new String[] {"--batch", "100000000"})) {
            Run r = run("train", flags[0], flags[1], "--steps", "1", "--out", dir.toString(), "--name", "big", "--device", "cpu", "--no-progress");
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains(flags[0] + " " + flags[1]) || r.err().contains("--batch " + flags[1]), r.err());
            assertTrue(r.err().contains("would need about") && r.err().contains("one array can hold"), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
            assertFalse(Files.exists(dir.resolve("big")), "no run folder for a refused run");
        }
        // the same sizes in a checkpoint's config: refused by resume and by sample, before anything is allocated
        assertEquals(0, run(tinyRing(dir, "--steps", "2")).code());
        Path cp = withConfig(dir.resolve("r/checkpoints/step_000002.safetensors"), dir.resolve("wide.safetensors"), "nz", Integer.MAX_VALUE);
        for (Run r : List.of(resume(cp, "--steps", "4", "--out", dir.resolve("runs").toString()),
                run("sample", "--checkpoint", cp.toString(), "--out", dir.resolve("w.png").toString(), "--device", "cpu"))) {
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--nz 2147483647") && r.err().contains("one array can hold"), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
        }
    }

    @Test
    void sampleWritesManyImagesInBatchesToAFolderAndNeverReplacesAFile(@TempDir Path dir) throws IOException {
        Run t = run("train", "--no-conditional", "--steps", "1", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", dir.toString(),
                "--name", "d", "--device", "cpu", "--no-progress");
        assertEquals(0, t.code(), t.err());
        String cp = dir.resolve("d").toString();
        // more than a grid shows: refused with the way to get them
        Run big = run("sample", "--checkpoint", cp, "--n", "100000", "--out", dir.resolve("big.png").toString(), "--device", "cpu");
        assertEquals(2, big.code(), big.err());
        assertTrue(big.err().contains("--out-dir"), big.err());
        assertFalse(Files.exists(dir.resolve("big.png")));
        // 600 images in batches of 256 (two full, one of 88), one 28 x 28 PNG each
        Path out = dir.resolve("imgs");
        Run r = run("sample", "--checkpoint", cp, "--n", "600", "--batch", "256", "--out-dir", out.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        try (var s = Files.list(out)) {
            assertEquals(600, s.count());
        }
        BufferedImage first = ImageIO.read(out.resolve("000000.png").toFile()), last = ImageIO.read(out.resolve("000599.png").toFile());
        assertEquals(28, first.getWidth());
        assertEquals(28, last.getHeight());
        // the first batch is the grid of the first 256 samples: the same latent stream, cut into batches
        Path grid = dir.resolve("g.png");
        assertEquals(0, run("sample", "--checkpoint", cp, "--n", "256", "--cols", "16", "--out", grid.toString(), "--device", "cpu").code());
        BufferedImage g = ImageIO.read(grid.toFile());
        for (int k : new int[] {0, 17, 255}) {
            BufferedImage one = ImageIO.read(out.resolve(String.format("%06d.png", k)).toFile());
            int x0 = 2 + (k % 16) * 30, y0 = 2 + (k / 16) * 30;
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) assertEquals(g.getRGB(x0 + x, y0 + y), one.getRGB(x, y), "image " + k + " at " + x + "," + y);
            }
        }
        assertFalse(Arrays.equals(Files.readAllBytes(out.resolve("000000.png")), Files.readAllBytes(out.resolve("000256.png"))),
                "every batch draws new noise");
        // a folder that holds something, and an existing --out file, are left alone
        Run again = run("sample", "--checkpoint", cp, "--n", "2", "--out-dir", out.toString(), "--device", "cpu");
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--out-dir") && again.err().contains("not empty"), again.err());
        byte[] before = Files.readAllBytes(grid);
        Run over = run("sample", "--checkpoint", cp, "--n", "4", "--out", grid.toString(), "--device", "cpu");
        assertEquals(2, over.code());
        assertTrue(over.err().contains("--overwrite"), over.err());
        assertArrayEquals(before, Files.readAllBytes(grid));
        assertEquals(0, run("sample", "--checkpoint", cp, "--n", "4", "--out", grid.toString(), "--overwrite", "--device", "cpu").code());
    }

    @Test
    void aBugKeepsItsStackTraceAndAsksForAReportWhileUserErrorsGetOneLine() {
        CommandLine cl = Main.commandLine();
        java.io.StringWriter err = new java.io.StringWriter();
        cl.setErr(new PrintWriter(err, true));
        var handler = cl.getExecutionExceptionHandler();
        int code = assertDoesNotThrow(() -> handler.handleExecutionException(new IllegalArgumentException("index 3 of 2"), cl, null));
        assertEquals(70, code);
        assertTrue(err.toString().contains("java.lang.IllegalArgumentException: index 3 of 2") && err.toString().contains("\tat "), err.toString());
        assertTrue(err.toString().contains("please report"), err.toString());
        err.getBuffer().setLength(0);
        code = assertDoesNotThrow(() -> handler.handleExecutionException(new dev.sparring.UserError("--n must be >= 1"), cl, null));
        assertEquals(2, code);
        assertEquals("sparring: --n must be >= 1", err.toString().strip());
    }

    @Test
    void messagesNameWhatTheyAreAbout(@TempDir Path dir) {
        Run none = run();
        assertEquals(2, none.code(), "no command is an incomplete command line");
        assertTrue(none.err().contains("give a command") && none.err().contains("Usage: sparring"), none.err());
        // the start-up lines: no epochs for endless 2-D data; the loss's optimizer, critic steps, clipping and update order
        // (at tinyRing's rates)
        Run r = run(tinyRing(dir, "--loss", "wgan", "--steps", "2"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("2 steps (endless data, no epochs)"), r.err());
        assertTrue(r.err().contains("optimizer rmsprop (alpha 0.99), lr D 0.0002, G 0.0002, constant; 5 critic steps per generator "
                + "step, weights clipped to [-0.01, 0.01], alternating updates, batch 16"), r.err());
        // sample names its own flag
        Run s = run("sample", "--checkpoint", dir.resolve("nothing").toString(), "--device", "cpu");
        assertEquals(2, s.code());
        assertTrue(s.err().contains("--checkpoint " + dir.resolve("nothing")) && !s.err().contains("--resume"), s.err());
    }

    // ---------------------------------------------------------------- --resume and the flags it takes

    private static Run resume(Path run, String... flags) {
        List<String> a = new java.util.ArrayList<>(List.of("train", "--resume", run.toString(), "--no-progress"));
        a.addAll(List.of(flags));
        if (!a.contains("--device")) a.addAll(List.of("--device", "cpu"));
        return run(a.toArray(String[]::new));
    }

    private static List<Long> metricSteps(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .map(l -> ((Number) Json.parseObject(l, "metrics").get("step")).longValue()).toList();
    }

    /** The metrics lines without the wall-clock fields (time_s, img_per_s), which no two runs share. */
    private static List<String> metricsWithoutTimes(Path run) throws IOException {
        return Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .map(l -> l.replaceAll(",\"img_per_s\":[^,}]*", "").replaceAll(",\"time_s\":[^,}]*", "")).toList();
    }

    /** Every tensor of two checkpoints equal bit for bit, and the loop position (counters) the same. */
    private static void assertSameCheckpoint(Path a, Path b) throws IOException {
        SafeTensorsFile fa = SafeTensors.read(a), fb = SafeTensors.read(b);
        assertEquals(fa.names(), fb.names());
        assertTrue(fa.names().size() > 4, fa.names().toString());
        for (String n : fa.names()) assertTrue(Arrays.equals(fa.getRaw(n), fb.getRaw(n)), n + " differs between " + a + " and " + b);
        for (String k : List.of("step", "real_batches", "data_counter", "z_counter", "optG_step", "optD_step")) {
            assertEquals(fa.metadata().get(k), fb.metadata().get(k), k);
        }
    }

    private static Map<String, Object> checkpointConfig(Path file) throws IOException {
        return Json.parseObject(SafeTensors.read(file).metadata().get("config"), "config");
    }

    @Test
    void resumeExtendsAFinishedRunToANewTotal(@TempDir Path dir) throws IOException {
        assertEquals(0, run(tinyRing(dir)).code());
        Path run = dir.resolve("r");

        // without a new total a finished run has nothing to do, and says how to train it longer
        Run idle = resume(run);
        assertEquals(0, idle.code(), idle.err());
        assertTrue(idle.err().contains("already finished (step 6 of 6)") && idle.err().contains("--steps N"), idle.err());
        assertEquals(6, metricSteps(run).size());

        Run more = resume(run, "--steps", "11", "--sample-every", "5", "--checkpoint-every", "5", "--log-every", "3");
        assertEquals(0, more.code(), more.err());
        assertTrue(more.err().contains("from step_000006.safetensors (step 6)"), more.err());
        assertTrue(more.err().contains("steps 6 -> 11"), more.err());
        assertTrue(more.err().contains("finished 11 steps"), more.err());
        assertEquals(java.util.stream.LongStream.rangeClosed(1, 11).boxed().toList(), metricSteps(run));
        assertTrue(Files.exists(run.resolve("checkpoints/step_000010.safetensors")), "--checkpoint-every 5 took effect");
        assertTrue(Files.exists(run.resolve("checkpoints/step_000011.safetensors")), "the final checkpoint is at the new total");
        assertTrue(Files.exists(run.resolve("samples/step_000010.png")), "--sample-every 5 took effect");
        assertFalse(Files.exists(run.resolve("samples/step_000009.png")), "the old --sample-every 3 is replaced");

        // config.json and the new checkpoints record the updated settings; the rest is the run's own
        Map<String, Object> cfg = Json.readObject(run.resolve("config.json"));
        Map<String, Object> inCheckpoint = checkpointConfig(run.resolve("checkpoints/step_000011.safetensors"));
        for (Map<String, Object> c : List.of(cfg, inCheckpoint)) {
            assertEquals(11, c.get("steps"));
            assertEquals(5, c.get("sampleEvery"));
            assertEquals(5, c.get("checkpointEvery"));
            assertEquals(3, c.get("logEvery"));
            assertEquals(16, c.get("batch"));
            assertEquals("mlp", c.get("model"));
        }
        assertEquals(6, checkpointConfig(run.resolve("checkpoints/step_000006.safetensors")).get("steps"), "old checkpoints stay as written");
    }

    @Test
    void resumingFromAnOlderCheckpointMovesTheLaterOnesAsideInsteadOfMixingOrDeletingThem(@TempDir Path dir) throws IOException {
        assertEquals(0, run(tinyRing(dir, "--checkpoint-every", "2", "--sample-every", "2")).code());
        Path run = dir.resolve("r");
        List<String> laterMetrics = Files.readAllLines(run.resolve("metrics.jsonl")).subList(2, 6);

        Run back = resume(run.resolve("checkpoints/step_000002.safetensors"), "--steps", "3");
        assertEquals(0, back.code(), back.err());
        assertTrue(back.err().contains("resuming at step 2: moved what the run held beyond it (2 checkpoint(s), 2 sample grid(s), "
                + "4 metrics line(s)) to "), back.err());
        Path aside;
        try (var s = Files.list(run.resolve("rewound"))) {
            List<Path> all = s.toList();
            assertEquals(1, all.size(), all.toString());
            aside = all.get(0);
        }
        assertTrue(aside.getFileName().toString().startsWith("from-step_000002-"), aside.toString());
        assertTrue(Files.exists(aside.resolve("checkpoints/step_000004.safetensors")));
        assertTrue(Files.exists(aside.resolve("checkpoints/step_000006.safetensors")));
        assertTrue(Files.exists(aside.resolve("samples/step_000004.png")));
        assertEquals(laterMetrics, Files.readAllLines(aside.resolve("metrics.jsonl")), "the abandoned steps' metrics, kept");
        assertEquals(6, Json.readObject(aside.resolve("config.json")).get("steps"), "the config they were trained with");

        // the run folder holds the continued run only, and --resume RUN now takes its newest checkpoint
        assertEquals(List.of(1L, 2L, 3L), metricSteps(run));
        assertFalse(Files.exists(run.resolve("checkpoints/step_000006.safetensors")));
        Run on = resume(run, "--steps", "4");
        assertEquals(0, on.code(), on.err());
        assertTrue(on.err().contains("from step_000003.safetensors (step 3)"), on.err());
        assertFalse(on.err().contains("moved what the run held"), "nothing beyond step 3 to move: " + on.err());
        assertEquals(List.of(1L, 2L, 3L, 4L), metricSteps(run));
    }

    @Test
    void aNewTotalThatEndsBeforeASavedDropIsRefused(@TempDir Path dir) throws IOException {
        assertEquals(0, run(tinyRing(dir, "--steps", "20", "--lr-decay-at", "15", "--checkpoint-every", "4")).code());
        Path cp = dir.resolve("r/checkpoints/step_000004.safetensors");
        Run r = resume(cp, "--steps", "12");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("lowers the rates after step 15 but the new total ends it at step 12"), r.err());
        Run ok = resume(cp, "--steps", "12", "--lr-decay-at", "8");
        assertEquals(0, ok.code(), ok.err());
    }

    @Test
    void resumeTakesEpochsZeroWithStepsAsAFreshRunDoes(@TempDir Path dir) throws IOException {
        assertEquals(0, run(tinyRing(dir, "--epochs", "0")).code(), "a fresh run takes --epochs 0 --steps 6");
        Path run = dir.resolve("r");
        Run r = resume(run, "--epochs", "0", "--steps", "8");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("finished 8 steps"), r.err());
        Map<String, Object> cfg = Json.readObject(run.resolve("config.json"));
        assertEquals(8, cfg.get("steps"));
        assertEquals(0, cfg.get("epochs"));
        assertEquals(java.util.stream.LongStream.rangeClosed(1, 8).boxed().toList(), metricSteps(run));
    }

    @Test
    void aTotalNotAboveTheCheckpointIsRefused(@TempDir Path dir) throws IOException {
        assertEquals(0, run(tinyRing(dir)).code());
        Path run = dir.resolve("r");
        for (String total : List.of("6", "3")) {
            Run r = resume(run, "--steps", total);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--steps " + total + ": the checkpoint is already at step 6"), r.err());
            assertTrue(r.err().contains("above 6"), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
        }
        Run r = resume(run, "--epochs", "3");   // ring8 is an endless sampler: epochs mean nothing there
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("endless sampler: set --steps"), r.err());
        assertEquals(6, metricSteps(run).size(), "a refused resume leaves the run as it was");
        assertEquals(6, Json.readObject(run.resolve("config.json")).get("steps"));
    }

    /** 12 gray 28x28 images: an epoch of 3 steps at batch 4. */
    private static Path tinyImageFolder(Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("imgs"));
        java.util.Random rnd = new java.util.Random(5);
        for (int i = 0; i < 12; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) img.getRaster().setSample(x, y, 0, rnd.nextInt(256));
            assertTrue(ImageIO.write(img, "png", folder.resolve(String.format("%02d.png", i)).toFile()));
        }
        return folder;
    }

    @Test
    void resumeEpochsAreTotalEpochsOfTheData(@TempDir Path dir) throws IOException {
        Path imgs = tinyImageFolder(dir);
        Run r = run("train", "--data", imgs.toString(), "--epochs", "1", "--batch", "4", "--ngf", "4", "--ndf", "4", "--nz", "4",
                "--sample-every", "0", "--checkpoint-every", "0", "--out", dir.toString(), "--name", "e", "--device", "cpu", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("3 steps (3 per epoch)"), r.err());
        Path run = dir.resolve("e");

        Run same = resume(run, "--epochs", "1");
        assertEquals(2, same.code(), same.err());
        assertTrue(same.err().contains("--epochs 1 (3 steps at 3 per epoch): the checkpoint is already at step 3"), same.err());

        Run more = resume(run, "--epochs", "3");
        assertEquals(0, more.code(), more.err());
        assertTrue(more.err().contains("finished 9 steps"), more.err());
        assertEquals(9, metricSteps(run).size());
        assertEquals(3, Json.readObject(run.resolve("config.json")).get("epochs"));

        // a run that trained by --steps goes on by epochs: --epochs sets the total and clears --steps
        Run steps = resume(run, "--steps", "10");
        assertEquals(0, steps.code(), steps.err());
        Run epochs = resume(run, "--epochs", "4");
        assertEquals(0, epochs.code(), epochs.err());
        Map<String, Object> cfg = Json.readObject(run.resolve("config.json"));
        assertEquals(0, cfg.get("steps"));
        assertEquals(4, cfg.get("epochs"));
        assertTrue(Files.exists(run.resolve("checkpoints/step_000012.safetensors")));
    }

    @Test
    void flagsFixedByTheRunAreRefusedByName(@TempDir Path dir) throws IOException {
        assertEquals(0, run(tinyRing(dir)).code());
        Path run = dir.resolve("r");
        Run r = resume(run, "--steps", "10", "--lr-d", "1e-4", "--batch", "8");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("does not take --lr-d, --batch:"), r.err());
        assertTrue(r.err().contains("keeps the settings it started with (its config.json)"), r.err());
        for (String ok : TrainCommand.RESUME_FLAGS) assertTrue(r.err().contains(ok), "the message names " + ok + ": " + r.err());
        assertFalse(r.err().contains("\tat "), r.err());

        for (String[] flags : List.of(new String[]{"--seed", "2"}, new String[]{"--name", "other"}, new String[]{"--loss", "wgan"},
                new String[]{"--data", "grid25"}, new String[]{"--upscale"}, new String[]{"--updates", "simultaneous"},
                new String[]{"--gp", "10"}, new String[]{"--reg-every", "4"})) {
            Run x = resume(run, flags);
            assertEquals(2, x.code(), flags[0] + ": " + x.err());
            assertTrue(x.err().contains("does not take " + flags[0] + ":"), x.err());
        }
        assertEquals(6, metricSteps(run).size(), "a refused resume trains nothing");
        assertFalse(Files.exists(dir.resolve("other")));
    }

    @Test
    void resumeOnAnotherDeviceValueContinuesTheRun(@TempDir Path dir) throws IOException {
        assertEquals(0, run(tinyRing(dir)).code());   // --device cpu
        Path run = dir.resolve("r");
        Run r = resume(run, "--device", "auto", "--steps", "8");   // auto: cuda where it is ready, else cpu
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("finished 8 steps"), r.err());
        assertEquals(java.util.stream.LongStream.rangeClosed(1, 8).boxed().toList(), metricSteps(run));
        assertTrue(Files.exists(run.resolve("checkpoints/step_000008.safetensors")));
    }

    @Test
    void anExtendedRunIsTheUninterruptedRunBitForBit(@TempDir Path dir) throws IOException {
        // ring8 MLP: 6 steps, then extended to 11 (logging every 3 instead of 2)
        assertEquals(0, run(tinyRing(dir, "--steps", "11", "--name", "straight")).code());
        assertEquals(0, run(tinyRing(dir, "--name", "phased")).code());
        Run more = resume(dir.resolve("phased"), "--steps", "11", "--log-every", "3");
        assertEquals(0, more.code(), more.err());
        assertSameCheckpoint(dir.resolve("straight/checkpoints/step_000011.safetensors"), dir.resolve("phased/checkpoints/step_000011.safetensors"));
        assertEquals(metricsWithoutTimes(dir.resolve("straight")), metricsWithoutTimes(dir.resolve("phased")));

        // a tiny MNIST DCGAN (batch norm, 2 critic steps): 2 steps, then 2 more from the step-2 checkpoint
        String[] dcgan = {"train", "--steps", "4", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--d-steps", "2",
                "--log-every", "1", "--sample-every", "0", "--checkpoint-every", "0", "--out", dir.toString(), "--device", "cpu", "--no-progress"};
        Run straight = run(concat(dcgan, "--name", "dstraight"));
        assertEquals(0, straight.code(), straight.err());
        String[] twoSteps = concat(dcgan, "--name", "dphased");
        twoSteps[2] = "2";
        assertEquals(0, run(twoSteps).code());
        Run rest = resume(dir.resolve("dphased"), "--steps", "4");
        assertEquals(0, rest.code(), rest.err());
        assertSameCheckpoint(dir.resolve("dstraight/checkpoints/step_000004.safetensors"), dir.resolve("dphased/checkpoints/step_000004.safetensors"));
        assertEquals(metricsWithoutTimes(dir.resolve("dstraight")), metricsWithoutTimes(dir.resolve("dphased")));
        assertEquals(Files.readString(dir.resolve("dstraight/config.json")), Files.readString(dir.resolve("dphased/config.json")));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void resumeCanAddRateDropsAfterTheCheckpointOnly(@TempDir Path dir) throws IOException {
        // a drop added at resume trains like the same schedule given from the start
        assertEquals(0, run(tinyRing(dir, "--steps", "10", "--lr-decay-at", "2,7", "--lr-decay", "0.5", "--name", "straight")).code());
        assertEquals(0, run(tinyRing(dir, "--lr-decay-at", "2", "--lr-decay", "0.5", "--name", "phased")).code());
        Path run = dir.resolve("phased");

        record Case(String[] flags, String message) { }
        for (Case c : List.of(
                new Case(new String[]{"--steps", "10", "--lr-decay-at", "3,7"},
                        "--lr-decay-at 3,7: the checkpoint is at step 6, and steps 1-6 trained with the rates dropping after step 2"),
                new Case(new String[]{"--steps", "10", "--lr-decay-at", "7"}, "e.g. --lr-decay-at 2,7"),
                new Case(new String[]{"--steps", "10", "--lr-decay-at", "2,7", "--lr-decay", "0.1"},
                        "--lr-decay 0.1: the rates already dropped by 0.5 after step 2, before the checkpoint at step 6"),
                new Case(new String[]{"--steps", "10", "--lr-decay-at", "2,10"}, "--lr-decay-at 10: the run ends at step 10"))) {
            Run r = resume(run, c.flags());
            assertEquals(2, r.code(), String.join(" ", c.flags()) + ": " + r.err());
            assertTrue(r.err().contains(c.message()), String.join(" ", c.flags()) + ": " + r.err());
        }
        assertEquals(6, metricSteps(run).size());

        Run r = resume(run, "--steps", "10", "--lr-decay-at", "2,7");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("x0.5 after steps 2,7"), r.err());
        assertEquals(List.of(2, 7), Json.readObject(run.resolve("config.json")).get("lrDecayAt"));
        assertSameCheckpoint(dir.resolve("straight/checkpoints/step_000010.safetensors"), run.resolve("checkpoints/step_000010.safetensors"));
        assertEquals(metricsWithoutTimes(dir.resolve("straight")), metricsWithoutTimes(run));

        // a run without drops can get its first one, with its own factor, at or after the checkpoint's step
        assertEquals(0, run(tinyRing(dir, "--name", "plain")).code());
        Run first = resume(dir.resolve("plain"), "--steps", "8", "--lr-decay-at", "6", "--lr-decay", "0.25");
        assertEquals(0, first.code(), first.err());
        List<String> lines = Files.readAllLines(dir.resolve("plain/metrics.jsonl"));
        assertEquals(2e-4, Json.parseObject(lines.get(5), "metrics").get("lr_d"));
        assertEquals(5e-5, Json.parseObject(lines.get(6), "metrics").get("lr_d"));
    }
}
