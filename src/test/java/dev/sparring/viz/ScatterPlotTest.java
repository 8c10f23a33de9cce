package dev.sparring.viz;

import org.jfree.chart.axis.ValueAxis;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.geom.Rectangle2D;
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

    private static double[] limits(Rendered.Panel p) {
        ValueAxis x = p.plot().getDomainAxis(), y = p.plot().getRangeAxis();
        return new double[] {x.getLowerBound(), x.getUpperBound(), y.getLowerBound(), y.getUpperBound()};
    }

    @Test
    void drawsPointsAndCentersWhereTheyBelong() {
        float[] pts = {0.37f, -0.53f, -1.13f, 1.71f};
        double[][] centers = {{1.29, 0.61}};
        BufferedImage blank = new ScatterPlot(new float[0], 0, null, null, FIXED).render().image();
        Rendered r = new ScatterPlot(pts, 2, centers, "test", FIXED).render();
        Rendered.Panel f = r.panel();
        for (int i = 0; i < 2; i++) {
            double px = f.px(pts[2 * i]), py = f.py(pts[2 * i + 1]);
            assertTrue(isWhite(rgb(blank, px, py)), "the blank plot is white at point " + i);
            assertTrue(isBlue(rgb(r.image(), px, py)), "point " + i + " is drawn: " + java.util.Arrays.toString(rgb(r.image(), px, py)));
        }
        double cx = f.px(1.29), cy = f.py(0.61);
        assertTrue(isWhite(rgb(blank, cx, cy)));
        assertTrue(isRed(rgb(r.image(), cx, cy)), "centre marker: " + java.util.Arrays.toString(rgb(r.image(), cx, cy)));
        assertTrue(isRed(rgb(r.image(), cx + 4, cy + 4)) && isRed(rgb(r.image(), cx - 4, cy + 4)), "a cross, not a dot");
        assertTrue(isWhite(rgb(r.image(), cx + 4, cy)), "a cross, not a square");
        assertTrue(f.py(1.71) < f.py(-0.53), "y grows upwards");
        assertArrayEquals(new double[] {-2, 2, -2, 2}, limits(f), 0, "fixed limits are kept");
    }

    @Test
    void pointsOutsideFixedLimitsOrNotFiniteAreNotDrawn() {
        ScatterPlot plot = new ScatterPlot(new float[] {5f, 0f, Float.NaN, 0f, 0f, Float.POSITIVE_INFINITY, 1f, 1f}, 4,
                new double[][] {{-9, 9}}, "t", FIXED);
        assertEquals("1 of 4 points outside the axes, 2 of 4 points not finite", plot.note(-2, 2, -2, 2));
        assertEquals("", new ScatterPlot(new float[] {1f, 1f}, 1, null, "t", FIXED).note(-2, 2, -2, 2));
        Rendered r = plot.render();
        Rectangle2D a = r.panel().dataArea();
        for (int y = (int) a.getMinY() + 1; y < a.getMaxY() - 1; y++) {
            for (int x = (int) a.getMinX() + 1; x < a.getMaxX() - 1; x++) {
                int[] c = rgb(r.image(), x, y);
                boolean inside = Math.hypot(x - r.panel().px(1), y - r.panel().py(1)) < 3;   // the one point inside
                assertTrue(inside || !isBlue(c) && !isRed(c), "nothing drawn at plot area pixel (" + x + ", " + y + ")");
            }
        }
        assertTrue(isBlue(rgb(r.image(), r.panel().px(1), r.panel().py(1))), "the point inside is drawn");
        int red = 0;   // the note under the title
        for (int y = 0; y < a.getMinY(); y++) for (int x = 0; x < r.image().getWidth(); x++) if (isRed(rgb(r.image(), x, y))) red++;
        assertTrue(red > 20, "a red note above the plot: " + red);
    }

    @Test
    void automaticLimitsShowEveryPointWithEqualUnits() {
        float[] pts = {-10f, 5f, 30f, -2f, 12f, 0.5f};
        double[][] centers = {{0, 8}};
        Rendered r = new ScatterPlot(pts, 3, centers, "auto", ScatterPlot.Options.auto().withSize(400, 300)).render();
        Rendered.Panel f = r.panel();
        double[] l = limits(f);
        for (int i = 0; i < 3; i++) {
            double x = pts[2 * i], y = pts[2 * i + 1];
            assertTrue(x > l[0] && x < l[1] && y > l[2] && y < l[3], "point " + i + " inside the limits");
            assertTrue(isBlue(rgb(r.image(), f.px(x), f.py(y))), "point " + i + " drawn");
        }
        assertTrue(isRed(rgb(r.image(), f.px(0), f.py(8))));
        double unitX = f.dataArea().getWidth() / (l[1] - l[0]), unitY = f.dataArea().getHeight() / (l[3] - l[2]);
        assertEquals(unitX, unitY, 1e-9 * unitX, "one data unit is as many pixels on both axes");
        assertTrue(l[0] < -10 && l[1] > 30, "margin around the data");

        // Degenerate data: one location, or nothing finite at all.
        double[] one = limits(new ScatterPlot(new float[] {3f, 3f, 3f, 3f}, 2, null, null, ScatterPlot.Options.auto()).render().panel());
        assertTrue(one[0] < 3 && one[1] > 3 && one[1] - one[0] >= 2, java.util.Arrays.toString(one));
        double[] none = limits(new ScatterPlot(new float[] {Float.NaN, 1f}, 1, null, null, ScatterPlot.Options.auto()).render().panel());
        assertTrue(none[0] < 0 && none[1] > 0 && none[2] < 0 && none[3] > 0, java.util.Arrays.toString(none));
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
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new ScatterPlot(new float[3], 2, null, null, FIXED));
        assertThrows(IllegalArgumentException.class, () -> new ScatterPlot(new float[4], 2, new double[][] {{1}}, null, FIXED));
        assertThrows(IllegalArgumentException.class, () -> ScatterPlot.Options.fixed(1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new ScatterPlot.Options(512, 512, 0, 1, Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> ScatterPlot.Options.auto().withSize(50, 50));
    }
}
