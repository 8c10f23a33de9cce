package dev.sparring.viz;

import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.image.BufferedImage;

import static dev.sparring.viz.LineChartTest.near;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plane plot of vector fields, paths, points and discs: each layer lands where its data says, with equal units. */
class FieldPlotTest {
    static final Color BLUE = Plots.PALETTE[0], RED = Plots.PALETTE[3];

    @Test
    void arrowsPointAlongTheFieldCentredOnTheirPoints() {
        // two arrows of one length: right at (-1, 0), up at (1, 0); a zero vector draws nothing at (0, 1)
        Rendered r = new FieldPlot("f", -2, 2, -2, 2).arrows("v", new double[] {-1, 1, 0}, new double[] {0, 0, 1},
                new double[] {5, 0, 0}, new double[] {0, 0.1, 0}, 1, true).render();
        BufferedImage img = r.image();
        Rendered.Panel p = r.panel();
        assertTrue(near(img, FieldPlot.ARROW, p.px(-1.4), p.py(0), 1) && near(img, FieldPlot.ARROW, p.px(-0.6), p.py(0), 2), "the right arrow spans x -1.5 to -0.5");
        assertFalse(near(img, FieldPlot.ARROW, p.px(-1), p.py(0.4), 2), "and does not go up");
        assertTrue(near(img, FieldPlot.ARROW, p.px(1), p.py(-0.4), 1) && near(img, FieldPlot.ARROW, p.px(1), p.py(0.4), 2), "the up arrow spans y -0.5 to 0.5");
        assertFalse(near(img, FieldPlot.ARROW, p.px(1.4), p.py(0), 2), "and does not go right");
        assertFalse(near(img, FieldPlot.ARROW, p.px(0), p.py(1), 3), "nothing for a zero vector");
        // equal units: one unit as many pixels across as up
        assertEquals(p.px(1) - p.px(0), p.py(0) - p.py(1), 1e-6);
    }

    @Test
    void proportionalArrowsScaleToTheLongest() {
        Rendered r = new FieldPlot(null, -2, 2, -2, 2).arrows(null, new double[] {0, 0}, new double[] {-1, 1},
                new double[] {4, 1}, new double[] {0, 0}, 2, false).render();
        Rendered.Panel p = r.panel();
        assertTrue(near(r.image(), FieldPlot.ARROW, p.px(-0.9), p.py(-1), 1) && near(r.image(), FieldPlot.ARROW, p.px(0.9), p.py(-1), 2), "the longest: 2 long");
        assertFalse(near(r.image(), FieldPlot.ARROW, p.px(-0.6), p.py(1), 2), "the other a quarter of it, 0.5 long");
        assertTrue(near(r.image(), FieldPlot.ARROW, p.px(-0.2), p.py(1), 1));
    }

    @Test
    void pathsPointsAndDiscsLandWhereTheirDataIs() {
        double[] t = new double[200], x = new double[200], y = new double[200];
        for (int i = 0; i < t.length; i++) {
            t[i] = 2 * Math.PI * i / 199;
            x[i] = 1.5 * Math.cos(t[i]);
            y[i] = 1.5 * Math.sin(t[i]);
        }
        x[25] = Double.NaN;   // a break at 45 degrees, not a failure
        Rendered r = new FieldPlot("paths", -2, 2, -1, 1).path("circle", 0, x, y).points("mark", 3, FieldPlot.Marker.DOT, new double[] {0.5}, new double[] {-0.5})
                .disc("disc", 2, -10, 0, 10).zeroLines().render();
        BufferedImage img = r.image();
        Rendered.Panel p = r.panel();
        assertTrue(near(img, BLUE, p.px(1.5), p.py(0), 2) && near(img, BLUE, p.px(0), p.py(1.5), 2) && near(img, BLUE, p.px(-1.5), p.py(0), 2));
        assertTrue(near(img, RED, p.px(0.5), p.py(-0.5), 1), "the point");
        // the disc's outline passes through 0; its light fill lies left of it, none right of it
        Color fill = new Color(Plots.PALETTE[2].getRed(), Plots.PALETTE[2].getGreen(), Plots.PALETTE[2].getBlue());
        assertTrue(LineChartTest.ink(img.getRGB((int) p.px(-0.8), (int) p.py(0.65)), fill) > 0.1, "filled inside");
        assertEquals(0xffffff, img.getRGB((int) p.px(0.8), (int) p.py(0.65)) & 0xffffff, "white outside");
        assertEquals(p.px(1) - p.px(0), p.py(0) - p.py(1), 1e-6, "equal units");
        var a = p.dataArea();
        assertTrue(p.px(-2) >= a.getMinX() - 1e-6 && p.px(2) <= a.getMaxX() + 1e-6 && p.py(-1) <= a.getMaxY() + 1e-6 && p.py(1) >= a.getMinY() - 1e-6,
                "the whole window is shown");
    }

    @Test
    void refusesWhatItCannotDraw() {
        assertThrows(IllegalArgumentException.class, () -> new FieldPlot("x", 1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new FieldPlot("x", 0, 1, 0, Double.NaN));
        FieldPlot f = new FieldPlot("x", 0, 1, 0, 1);
        assertThrows(IllegalArgumentException.class, () -> f.arrows("a", new double[1], new double[1], new double[2], new double[1], 1, true));
        assertThrows(IllegalArgumentException.class, () -> f.arrows("a", new double[1], new double[1], new double[1], new double[1], 0, true));
        assertThrows(IllegalArgumentException.class, () -> f.disc("d", 0, 0, 0, -1));
        assertThrows(IllegalArgumentException.class, () -> f.path("p", 0, new double[2], new double[3]));
    }
}
