package dev.sparring.viz;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.annotations.XYShapeAnnotation;
import org.jfree.chart.axis.AxisSpace;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.block.ColumnArrangement;
import org.jfree.chart.block.FlowArrangement;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.VectorRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.HorizontalAlignment;
import org.jfree.chart.ui.Layer;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.VerticalAlignment;
import org.jfree.data.xy.VectorSeries;
import org.jfree.data.xy.VectorSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;

/**
 * The plane with equal units on both axes, in layers: a vector field as arrows (a quiver plot), paths over it
 * (trajectories), marked points (equilibria, eigenvalues) and discs (stability regions), with optional dashed lines
 * through 0 (the axes of the complex plane). The window given is always shown whole; the shorter side is widened so
 * that a unit is as long on both axes, and a circle looks round.
 *
 * <pre>
 * new FieldPlot("v = (-y, x)", -2, 2, -2, 2).arrows("v", xs, ys, us, vs, 0.15, true)
 *         .path("simultaneous GD", 0, px, py).points("equilibrium", -1, FieldPlot.Marker.CROSS, new double[] {0}, new double[] {0})
 *         .write(Path.of("field.png"));
 * </pre>
 * Colours are indices into the house palette (0 blue, 1 orange, 2 green, 3 red, ...), or -1 for black. Layers with a
 * name appear in the legend below the plot; null leaves one out. Non-finite path points break the path.
 */
public final class FieldPlot implements Chart {
    /** How a point is marked. */
    public enum Marker {
        DOT, CROSS, RING, DIAMOND,
        /** A small filled disc (4 px), for hundreds of points. */
        SPECK;

        boolean filled() { return this == DOT || this == DIAMOND || this == SPECK; }
    }

    static final Color ARROW = new Color(120, 130, 150);
    /** Pixels for the tick labels left of and below the plot, and for an axis label beside them. */
    private static final int LEFT_AXIS = 44, BOTTOM_AXIS = 22, LABEL_ROOM = 18;

    private record Arrows(String name, double[] x, double[] y, double[] u, double[] v, double length, boolean directions) { }

    private record PathLayer(String name, double[] x, double[] y, Color color) { }

    private record Points(String name, double[] x, double[] y, Marker marker, Color color) { }

    private record Disc(String name, double cx, double cy, double r, Color color) { }

    private final String title;
    private final double xMin, xMax, yMin, yMax;
    private String xLabel, yLabel;
    private int width = 560, height = 560;
    private boolean zeroLines;
    private final List<Arrows> arrows = new ArrayList<>();
    private final List<PathLayer> paths = new ArrayList<>();
    private final List<Points> points = new ArrayList<>();
    private final List<Disc> discs = new ArrayList<>();

    /** A plot of the window [xMin, xMax] x [yMin, yMax] (finite, min &lt; max). */
    public FieldPlot(String title, double xMin, double xMax, double yMin, double yMax) {
        if (!(Double.isFinite(xMin) && Double.isFinite(xMax) && Double.isFinite(yMin) && Double.isFinite(yMax) && xMin < xMax && yMin < yMax)) {
            throw new IllegalArgumentException("FieldPlot: the window must be finite with min < max, got x [" + xMin + ", " + xMax + "], y ["
                    + yMin + ", " + yMax + "]");
        }
        this.title = title;
        this.xMin = xMin;
        this.xMax = xMax;
        this.yMin = yMin;
        this.yMax = yMax;
    }

    public FieldPlot labels(String x, String y) {
        this.xLabel = x;
        this.yLabel = y;
        return this;
    }

    /** Image size in pixels for {@link #render()} and {@link #write}. */
    public FieldPlot size(int w, int h) {
        if (w < 200 || h < 200) throw new IllegalArgumentException("FieldPlot.size: at least 200 x 200 pixels, got " + w + " x " + h);
        this.width = w;
        this.height = h;
        return this;
    }

    /** Dashed gray lines at x = 0 and y = 0, under everything else. */
    public FieldPlot zeroLines() {
        this.zeroLines = true;
        return this;
    }

    /**
     * The vectors (u, v) at the points (x, y), as arrows centred on their points. With {@code directionsOnly} every
     * arrow is {@code length} long (in data units) and shows the direction alone; otherwise the longest is
     * {@code length} long and the others in proportion. A zero or non-finite vector draws nothing.
     */
    public FieldPlot arrows(String name, double[] x, double[] y, double[] u, double[] v, double length, boolean directionsOnly) {
        if (x.length != y.length || x.length != u.length || x.length != v.length) {
            throw new IllegalArgumentException("FieldPlot.arrows: x, y, u, v must have one length, got " + x.length + ", " + y.length + ", "
                    + u.length + ", " + v.length);
        }
        if (!(length > 0)) throw new IllegalArgumentException("FieldPlot.arrows: length must be > 0, got " + length);
        arrows.add(new Arrows(name, x.clone(), y.clone(), u.clone(), v.clone(), length, directionsOnly));
        return this;
    }

    /** A path through (x[i], y[i]) in palette colour {@code color}. */
    public FieldPlot path(String name, int color, double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("FieldPlot.path '" + name + "': x has " + x.length + " points, y has " + y.length);
        paths.add(new PathLayer(name, x.clone(), y.clone(), color(color)));
        return this;
    }

    /** Points marked with {@code marker} in palette colour {@code color}; drawn over paths and arrows. */
    public FieldPlot points(String name, int color, Marker marker, double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("FieldPlot.points '" + name + "': x has " + x.length + " points, y has " + y.length);
        points.add(new Points(name, x.clone(), y.clone(), marker, color(color)));
        return this;
    }

    /** A disc of radius r about (cx, cy), lightly filled and outlined in palette colour {@code color}, under the rest. */
    public FieldPlot disc(String name, int color, double cx, double cy, double r) {
        if (!(r > 0) || !Double.isFinite(cx) || !Double.isFinite(cy) || Double.isInfinite(r)) {
            throw new IllegalArgumentException("FieldPlot.disc '" + name + "': need a finite centre and radius > 0, got (" + cx + ", " + cy + "), " + r);
        }
        discs.add(new Disc(name, cx, cy, r, color(color)));
        return this;
    }

    private static Color color(int index) { return index < 0 ? Plots.INK : Plots.PALETTE[index % Plots.PALETTE.length]; }

    @Override
    public Rendered render() { return Plots.render(this, width, height); }

    @Override
    public Rendered.Panel draw(Graphics2D g, Rectangle2D area) {
        // Equal units need the plot area's size, which titles and legend decide: lay out once off-screen, then draw.
        Graphics2D probe = Plots.blank(1, 1).createGraphics();
        Rectangle2D plotArea;
        try {
            plotArea = Plots.draw(chart(xMin, xMax, yMin, yMax), probe, area).dataArea();
        } finally {
            probe.dispose();
        }
        double w = plotArea.getWidth(), h = plotArea.getHeight();
        double perPixel = Math.max((xMax - xMin) / w, (yMax - yMin) / h);
        double cx = (xMin + xMax) / 2, cy = (yMin + yMax) / 2, hx = perPixel * w / 2, hy = perPixel * h / 2;
        return Plots.draw(chart(cx - hx, cx + hx, cy - hy, cy + hy), g, area);
    }

    private JFreeChart chart(double x0, double x1, double y0, double y1) {
        XYPlot plot = Plots.plot(Plots.linear(xLabel, x0, x1, 6), Plots.linear(yLabel, y0, y1, 6));
        plot.setNoDataMessage(null);
        // fixed room for the axes, so that the plot area does not depend on the tick labels of the widened window
        AxisSpace left = new AxisSpace(), bottom = new AxisSpace();
        left.setLeft(LEFT_AXIS + (Plots.text(yLabel) != null ? LABEL_ROOM : 0));
        bottom.setBottom(BOTTOM_AXIS + (Plots.text(xLabel) != null ? LABEL_ROOM : 0));
        plot.setFixedRangeAxisSpace(left);
        plot.setFixedDomainAxisSpace(bottom);
        if (zeroLines) {
            plot.addDomainMarker(new ValueMarker(0, Plots.REFERENCE, Plots.DASHED), Layer.BACKGROUND);
            plot.addRangeMarker(new ValueMarker(0, Plots.REFERENCE, Plots.DASHED), Layer.BACKGROUND);
        }
        int index = 0;
        // arrows first (under), then paths, then points on top
        VectorRenderer vr = new VectorRenderer();
        VectorSeriesCollection vectors = new VectorSeriesCollection();
        for (Arrows a : arrows) {
            VectorSeries s = new VectorSeries(a.name == null ? "arrows " + vectors.getSeriesCount() : a.name, false, true);
            double longest = 0;
            for (int i = 0; i < a.x.length; i++) {
                double n = Math.hypot(a.u[i], a.v[i]);
                if (Double.isFinite(n)) longest = Math.max(longest, n);
            }
            for (int i = 0; i < a.x.length; i++) {
                double n = Math.hypot(a.u[i], a.v[i]);
                if (!(n > 0) || !Double.isFinite(n) || !Double.isFinite(a.x[i]) || !Double.isFinite(a.y[i])) continue;
                double k = a.length / (a.directions ? n : longest), dx = a.u[i] * k, dy = a.v[i] * k;
                s.add(a.x[i] - dx / 2, a.y[i] - dy / 2, dx, dy);
            }
            vr.setSeriesPaint(vectors.getSeriesCount(), ARROW);
            vr.setSeriesStroke(vectors.getSeriesCount(), new BasicStroke(1.1f));
            vectors.addSeries(s);
        }
        plot.setDataset(index, vectors);
        plot.setRenderer(index++, vr);
        for (Disc d : discs) {
            Color fill = new Color(d.color.getRed(), d.color.getGreen(), d.color.getBlue(), 40);
            vr.addAnnotation(new XYShapeAnnotation(new Ellipse2D.Double(d.cx - d.r, d.cy - d.r, 2 * d.r, 2 * d.r), new BasicStroke(1.5f), d.color, fill),
                    Layer.BACKGROUND);
        }

        double sx = x1 - x0, sy = y1 - y0;
        XYSeriesCollection lines = new XYSeriesCollection();
        XYLineAndShapeRenderer lr = new XYLineAndShapeRenderer(true, false);
        for (PathLayer p : paths) {
            XYSeries s = new XYSeries(p.name == null ? "path " + lines.getSeriesCount() : p.name, false, true);
            for (int i = 0; i < p.x.length; i++) {
                if (!Double.isFinite(p.x[i]) || !Double.isFinite(p.y[i])) s.add(Double.NaN, Double.NaN, false);
                else s.add(clamp(p.x[i], x0, sx), clamp(p.y[i], y0, sy), false);   // far points held where Java2D still draws straight
            }
            lr.setSeriesPaint(lines.getSeriesCount(), p.color);
            lr.setSeriesStroke(lines.getSeriesCount(), new BasicStroke(1.8f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            lines.addSeries(s);
        }
        plot.setDataset(index, lines);
        plot.setRenderer(index++, lr);

        XYSeriesCollection marks = new XYSeriesCollection();
        XYLineAndShapeRenderer mr = new XYLineAndShapeRenderer(false, true);
        for (Points p : points) {
            XYSeries s = new XYSeries(p.name == null ? "points " + marks.getSeriesCount() : p.name, false, true);
            for (int i = 0; i < p.x.length; i++) {
                if (p.x[i] >= x0 && p.x[i] <= x1 && p.y[i] >= y0 && p.y[i] <= y1) s.add(p.x[i], p.y[i], false);
            }
            int k = marks.getSeriesCount();
            mr.setSeriesPaint(k, p.color);
            mr.setSeriesShape(k, shape(p.marker));
            mr.setSeriesShapesFilled(k, p.marker.filled());
            mr.setSeriesOutlinePaint(k, p.color);
            mr.setSeriesOutlineStroke(k, new BasicStroke(p.marker == Marker.SPECK ? 0.5f : 2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            marks.addSeries(s);
        }
        mr.setUseOutlinePaint(true);
        mr.setDrawOutlines(true);
        plot.setDataset(index, marks);
        plot.setRenderer(index, mr);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);

        JFreeChart chart = Plots.chart(title, plot);
        if (Plots.fonts() && hasLegend()) chart.addLegend(legend(plot));
        return chart;
    }

    /** x held within a thousand windows of the plot: the visible part of a path that runs off to 1e8 keeps its direction. */
    private static double clamp(double v, double lo, double span) { return Math.max(lo - 1e3 * span, Math.min(lo + 1e3 * span + span, v)); }

    static Shape shape(Marker m) {
        return switch (m) {
            case DOT -> new Ellipse2D.Double(-4, -4, 8, 8);
            case SPECK -> new Ellipse2D.Double(-2, -2, 4, 4);
            case RING -> new Ellipse2D.Double(-5, -5, 10, 10);
            case DIAMOND -> {
                Path2D.Double d = new Path2D.Double();
                d.moveTo(0, -6);
                d.lineTo(6, 0);
                d.lineTo(0, 6);
                d.lineTo(-6, 0);
                d.closePath();
                yield d;
            }
            case CROSS -> {
                Path2D.Double c = new Path2D.Double();
                c.moveTo(-5, -5);
                c.lineTo(5, 5);
                c.moveTo(-5, 5);
                c.lineTo(5, -5);
                yield c;
            }
        };
    }

    private boolean hasLegend() {
        return arrows.stream().anyMatch(a -> a.name != null) || paths.stream().anyMatch(p -> p.name != null)
                || points.stream().anyMatch(p -> p.name != null) || discs.stream().anyMatch(d -> d.name != null);
    }

    /** Discs, arrows, paths, points, left to right in rows below the plot. */
    private LegendTitle legend(XYPlot plot) {
        LegendItemCollection items = new LegendItemCollection();
        Line2D swatch = new Line2D.Double(-12, 0, 12, 0);
        for (Disc d : discs) {
            if (d.name == null) continue;
            LegendItem item = new LegendItem(d.name, null, null, null, new Rectangle2D.Double(-7, -5, 14, 10),
                    new Color(d.color.getRed(), d.color.getGreen(), d.color.getBlue(), 40), new BasicStroke(1.5f), d.color);
            items.add(item);
        }
        for (Arrows a : arrows) if (a.name != null) items.add(new LegendItem(a.name, null, null, null, swatch, new BasicStroke(1.5f), ARROW));
        for (PathLayer p : paths) if (p.name != null) items.add(new LegendItem(p.name, null, null, null, swatch, new BasicStroke(2f), p.color));
        for (Points p : points) {
            if (p.name == null) continue;
            boolean filled = p.marker.filled();
            items.add(new LegendItem(p.name, null, null, null, true, shape(p.marker), filled, p.color, true, p.color,
                    new BasicStroke(2f), false, swatch, new BasicStroke(1f), p.color));
        }
        plot.setFixedLegendItems(items);
        LegendTitle legend = new LegendTitle(plot, new FlowArrangement(HorizontalAlignment.LEFT, VerticalAlignment.CENTER, 14, 2),
                new ColumnArrangement());
        legend.setPosition(RectangleEdge.BOTTOM);
        legend.setHorizontalAlignment(HorizontalAlignment.LEFT);
        legend.setItemFont(Plots.SMALL);
        legend.setItemPaint(Plots.INK);
        legend.setFrame(BlockBorder.NONE);
        legend.setBackgroundPaint(null);
        legend.setMargin(new RectangleInsets(6, 4, 0, 4));
        return legend;
    }
}
