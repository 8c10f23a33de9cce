package dev.sparring.gan.loss;

import dev.sparring.viz.LineChart;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The headless chart used for the checker's plots and the trainer's loss curves (lives with its first user's tests). */
class LineChartTest {
    private static final Color BLUE = new Color(31, 119, 180), ORANGE = new Color(255, 127, 14);

    private static int count(BufferedImage img, Color c, int x0, int x1, int y0, int y1) {
        int n = 0;
        for (int y = y0; y < y1; y++) for (int x = x0; x < x1; x++) if ((img.getRGB(x, y) & 0xffffff) == (c.getRGB() & 0xffffff)) n++;
        return n;
    }

    @Test
    void drawsSeriesReferencesAndWritesAtomically(@TempDir Path dir) throws IOException {
        int n = 200;
        double[] x = new double[n], y = new double[n], z = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
            y[i] = Math.sin(i / 20.0);
            z[i] = i == 100 ? Double.NaN : 0.5;           // a gap, not a crash
        }
        Path png = dir.resolve("a/b/curve.png");
        new LineChart("losses").xLabel("step").yLabel("loss").size(640, 400)
                .series("sin", x, y).series("flat", x, z)
                .reference("L_D* = 0.25", 0.25, 1)
                .reference("nothing", Double.NaN)
                .write(png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(640, img.getWidth());
        assertEquals(400, img.getHeight());
        assertTrue(count(img, BLUE, 0, 640, 0, 400) > 200, "the sine is drawn");
        assertTrue(count(img, ORANGE, 0, 640, 0, 400) > 200, "the flat series and its reference line are drawn");
        try (var files = Files.list(png.getParent())) {
            assertEquals(List.of("curve.png"), files.map(p -> p.getFileName().toString()).toList(), "no temporary file left behind");
        }
        // overwriting replaces the file
        new LineChart("second").size(300, 200).series("y", new double[] {1, 2, 3}).write(png);
        assertEquals(300, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void referenceLineSitsAtItsValue(@TempDir Path dir) throws IOException {
        // y from 0 to 10 with a reference at 5: the dashed line crosses the middle of the plot area
        BufferedImage img = new LineChart("ref").size(600, 400).series("ramp", new double[] {0, 1}, new double[] {0, 10})
                .reference("five", 5, 1).render();
        int rows = 0, best = -1, bestCount = 0;
        for (int yy = 0; yy < 400; yy++) {
            int c = count(img, ORANGE, 100, 500, yy, yy + 1);
            if (c > bestCount) {
                bestCount = c;
                best = yy;
            }
            if (c > 0) rows++;
        }
        assertTrue(bestCount > 150, "a dashed horizontal line: " + bestCount);
        assertTrue(rows <= 4, "one thin line, not a band: " + rows);
        int top = 16 + 19, bottom = 400 - 46;  // the plot area, as laid out by render()
        double expected = (top + bottom) / 2.0;
        assertEquals(expected, best, 15, "reference at y = 5 is drawn mid-plot");
    }

    @Test
    void logAxisSkipsNonPositiveAndLargeSeriesAreFast(@TempDir Path dir) throws IOException {
        double[] r = {-1, 0, 1e-4, 1e-2, 1, 100, 1e4}, v = {1, 2, 3, 4, 5, 6, 7};
        new LineChart("log").logX(true).series("v", r, v).write(dir.resolve("log.png"));
        int n = 1_000_000;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = Math.sin(i * 1e-4) + 1e-3 * (i % 7);
        long t0 = System.nanoTime();
        BufferedImage img = new LineChart("many").series("y", y).render();
        double ms = (System.nanoTime() - t0) / 1e6;
        assertTrue(ms < 3000, "1e6 points took " + ms + " ms");
        assertTrue(count(img, BLUE, 0, img.getWidth(), 0, img.getHeight()) > 500);
        // empty and degenerate inputs render a frame, not an exception
        new LineChart("empty").message("nothing to plot").write(dir.resolve("empty.png"));
        new LineChart("const").series("c", new double[] {3, 3, 3}).write(dir.resolve("const.png"));
        new LineChart("huge").series("h", new double[] {-1e300, 1e300}).write(dir.resolve("huge.png"));
        assertTrue(Files.size(dir.resolve("empty.png")) > 0);
    }

    /** legendOutside puts the legend under the plot: no legend box over the data, the swatches below the axis. */
    @Test
    void legendOutsideLeavesThePlotAreaToTheData() {
        Color box = new Color(180, 180, 180);
        double[] x = {0, 1}, y = {1, 1};   // a line along the top, where the inside legend sits
        BufferedImage inside = new LineChart("in").size(600, 400).series("top", x, y).render();
        BufferedImage outside = new LineChart("out").size(600, 400).series("top", x, y).legendOutside(true).render();
        int top = 16 + 19, bottom = 400 - 46;
        assertTrue(count(inside, box, 72, 582, top, bottom) > 50, "the default legend is boxed inside the plot");
        assertEquals(0, count(outside, box, 72, 582, top, bottom), "no legend box inside the plot");
        assertTrue(count(outside, BLUE, 0, 600, 400 - 20, 400) > 20, "the legend's swatch sits below the x axis");
    }

    /** A marker is a vertical line at its x; a heading adds its lines above the panels. */
    @Test
    void markersAndHeading(@TempDir Path dir) throws IOException {
        BufferedImage img = new LineChart("m").size(600, 400).series("ramp", new double[] {0, 10}, new double[] {0, 1})
                .marker("x = 5", 5).render();
        int left = 72, right = 600 - 18, px = (left + right) / 2;
        Color gray = new Color(90, 90, 90);
        assertTrue(count(img, gray, px - 1, px + 2, 60, 340) > 100, "a dashed vertical line mid-plot");
        assertEquals(0, count(img, gray, left + 10, px - 10, 60, 340), "and nowhere else");

        Path png = dir.resolve("panels.png");
        LineChart a = new LineChart("a").series("s", new double[] {0, 1}), b = new LineChart("b").series("s", new double[] {1, 0});
        LineChart.writePanels(png, 2, List.of(a, b), 300, 200, List.of("heading PASS", "a second line"));
        BufferedImage p = ImageIO.read(png.toFile());
        assertEquals(600, p.getWidth());
        assertTrue(p.getHeight() > 200 + 30, "the heading adds height: " + p.getHeight());
        assertTrue(count(p, Color.BLACK, 0, 600, 0, p.getHeight() - 200) > 30, "heading text is drawn");
    }

    @Test
    void rejectsBadInput(@TempDir Path dir) {
        assertThrows(IllegalArgumentException.class, () -> new LineChart("x").series("s", new double[2], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> new LineChart("x").yRange(1, 1));
        assertThrows(IllegalArgumentException.class, () -> new LineChart("x").size(10, 10));
        assertThrows(IllegalArgumentException.class, () -> LineChart.writePanels(dir.resolve("p.png"), 2, List.of(), 100, 100));
    }
}
