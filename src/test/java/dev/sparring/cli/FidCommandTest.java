package dev.sparring.cli;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.eval.FeatureMoments;
import dev.sparring.eval.FeatureStatistics;
import dev.sparring.eval.FrechetDistance;
import dev.sparring.eval.ImageNpz;
import dev.sparring.eval.KernelInceptionDistance;
import dev.sparring.eval.NpyArray;
import dev.sparring.eval.Npz;
import dev.sparring.eval.StatisticsFile;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.eval.features.MnistClassifierTraining;
import dev.sparring.io.Json;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.TrainingRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sparring fid}, end to end on a tiny run, against the same statistics made through the API. */
class FidCommandTest {

    /** A tiny DCGAN run (1 step, ngf 4) in {@code dir/d}, for samples. */
    private static Path tinyRun(Path dir) {
        CliTest.Run t = CliTest.run("train", "--steps", "1", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", dir.toString(),
                "--name", "d", "--device", "cpu", "--no-progress");
        assertEquals(0, t.code(), t.err());
        return dir.resolve("d");
    }

    @Test
    void fidAndKidOfARunAgainstTheDigitsAreTheApisAndStatisticsFilesGiveTheSameFid(@TempDir Path dir) throws IOException {
        String run = tinyRun(dir).toString();
        CliTest.Run r = CliTest.run("fid", "mnist", run, "--n", "40", "--batch", "16", "--seed", "2", "--device", "cpu", "--json",
                "--kid", "--kid-subsets", "5", "--kid-subset-size", "20");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), "stdout holds the JSON object only: " + r.out());
        Map<String, Object> m = Json.parseObject(r.out().strip(), "fid --json");
        assertEquals(40, ((Number) m.get("n_a")).intValue());
        assertEquals(40, ((Number) m.get("n_b")).intValue());
        assertEquals("mnist", m.get("features"));
        assertEquals(5, ((Number) m.get("kid_subsets")).intValue());
        assertEquals(20, ((Number) m.get("kid_subset_size")).intValue());
        assertTrue(r.err().contains("features of A [") && r.err().contains("features of B [") && r.err().contains("img/s | ETA"),
                "progress on stderr: " + r.err());
        assertTrue(r.err().contains("40 samples for 64 features, so its covariance is rank-deficient (at most rank 39)"), r.err());

        // the same numbers through the API: the first 40 bundled digits and 40 samples in batches of 16 from seed 2, features
        // taken in the same batches as the command takes them
        int f;
        float[] digits = new float[40 * 64], samples = new float[40 * 64];
        try (CpuBackend be = new CpuBackend()) {
            MnistClassifier net = MnistClassifier.bundled(be);
            f = net.featureSize();
            int[] first40 = java.util.stream.IntStream.range(0, 40).toArray();
            MnistClassifierTraining.forEachBatch(be, Datasets.mnist(), first40, 16,
                    (start, t) -> System.arraycopy(net.features(t), 0, digits, start * f, t.dim(0) * f));
            Path file = TrainingRun.findCheckpoint(Path.of(run), "SOURCE");
            var cp = TrainingRun.open(file);
            new CheckpointGenerator(be, cp, Checkpoint.config(cp), 16, true).generate(40, 16, 2,
                    (done, k, s) -> System.arraycopy(net.features(s), 0, samples, done * f, k * f));
        }
        FeatureMoments a = new FeatureMoments(f), b = new FeatureMoments(f);
        a.add(digits, 40);
        b.add(samples, 40);
        double expected = FrechetDistance.between(a.statistics("mnist", "digits"), b.statistics("mnist", "samples")).distance();
        assertEquals(expected, ((Number) m.get("fid")).doubleValue(), 1e-9 * expected);
        KernelInceptionDistance.Result kid = KernelInceptionDistance.compute(digits, 40, samples, 40, f, 5, 20, FidCommand.KID_SEED);
        assertEquals(kid.mean(), ((Number) m.get("kid_mean")).doubleValue(), "KID mean: the API's on the same features and subsets");
        assertEquals(kid.std(), ((Number) m.get("kid_std")).doubleValue(), "KID std");
        assertTrue(kid.mean() > 10 * kid.std() && kid.std() > 0, "one training step is far from the digits: " + kid.mean() + " ± " + kid.std());

        // the human report prints the KID as mean ± std
        CliTest.Run human = CliTest.run("fid", "mnist", run, "--n", "40", "--batch", "16", "--seed", "2", "--device", "cpu",
                "--kid", "--kid-subsets", "5", "--kid-subset-size", "20", "--no-progress");
        assertEquals(0, human.code(), human.err());
        assertTrue(human.out().contains(String.format(java.util.Locale.ROOT, "KID %.6g ± %.2g (5 subsets of 20)", kid.mean(), kid.std())),
                human.out());

        // --save-stats, then two statistics files: the same FID without any feature network
        Path sa = dir.resolve("a.npz"), sb = dir.resolve("b.npz");
        assertEquals(0, CliTest.run("fid", "mnist", "--n", "40", "--batch", "16", "--device", "cpu", "--save-stats", sa.toString()).code());
        assertEquals(0, CliTest.run("fid", run, "--n", "40", "--batch", "16", "--seed", "2", "--device", "cpu", "--save-stats", sb.toString()).code());
        assertEquals(40, StatisticsFile.read(sa).count());
        CliTest.Run fromFiles = CliTest.run("fid", sa.toString(), sb.toString(), "--json");
        assertEquals(0, fromFiles.code(), fromFiles.err());
        assertEquals(expected, ((Number) Json.parseObject(fromFiles.out().strip(), "fid").get("fid")).doubleValue(), 1e-9 * expected);
        assertTrue(fromFiles.err().isEmpty() || !fromFiles.err().contains("device:"), "no backend for two statistics files: " + fromFiles.err());

        // a set against itself: 0, never a negative round-off
        CliTest.Run same = CliTest.run("fid", sa.toString(), sa.toString(), "--json");
        assertEquals(0.0, ((Number) Json.parseObject(same.out().strip(), "fid").get("fid")).doubleValue());
    }

    /**
     * sample --out x.npz writes the samples that --out-dir writes as PNGs, as one uint8 (N, H, W, C) array that numpy
     * reads; fid takes it as a source, and finds it equal to the PNG folder.
     */
    @Test
    void sampleWritesAnImageNpzThatNumpyAndFidRead(@TempDir Path dir) throws Exception {
        String run = tinyRun(dir).toString();
        Path npz = dir.resolve("x.npz"), pngs = dir.resolve("pngs");
        CliTest.Run s = CliTest.run("sample", "--checkpoint", run, "--n", "37", "--batch", "16", "--seed", "3", "--out", npz.toString(), "--device", "cpu");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.err().contains("sampling [") && s.err().contains("37/37 100%"), "progress on stderr: " + s.err());
        assertTrue(s.err().contains("shape (37, 28, 28, 1)"), s.err());
        assertEquals(0, CliTest.run("sample", "--checkpoint", run, "--n", "37", "--batch", "16", "--seed", "3", "--out-dir", pngs.toString(),
                "--device", "cpu").code());
        byte[] fromNpz = new byte[37 * 28 * 28], fromPngs = new byte[37 * 28 * 28];
        try (ImageNpz.Reader r = ImageNpz.open(npz, ImageNpz.KEY)) {
            assertEquals(37, r.read(fromNpz, 100));
        }
        for (int i = 0; i < 37; i++) {
            BufferedImage img = ImageIO.read(pngs.resolve(String.format("%06d.png", i)).toFile());
            for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) fromPngs[(i * 28 + y) * 28 + x] = (byte) img.getRaster().getSample(x, y, 0);
        }
        assertArrayEquals(fromPngs, fromNpz, "the .npz holds the pixels of the PNGs");
        long sum = 0;
        for (byte v : fromNpz) sum += v & 0xFF;

        CliTest.Run fid = CliTest.run("fid", npz.toString(), pngs.toString(), "--device", "cpu", "--json");
        assertEquals(0, fid.code(), fid.err());
        Map<String, Object> m = Json.parseObject(fid.out().strip(), "fid");
        assertEquals(37, ((Number) m.get("n_a")).intValue());
        assertEquals(0.0, ((Number) m.get("fid")).doubleValue(), 1e-9, "the same images: " + m);
        CliTest.Run capped = CliTest.run("fid", npz.toString(), "mnist", "--n", "20", "--device", "cpu", "--json");
        assertEquals(20, ((Number) Json.parseObject(capped.out().strip(), "fid").get("n_a")).intValue(), "--n caps an image .npz: " + capped.err());

        String script = "import sys, numpy; a = numpy.load(sys.argv[1])['arr_0']; print('numpy', a.dtype, a.shape, int(a.sum(dtype=numpy.int64)))";
        String out = dev.sparring.eval.Numpy.run(script, npz);
        assertEquals("numpy uint8 (37, 28, 28, 1) " + sum, out.strip());
    }

    /** sample --out x.npz's layout: (k, C, H, W) floats become (k, H, W, C) bytes, channel fastest, rounded as the PNGs. */
    @Test
    void samplesBecomeHeightWidthChannelBytes() {
        int k = 2, c = 3, h = 2, w = 3;
        float[] nchw = new float[k * c * h * w];
        for (int i = 0; i < nchw.length; i++) nchw[i] = i / (float) nchw.length * 2 - 1;
        byte[] nhwc = new byte[nchw.length];
        SampleCommand.toBytesNhwc(nchw, k, c, h, w, nhwc);
        for (int i = 0; i < k; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int ch = 0; ch < c; ch++) {
                        float v = nchw[((i * c + ch) * h + y) * w + x];
                        assertEquals(dev.sparring.viz.ImageGrid.toByte(v), nhwc[((i * h + y) * w + x) * c + ch] & 0xFF,
                                "image " + i + " y " + y + " x " + x + " channel " + ch);
                    }
                }
            }
        }
    }

    /** A folder of gray 28 x 28 PNGs, and {@code color} RGB ones after them. */
    private static Path folder(Path dir, String name, int gray, int color) throws IOException {
        Path f = Files.createDirectories(dir.resolve(name));
        for (int i = 0; i < gray + color; i++) {
            BufferedImage img = new BufferedImage(28, 28, i < gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) img.setRGB(x, y, ((x * 9 + y * (i + 3)) & 0xFF) * 0x010101);
            assertTrue(ImageIO.write(img, "png", f.resolve(String.format("%02d.png", i)).toFile()));
        }
        return f;
    }

    private static Path npz(Path dir, String name, Object... keysAndArrays) throws IOException {
        Map<String, NpyArray> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keysAndArrays.length; i += 2) m.put((String) keysAndArrays[i], (NpyArray) keysAndArrays[i + 1]);
        Path p = dir.resolve(name);
        Npz.write(p, m);
        return p;
    }

    /** A few random gray digits-sized images as an image .npz. */
    private static Path imageNpz(Path dir, String name, int n) throws IOException {
        Path p = dir.resolve(name);
        java.util.Random rnd = new java.util.Random(n);
        ImageNpz.write(p, n, 28, 28, 1, sink -> {
            byte[] b = new byte[n * 28 * 28];
            rnd.nextBytes(b);
            sink.add(b, n);
        });
        return p;
    }

    @Test
    void fewerSamplesThanFeaturesIsANoticeNotAFailure(@TempDir Path dir) throws IOException {
        CliTest.Run r = CliTest.run("fid", folder(dir, "three", 3, 0).toString(), imageNpz(dir, "five.npz", 5).toString(), "--device", "cpu", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("3 samples for 64 features, so its covariance is rank-deficient (at most rank 2)"), r.err());
        assertTrue(r.err().contains("five.npz: 5 samples for 64 features"), r.err());
        Map<String, Object> m = Json.parseObject(r.out().strip(), "fid");
        assertEquals(3, ((Number) m.get("n_a")).intValue());
        assertTrue(((Number) m.get("fid")).doubleValue() > 0, m.toString());
        // a pytorch-fid file records no N: no notice about it
        double[] sigma = new double[64 * 64];
        for (int i = 0; i < 64; i++) sigma[i * 65] = 1;
        Path stats = npz(dir, "pytorch-fid.npz", "mu", NpyArray.ofDoubles(new double[64], 64), "sigma", NpyArray.ofDoubles(sigma, 64, 64));
        CliTest.Run q = CliTest.run("fid", stats.toString(), stats.toString());
        assertEquals(0, q.code(), q.err());
        assertTrue(!q.err().contains("rank-deficient"), q.err());
        assertTrue(q.out().contains("unknown number of images"), q.out());
    }

    @Test
    void badInputGetsOneLineNamingWhatIsWrong(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.npz");
        Files.writeString(a, "not a zip");
        Path existing = dir.resolve("exists.npz");
        Files.writeString(existing, "mine");
        double[] eye3 = {1, 0, 0, 0, 1, 0, 0, 0, 1};
        Path f3 = npz(dir, "f3.npz", "mu", NpyArray.ofDoubles(new double[3], 3), "sigma", NpyArray.ofDoubles(eye3, 3, 3));
        Path f2 = npz(dir, "f2.npz", "mu", NpyArray.ofDoubles(new double[2], 2), "sigma", NpyArray.ofDoubles(new double[] {1, 0, 0, 1}, 2, 2));
        Path labels = npz(dir, "labels.npz", "mu", NpyArray.ofDoubles(new double[2], 2), "labels", NpyArray.ofLongs(new long[4], 4));
        Path nan = npz(dir, "nan.npz", "mu", NpyArray.ofDoubles(new double[] {0, Double.NaN, 0}, 3), "sigma", NpyArray.ofDoubles(eye3, 3, 3));
        double[] inf = eye3.clone();
        inf[1] = Double.POSITIVE_INFINITY;
        Path infinite = npz(dir, "inf.npz", "mu", NpyArray.ofDoubles(new double[3], 3), "sigma", NpyArray.ofDoubles(inf, 3, 3));
        Path rect = npz(dir, "rect.npz", "mu", NpyArray.ofDoubles(new double[3], 3), "sigma", NpyArray.ofDoubles(new double[6], 3, 2));
        double[] asym = eye3.clone();
        asym[1] = 0.5;
        Path asymmetric = npz(dir, "asym.npz", "mu", NpyArray.ofDoubles(new double[3], 3), "sigma", NpyArray.ofDoubles(asym, 3, 3));
        Path one = npz(dir, "n1.npz", "mu", NpyArray.ofDoubles(new double[3], 3), "sigma", NpyArray.ofDoubles(eye3, 3, 3),
                "n", NpyArray.ofLongs(new long[] {1}));
        Path twoImageArrays = npz(dir, "two.npz", "x", NpyArray.ofFloats(new float[0], 0, 28, 28, 1),
                "a", new NpyArray("<u1", false, new long[] {1, 28, 28, 1}, new byte[784]), "b", new NpyArray("<u1", false, new long[] {1, 28, 28, 1}, new byte[784]));
        Path nchw = npz(dir, "nchw.npz", "arr_0", new NpyArray("<u1", false, new long[] {2, 1, 28, 28}, new byte[2 * 784]));
        Path rgb = npz(dir, "rgb.npz", "arr_0", new NpyArray("<u1", false, new long[] {2, 8, 8, 3}, new byte[2 * 192]));
        Path oneImage = imageNpz(dir, "one-image.npz", 1);
        Path five = imageNpz(dir, "five.npz", 5);
        String single = folder(dir, "single", 1, 0).toString(), mixed = folder(dir, "mixed", 2, 1).toString();
        record Case(String message, String... args) { }
        for (Case c : java.util.List.of(
                new Case("not a readable .npz (zip) archive", "fid", a.toString(), a.toString()),
                new Case(dir.resolve("missing.npz") + ": no such file or folder", "fid", dir.resolve("missing.npz").toString(), f3.toString()),
                new Case(dir.resolve("no-run") + ": no such file or folder", "fid", "mnist", dir.resolve("no-run").toString(), "--device", "cpu"),
                new Case("give two SOURCEs", "fid", "mnist"),
                new Case("--save-stats takes one SOURCE", "fid", "mnist", "mnist", "--save-stats", dir.resolve("x.npz").toString()),
                new Case("--save-stats " + existing + " exists", "fid", "mnist", "--save-stats", existing.toString()),
                new Case("--n must be >= 2, got 1", "fid", "mnist", "mnist", "--n", "1"),
                new Case("--features inception", "fid", "mnist", "mnist", "--features", "inception"),
                new Case("ring8: not images", "fid", "ring8", "mnist", "--device", "cpu"),
                new Case(f3 + " has 3 features but " + f2 + " has 2", "fid", f3.toString(), f2.toString()),
                new Case(labels + ": neither FID statistics (mu and sigma) nor images (one uint8 array (N, H, W, C)); it holds mu (float64, (2,)), "
                        + "labels (int64, (4,))", "fid", labels.toString(), f2.toString()),
                new Case(nan + ": mu[1] is NaN", "fid", nan.toString(), f3.toString()),
                new Case(infinite + ": sigma[0][1] is Infinity", "fid", f3.toString(), infinite.toString()),
                new Case(rect + ": sigma has shape (3, 2), expected a square (F, F)", "fid", rect.toString(), f3.toString()),
                new Case(asymmetric + ": sigma is not symmetric", "fid", asymmetric.toString(), f3.toString()),
                new Case(one + ": made from 1 feature row(s); the FID needs at least 2", "fid", one.toString(), f3.toString()),
                new Case(twoImageArrays + ": holds 2 uint8 image arrays (a, b); keep one per file", "fid", twoImageArrays.toString(), "mnist"),
                new Case(nchw + ": arr_0 has shape (2, 1, 28, 28): images are (N, H, W, C) with C = 1 (gray) or 3 (RGB); it looks like (N, C, H, W)",
                        "fid", nchw.toString(), "mnist", "--device", "cpu"),
                new Case(rgb + ": its images are 8 x 8 with 3 channel(s); the mnist feature network takes 28 x 28 gray images",
                        "fid", rgb.toString(), "mnist", "--device", "cpu"),
                new Case(oneImage + ": 1 image; the FID needs at least 2", "fid", oneImage.toString(), "mnist", "--device", "cpu"),
                new Case(single + ": 1 image; the FID needs at least 2", "fid", "mnist", single, "--n", "40", "--device", "cpu"),
                new Case("must be all gray or all color", "fid", mixed, "mnist", "--device", "cpu"),
                new Case(f3 + " holds statistics (mu and sigma), not features: --kid needs the images themselves", "fid", "mnist", f3.toString(), "--kid"),
                new Case("--kid-subset-size 1000 is more than the --n 40 images taken from each SOURCE: lower --kid-subset-size to at most 40 or raise --n",
                        "fid", "mnist", "mnist", "--kid", "--n", "40"),
                new Case("--kid-subset-size 10 is more than the 5 images of " + five + ": lower --kid-subset-size to at most 5",
                        "fid", "mnist", five.toString(), "--kid", "--n", "40", "--kid-subset-size", "10", "--device", "cpu"),
                new Case("--kid-subsets sets up the KID: add --kid", "fid", "mnist", "mnist", "--kid-subsets", "5"),
                new Case("--kid-subsets must be >= 1, got 0", "fid", "mnist", "mnist", "--kid", "--kid-subsets", "0"),
                new Case("--kid compares two sets", "fid", "mnist", "--kid", "--save-stats", dir.resolve("k.npz").toString()))) {
            CliTest.Run r = CliTest.run(c.args());
            String what = String.join(" ", c.args());
            assertEquals(2, r.code(), what + ": " + r.err());
            String last = r.err().strip().lines().reduce((x, y) -> y).orElse("");
            assertTrue(last.startsWith("sparring: ") && last.contains(c.message()), what + ": expected \"" + c.message() + "\" in the last line of: " + r.err());
            assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
            assertTrue(r.out().isEmpty(), what + ": nothing on stdout: " + r.out());
        }
        assertEquals("mine", Files.readString(existing), "a file the user made is never replaced");
    }

    @Test
    void sampleRefusesAnNpzOfPointsAndAnExistingFile(@TempDir Path dir) throws IOException {
        CliTest.Run t = CliTest.run("train", "--data", "ring8", "--steps", "1", "--batch", "8", "--hidden", "4", "--depth", "1", "--nz", "2",
                "--out", dir.toString(), "--name", "r", "--device", "cpu", "--no-progress");
        assertEquals(0, t.code(), t.err());
        Path out = dir.resolve("p.npz");
        CliTest.Run r = CliTest.run("sample", "--checkpoint", dir.resolve("r").toString(), "--out", out.toString(), "--device", "cpu");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--out " + out + ": a .npz holds images, and ") && r.err().contains("use --out FILE.png"), r.err());
        assertTrue(!Files.exists(out));
        Path mine = Files.writeString(dir.resolve("mine.npz"), "mine");
        CliTest.Run again = CliTest.run("sample", "--checkpoint", dir.resolve("r").toString(), "--out", mine.toString(), "--device", "cpu");
        assertEquals(2, again.code(), again.err());
        assertTrue(again.err().contains("--out " + mine + " exists"), again.err());
        assertEquals("mine", Files.readString(mine));
    }
}
