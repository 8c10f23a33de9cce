package dev.sparring.viz;

import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.block.ColumnArrangement;
import org.jfree.chart.block.FlowArrangement;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.HorizontalAlignment;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.chart.ui.VerticalAlignment;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;

/**
 * A line chart: named series of (x, y) points, horizontal dashed reference lines (equilibrium values), vertical
 * dashed markers with a label at their top, axis labels, a title, an optional logarithmic x axis, and a legend
 * below the plot, where it cannot cover the data (series, then reference lines).
 *
 * <pre>
 * new LineChart("losses").xLabel("step").yLabel("loss")
 *         .series("L_D", steps, lossD).series("L_G", steps, lossG)
 *         .reference("L_D* = 2 ln 2", 1.386, 0)     // dashed, in the colour of series 0
 *         .write(Path.of("losses.png"));
 * </pre>
 * Non-finite points (and x &lt;= 0 on a log axis) break a line instead of being drawn. A series with more than four
 * points per pixel column keeps, per column, its first, lowest, highest and last point: 10^6 steps draw as fast as
 * 10^3 and look the same. Points far outside a fixed y range are held a million ranges out, so the visible part of
 * a line keeps its slope.
 */
public final class LineChart implements Chart {
    private record Series(String name, double[] x, double[] y, Color color) { }

    private record Reference(String label, double y, Color color) { }

    private record Marker(String label, double x) { }

    private final String title;
    private String xLabel = "", yLabel = "";
    private boolean logX;
    private double yMin = Double.NaN, yMax = Double.NaN;
    private int width = 900, height = 560;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();

    public LineChart(String title) { this.title = title == null ? "" : title; }

    public LineChart xLabel(String label) {
        this.xLabel = label;
        return this;
    }

    public LineChart yLabel(String label) {
        this.yLabel = label;
        return this;
    }

    /** Logarithmic x axis (points with x &lt;= 0 are skipped). */
    public LineChart logX(boolean on) {
        this.logX = on;
        return this;
    }

    /** Fixes the y range (otherwise: all finite points and reference lines, padded). */
    public LineChart yRange(double lo, double hi) {
        if (!(hi > lo)) throw new IllegalArgumentException("LineChart.yRange: need lo < hi, got " + lo + ", " + hi);
        this.yMin = lo;
        this.yMax = hi;
        return this;
    }

    /** Image size in pixels for {@link #write} and {@link #render()}. */
    public LineChart size(int w, int h) {
        if (w < 200 || h < 150) throw new IllegalArgumentException("LineChart.size: at least 200 x 150 pixels, got " + w + " x " + h);
        this.width = w;
        this.height = h;
        return this;
    }

    /** Adds a series; x and y are copied and must have the same length. Colours follow the order of addition. */
    public LineChart series(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("LineChart.series '" + name + "': x has " + x.length + " points, y has " + y.length);
        }
        series.add(new Series(name, x.clone(), y.clone(), Plots.PALETTE[series.size() % Plots.PALETTE.length]));
        return this;
    }

    /** Adds a series with x = 0, 1, 2, ... (e.g. one value per training step). */
    public LineChart series(String name, double[] y) {
        double[] x = new double[y.length];
        for (int i = 0; i < x.length; i++) x[i] = i;
        return series(name, x, y);
    }

    /** A horizontal dashed reference line in gray, named in the legend. A non-finite y is ignored (nothing to draw). */
    public LineChart reference(String label, double y) {
        if (Double.isFinite(y)) references.add(new Reference(label, y, Plots.REFERENCE));
        return this;
    }

    /** A horizontal dashed reference line in the colour of series {@code seriesIndex} (added so far or later). */
    public LineChart reference(String label, double y, int seriesIndex) {
        if (Double.isFinite(y)) references.add(new Reference(label, y, Plots.PALETTE[seriesIndex % Plots.PALETTE.length]));
        return this;
    }

    /** A vertical dashed line in gray at x, labelled at its top. A non-finite x is ignored. */
    public LineChart marker(String label, double x) {
        if (Double.isFinite(x)) markers.add(new Marker(label, x));
        return this;
    }

    @Override
    public Rendered render() { return Plots.render(this, width, height); }

    @Override
    public Rendered.Panel draw(Graphics2D g, Rectangle2D area) {
        double[] r = ranges();
        double xlo = r[0], xhi = r[1], ylo = r[2], yhi = r[3];
        ValueAxis xAxis = logX ? Plots.log(xLabel, xlo, xhi) : Plots.linear(xLabel, xlo, xhi);
        XYPlot plot = Plots.plot(xAxis, Plots.linear(yLabel, ylo, yhi));

        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, false);
        double span = yhi - ylo, clampLo = ylo - 1e6 * span, clampHi = yhi + 1e6 * span;
        int columns = (int) Math.max(1, area.getWidth());
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            data.addSeries(points(s, xlo, xhi, columns, clampLo, clampHi));
            lines.setSeriesPaint(k, s.color);
            lines.setSeriesStroke(k, new BasicStroke(1.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        }
        if (!empty()) plot.setDataset(data);
        plot.setRenderer(lines);
        for (Reference ref : references) plot.addRangeMarker(line(ref.y, ref.color));
        for (Marker m : markers) {
            if (!usable(m.x)) continue;
            ValueMarker v = line(m.x, Plots.REFERENCE);
            if (Plots.text(m.label) != null) {
                double at = logX ? Math.log10(m.x / xlo) / Math.log10(xhi / xlo) : (m.x - xlo) / (xhi - xlo);
                boolean leftOfLine = at > 0.75;   // near the right edge the label goes left of the line
                v.setLabel(m.label);
                v.setLabelFont(Plots.LABEL);
                v.setLabelPaint(Plots.REFERENCE);
                v.setLabelBackgroundColor(new Color(255, 255, 255, 0));
                v.setLabelAnchor(leftOfLine ? RectangleAnchor.TOP_LEFT : RectangleAnchor.TOP_RIGHT);
                v.setLabelTextAnchor(leftOfLine ? TextAnchor.TOP_RIGHT : TextAnchor.TOP_LEFT);
                v.setLabelOffset(new RectangleInsets(3, 4, 3, 4));
            }
            plot.addDomainMarker(v);
        }

        JFreeChart chart = Plots.chart(title, plot);
        if (Plots.fonts() && (!series.isEmpty() || !references.isEmpty())) chart.addLegend(legend(plot));
        return Plots.draw(chart, g, area);
    }

    /** Dashed, under the data. */
    private static ValueMarker line(double at, Color color) {
        ValueMarker m = new ValueMarker(at, color, Plots.DASHED);
        m.setLabelBackgroundColor(new Color(255, 255, 255, 0));
        return m;
    }

    /** The series (solid) and reference lines (dashed), left to right in rows below the plot. */
    private LegendTitle legend(XYPlot plot) {
        LegendItemCollection items = new LegendItemCollection();
        Line2D swatch = new Line2D.Double(-12, 0, 12, 0);
        for (Series s : series) items.add(new LegendItem(s.name, null, null, null, swatch, new BasicStroke(2f), s.color));
        for (Reference r : references) items.add(new LegendItem(r.label, null, null, null, swatch, Plots.DASHED, r.color));
        plot.setFixedLegendItems(items);
        LegendTitle legend = new LegendTitle(plot, new FlowArrangement(HorizontalAlignment.LEFT, VerticalAlignment.CENTER, 16, 2),
                new ColumnArrangement());
        legend.setPosition(RectangleEdge.BOTTOM);
        legend.setHorizontalAlignment(HorizontalAlignment.LEFT);
        legend.setItemFont(Plots.LABEL);
        legend.setItemPaint(Plots.INK);
        legend.setFrame(BlockBorder.NONE);
        legend.setBackgroundPaint(null);
        legend.setMargin(new RectangleInsets(6, 4, 0, 4));
        return legend;
    }

    private boolean usable(double x) { return Double.isFinite(x) && (!logX || x > 0); }

    private boolean empty() {
        for (Series s : series) for (int i = 0; i < s.x.length; i++) if (usable(s.x[i]) && Double.isFinite(s.y[i])) return false;
        return true;
    }

    /**
     * The axes' limits {x lo, x hi, y lo, y hi}: x over the usable points, y over them and the reference lines,
     * padded 5% (unless fixed by {@link #yRange}); a single value or no data gets a range around it.
     */
    private double[] ranges() {
        double xlo = Double.POSITIVE_INFINITY, xhi = Double.NEGATIVE_INFINITY;
        double ylo = Double.POSITIVE_INFINITY, yhi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x.length; i++) {
                if (!usable(s.x[i]) || !Double.isFinite(s.y[i])) continue;
                xlo = Math.min(xlo, s.x[i]);
                xhi = Math.max(xhi, s.x[i]);
                ylo = Math.min(ylo, s.y[i]);
                yhi = Math.max(yhi, s.y[i]);
            }
        }
        for (Reference r : references) {
            ylo = Math.min(ylo, r.y);
            yhi = Math.max(yhi, r.y);
        }
        if (!Double.isNaN(yMin)) {
            ylo = yMin;
            yhi = yMax;
        }
        if (xlo > xhi) {
            xlo = logX ? 1 : 0;
            xhi = logX ? 10 : 1;
        }
        if (!(ylo <= yhi)) {
            ylo = 0;
            yhi = 1;
        }
        if (xhi == xlo) {
            xlo = logX ? xlo / 10 : xlo - 1;
            xhi = logX ? xhi * 10 : xhi + 1;
        }
        if (yhi == ylo) {
            double pad = Math.abs(ylo) > 0 ? Math.abs(ylo) * 0.1 : 1;
            ylo -= pad;
            yhi += pad;
        }
        if (Double.isNaN(yMin)) {
            double pad = 0.05 * (yhi - ylo);
            if (Double.isFinite(pad)) {
                ylo -= pad;
                yhi += pad;
            }
        }
        if (!Double.isFinite(yhi - ylo)) {   // beyond float64 (+-1e308): half the range each side
            ylo /= 2;
            yhi /= 2;
        }
        return new double[] {xlo, xhi, ylo, yhi};
    }

    /**
     * The series as JFreeChart draws it: a (NaN, NaN) point where the line breaks, y held within [clampLo, clampHi],
     * and beyond four points per pixel column only each column's first, lowest, highest and last point, in order.
     */
    private XYSeries points(Series s, double xlo, double xhi, int columns, double clampLo, double clampHi) {
        XYSeries out = new XYSeries(s.name, false, true);
        int n = s.x.length;
        boolean thin = n > 4 * columns;
        double a = logX ? Math.log10(xlo) : xlo, perColumn = ((logX ? Math.log10(xhi) : xhi) - a) / columns;
        long col = Long.MIN_VALUE;
        int first = -1, lowest = -1, highest = -1, last = -1;
        for (int i = 0; i < n; i++) {
            if (!usable(s.x[i]) || !Double.isFinite(s.y[i])) {
                if (col != Long.MIN_VALUE) flush(out, s, first, lowest, highest, last, clampLo, clampHi);
                col = Long.MIN_VALUE;
                out.add(Double.NaN, Double.NaN, false);
                continue;
            }
            if (!thin) {
                out.add(s.x[i], Math.max(clampLo, Math.min(clampHi, s.y[i])), false);
                continue;
            }
            long c = (long) Math.floor(((logX ? Math.log10(s.x[i]) : s.x[i]) - a) / perColumn);
            if (c != col) {
                if (col != Long.MIN_VALUE) flush(out, s, first, lowest, highest, last, clampLo, clampHi);
                col = c;
                first = lowest = highest = last = i;
                out.add(s.x[i], Math.max(clampLo, Math.min(clampHi, s.y[i])), false);
            } else {
                if (s.y[i] < s.y[lowest]) lowest = i;
                if (s.y[i] > s.y[highest]) highest = i;
                last = i;
            }
        }
        if (col != Long.MIN_VALUE) flush(out, s, first, lowest, highest, last, clampLo, clampHi);
        return out;
    }

    /** A column's lowest, highest and last point after its first, in the order they came. */
    private static void flush(XYSeries out, Series s, int first, int lowest, int highest, int last, double clampLo, double clampHi) {
        int[] idx = {lowest, highest, last};
        java.util.Arrays.sort(idx);
        int prev = first;
        for (int i : idx) {
            if (i == prev) continue;
            out.add(s.x[i], Math.max(clampLo, Math.min(clampHi, s.y[i])), false);
            prev = i;
        }
    }
}
