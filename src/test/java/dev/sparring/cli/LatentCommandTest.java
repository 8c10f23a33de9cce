package dev.sparring.cli;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.eval.NpyArray;
import dev.sparring.io.Json;
import dev.sparring.lab.latent.LatentPaths;
import dev.sparring.lab.latent.PathSmoothness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sparring latent} and {@code sample --save-z}, end to end on tiny runs. */
class LatentCommandTest {
    @TempDir
    static Path runs;
    static String digits, ring, cond;

    @BeforeAll
    static void train() {
        // the class means of arithmetic and the digit changes along paths are an unconditional generator's
        CliTest.Run t = CliTest.run("train", "--no-conditional", "--steps", "1", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", runs.toString(),
                "--name", "d", "--device", "cpu", "--no-progress");
        assertEquals(0, t.code(), t.err());
        digits = runs.resolve("d").toString();
        // the default run on the bundled digits: class-conditional
        CliTest.Run c = CliTest.trainTinyDigits(runs, "c");
        assertTrue(c.err().contains("class-conditional (the default on the bundled digits; --no-conditional for an unconditional run): 10 classes"), c.err());
        cond = runs.resolve("c").toString();
        CliTest.trainTinyRing(runs, "r");
        ring = runs.resolve("r").toString();
    }

    private static CliTest.Run latent(String... args) {
        List<String> a = new ArrayList<>(List.of("latent"));
        a.addAll(List.of(args));
        a.addAll(List.of("--device", "cpu", "--no-progress"));
        return CliTest.run(a.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) { return (Map<String, Object>) o; }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) { return (List<Object>) o; }

    private static double num(Object o) { return ((Number) o).doubleValue(); }

    private static String lastLine(String s) { return s.strip().lines().reduce((a, b) -> b).orElse(""); }

    @Test
    void interpolateWritesStripsSmoothnessAndPathLengthsThatMatchItsImages(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("i");
        CliTest.Run r = latent("interpolate", "--checkpoint", digits, "--pairs", "2", "--steps", "6", "--show", "4", "--ppl-samples", "6", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Object> s = Json.readObject(out.resolve("summary.json"));
        assertEquals("interpolate", s.get("command"));
        assertEquals("G_ema", s.get("generator"));
        assertEquals(List.of("lerp", "slerp"), s.get("paths"));
        List<Object> strips = list(s.get("strips"));
        assertEquals(4, strips.size(), "a linear and a spherical strip per pair");

        // the first strip's numbers, recomputed from the same latents through the API
        try (CpuBackend be = new CpuBackend()) {
            LatentGenerator lg = new LatentGenerator(be, LatentGenerator.open(Path.of(digits)), true);
            float[] ends = lg.latents(4, 0, "latent-pairs");
            double[] a = LatentCommand.row(ends, 0, 4), b = LatentCommand.row(ends, 1, 4);
            float[] z = new float[7 * 4];
            for (int i = 0; i <= 6; i++) LatentCommand.put(z, i, LatentPaths.lerp(a, b, i / 6.0));
            float[] x = lg.images(z, null, 7);
            PathSmoothness ps = PathSmoothness.of(x, 7, lg.item);
            Map<String, Object> first = map(strips.get(0)), px = map(first.get("pixels"));
            assertEquals("lerp", first.get("path"));
            assertEquals(ps.mean(), num(px.get("mean_step")), 1e-9);
            assertEquals(ps.max(), num(px.get("max_step")), 1e-9);
            assertEquals(ps.total(), num(px.get("length")), 1e-9);
            assertEquals(Math.toDegrees(LatentPaths.angle(a, b)), num(first.get("angle_deg")), 1e-9);
            String classes = (String) first.get("classes");
            assertEquals(7, classes.length());
            int changes = 0;
            for (int i = 1; i < 7; i++) if (classes.charAt(i) != classes.charAt(i - 1)) changes++;
            assertEquals(changes, ((Number) first.get("class_changes")).intValue());
        }
        Map<String, Object> ppl = map(s.get("ppl"));
        for (String k : List.of("lerp", "slerp")) {
            Map<String, Object> f = map(map(ppl.get(k)).get("features")), p = map(map(ppl.get(k)).get("pixels"));
            assertEquals(6, ((Number) f.get("samples")).intValue());
            assertTrue(num(f.get("ppl")) > 0 && num(p.get("ppl")) > 0, ppl.toString());
        }
        BufferedImage png = ImageIO.read(out.resolve("interpolate.png").toFile());
        assertEquals(4 * 30 + 2, png.getHeight(), "four strips of 28 px images");
        assertTrue(png.getWidth() >= 4 * 30 + 2, "four images per strip, labels left of them");
        assertTrue(Files.exists(out.resolve("smoothness.png")));
        assertTrue(r.out().contains("perceptual path length, slerp: "), r.out());

        // --slerp alone; a non-empty folder is refused
        Path one = dir.resolve("one");
        assertEquals(0, latent("interpolate", "--checkpoint", digits, "--pairs", "1", "--steps", "2", "--ppl-samples", "0", "--slerp", "--out", one.toString()).code());
        Map<String, Object> s1 = Json.readObject(one.resolve("summary.json"));
        assertEquals(List.of("slerp"), s1.get("paths"));
        assertEquals(Map.of(), s1.get("ppl"));
        CliTest.Run again = latent("interpolate", "--checkpoint", digits, "--out", one.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("--out " + one + " is not empty"), again.err());
    }

    @Test
    void traverseCountsClassChangesPerDimension(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("t");
        CliTest.Run r = latent("traverse", "--checkpoint", digits, "--dims", "0,2", "--range=-2,2", "--steps", "3", "--starts", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Object> s = Json.readObject(out.resolve("summary.json"));
        assertEquals(List.of(0, 2), s.get("dims"));
        assertEquals(List.of(-2.0, 0.0, 2.0), s.get("values"));
        List<Object> per = list(s.get("per_dim"));
        assertEquals(2, per.size());
        // the share of class changes, recomputed: dimension 2 set to -2, 0, 2 from each of the two starts
        try (CpuBackend be = new CpuBackend()) {
            LatentGenerator lg = new LatentGenerator(be, LatentGenerator.open(Path.of(digits)), true);
            float[] z0 = lg.latents(2, 0, "latent-traverse");
            float[] z = new float[8 * 4];
            for (int st = 0; st < 2; st++) {
                System.arraycopy(z0, st * 4, z, st * 16, 4);
                for (int j = 0; j < 3; j++) {
                    System.arraycopy(z0, st * 4, z, (st * 4 + 1 + j) * 4, 4);
                    z[(st * 4 + 1 + j) * 4 + 2] = -2 + 2 * j;
                }
            }
            int[] y = new int[8];
            lg.decode(z, null, 8, null, (done, k, x, p, f) -> System.arraycopy(LatentGenerator.classes(p, k), 0, y, done, k));
            int changed = 0;
            for (int st = 0; st < 2; st++) for (int j = 0; j < 3; j++) if (y[st * 4 + 1 + j] != y[st * 4]) changed++;
            assertEquals(changed / 6.0, num(map(per.get(1)).get("class_change_share")), 1e-12);
            assertEquals(List.of(y[0], y[4]), s.get("start_classes"));
        }
        BufferedImage png = ImageIO.read(out.resolve("traverse.png").toFile());
        assertEquals(2 * 30 + 2, png.getHeight(), "one row per dimension");
        assertTrue(Files.exists(out.resolve("class_change.png")));
    }

    @Test
    void arithmeticOfClassMeansAndOfSavedLatentSets(@TempDir Path dir) throws IOException {
        // which classes the first 16 samples fall in, with any confidence
        int[] y = new int[16];
        float[] z16;
        try (CpuBackend be = new CpuBackend()) {
            LatentGenerator lg = new LatentGenerator(be, LatentGenerator.open(Path.of(digits)), true);
            z16 = lg.latents(16, 0, "sample");
            lg.decode(z16, null, 16, null, (done, k, x, p, f) -> System.arraycopy(LatentGenerator.classes(p, k), 0, y, done, k));
        }
        int present = y[0], absent = -1;
        for (int k = 0; k < 10 && absent < 0; k++) {
            final int kk = k;
            if (Arrays.stream(y).noneMatch(v -> v == kk)) absent = k;
        }
        assertTrue(absent >= 0, "16 samples of an untrained generator in all ten classes: " + Arrays.toString(y));

        Path out = dir.resolve("a");
        CliTest.Run r = latent("arithmetic", "--checkpoint", digits, "--expr", present + " - " + present + " + " + present, "--n", "16",
                "--confidence", "0", "--per-class", "0", "--variants", "3", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Object> s = Json.readObject(out.resolve("summary.json"));
        int count = (int) Arrays.stream(y).filter(v -> v == present).count();
        assertEquals(count, ((Number) list(s.get("class_counts")).get(present)).intValue());
        // the sum is the class mean itself: the mean of the latents of the samples in that class
        double[] mean = new double[4];
        for (int i = 0; i < 16; i++) if (y[i] == present) for (int j = 0; j < 4; j++) mean[j] += z16[i * 4 + j] / (double) count;
        Map<String, Object> result = map(s.get("result"));
        assertEquals(LatentPaths.norm(mean), num(result.get("norm")), 1e-5);
        assertEquals(3, list(result.get("variant_classes")).size());
        assertEquals(4 * 30 + 2, ImageIO.read(out.resolve("arithmetic.png").toFile()).getHeight(), "three terms and the result");

        CliTest.Run missing = latent("arithmetic", "--checkpoint", digits, "--expr", present + " + " + absent, "--n", "16", "--confidence", "0",
                "--out", dir.resolve("m").toString());
        assertEquals(2, missing.code());
        assertTrue(lastLine(missing.err()).startsWith("sparring: --expr \"" + present + " + " + absent + "\": no sample of 16 was classified as " + absent),
                missing.err());
        assertEquals(1, missing.err().lines().filter(l -> l.startsWith("sparring:")).count(), missing.err());
        assertFalse(Files.exists(dir.resolve("m")), "no folder for a failed run");

        // sample --save-z writes the latents that sample draws; arithmetic takes rows of them by name
        Path zfile = dir.resolve("z.npy");
        CliTest.Run sm = CliTest.run("sample", "--checkpoint", digits, "--n", "16", "--out", dir.resolve("s.png").toString(), "--save-z", zfile.toString(),
                "--device", "cpu", "--no-progress");
        assertEquals(0, sm.code(), sm.err());
        NpyArray saved = NpyArray.parse(Files.readAllBytes(zfile), "z.npy");
        assertArrayEquals(new long[] {16, 4}, saved.shape());
        assertArrayEquals(z16, saved.toFloats("z.npy"), "sample and the latent commands draw the same latents from a seed");
        Path out2 = dir.resolve("b");
        CliTest.Run named = latent("arithmetic", "--checkpoint", digits, "--z", "a=" + zfile + ":0,2-3", "--z", "b=" + zfile + ":5", "--expr", "a - 0.5*b",
                "--variants", "1", "--out", out2.toString());
        assertEquals(0, named.code(), named.err());
        double[] want = new double[4];
        for (int j = 0; j < 4; j++) want[j] = (z16[j] + z16[8 + j] + z16[12 + j]) / 3.0 - 0.5 * z16[20 + j];
        Map<String, Object> s2 = Json.readObject(out2.resolve("summary.json"));
        assertEquals(LatentPaths.norm(want), num(map(s2.get("result")).get("norm")), 1e-5);
        assertEquals(List.of(0, 2, 3), map(list(s2.get("terms")).get(0)).get("rows"));
        assertFalse(s2.containsKey("class_counts"), "no class was named, so nothing was classified for means");
    }

    /**
     * A class-conditional generator (the default run's): interpolate gives pair i the class i mod 10, or every pair
     * --class K; its strips are the images of [z, one-hot label] for that label.
     */
    @Test
    void interpolateOnAConditionalGeneratorDrawsEachPairForAClass(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("i");
        CliTest.Run r = latent("interpolate", "--checkpoint", cond, "--pairs", "2", "--steps", "3", "--show", "3", "--ppl-samples", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("pair i drawn for class i mod 10"), r.out());
        assertTrue(r.out().contains("1 lerp class 0") && r.out().contains("2 slerp class 1"), r.out());
        Map<String, Object> s = Json.readObject(out.resolve("summary.json"));
        assertEquals(10, ((Number) s.get("classes")).intValue());
        assertEquals(List.of(0, 0, 1, 1), list(s.get("strips")).stream().map(m -> ((Number) map(m).get("class")).intValue()).toList());

        Path seven = dir.resolve("seven");
        CliTest.Run r7 = latent("interpolate", "--checkpoint", cond, "--class", "7", "--pairs", "1", "--steps", "3", "--ppl-samples", "0", "--lerp",
                "--out", seven.toString());
        assertEquals(0, r7.code(), r7.err());
        Map<String, Object> first = map(list(Json.readObject(seven.resolve("summary.json")).get("strips")).get(0));
        assertEquals(7, ((Number) first.get("class")).intValue());
        // the strip's numbers are those of its latents decoded with label 7 (and not with another label)
        try (CpuBackend be = new CpuBackend()) {
            LatentGenerator lg = new LatentGenerator(be, LatentGenerator.open(Path.of(cond)), true);
            float[] ends = lg.latents(2, 0, "latent-pairs");
            double[] a = LatentCommand.row(ends, 0, 4), b = LatentCommand.row(ends, 1, 4);
            float[] z = new float[4 * 4];
            for (int i = 0; i <= 3; i++) LatentCommand.put(z, i, LatentPaths.lerp(a, b, i / 3.0));
            double mean7 = PathSmoothness.of(lg.images(z, LatentGenerator.labels(4, 7), 4), 4, lg.item).mean();
            double mean2 = PathSmoothness.of(lg.images(z, LatentGenerator.labels(4, 2), 4), 4, lg.item).mean();
            assertEquals(mean7, num(map(first.get("pixels")).get("mean_step")), 1e-9);
            assertTrue(Math.abs(mean7 - mean2) > 1e-9, "the label changes the images");
        }
    }

    @Test
    void traverseOnAConditionalGeneratorDrawsEachStartForAClass(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("t");
        CliTest.Run r = latent("traverse", "--checkpoint", cond, "--dims", "0,2", "--steps", "3", "--starts", "3", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("start i drawn for class i mod 10"), r.out());
        assertEquals(List.of(0, 1, 2), Json.readObject(out.resolve("summary.json")).get("start_labels"));
        Path three = dir.resolve("three");
        CliTest.Run r3 = latent("traverse", "--checkpoint", cond, "--class", "3", "--dims", "1", "--steps", "2", "--starts", "2", "--out", three.toString());
        assertEquals(0, r3.code(), r3.err());
        assertEquals(List.of(3, 3), Json.readObject(three.resolve("summary.json")).get("start_labels"));
    }

    /** Arithmetic on a conditional generator: saved latent sets for one --class; class names in --expr are refused. */
    @Test
    void arithmeticOnAConditionalGeneratorTakesSavedSetsForOneClass(@TempDir Path dir) throws IOException {
        Path zfile = dir.resolve("z.npy");
        CliTest.Run sm = CliTest.run("sample", "--checkpoint", cond, "--n", "10", "--out", dir.resolve("s.png").toString(), "--save-z", zfile.toString(),
                "--device", "cpu", "--no-progress");
        assertEquals(0, sm.code(), sm.err());
        Path out = dir.resolve("a");
        CliTest.Run r = latent("arithmetic", "--checkpoint", cond, "--class", "4", "--z", "a=" + zfile + ":0-2", "--z", "b=" + zfile + ":5",
                "--expr", "a - b", "--variants", "2", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("every image drawn for class 4"), r.out());
        Map<String, Object> s = Json.readObject(out.resolve("summary.json"));
        assertEquals(4, ((Number) s.get("class")).intValue());
        float[] z = NpyArray.parse(Files.readAllBytes(zfile), "z.npy").toFloats("z.npy");
        double[] want = new double[4];
        for (int j = 0; j < 4; j++) want[j] = (z[j] + z[4 + j] + z[8 + j]) / 3.0 - z[20 + j];
        assertEquals(LatentPaths.norm(want), num(map(s.get("result")).get("norm")), 1e-5);

        String o = dir.resolve("x").toString();
        CliTest.Run named = latent("arithmetic", "--checkpoint", cond, "--class", "4", "--expr", "7 - 1", "--out", o);
        assertEquals(2, named.code());
        assertTrue(named.err().contains("names class 7, but --checkpoint") && named.err().contains("not a direction in z"), named.err());
        CliTest.Run noClass = latent("arithmetic", "--checkpoint", cond, "--z", "a=" + zfile, "--expr", "a", "--out", o);
        assertEquals(2, noClass.code());
        assertTrue(noClass.err().contains("holds a class-conditional generator: give --class K (0 to 9)"), noClass.err());
        for (CliTest.Run e : List.of(named, noClass)) assertEquals(1, e.err().strip().lines().count(), e.err());
        assertFalse(Files.exists(Path.of(o)));
    }

    @Test
    void badInputIsOneLineNamingTheFlag(@TempDir Path dir) throws IOException {
        String o = dir.resolve("x").toString();
        String[][] cases = {
                {"interpolate --checkpoint " + ring, "holds a 2-D model (ring8) whose samples are points"},
                {"traverse --checkpoint " + ring, "holds a 2-D model (ring8) whose samples are points"},
                {"arithmetic --checkpoint " + ring + " --expr 1", "holds a 2-D model (ring8) whose samples are points"},
                {"interpolate --checkpoint " + digits + " --steps 0", "--steps must be >= 1"},
                {"interpolate --checkpoint " + digits + " --steps -3", "--steps must be >= 1"},
                {"interpolate --checkpoint " + digits + " --slerp --lerp", "--slerp and --lerp: give one"},
                {"traverse --checkpoint " + digits + " --steps 1", "--steps must be >= 2"},
                {"traverse --checkpoint " + digits + " --range=3,-3", "--range 3,-3: write LOW,HIGH"},
                {"traverse --checkpoint " + digits + " --range 1,x", "--range 1,x: write LOW,HIGH"},
                {"traverse --checkpoint " + digits + " --dims 1,4", "--dims 1,4: 4 is out of range; the latent has 4 dimensions, 0 to 3"},
                {"traverse --checkpoint " + digits + " --dims one", "--dims one: 'one' is not a dimension"},
                {"arithmetic --checkpoint " + digits + " --expr 7+", "--expr \"7+\" ends after a sign"},
                {"arithmetic --checkpoint " + digits + " --expr a-b", "--expr \"a-b\" names a, but no --z a=FILE.npy gives it"},
                {"arithmetic --checkpoint " + digits + " --expr a --z a=" + dir.resolve("no.npy"), "does not exist"},
                {"interpolate --checkpoint " + digits + " --class 3", "--class 3: " + digits},
                {"traverse --checkpoint " + cond + " --class 10", "--class 10: the generator of "},
                {"interpolate --checkpoint " + cond + " --class -1", "has classes 0 to 9"},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of(c[0].split(" ")));
            args.addAll(List.of("--out", o));
            CliTest.Run r = latent(args.toArray(String[]::new));
            assertEquals(2, r.code(), c[0] + ": " + r.err());
            assertTrue(r.err().startsWith("sparring: ") && r.err().contains(c[1]), c[0] + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), c[0] + ": " + r.err());
            assertFalse(Files.exists(Path.of(o)), c[0] + ": no output folder");
        }
        for (String cmd : List.of("interpolate", "traverse", "arithmetic")) {
            CliTest.Run h = CliTest.run("latent", cmd, "--help");
            assertEquals(0, h.code());
            assertTrue(h.out().contains("--checkpoint") && h.out().contains("--out"), h.out());
        }
        assertEquals(2, CliTest.run("latent").code(), "latent without a command");
    }

    /** A generator of other images: the figures are written, the classifier's numbers are left out, and classes are refused. */
    @Test
    void otherImagesGetFiguresWithoutTheClassifiersNumbers(@TempDir Path dir) throws IOException {
        CliTest.Run t = CliTest.run("train", "--no-conditional", "--image-size", "32", "--upscale", "--steps", "1", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4",
                "--out", dir.toString(), "--name", "p", "--device", "cpu", "--no-progress");
        assertEquals(0, t.code(), t.err());
        String run = dir.resolve("p").toString();
        Path out = dir.resolve("i");
        CliTest.Run r = latent("interpolate", "--checkpoint", run, "--pairs", "1", "--steps", "3", "--ppl-samples", "4", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains(LatentCommand.NOT_DIGITS), r.out());
        Map<String, Object> s = Json.readObject(out.resolve("summary.json"));
        assertFalse(map(list(s.get("strips")).get(0)).containsKey("classes"));
        assertFalse(map(map(s.get("ppl")).get("slerp")).containsKey("features"));
        assertEquals(2 * 34 + 2, ImageIO.read(out.resolve("interpolate.png").toFile()).getHeight(), "two strips of 32 px images");
        CliTest.Run tr = latent("traverse", "--checkpoint", run, "--dims", "1", "--starts", "1", "--out", dir.resolve("t").toString());
        assertEquals(0, tr.code(), tr.err());
        assertTrue(Files.exists(dir.resolve("t").resolve("pixel_change.png")));
        CliTest.Run a = latent("arithmetic", "--checkpoint", run, "--expr", "3 - 1", "--out", dir.resolve("a").toString());
        assertEquals(2, a.code());
        assertTrue(a.err().contains("--expr \"3 - 1\" names class 3: class means need the MNIST classifier"), a.err());
    }
}
