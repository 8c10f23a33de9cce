package dev.sparring.viz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The line chart of the loss curves and the loss checker's figure: what is drawn lands where its data says. */
class LineChartTest {
    static final Color BLUE = Plots.PALETTE[0], ORANGE = Plots.PALETTE[1];

    /**
     * Pixels of colour c in [x0, x1) x [y0, y1): c itself, or c blended over white with at least half its weight, as
     * antialiasing leaves a line's edge pixels (every channel at the same blend).
     */
    static int count(BufferedImage img, Color c, int x0, int x1, int y0, int y1) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(img.getHeight(), y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(img.getWidth(), x1); x++) if (ink(img.getRGB(x, y), c) >= 0.5) n++;
        }
        return n;
    }

    /** How much of c is in pixel rgb if it is c over white: 1 for c itself, 0 for white or another colour. */
    static double ink(int rgb, Color c) {
        int[] v = {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff}, w = {c.getRed(), c.getGreen(), c.getBlue()};
        double alpha = -1;
        for (int k = 0; k < 3; k++) {
            if (w[k] > 235) {                         // a channel near white says nothing about the blend
                if (v[k] < w[k] - 12) return 0;
                continue;
            }
            double a = (255.0 - v[k]) / (255.0 - w[k]);
            if (alpha < 0) alpha = a;
            else if (Math.abs(a - alpha) > 0.12) return 0;
        }
        return Math.max(0, Math.min(1, alpha));
    }

    /** Whether a pixel within {@code r} of (x, y) has colour c (see {@link #count}). */
    static boolean near(BufferedImage img, Color c, double x, double y, int r) {
        return count(img, c, (int) Math.floor(x) - r, (int) Math.floor(x) + r + 1, (int) Math.floor(y) - r, (int) Math.floor(y) + r + 1) > 0;
    }

    @Test
    void drawsSeriesWhereTheirPointsAreAndWritesAtomically(@TempDir Path dir) throws IOException {
        int n = 200;
        double[] x = new double[n], y = new double[n], z = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
            y[i] = Math.sin(i / 20.0);
            z[i] = i == 100 ? Double.NaN : 0.5;           // a gap, not a crash
        }
        LineChart chart = new LineChart("losses").xLabel("step").yLabel("loss").size(640, 400)
                .series("sin", x, y).series("flat", x, z)
                .reference("L_D* = 0.25", 0.25, 1)
                .reference("nothing", Double.NaN);
        Rendered r = chart.render();
        Rendered.Panel p = r.panel();
        BufferedImage img = r.image();
        for (int i : new int[] {10, 47, 120, 190}) {
            assertTrue(near(img, BLUE, p.px(x[i]), p.py(y[i]), 1), "the sine passes through point " + i);
        }
        assertTrue(near(img, ORANGE, p.px(50), p.py(0.5), 1), "the flat series at 0.5");
        assertFalse(near(img, ORANGE, p.px(100), p.py(0.5), 1), "a NaN breaks the line");
        assertTrue(count(img, ORANGE, (int) p.px(20), (int) p.px(180), (int) p.py(0.25) - 1, (int) p.py(0.25) + 2) > 60,
                "the dashed reference at 0.25, in the colour of series 1");

        Path png = Files.createDirectories(dir.resolve("a/b")).resolve("curve.png");
        chart.write(png);
        BufferedImage read = ImageIO.read(png.toFile());
        assertEquals(640, read.getWidth());
        assertEquals(400, read.getHeight());
        try (var files = Files.list(png.getParent())) {
            assertEquals(List.of("curve.png"), files.map(f -> f.getFileName().toString()).toList(), "no temporary file left behind");
        }
        new LineChart("second").size(300, 200).series("y", new double[] {1, 2, 3}).write(png);   // overwriting replaces it
        assertEquals(300, ImageIO.read(png.toFile()).getWidth());
    }

    @Test
    void referenceLineIsOneThinLineAtItsValue() {
        Rendered r = new LineChart("ref").size(600, 400).series("ramp", new double[] {0, 1}, new double[] {0, 10})
                .reference("five", 5, 1).render();
        Rendered.Panel p = r.panel();
        int rows = 0, best = -1, bestCount = 0;
        for (int yy = 0; yy < 400; yy++) {
            int c = count(r.image(), ORANGE, (int) p.px(0.1), (int) p.px(0.9), yy, yy + 1);
            if (c > bestCount) {
                bestCount = c;
                best = yy;
            }
            if (c > 0) rows++;
        }
        assertTrue(bestCount > 150, "a dashed horizontal line: " + bestCount);
        assertTrue(rows <= 3, "one thin line, not a band: " + rows);
        assertEquals(p.py(5), best, 1.5, "the reference at y = 5");
        assertEquals((p.dataArea().getMinY() + p.dataArea().getMaxY()) / 2, best, 2, "mid-plot: y spans [0, 10] padded alike");
    }

    @Test
    void logAxisDrawsPowersOfTenEvenlyAndSkipsNonPositiveX() {
        double[] r = {-1, 0, 1e-4, 1e-2, 1, 100, 1e4}, v = {1, 2, 3, 4, 5, 6, 7};
        Rendered out = new LineChart("log").logX(true).series("v", r, v).render();
        Rendered.Panel p = out.panel();
        assertEquals(p.px(1) - p.px(1e-2), p.px(100) - p.px(1), 1e-6, "equal steps per two decades");
        assertEquals(p.dataArea().getMinX(), p.px(1e-4), 1e-6, "the axis starts at the first positive x");
        for (int i = 2; i < r.length; i++) assertTrue(near(out.image(), BLUE, p.px(r[i]), p.py(v[i]), 1), "point r = " + r[i]);
    }

    @Test
    void aMillionPointsDrawFastAndKeepTheirExtremes() {
        int n = 1_000_000;
        double[] y = new double[n];
        for (int i = 0; i < n; i++) y[i] = Math.sin(i * 1e-5);
        y[654_321] = 3;      // one spike: its column must still reach it
        y[123_457] = -2;
        long t0 = System.nanoTime();
        Rendered r = new LineChart("many").series("y", y).render();
        double ms = (System.nanoTime() - t0) / 1e6;
        assertTrue(ms < 3000, "1e6 points took " + ms + " ms");
        Rendered.Panel p = r.panel();
        assertTrue(near(r.image(), BLUE, p.px(654_321), p.py(3), 1), "the spike up is drawn");
        assertTrue(near(r.image(), BLUE, p.px(123_457), p.py(-2), 1), "the spike down is drawn");
        assertTrue(near(r.image(), BLUE, p.px(300_000), p.py(Math.sin(3)), 1), "the curve between");
    }

    @Test
    void degenerateInputsDrawAFrame(@TempDir Path dir) throws IOException {
        new LineChart("empty").write(dir.resolve("empty.png"));
        new LineChart("nan").series("n", new double[] {Double.NaN, Double.NaN}).write(dir.resolve("nan.png"));
        new LineChart("const").series("c", new double[] {3, 3, 3}).write(dir.resolve("const.png"));
        new LineChart("huge").series("h", new double[] {-1e300, 1e300}).write(dir.resolve("huge.png"));
        new LineChart("max").series("m", new double[] {-Double.MAX_VALUE, Double.MAX_VALUE}).write(dir.resolve("max.png"));
        Rendered window = new LineChart("window").yRange(0, 1).series("w", new double[] {0, 1, 2, 3, 4}, new double[] {0.5, 0.5, 1e200, 0.5, 0.5}).render();
        Rendered.Panel p = window.panel();
        assertTrue(near(window.image(), BLUE, p.px(1), p.py(0.75), 1) && near(window.image(), BLUE, p.px(3), p.py(0.75), 1),
                "a point far above a fixed range: the lines to it and from it rise and fall steeply through the window");
        assertTrue(Files.size(dir.resolve("empty.png")) > 0);
    }

    /** The legend lies below the plot: nothing of it over the data. */
    @Test
    void legendSitsBelowThePlot() {
        double[] x = {0, 1}, y = {1, 1};   // a line along the top, where a legend inside would sit
        Rendered r = new LineChart("legend").size(600, 400).series("top", x, y).reference("ref", 0.5, 1).render();
        Rectangle2D a = r.panel().dataArea();
        int below = (int) a.getMaxY() + 20;
        assertTrue(count(r.image(), BLUE, 0, 600, below, 400) > 10, "the series' swatch below the x axis");
        assertTrue(count(r.image(), ORANGE, 0, 600, below, 400) > 5, "the reference's dashed swatch too");
        assertEquals(0, count(r.image(), Plots.INK, (int) a.getMinX() + 3, (int) a.getMaxX() - 2, (int) a.getMinY() + 3, (int) a.getMaxY() - 2),
                "no text inside the plot area");
    }

    @Test
    void markerIsAVerticalLineAtItsX() {
        Rendered r = new LineChart("m").size(600, 400).series("ramp", new double[] {0, 10}, new double[] {0, 1}).marker("x = 5", 5).render();
        Rendered.Panel p = r.panel();
        int px = (int) Math.round(p.px(5)), top = (int) p.dataArea().getMinY() + 30, bottom = (int) p.dataArea().getMaxY() - 5;
        assertTrue(count(r.image(), Plots.REFERENCE, px - 1, px + 2, top, bottom) > 100, "a dashed vertical line at x = 5");
        assertEquals(0, count(r.image(), Plots.REFERENCE, (int) p.px(0.5), px - 3, top, bottom), "and nowhere left of it");
    }

    @Test
    void figureLaysOutPanelsUnderAHeading(@TempDir Path dir) throws IOException {
        LineChart a = new LineChart("a").series("s", new double[] {0, 1}), b = new LineChart("b").series("s", new double[] {1, 0});
        Path png = dir.resolve("panels.png");
        Figure f = new Figure(2, 300, 200).heading("heading PASS").heading("a second line").add(a).add(b);
        f.write(png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(600, img.getWidth());
        int heading = img.getHeight() - 200;
        assertTrue(heading > 30, "the heading adds height: " + heading);
        assertTrue(count(img, Plots.INK, 0, 600, 0, heading) > 30, "heading text is drawn");
        List<Rendered.Panel> panels = f.render().panels();
        assertTrue(panels.get(0).dataArea().getMaxX() <= 300 && panels.get(1).dataArea().getMinX() >= 300, "side by side");
        assertTrue(panels.get(1).dataArea().getMinY() >= heading, "below the heading");
        // b falls from (0, 1) to (1, 0) in the right panel
        assertTrue(near(img, BLUE, panels.get(1).px(0.25), panels.get(1).py(0.75), 1));
        assertFalse(near(img, BLUE, panels.get(1).px(0.25), panels.get(1).py(0.25), 2));
    }

    @Test
    void withoutFontsChartsDrawTheirDataAndNoText() {
        Plots.fontsForTest(false);
        try {
            Rendered r = new LineChart("title").xLabel("x").yLabel("y").size(400, 300).series("s", new double[] {0, 1}, new double[] {0, 1})
                    .reference("ref", 0.5).marker("m", 0.5).render();
            Rendered.Panel p = r.panel();
            assertTrue(near(r.image(), BLUE, p.px(0.3), p.py(0.3), 1), "the line is drawn");
            Rectangle2D a = p.dataArea();
            assertTrue(a.getMinY() < 20 && a.getMaxY() > 280, "no title or legend takes room: " + a);
            int text = 0;
            for (int y = 0; y < 300; y++) {
                for (int x = 0; x < 400; x++) {
                    boolean frame = x >= a.getMinX() - 6 && x <= a.getMaxX() + 1 && y >= a.getMinY() - 1 && y <= a.getMaxY() + 6;
                    if (!frame && (r.image().getRGB(x, y) & 0xffffff) != 0xffffff) text++;
                }
            }
            assertEquals(0, text, "nothing but white outside the plot and its tick marks");
            assertEquals(1, new Figure(1, 400, 300).heading("a heading").add(new LineChart("t")).render().panels().size());
        } finally {
            Plots.fontsForTest(null);
        }
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> new LineChart("x").series("s", new double[2], new double[3]));
        assertThrows(IllegalArgumentException.class, () -> new LineChart("x").yRange(1, 1));
        assertThrows(IllegalArgumentException.class, () -> new LineChart("x").size(10, 10));
        assertThrows(IllegalArgumentException.class, () -> new Figure(2, 100, 100).render());
        assertThrows(IllegalArgumentException.class, () -> new Figure(0, 100, 100));
    }

    @Test
    void tickLabelsArePlain() {
        assertEquals("1500", Plots.tickLabel(1500, false));
        assertEquals("0.25", Plots.tickLabel(0.25, false));
        assertEquals("-1.5", Plots.tickLabel(-1.5, false));
        assertEquals("1e-4", Plots.tickLabel(1e-4, true));
        assertEquals("0.01", Plots.tickLabel(0.01, true));
        assertEquals("1000", Plots.tickLabel(1000, true));
        assertEquals("1e4", Plots.tickLabel(1e4, true));
        assertEquals("2.5e+07", Plots.tickLabel(2.5e7, false));
        assertEquals(0.5, Plots.niceStep(0.4), 1e-12);
        assertEquals(2, Plots.niceStep(1.2), 1e-12);
        assertEquals(0.002, Plots.niceStep(0.0017), 1e-15);
    }
}
