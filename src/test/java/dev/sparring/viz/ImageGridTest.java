package dev.sparring.viz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageGridTest {
    @TempDir
    Path dir;

    @Test
    void valueMappingMatchesTorchvisionRounding() {
        assertEquals(0, ImageGrid.toByte(-1f));
        assertEquals(255, ImageGrid.toByte(1f));
        assertEquals(128, ImageGrid.toByte(0f));      // 127.5 + 0.5
        assertEquals(191, ImageGrid.toByte(0.5f));    // 191.25 + 0.5 -> 191
        assertEquals(64, ImageGrid.toByte(-0.5f));    // 63.75 + 0.5 -> 64
        assertEquals(0, ImageGrid.toByte(-7f));
        assertEquals(255, ImageGrid.toByte(3f));
        assertEquals(0, ImageGrid.toByte(Float.NaN));
        assertEquals(255, ImageGrid.toByte(Float.POSITIVE_INFINITY));
        for (int p = 0; p < 256; p++) { // the inverse of the usual normalisation x / 127.5 - 1 comes back exactly
            assertEquals(p, ImageGrid.toByte((float) (p / 127.5 - 1)), "pixel " + p);
        }
    }

    /** 3 grayscale images of 2 x 3 in 2 columns: a 12 x 10 PNG with every pixel known. */
    @Test
    void grayscaleGridHasExactPixels() throws Exception {
        int n = 3, h = 2, w = 3;
        float[] images = { // (N, C, H, W) = (3, 1, 2, 3)
                -1f, 0f, 1f,
                0.5f, -0.5f, 2f,        // image 0
                1f, 1f, 1f,
                1f, 1f, Float.NaN,      // image 1
                -3f, 0.25f, -0.25f,
                0f, 0f, 0f,             // image 2
        };
        Path png = dir.resolve("grid.png");
        ImageGrid.write(png, images, n, 1, h, w, 2);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(2 * (w + 2) + 2, img.getWidth());
        assertEquals(2 * (h + 2) + 2, img.getHeight());
        assertEquals(1, img.getRaster().getNumBands(), "a grayscale PNG");

        int[][] expected = new int[10][12]; // zero: padding and the empty fourth cell
        int[][] cells = {{2, 2}, {2, 7}, {6, 2}}; // top-left (y, x) of each image
        for (int k = 0; k < n; k++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) expected[cells[k][0] + y][cells[k][1] + x] = ImageGrid.toByte(images[k * h * w + y * w + x]);
            }
        }
        // spot values, written out by hand
        assertEquals(0, expected[2][2]);
        assertEquals(128, expected[2][3]);
        assertEquals(255, expected[2][4]);
        assertEquals(191, expected[3][2]);
        assertEquals(255, expected[3][4]);   // 2 clamped
        assertEquals(0, expected[3][9]);     // NaN
        assertEquals(159, expected[6][3]);   // 0.25 -> 159.375 + 0.5
        Raster r = img.getRaster();
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 12; x++) assertEquals(expected[y][x], r.getSample(x, y, 0), "pixel (x=" + x + ", y=" + y + ")");
        }
    }

    @Test
    void rgbGridHasExactPixels() throws Exception {
        int n = 2, h = 1, w = 2;
        float[] images = { // (N, C, H, W) = (2, 3, 1, 2)
                1f, -1f,    // image 0 red plane
                -1f, 0f,    // green
                -1f, 1f,    // blue
                0.5f, 0f,   // image 1
                0.5f, 0f,
                0.5f, 0f,
        };
        Path png = dir.resolve("rgb.png");
        ImageGrid.write(png, images, n, 3, h, w, 8); // cols > n: one row of n
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(2 * (w + 2) + 2, img.getWidth());
        assertEquals(h + 4, img.getHeight());
        assertEquals(0xFF0000, img.getRGB(2, 2) & 0xFFFFFF);
        assertEquals(0x0080FF, img.getRGB(3, 2) & 0xFFFFFF);
        assertEquals(0xBFBFBF, img.getRGB(6, 2) & 0xFFFFFF);
        assertEquals(0x808080, img.getRGB(7, 2) & 0xFFFFFF);
        assertEquals(0x000000, img.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x000000, img.getRGB(4, 2) & 0xFFFFFF); // padding between the images
    }

    @Test
    void usesOnlyTheFirstNImagesOfALargerBatch() {
        float[] batch = new float[5 * 4]; // (5, 1, 2, 2), all -1 except image 4
        java.util.Arrays.fill(batch, -1f);
        for (int i = 16; i < 20; i++) batch[i] = 1f;
        BufferedImage img = ImageGrid.render(batch, 4, 1, 2, 2, 4);
        for (int x = 0; x < img.getWidth(); x++) {
            for (int y = 0; y < img.getHeight(); y++) assertEquals(0, img.getRaster().getSample(x, y, 0));
        }
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.render(new float[8], 2, 2, 2, 1, 1));  // c = 2
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.render(new float[7], 2, 1, 2, 2, 1));  // too short
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.render(new float[8], 0, 1, 2, 2, 1));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.render(new float[8], 2, 1, 2, 2, 0));
    }

    @Test
    void writesAValidPngAtomically() throws Exception {
        Path png = dir.resolve("samples.png");
        Files.writeString(png, "old content");
        float[] images = new float[64 * 28 * 28];
        for (int i = 0; i < images.length; i++) images[i] = (float) Math.sin(i * 0.01);
        ImageGrid.write(png, images, 64, 1, 28, 28, 8);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(8 * 30 + 2, img.getWidth());
        assertEquals(8 * 30 + 2, img.getHeight());
        try (var files = Files.list(dir)) {
            assertTrue(files.allMatch(p -> p.equals(png)), "no temporary file left behind");
        }
    }
}
