package dev.sparring.eval.features;

import dev.sparring.UserError;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Training the MNIST classifier: reproducible to the byte, on the training digits only, and it learns. */
class MnistClassifierTrainingTest {
    /** A few steps of a narrow network: seconds on the CPU. */
    private static MnistClassifierTraining.Config tiny(long seed, int trainImages, int epochs) {
        return new MnistClassifierTraining.Config(seed, epochs, 32, 2e-3f, new int[] {1}, 0.5f, 2, trainImages,
                new MnistClassifier.Widths(4, 8, 8, 16));
    }

    private static byte[] trainAndSave(MnistClassifierTraining.Config c, Path file) throws IOException {
        try (CpuBackend be = new CpuBackend()) {
            MnistClassifierTraining.train(be, c, line -> { }).classifier().save(file, c.describe());
        }
        return Files.readAllBytes(file);
    }

    @Test
    void aShortTrainingRunWritesTheSameBytesEveryTime(@TempDir Path dir) throws IOException {
        byte[] a = trainAndSave(tiny(7, 256, 2), dir.resolve("a.safetensors"));
        byte[] b = trainAndSave(tiny(7, 256, 2), dir.resolve("b.safetensors"));
        assertArrayEquals(a, b, "two runs of the same training differ");
        byte[] c = trainAndSave(tiny(8, 256, 2), dir.resolve("c.safetensors"));
        assertFalse(Arrays.equals(a, c), "another seed trained the same weights");
    }

    @Test
    void theLast200ImagesOfEachDigitAreHeldOut() {
        int[] labels = Datasets.mnist().labels();
        MnistClassifierTraining.Split split = MnistClassifierTraining.split(Datasets.mnist());
        assertEquals(MnistClassifierTraining.HELD_OUT, split.heldOut().length);
        assertEquals(MnistClassifierTraining.TRAIN_IMAGES, split.train().length);
        int[] perDigit = new int[10];
        boolean[] held = new boolean[labels.length];
        for (int i : split.heldOut()) {
            perDigit[labels[i]]++;
            held[i] = true;
        }
        assertArrayEquals(new int[] {200, 200, 200, 200, 200, 200, 200, 200, 200, 200}, perDigit);
        int[] after = new int[10];              // images of each digit after the latest training one
        for (int i = labels.length - 1; i >= 0; i--) {
            if (!held[i]) assertEquals(200, after[labels[i]], "training digit " + i + " lies among its digit's last 200");
            else after[labels[i]]++;
        }
        int[] all = java.util.stream.IntStream.concat(Arrays.stream(split.train()), Arrays.stream(split.heldOut())).sorted().toArray();
        assertArrayEquals(java.util.stream.IntStream.range(0, labels.length).toArray(), all, "the split loses or repeats a digit");
    }

    @Test
    void everyEpochTrainsOnEachTrainingDigitOnceAndNeverOnAHeldOutOne() {
        MnistClassifierTraining.Config c = MnistClassifierTraining.DEFAULTS;
        MnistClassifierTraining.Split split = MnistClassifierTraining.split(Datasets.mnist());
        boolean[] held = new boolean[10_000];
        for (int i : split.heldOut()) held[i] = true;
        int used = c.trainImages() / c.batch() * c.batch();
        assertEquals(MnistClassifierTraining.TRAIN_IMAGES, used, "the shipped batch leaves training digits out");
        for (int epoch = 1; epoch <= c.epochs(); epoch++) {
            int[] order = MnistClassifierTraining.order(c, split, epoch);
            boolean[] seen = new boolean[10_000];
            for (int i = 0; i < used; i++) {
                assertFalse(held[order[i]], "epoch " + epoch + " trains on held-out digit " + order[i]);
                assertFalse(seen[order[i]], "epoch " + epoch + " trains twice on digit " + order[i]);
                seen[order[i]] = true;
            }
        }
        assertFalse(Arrays.equals(MnistClassifierTraining.order(c, split, 1), MnistClassifierTraining.order(c, split, 2)), "every epoch in the same order");
        assertThrows(UserError.class, () -> tiny(1, MnistClassifierTraining.TRAIN_IMAGES + 1, 1));
    }

    @Test
    void aShiftMovesTheDigitAndFillsBlack() {
        byte[] pixels = new byte[2 * 28 * 28];
        pixels[28 * 28 + 5 * 28 + 7] = (byte) 255;     // digit 1: one white pixel at row 5, column 7
        pixels[28 * 28 + 27] = (byte) 255;             // and one at row 0, column 27, moved out by dx = 1
        float[] x = new float[3 * 28 * 28];
        MnistClassifierTraining.shifted(pixels, 1, 1, -2, x, 2);
        for (int i = 0; i < 28 * 28; i++) {
            float want = i == 3 * 28 + 8 ? 1f : -1f;
            assertEquals(want, x[2 * 28 * 28 + i], "pixel " + i);
        }
        assertEquals(0f, x[0], "slot 0 untouched");
    }

    @Test
    void trainingLearnsTheDigits() {
        try (CpuBackend be = new CpuBackend()) {
            MnistClassifierTraining.Result r = MnistClassifierTraining.train(be, tiny(1, 1024, 2), line -> { });
            assertTrue(r.heldOut().overall() > 0.5, "held-out accuracy after 64 steps (chance: 0.1): " + r.heldOut().overall());
            assertEquals(MnistClassifierTraining.HELD_OUT, r.heldOut().total());
        }
    }
}
