package dev.sparring.viz;

import org.jfree.chart.plot.XYPlot;

import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Charts drawn into an image, with where each panel's data went: a point (x, y) of panel k is at pixel
 * {@code (panels().get(k).px(x), panels().get(k).py(y))}. Tests read pixels there; overlays could draw there.
 */
public record Rendered(BufferedImage image, List<Panel> panels) {
    public Rendered {
        panels = List.copyOf(panels);
    }

    /** The first (for a single chart: the only) panel. */
    public Panel panel() { return panels.getFirst(); }

    /** One chart's plot and the rectangle of the image its data area took. */
    public record Panel(XYPlot plot, Rectangle2D dataArea) {
        /** The pixel column of data x. */
        public double px(double x) { return plot.getDomainAxis().valueToJava2D(x, dataArea, plot.getDomainAxisEdge()); }

        /** The pixel row of data y (rows grow downwards). */
        public double py(double y) { return plot.getRangeAxis().valueToJava2D(y, dataArea, plot.getRangeAxisEdge()); }
    }
}
