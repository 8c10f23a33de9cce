package dev.sparring.eval.features;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The FID Inception-v3 against pytorch-fid's network (bench/inception): under the formula weights, the golden file's
 * images give its float64 pool3 features within 1e-4 of their largest (float32 torch is within 3e-7), and on failure
 * the message names the first stage whose output departs from the golden taps. Also the weights file's checks.
 *
 * <p>Time: about 4 image forwards at 299 x 299 (23 GMAC), 2 to 6 s on 2 shared cores.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class InceptionV3Test {
    /** max|java - ref| <= TOL * max|ref| per image (float32 torch: 2.8e-7; every known fault: >= 1.1e-2). */
    static final double TOL = 1e-4;

    private final Backend be = new CpuBackend();
    private SafeTensorsFile golden;
    private InceptionV3 net;

    @BeforeAll
    void setUp() throws IOException, URISyntaxException {
        golden = SafeTensors.read(goldenPath());
        // chunks of 2: the 3 rgb32 images pass as 2 + 1, so the chunking is checked too
        net = InceptionV3.withWeights(be, InceptionFormulaWeights::values, 2);
    }

    @AfterAll
    void tearDown() { be.close(); }

    public static Path goldenPath() throws URISyntaxException {
        return Path.of(InceptionV3Test.class.getResource("/dev/sparring/golden/inception-fid.safetensors").toURI());
    }

    /** A set's images as Sparring sees them, k / 127.5 - 1, with the file's shape; channels 1 keeps only the first. */
    public static float[] images(SafeTensorsFile g, String set, boolean gray) {
        byte[] px = g.getU8(set + ".images");
        int[] s = g.shape(set + ".images");
        int n = s[0], hw = s[2] * s[3];
        float[] x = new float[n * (gray ? 1 : 3) * hw];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < (gray ? 1 : 3); c++) {
                for (int p = 0; p < hw; p++) {
                    int k = px[(i * 3 + c) * hw + p] & 0xFF;
                    if (gray) assertEquals(k, px[(i * 3 + 1) * hw + p] & 0xFF, "a gray set repeats its channel");
                    x[(i * (gray ? 1 : 3) + c) * hw + p] = k / 127.5f - 1f;
                }
            }
        }
        return x;
    }

    @Test
    void theFormulaIsTheReadmesWorkedExample() {
        assertEquals(0xb233eed710c5459dL, InceptionFormulaWeights.fnv1a64("Conv2d_1a_3x3.conv.weight"));
        float[] v = InceptionFormulaWeights.values("Conv2d_1a_3x3.conv.weight", new int[] {32, 3, 3, 3});
        int[] bits = {0xbe1a1160, 0x3df62c89, 0xbe9a67a1, 0x3eb0cbc2};
        for (int i = 0; i < bits.length; i++) assertEquals(bits[i], Float.floatToRawIntBits(v[i]), "element " + i);
        assertEquals(0xf8fb51e28a77d260L, InceptionFormulaWeights.fnv1a64("Mixed_5b.branch_pool.bn.running_var"));
        assertEquals(0x3fba1506, Float.floatToRawIntBits(InceptionFormulaWeights.values("Mixed_5b.branch_pool.bn.running_var", new int[] {32})[0]));
    }

    @Test
    void theStateHasPytorchFidsNamesAndSizes() {
        Map<String, Tensor> state = net.state();
        assertEquals(470, state.size(), "94 BasicConv2d x (conv.weight, bn.weight, bn.bias, bn.running_mean, bn.running_var)");
        long floats = 0;
        for (Tensor t : state.values()) floats += t.size();
        assertEquals(21_820_000, floats, "bench/inception/README.md: FID uses 21,820,000 floats");
        assertArrayEquals(new int[] {32, 3, 3, 3}, state.get("Conv2d_1a_3x3.conv.weight").shape());
        assertArrayEquals(new int[] {128, 128, 1, 7}, state.get("Mixed_6b.branch7x7_2.conv.weight").shape());
        assertArrayEquals(new int[] {128, 128, 7, 1}, state.get("Mixed_6b.branch7x7dbl_2.conv.weight").shape());
        assertArrayEquals(new int[] {384, 384, 3, 1}, state.get("Mixed_7c.branch3x3dbl_3b.conv.weight").shape());
        assertArrayEquals(new int[] {192}, state.get("Mixed_7c.branch_pool.bn.running_var").shape());
        // the names also seed the formula weights, so a misnamed tensor would fail the golden features below
    }

    @Test
    void chunksFitTheMemoryLeft() {
        long perImage = net.outputFloatsPerImage();
        assertTrue(perImage > 32_000_000 && perImage < 33_000_000, "129 MB of layer outputs per image: " + perImage);
        assertEquals(InceptionV3.DEFAULT_CHUNK, InceptionV3.defaultChunk(1L << 40, perImage));
        assertEquals(13, InceptionV3.defaultChunk(4L << 30, perImage), "a 4 GiB heap: 40 % of it holds 13 images");
        assertEquals(1, InceptionV3.defaultChunk(100_000_000, perImage), "at least one image");
        assertEquals(2, net.chunk());
    }

    @Test
    void rgbImagesGiveTheGoldenPool3() {
        float[] x = images(golden, "rgb32", false);
        float[] got;
        try (Tensor t = be.upload(x, 3, 3, 32, 32)) {
            long t0 = System.nanoTime();
            got = net.features(t);
            System.out.printf(Locale.ROOT, "InceptionV3Test: 3 images at 299 x 299 in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        }
        List<String> bad = pool3Mismatches("rgb32", got);
        if (!bad.isEmpty()) fail(String.join("; ", bad) + "; " + firstDivergence("rgb32", x, 3));
    }

    @Test
    void aGrayImageIsRepeatedToRgbAndEveryStageMatchesTheGoldenTaps() {
        float[] x = images(golden, "gray28", true);                       // one channel: the network repeats it
        Map<String, float[]> taps = new LinkedHashMap<>();
        try (Tensor t = be.upload(x, 1, 1, 28, 28)) {
            net.trace(t, (stage, out) -> taps.put(stage, be.download(out)));
        }
        List<String> bad = new ArrayList<>(tapMismatches("gray28", 0, taps));
        bad.addAll(pool3Mismatches("gray28", taps.get("pool3")));
        assertTrue(bad.isEmpty(), bad.size() + " mismatches, the first at the first stage that departs: "
                + String.join("; ", bad.subList(0, Math.min(6, bad.size()))));
    }

    /** Per image: max|got - ref| against TOL * max|ref|; the images that miss it, described. */
    private List<String> pool3Mismatches(String set, float[] got) {
        double[] ref = golden.getF64(set + ".pool3");
        assertEquals(ref.length, got.length, set + " pool3 length");
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < ref.length / InceptionV3.FEATURES; i++) {
            double maxRef = 0, maxDiff = 0;
            int at = -1;
            for (int j = i * InceptionV3.FEATURES; j < (i + 1) * InceptionV3.FEATURES; j++) {
                maxRef = Math.max(maxRef, Math.abs(ref[j]));
                double d = Math.abs(got[j] - ref[j]);
                if (d > maxDiff || Double.isNaN(d)) { maxDiff = d; at = j; }
            }
            System.out.printf(Locale.ROOT, "InceptionV3Test: %s image %d: pool3 max|java - ref| / max|ref| = %.2g%n", set, i, maxDiff / maxRef);
            if (!(maxDiff <= TOL * maxRef)) {
                bad.add(String.format(Locale.ROOT, "%s image %d: pool3 max|java - ref| = %.3g (%.3g of max|ref| %.3g; tolerance %.0e) at feature %d: %.6g vs %.6g",
                        set, i, maxDiff, maxDiff / maxRef, maxRef, TOL, at % InceptionV3.FEATURES, got[at], ref[at]));
            }
        }
        return bad;
    }

    /** The golden taps of image {@code i} against stage outputs of a batch holding only that image. */
    private List<String> tapMismatches(String set, int i, Map<String, float[]> taps) {
        List<String> bad = new ArrayList<>();
        for (String stage : taps.keySet()) {
            float[] y = taps.get(stage);
            double[] stats = golden.getF64(set + ".tap." + stage + ".stats"), sample = golden.getF64(set + ".tap." + stage + ".sample");
            long[] index = golden.getI64("tap." + stage + ".index");
            double[] ref = {stats[4 * i], stats[4 * i + 1], stats[4 * i + 2], stats[4 * i + 3]};
            double scale = Math.max(Math.abs(ref[2]), Math.abs(ref[3])), tol = TOL * Math.max(scale, 1e-12);
            double[] ours = stats(y);
            String[] what = {"mean", "std", "min", "max"};
            for (int k = 0; k < 4; k++) {
                if (!(Math.abs(ours[k] - ref[k]) <= tol)) bad.add(String.format(Locale.ROOT, "%s %s: %s %.6g vs %.6g", set, stage, what[k], ours[k], ref[k]));
            }
            for (int k = 0; k < index.length; k++) {
                double r = sample[16 * i + k], o = y[(int) index[k]];
                if (!(Math.abs(o - r) <= tol)) bad.add(String.format(Locale.ROOT, "%s %s: element %d %.6g vs %.6g", set, stage, index[k], o, r));
            }
        }
        return bad;
    }

    /** Mean, population std, min, max. */
    private static double[] stats(float[] y) {
        double sum = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (float v : y) { sum += v; min = Math.min(min, v); max = Math.max(max, v); }
        double mean = sum / y.length, ss = 0;
        for (float v : y) ss += (v - mean) * (v - mean);
        return new double[] {mean, Math.sqrt(ss / y.length), min, max};
    }

    /** Where the network departs from the golden taps, image by image: the first stage that differs (a diagnostic). */
    private String firstDivergence(String set, float[] x, int n) {
        int per = x.length / n;
        int[] s = golden.shape(set + ".images");
        StringBuilder m = new StringBuilder("golden taps:");
        for (int i = 0; i < n; i++) {
            float[] one = java.util.Arrays.copyOfRange(x, i * per, (i + 1) * per);
            Map<String, float[]> taps = new LinkedHashMap<>();
            try (Tensor t = be.upload(one, 1, 3, s[2], s[3])) {
                net.trace(t, (stage, out) -> taps.put(stage, be.download(out)));
            }
            List<String> bad = tapMismatches(set, i, taps);
            m.append(" image ").append(i).append(bad.isEmpty() ? " every stage matches" : " first departs at " + bad.getFirst()
                    + " (" + bad.size() + " mismatches in all)").append(';');
        }
        return m.toString();
    }

    // ------------------------------------------------------------------------------------------------ loading

    @Test
    void aConvertedFileLoadsEveryTensorAndFcAndTheCountersAreIgnored(@TempDir Path dir) throws IOException {
        Path file = InceptionFormulaWeights.write(dir.resolve("w.safetensors"), net.state(), true);
        InceptionV3 loaded = InceptionV3.load(be, file);
        for (var e : loaded.state().entrySet()) {
            assertArrayEquals(InceptionFormulaWeights.values(e.getKey(), e.getValue().shape()), be.download(e.getValue()), e.getKey());
        }
    }

    private static String loadError(Path file) {
        try (CpuBackend cpu = new CpuBackend()) {
            UserError e = assertThrows(UserError.class, () -> InceptionV3.load(cpu, file));
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            assertTrue(e.getMessage().startsWith(file.toString()), "names the file: " + e.getMessage());
            assertTrue(e.getMessage().contains("bench/inception/convert_weights.py"), "says how to make one: " + e.getMessage());
            return e.getMessage();
        }
    }

    @Test
    void aBadWeightsFileIsOneLineNamingTheFileAndTheFirstProblem(@TempDir Path dir) throws IOException {
        String first = "Conv2d_1a_3x3.conv.weight";
        float[] w = InceptionFormulaWeights.values(first, new int[] {32, 3, 3, 3});

        Path missing = dir.resolve("missing.safetensors");
        SafeTensors.writer().putF32(first, w, 32, 3, 3, 3).write(missing);
        assertTrue(loadError(missing).contains("no tensor 'Conv2d_1a_3x3.bn.weight' (and 468 more of the 470"), loadError(missing));

        // every tensor present, the first of the wrong shape, the others of shape [1]: the first problem is the first's
        Map<String, Tensor> state = net.state();
        Path shape = dir.resolve("shape.safetensors");
        SafeTensors.Writer sw = SafeTensors.writer();
        for (String name : state.keySet()) sw.putF32(name, new float[1], 1);
        sw.write(shape);
        assertTrue(loadError(shape).contains("tensor 'Conv2d_1a_3x3.conv.weight' has shape [1], pytorch-fid's Inception has [32, 3, 3, 3]"),
                loadError(shape));

        Path dtype = dir.resolve("dtype.safetensors");
        SafeTensors.Writer dw = SafeTensors.writer();
        for (String name : state.keySet()) {
            if (name.equals(first)) dw.putF64(first, new double[w.length], 32, 3, 3, 3);
            else dw.putF32(name, new float[1], 1);
        }
        dw.write(dtype);
        assertTrue(loadError(dtype).contains("tensor 'Conv2d_1a_3x3.conv.weight' is F64, expected F32"), loadError(dtype));

        // another network's tensors are named before anything is missing
        Path aux = dir.resolve("aux.safetensors");
        SafeTensors.writer().putF32(first, w, 32, 3, 3, 3).putF32("AuxLogits.fc.bias", new float[1000], 1000).write(aux);
        assertTrue(loadError(aux).contains("unexpected tensor 'AuxLogits.fc.bias'"), loadError(aux));

        Path imagenet = dir.resolve("imagenet.safetensors");
        SafeTensors.writer().putF32(first, w, 32, 3, 3, 3).putF32("fc.bias", new float[1000], 1000)
                .putF32("fc.weight", new float[1000 * 2048], 1000, 2048).write(imagenet);
        assertTrue(loadError(imagenet).contains("fc.weight has shape [1000, 2048], not [1008, 2048]"), loadError(imagenet));

        Path notSafetensors = dir.resolve("pt_inception-2015-12-05-6726825d.pth");
        Files.write(notSafetensors, new byte[] {(byte) 0x80, 2, 'c', 'o', 'l', 'l', 'e', 'c', 't', 'i', 'o', 'n', 's', 0, 0, 0});
        assertTrue(loadError(notSafetensors).contains("cannot be read as Inception weights"), loadError(notSafetensors));
        assertTrue(loadError(dir.resolve("absent.safetensors")).contains("cannot be read"));
    }
}
