package dev.sparring.viz;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisSpace;
import org.jfree.chart.plot.DatasetRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A scatter plot of 2-D points (a generator's samples on a toy mixture) with optional marker crosses (the
 * mixture's centres). Points are small translucent blue discs, so dense regions read darker; centres are red
 * crosses drawn on top. The title (the step and the mode coverage) is shrunk to fit the width.
 *
 * <p>Axis limits are either automatic (the points and centres with a 5% margin, widened so that one unit is as
 * long on both axes: a ring of Gaussians looks like a ring) or fixed with {@link Options#fixed}, which keeps
 * frames of a training run comparable. Points outside fixed limits and non-finite points (NaN from a diverged
 * run) are not drawn; a red line under the title says how many there were.
 */
public final class ScatterPlot implements Chart {
    static final Color POINT = new Color(31, 119, 180, 140);
    static final Color CENTER = new Color(214, 39, 40);
    /** Pixels for the tick labels left of and below the plot: fixed, so that the plot area does not depend on the limits. */
    private static final int LEFT_AXIS = 44, BOTTOM_AXIS = 22;

    /**
     * Image size and axis limits: all four limits NaN for automatic ones, or all finite with min < max.
     */
    public record Options(int width, int height, double xMin, double xMax, double yMin, double yMax) {
        public Options {
            if (width < 120 || height < 120) throw new IllegalArgumentException("ScatterPlot.Options: the image must be at least 120 x 120 pixels, got " + width + " x " + height);
            boolean auto = Double.isNaN(xMin) && Double.isNaN(xMax) && Double.isNaN(yMin) && Double.isNaN(yMax);
            boolean fixed = Double.isFinite(xMin) && Double.isFinite(xMax) && Double.isFinite(yMin) && Double.isFinite(yMax)
                    && xMin < xMax && yMin < yMax;
            if (!auto && !fixed) {
                throw new IllegalArgumentException("ScatterPlot.Options: limits must be all NaN (automatic) or finite with min < max, got x ["
                        + xMin + ", " + xMax + "], y [" + yMin + ", " + yMax + "]");
            }
        }

        /** Automatic limits at 512 x 512. */
        public static Options auto() { return new Options(512, 512, Double.NaN, Double.NaN, Double.NaN, Double.NaN); }

        /** Fixed limits at 512 x 512. */
        public static Options fixed(double xMin, double xMax, double yMin, double yMax) {
            return new Options(512, 512, xMin, xMax, yMin, yMax);
        }

        public Options withSize(int width, int height) { return new Options(width, height, xMin, xMax, yMin, yMax); }

        public boolean isAuto() { return Double.isNaN(xMin); }
    }

    private final float[] points;        // (n, 2)
    private final int n;
    private final double[][] centers;    // (K, 2) or null
    private final String title;
    private final Options options;

    /**
     * @param points  (N, 2) x, y pairs; may hold more than n points (the first n are copied)
     * @param centers (K, 2) marker positions, or null for none
     * @param title   drawn above the plot; may be null
     */
    public ScatterPlot(float[] points, int n, double[][] centers, String title, Options options) {
        if (n < 0 || (long) 2 * n > points.length) {
            throw new IllegalArgumentException("ScatterPlot: " + n + " points need " + 2L * n + " floats (N, 2), the array has " + points.length);
        }
        if (centers != null) {
            for (int k = 0; k < centers.length; k++) {
                if (centers[k] == null || centers[k].length != 2) throw new IllegalArgumentException("ScatterPlot: centers[" + k + "] must be an {x, y} pair");
            }
        }
        this.points = java.util.Arrays.copyOf(points, 2 * n);
        this.n = n;
        this.centers = centers == null ? null : java.util.Arrays.stream(centers).map(double[]::clone).toArray(double[][]::new);
        this.title = title;
        this.options = options;
    }

    /** Writes the plot with automatic limits, 512 x 512. {@code points} is (N, 2) as x0, y0, x1, y1, ... */
    public static void write(Path png, float[] points, int n, double[][] centers, String title) throws IOException {
        write(png, points, n, centers, title, Options.auto());
    }

    /** Writes the plot (atomically, see {@link Png#writeAtomic}). */
    public static void write(Path png, float[] points, int n, double[][] centers, String title, Options options) throws IOException {
        new ScatterPlot(points, n, centers, title, options).write(png);
    }

    @Override
    public Rendered render() { return Plots.render(this, options.width(), options.height()); }

    @Override
    public Rendered.Panel draw(Graphics2D g, Rectangle2D area) {
        if (!options.isAuto()) return Plots.draw(chart(options.xMin(), options.xMax(), options.yMin(), options.yMax(), area), g, area);
        // Equal units need the plot area's size, which the titles decide: lay out once off-screen, then draw.
        double[] box = bounds();
        Graphics2D probe = Plots.blank(1, 1).createGraphics();
        Rectangle2D plotArea;
        try {
            plotArea = Plots.draw(chart(box[0], box[1], box[2], box[3], area), probe, area).dataArea();
        } finally {
            probe.dispose();
        }
        double w = plotArea.getWidth(), h = plotArea.getHeight();
        double cx = (box[0] + box[1]) / 2, cy = (box[2] + box[3]) / 2;
        // data per pixel is the larger of the two, then 5% margin on each side
        double perPixel = Math.max((box[1] - box[0]) / w, (box[3] - box[2]) / h) * 1.1;
        double hx = perPixel * w / 2, hy = perPixel * h / 2;
        return Plots.draw(chart(cx - hx, cx + hx, cy - hy, cy + hy, area), g, area);
    }

    /** The finite points' and centres' bounding box {x lo, x hi, y lo, y hi}, at least 1e-9 wide; +-1 around a single location. */
    private double[] bounds() {
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            double x = points[2 * i], y = points[2 * i + 1];
            if (!Double.isFinite(x) || !Double.isFinite(y)) continue;
            x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
        if (centers != null) {
            for (double[] c : centers) {
                if (!Double.isFinite(c[0]) || !Double.isFinite(c[1])) continue;
                x0 = Math.min(x0, c[0]); x1 = Math.max(x1, c[0]); y0 = Math.min(y0, c[1]); y1 = Math.max(y1, c[1]);
            }
        }
        if (x0 > x1) return new double[] {-1, 1, -1, 1};                                            // nothing finite to show
        double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
        if (x1 - x0 < 1e-12 && y1 - y0 < 1e-12) return new double[] {cx - 1, cx + 1, cy - 1, cy + 1}; // one location
        double hx = Math.max(x1 - x0, 1e-9) / 2, hy = Math.max(y1 - y0, 1e-9) / 2;
        return new double[] {cx - hx, cx + hx, cy - hy, cy + hy};
    }

    private JFreeChart chart(double xMin, double xMax, double yMin, double yMax, Rectangle2D area) {
        XYPlot plot = Plots.plot(Plots.linear(null, xMin, xMax, 6), Plots.linear(null, yMin, yMax, 6));
        AxisSpace left = new AxisSpace(), bottom = new AxisSpace();
        left.setLeft(LEFT_AXIS);
        bottom.setBottom(BOTTOM_AXIS);
        plot.setFixedRangeAxisSpace(left);
        plot.setFixedDomainAxisSpace(bottom);
        plot.setNoDataMessage(null);

        XYSeries shown = new XYSeries("points", false, true), marks = new XYSeries("centers", false, true);
        for (int i = 0; i < n; i++) {
            double x = points[2 * i], y = points[2 * i + 1];
            if (x >= xMin && x <= xMax && y >= yMin && y <= yMax) shown.add(x, y, false);   // also false for NaN
        }
        if (centers != null) {
            for (double[] c : centers) {
                if (Double.isFinite(c[0]) && Double.isFinite(c[1]) && c[0] >= xMin && c[0] <= xMax && c[1] >= yMin && c[1] <= yMax) marks.add(c[0], c[1], false);
            }
        }
        XYLineAndShapeRenderer dots = new XYLineAndShapeRenderer(false, true);
        dots.setSeriesPaint(0, POINT);
        dots.setSeriesShape(0, new Ellipse2D.Double(-1.5, -1.5, 3, 3));
        dots.setDrawOutlines(false);
        XYLineAndShapeRenderer crosses = new XYLineAndShapeRenderer(false, true);
        Path2D.Double cross = new Path2D.Double();
        cross.moveTo(-5, -5);
        cross.lineTo(5, 5);
        cross.moveTo(-5, 5);
        cross.lineTo(5, -5);
        crosses.setSeriesPaint(0, CENTER);
        crosses.setSeriesShape(0, cross);
        crosses.setSeriesShapesFilled(0, false);
        crosses.setDrawOutlines(true);
        crosses.setSeriesOutlineStroke(0, new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        plot.setDataset(0, new XYSeriesCollection(shown));
        plot.setRenderer(0, dots);
        plot.setDataset(1, new XYSeriesCollection(marks));
        plot.setRenderer(1, crosses);
        plot.setDatasetRenderingOrder(DatasetRenderingOrder.FORWARD);   // the centres on top

        JFreeChart chart = Plots.chart(null, plot);
        double room = area.getWidth() - 8;
        if (Plots.text(title) != null) chart.setTitle(Plots.title(title, new Font(Font.SANS_SERIF, Font.BOLD, 13), Plots.INK, room));
        String note = note(xMin, xMax, yMin, yMax);
        if (Plots.text(note) != null) chart.addSubtitle(Plots.title(note, Plots.SMALL, CENTER, room));
        return chart;
    }

    /** The red line under the title: how many points fall outside these limits or are not finite ("" when none). */
    String note(double xMin, double xMax, double yMin, double yMax) {
        int outside = 0, nonFinite = 0;
        for (int i = 0; i < n; i++) {
            double x = points[2 * i], y = points[2 * i + 1];
            if (!Double.isFinite(x) || !Double.isFinite(y)) nonFinite++;
            else if (x < xMin || x > xMax || y < yMin || y > yMax) outside++;
        }
        StringBuilder note = new StringBuilder();
        if (outside > 0) note.append(outside).append(" of ").append(n).append(" points outside the axes");
        if (outside > 0 && nonFinite > 0) note.append(", ");
        if (nonFinite > 0) note.append(nonFinite).append(" of ").append(n).append(" points not finite");
        return note.toString();
    }
}
