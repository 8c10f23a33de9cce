package dev.sparring.cli;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.eval.FeatureStatistics;
import dev.sparring.eval.ImageNpz;
import dev.sparring.eval.StatisticsFile;
import dev.sparring.eval.features.InceptionFormulaWeights;
import dev.sparring.eval.features.InceptionV3;
import dev.sparring.eval.features.InceptionV3Test;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sparring fid --features inception}: image folders (RGB, and gray repeated to RGB) through the Inception-v3
 * under bench/inception's formula weights give statistics whose mean is the golden file's pool3 mean; the statistics
 * file records the network; the flags' errors. About 10 image forwards at 299 x 299 (5 to 15 s on 2 shared cores).
 */
class InceptionFidCommandTest {
    @TempDir
    static Path dir;
    static Path weights, rgb, gray;
    static SafeTensorsFile golden;

    @BeforeAll
    static void files() throws IOException, URISyntaxException {
        try (CpuBackend be = new CpuBackend()) {   // the state's names and shapes, for the file's
            InceptionV3 names = InceptionV3.withWeights(be, (name, shape) -> new float[size(shape)], 1);
            weights = InceptionFormulaWeights.write(dir.resolve("formula.safetensors"), names.state(), true);
        }
        golden = SafeTensors.read(InceptionV3Test.goldenPath());
        rgb = Files.createDirectories(dir.resolve("rgb32"));
        byte[] px = golden.getU8("rgb32.images");                     // (3, 3, 32, 32)
        for (int i = 0; i < 3; i++) {
            BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    int r = px[((i * 3) * 32 + y) * 32 + x] & 0xFF, g = px[((i * 3 + 1) * 32 + y) * 32 + x] & 0xFF;
                    int b = px[((i * 3 + 2) * 32 + y) * 32 + x] & 0xFF;
                    img.setRGB(x, y, (r << 16) | (g << 8) | b);
                }
            }
            ImageIO.write(img, "png", rgb.resolve("img" + i + ".png").toFile());
        }
        gray = Files.createDirectories(dir.resolve("gray28"));
        byte[] g = golden.getU8("gray28.images");                      // (1, 3, 28, 28), the channels equal
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) img.getRaster().setSample(x, y, 0, g[y * 28 + x] & 0xFF);
        for (int k = 0; k < 2; k++) ImageIO.write(img, "png", gray.resolve("digit" + k + ".png").toFile());
    }

    private static int size(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    /** The mean of a golden set's pool3 rows. */
    private static double[] goldenMean(String set) {
        double[] p = golden.getF64(set + ".pool3");
        int n = p.length / InceptionV3.FEATURES;
        double[] mu = new double[InceptionV3.FEATURES];
        for (int i = 0; i < n; i++) for (int j = 0; j < mu.length; j++) mu[j] += p[i * InceptionV3.FEATURES + j] / n;
        return mu;
    }

    private static void assertCloseToGolden(double[] want, double[] got, String what) {
        double maxRef = 0, maxDiff = 0;
        for (int j = 0; j < want.length; j++) {
            maxRef = Math.max(maxRef, Math.abs(want[j]));
            maxDiff = Math.max(maxDiff, Math.abs(want[j] - got[j]));
        }
        assertTrue(maxDiff <= 1e-4 * maxRef, what + ": max|sparring - ref| = " + maxDiff + " of max|ref| " + maxRef);
    }

    @Test
    void imageFoldersGiveTheGoldenFeaturesAndTheStatisticsRecordTheNetwork() throws IOException {
        Path a = dir.resolve("rgb.npz"), b = dir.resolve("gray.npz");
        CliTest.Run r = CliTest.run("fid", rgb.toString(), "--features", "inception", "--inception-weights", weights.toString(),
                "--save-stats", a.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        FeatureStatistics s = StatisticsFile.read(a);
        assertEquals("inception", s.network());
        assertEquals(3, s.count());
        assertEquals(2048, s.features());
        assertCloseToGolden(goldenMean("rgb32"), s.mean(), "rgb32 mu");

        // a gray folder: each image repeated to RGB, as pytorch-fid reads it; two copies of the golden digit
        r = CliTest.run("fid", gray.toString(), "--features", "inception", "--inception-weights", weights.toString(),
                "--save-stats", b.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertCloseToGolden(goldenMean("gray28"), StatisticsFile.read(b).mean(), "gray28 mu");

        // (the FID of the two is left out: its F = 2048 square-root trace takes 15 to 25 s on 2 shared cores)
    }

    @Test
    void anImageNpzIsReadAsRgbOfItsOwnSize() throws IOException {
        byte[] px = golden.getU8("rgb32.images");                     // (3, 3, 32, 32) -> (3, 32, 32, 3)
        byte[] nhwc = new byte[px.length];
        for (int i = 0; i < 3; i++) {
            for (int c = 0; c < 3; c++) for (int p = 0; p < 32 * 32; p++) nhwc[(i * 32 * 32 + p) * 3 + c] = px[(i * 3 + c) * 32 * 32 + p];
        }
        Path images = dir.resolve("rgb32-images.npz"), stats = dir.resolve("rgb32-from-npz.npz");
        ImageNpz.write(images, 3, 32, 32, 3, sink -> sink.add(nhwc, 3));
        CliTest.Run r = CliTest.run("fid", images.toString(), "--features", "inception", "--inception-weights", weights.toString(),
                "--save-stats", stats.toString(), "--batch", "2", "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertEquals(3, StatisticsFile.read(stats).count());
        assertCloseToGolden(goldenMean("rgb32"), StatisticsFile.read(stats).mean(), "rgb32 from an image .npz, mu");
    }

    @Test
    void aRunsSamplesPassThroughInception() {
        CliTest.Run t = CliTest.run("train", "--steps", "1", "--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--out", dir.toString(),
                "--name", "run", "--device", "cpu", "--no-progress");
        assertEquals(0, t.code(), t.err());
        Path stats = dir.resolve("run.npz");
        CliTest.Run r = CliTest.run("fid", dir.resolve("run").toString(), "--n", "2", "--features", "inception", "--inception-weights",
                weights.toString(), "--save-stats", stats.toString(), "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        FeatureStatistics s = StatisticsFile.read(stats);
        assertEquals(2, s.count());
        assertEquals("inception", s.network());
        assertTrue(r.out().contains(", --seed 0)") && r.out().contains("2048 features, network inception"), r.out());
    }

    /** Statistics of 10 rows with mean 0 and covariance I, made by the named network. */
    private static FeatureStatistics identityStatistics(int f, String network) {
        double[] sigma = new double[f * f];
        for (int i = 0; i < f; i++) sigma[i * (f + 1)] = 1;
        return new FeatureStatistics(f, 10, new double[f], sigma, network, network + " statistics");
    }

    @Test
    void statisticsOfAnotherNetworkAreRefusedInOneLine() throws IOException {
        Path mnist = dir.resolve("mnist.npz"), inception = dir.resolve("inception-fake.npz");
        StatisticsFile.write(mnist, identityStatistics(64, "mnist"));
        StatisticsFile.write(inception, identityStatistics(2048, "inception"));
        CliTest.Run r = CliTest.run("fid", mnist.toString(), inception.toString());
        assertEquals(2, r.code());
        String error = r.err().strip().lines().filter(l -> !l.startsWith("note: ")).reduce("", (x, y) -> x + y + "\n").strip();
        assertTrue(error.contains("made with the feature network mnist but " + inception + " with inception"), r.err());
        assertFalse(error.contains("\n"), "one line: " + r.err());

        // different feature sizes from files that do not name their network (pytorch-fid's): the sizes differ
        Path unnamed = dir.resolve("unnamed.npz");
        StatisticsFile.write(unnamed, identityStatistics(64, ""));
        r = CliTest.run("fid", unnamed.toString(), inception.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("has 64 features but " + inception + " has 2048: statistics of different feature layers cannot be compared"), r.err());

        // the same feature size from another network: the names differ
        Path other = dir.resolve("other.npz");
        StatisticsFile.write(other, identityStatistics(2048, "clean-fid"));
        r = CliTest.run("fid", other.toString(), inception.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("made with the feature network clean-fid but " + inception + " with inception"), r.err());
    }

    @Test
    void theWeightsFlagIsRequiredAndBelongsToInception() {
        CliTest.Run r = CliTest.run("fid", "mnist", rgb.toString(), "--features", "inception", "--device", "cpu");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--features inception needs --inception-weights") && r.err().contains("convert_weights.py"), r.err());
        assertFalse(r.err().strip().contains("\n"), r.err());

        r = CliTest.run("fid", "mnist", rgb.toString(), "--inception-weights", weights.toString(), "--device", "cpu");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--inception-weights is for --features inception"), r.err());

        r = CliTest.run("fid", "mnist", rgb.toString(), "--features", "inception", "--inception-weights", rgb.resolve("img0.png").toString(),
                "--device", "cpu");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("img0.png: cannot be read as Inception weights"), r.err());

        r = CliTest.run("fid", "mnist", rgb.toString(), "--features", "vgg");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--features vgg: expected mnist or inception"), r.err());
    }
}
