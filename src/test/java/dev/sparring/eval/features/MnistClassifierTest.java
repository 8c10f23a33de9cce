package dev.sparring.eval.features;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.io.SafeTensors;
import dev.sparring.nn.Linear;
import dev.sparring.nn.Sequential;
import dev.sparring.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shipped MNIST classifier: its held-out accuracy, its features and probabilities, and its file. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MnistClassifierTest {
    private CpuBackend be;
    private MnistClassifier clf;
    private final ImageDataset digits = Datasets.mnist();

    @BeforeAll
    void load() {
        be = new CpuBackend();
        clf = MnistClassifier.bundled(be);
    }

    @AfterAll
    void close() { be.close(); }

    private final int[] heldOut = MnistClassifierTraining.split(digits).heldOut();

    /** Held-out digits [from, from + n) of the held-out list as a tensor in [-1, 1]. */
    private Tensor heldOut(int from, int n) {
        float[] x = new float[n * 28 * 28];
        for (int k = 0; k < n; k++) MnistClassifierTraining.shifted(digits.pixels(), heldOut[from + k], 0, 0, x, k);
        return be.upload(x, n, 1, 28, 28);
    }

    @Test
    void theShippedWeightsClassifyAtLeast98PercentOfTheHeldOutDigits() throws IOException {
        MnistClassifierTraining.Accuracy a = MnistClassifierTraining.accuracy(clf, digits, heldOut);
        assertEquals(MnistClassifierTraining.HELD_OUT, a.total());
        assertTrue(a.overall() >= 0.98, "held-out accuracy " + a.overall());
        try (InputStream in = MnistClassifier.class.getResourceAsStream(MnistClassifier.RESOURCE)) {
            assertNotNull(in);
            byte[] file = in.readAllBytes();
            assertTrue(file.length < 512 * 1024, "the shipped weights take " + file.length + " bytes");
            Path tmp = Files.createTempFile("mnist", ".safetensors");
            try {
                Files.write(tmp, file);
                var meta = SafeTensors.read(tmp).metadata();
                assertEquals(String.format(Locale.ROOT, "%.4f", a.overall()), meta.get("held_out_accuracy"), "the file's recorded accuracy");
                assertEquals(MnistClassifierTraining.DEFAULTS.describe().get("epochs"), meta.get("epochs"));
            } finally {
                Files.delete(tmp);
            }
        }
    }

    @Test
    void featuresAreWhatTheLastLayerClassifies() {
        Tensor x = heldOut(0, 6);
        float[] f = clf.features(x), logits = clf.logits(x);
        int F = clf.featureSize();
        assertEquals(6 * F, f.length);
        Linear head = (Linear) ((Sequential) clf.network().root()).layers().getLast();
        float[] w = be.download(head.weight.value()), b = be.download(head.bias.value());
        for (int i = 0; i < 6; i++) {
            for (int k = 0; k < MnistClassifier.CLASSES; k++) {
                double s = b[k];
                for (int j = 0; j < F; j++) s += (double) f[i * F + j] * w[k * F + j];
                assertEquals(s, logits[i * 10 + k], 1e-4 * (1 + Math.abs(s)), "logit " + k + " of sample " + i);
            }
        }
    }

    @Test
    void aDigitsFeaturesDoNotDependOnItsBatch() {
        float[] alone = clf.features(heldOut(3, 1));
        float[] inBatch = clf.features(heldOut(0, 7));
        int F = clf.featureSize();
        assertArrayEquals(alone, Arrays.copyOfRange(inBatch, 3 * F, 4 * F));
    }

    @Test
    void probabilitiesSumToOneAndFavourTheLabel() {
        float[] p = clf.probabilities(heldOut(1000, 20));
        int right = 0;
        int[] cls = ClassScores.assignments(p, 10);
        for (int i = 0; i < 20; i++) {
            double s = 0;
            for (int k = 0; k < 10; k++) s += p[i * 10 + k];
            assertEquals(1.0, s, 1e-5);
            if (cls[i] == digits.labels()[heldOut[1000 + i]]) right++;
        }
        assertTrue(right >= 18, right + " of 20 right");
    }

    @Test
    void imagesOfAnotherShapeAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> clf.features(be.zeros(2, 1, 32, 32)));
        assertTrue(e.getMessage().contains("(N, 1, 28, 28)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> clf.features(be.zeros(2, 3, 28, 28)));
    }

    @Test
    void aFileThatIsNotAClassifierIsRefusedByName(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("x.safetensors");
        SafeTensors.writer().putF32("main.0.weight", new float[4], 2, 2).putMetadata("format", "sparring-checkpoint/1").write(f);
        var e = assertThrows(IOException.class, () -> MnistClassifier.load(be, f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("not an MNIST classifier"), e.getMessage());
    }

    @Test
    void savedWeightsLoadBackTheSame(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("w.safetensors");
        clf.save(f, java.util.Map.of("note", "copy"));
        MnistClassifier back = MnistClassifier.load(be, f);
        Tensor x = heldOut(100, 3);
        assertArrayEquals(clf.logits(x), back.logits(x));
        assertEquals(clf.widths(), back.widths());
    }
}
