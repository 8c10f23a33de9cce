package dev.sparring.viz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScatterPlotTest {
    @TempDir
    Path dir;

    private static final ScatterPlot.Options FIXED = ScatterPlot.Options.fixed(-2, 2, -2, 2);

    private static int[] rgb(BufferedImage img, double px, double py) {
        int v = img.getRGB((int) Math.floor(px), (int) Math.floor(py));
        return new int[] {(v >> 16) & 0xFF, (v >> 8) & 0xFF, v & 0xFF};
    }

    private static boolean isWhite(int[] c) { return c[0] == 255 && c[1] == 255 && c[2] == 255; }

    private static boolean isBlue(int[] c) { return c[2] > c[0] + 40; }

    private static boolean isRed(int[] c) { return c[0] > c[2] + 80 && c[0] > c[1] + 80; }

    @Test
    void drawsPointsAndCentersWhereTheyBelong() {
        float[] pts = {0.37f, -0.53f, -1.13f, 1.71f};
        double[][] centers = {{1.29, 0.61}};
        Axes.Frame f = ScatterPlot.frame(pts, 2, centers, FIXED);
        BufferedImage blank = ScatterPlot.render(new float[0], 0, null, null, FIXED);
        BufferedImage img = ScatterPlot.render(pts, 2, centers, "test", FIXED);
        for (int i = 0; i < 2; i++) {
            double px = f.px(pts[2 * i]), py = f.py(pts[2 * i + 1]);
            assertTrue(isWhite(rgb(blank, px, py)), "the blank plot is white at point " + i);
            assertTrue(isBlue(rgb(img, px, py)), "point " + i + " is drawn: " + java.util.Arrays.toString(rgb(img, px, py)));
        }
        double cx = f.px(1.29), cy = f.py(0.61);
        assertTrue(isWhite(rgb(blank, cx, cy)));
        assertTrue(isRed(rgb(img, cx, cy)), "centre marker: " + java.util.Arrays.toString(rgb(img, cx, cy)));
        // y grows upwards: the point at y = 1.71 is above the one at y = -0.53
        assertTrue(f.py(1.71) < f.py(-0.53));
        assertEquals(ScatterPlot.MARGIN_LEFT, f.px(-2), 1e-9);
        assertEquals(512 - ScatterPlot.MARGIN_RIGHT, f.px(2), 1e-9);
        assertEquals(ScatterPlot.MARGIN_TOP, f.py(2), 1e-9);
    }

    @Test
    void pointsOutsideFixedLimitsOrNotFiniteAreNotDrawn() {
        Axes.Frame f = ScatterPlot.frame(new float[0], 0, null, FIXED);
        BufferedImage blank = ScatterPlot.render(new float[0], 0, null, null, FIXED);
        BufferedImage img = ScatterPlot.render(new float[] {5f, 0f, Float.NaN, 0f, 0f, Float.POSITIVE_INFINITY}, 3,
                new double[][] {{-9, 9}}, null, FIXED);
        int x0 = (int) f.px(-2), x1 = (int) f.px(2), y0 = (int) f.py(2), y1 = (int) f.py(-2);
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) assertEquals(blank.getRGB(x, y), img.getRGB(x, y), "plot area pixel (" + x + ", " + y + ")");
        }
    }

    @Test
    void automaticLimitsShowEveryPointWithEqualUnits() {
        float[] pts = {-10f, 5f, 30f, -2f, 12f, 0.5f};
        double[][] centers = {{0, 8}};
        ScatterPlot.Options auto = ScatterPlot.Options.auto().withSize(400, 300);
        Axes.Frame f = ScatterPlot.frame(pts, 3, centers, auto);
        BufferedImage img = ScatterPlot.render(pts, 3, centers, "auto", auto);
        for (int i = 0; i < 3; i++) {
            assertTrue(f.inside(pts[2 * i], pts[2 * i + 1]), "point " + i + " inside the limits");
            assertTrue(isBlue(rgb(img, f.px(pts[2 * i]), f.py(pts[2 * i + 1]))), "point " + i + " drawn");
        }
        assertTrue(isRed(rgb(img, f.px(0), f.py(8))));
        double unitX = f.width() / (f.xMax() - f.xMin()), unitY = f.height() / (f.yMax() - f.yMin());
        assertEquals(unitX, unitY, 1e-9 * unitX, "one data unit is as many pixels on both axes");
        assertTrue(f.xMin() < -10 && f.xMax() > 30, "margin around the data");

        // Degenerate data: one location, or nothing finite at all.
        Axes.Frame one = ScatterPlot.frame(new float[] {3f, 3f, 3f, 3f}, 2, null, ScatterPlot.Options.auto());
        assertTrue(one.inside(3, 3) && one.xMax() - one.xMin() >= 2);
        Axes.Frame none = ScatterPlot.frame(new float[] {Float.NaN, 1f}, 1, null, ScatterPlot.Options.auto());
        assertTrue(none.inside(0, 0));
    }

    @Test
    void writesAValidPngOfTheRequestedSize() throws Exception {
        int n = 2000;
        float[] pts = new float[2 * n]; // (N, 2): 8 Gaussians on a ring of radius 2
        double[][] centers = new double[8][];
        for (int k = 0; k < 8; k++) centers[k] = new double[] {2 * Math.cos(k * Math.PI / 4), 2 * Math.sin(k * Math.PI / 4)};
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int i = 0; i < n; i++) {
            double[] c = centers[i % 8];
            pts[2 * i] = (float) (c[0] + 0.05 * r.nextGaussian());
            pts[2 * i + 1] = (float) (c[1] + 0.05 * r.nextGaussian());
        }
        pts[0] = 10f; // one outlier, reported in the title
        Path png = dir.resolve("ring.png");
        ScatterPlot.write(png, pts, n, centers, "8 Gaussians, step 1000", ScatterPlot.Options.fixed(-3, 3, -3, 3).withSize(480, 400));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(480, img.getWidth());
        assertEquals(400, img.getHeight());
        Path auto = dir.resolve("auto.png");
        ScatterPlot.write(auto, pts, n, null, null);
        BufferedImage a = ImageIO.read(auto.toFile());
        assertArrayEquals(new int[] {512, 512}, new int[] {a.getWidth(), a.getHeight()});
    }

    @Test
    void ticksAreNice() {
        assertEquals(0.5, Axes.tickStep(-2, 2, 6), 1e-12);
        assertEquals(5, Axes.tickStep(-10, 30, 6), 1e-12);
        assertEquals(0.002, Axes.tickStep(0, 0.01, 6), 1e-15);
        assertArrayEquals(new double[] {-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2}, Axes.ticks(-2, 2, 0.5), 1e-12);
        assertEquals("-1.5", Axes.label(-1.5, 0.5));
        assertEquals("0", Axes.label(-1e-17, 5));
        assertEquals("20", Axes.label(20, 5));
        assertEquals("0.004", Axes.label(0.004, 0.002));
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> ScatterPlot.render(new float[3], 2, null, null, FIXED));
        assertThrows(IllegalArgumentException.class, () -> ScatterPlot.render(new float[4], 2, new double[][] {{1}}, null, FIXED));
        assertThrows(IllegalArgumentException.class, () -> ScatterPlot.Options.fixed(1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ScatterPlot.Options(512, 512, 0, 1, Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> ScatterPlot.Options.auto().withSize(50, 50));
    }
}
