package dev.sparring.viz;

import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleInsets;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import java.util.Locale;

/**
 * The house style of every chart, drawn by JFreeChart (docs/plotting.md): colours, fonts, axes with 1-2-5 ticks and
 * plain labels ("0.25", "1e-4"), the plot frame with light grid lines, and drawing into images. Nothing here opens a
 * window: {@code java.awt.headless=true} is set if unset.
 *
 * <p>Text needs a font. On a JVM that finds none (no fontconfig or font files: the JDK then throws
 * {@code java.lang.Error: Probable fatal error: No physical fonts found} at the first text), {@link #fonts()} says so
 * once on stderr and the charts leave out every text (titles, labels, ticks' labels, legends, headings) and fix their
 * tick steps instead of measuring labels, so that the lines and points are still drawn.
 */
final class Plots {
    static {   // first: before any AWT class asks
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

    static final Color[] PALETTE = {
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
            new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
            new Color(188, 189, 34), new Color(23, 190, 207)};
    static final Color GRID = new Color(225, 225, 225), INK = new Color(40, 40, 40), REFERENCE = new Color(90, 90, 90);
    static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 14), LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 12),
            TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 12), SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    static final Stroke DASHED = new BasicStroke(1.3f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {7f, 5f}, 0f);

    private static volatile Boolean fonts;

    private Plots() { }

    /** True when text can be drawn; probed once, with one warning on stderr when not. */
    static boolean fonts() {
        Boolean f = fonts;
        if (f != null) return f;
        synchronized (Plots.class) {
            if (fonts == null) fonts = probeFonts();
            return fonts;
        }
    }

    /** Tests: draw as on a machine without fonts (false), or as probed (null). */
    static void fontsForTest(Boolean usable) { fonts = usable; }

    private static boolean probeFonts() {
        Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            g.setFont(LABEL);
            g.drawString("0", 0, 1);
            return g.getFontMetrics().stringWidth("0") > 0;
        } catch (Error | RuntimeException e) { // the JDK's font setup fails with java.lang.Error, InternalError or an NPE
            System.err.println("sparring viz: no usable font (" + e + "); charts are drawn without text. "
                    + "Install fontconfig and a TrueType font (Debian/Ubuntu: apt-get install fontconfig fonts-dejavu-core).");
            return false;
        } finally {
            g.dispose();
        }
    }

    /** {@code s}, or null where there are no fonts (JFreeChart then draws no text). */
    static String text(String s) { return fonts() && s != null && !s.isEmpty() ? s : null; }

    // ------------------------------------------------------------------ axes, plot, chart

    /** A linear axis over [lo, hi] with about five ticks at a 1-2-5 step. */
    static NumberAxis linear(String label, double lo, double hi) { return linear(label, lo, hi, 5); }

    /** A linear axis over [lo, hi] with ticks at a 1-2-5 step of at least (hi - lo) / ticks. */
    static NumberAxis linear(String label, double lo, double hi, int ticks) {
        NumberAxis a = new NumberAxis(text(label)) {   // ticks a rounding error outside the range still count (-2 of [-2, 2])
            @Override
            protected double calculateLowestVisibleTickValue() { return Math.ceil(getLowerBound() / step() - 1e-9) * step(); }

            @Override
            protected double calculateHighestVisibleTickValue() { return Math.floor(getUpperBound() / step() + 1e-9) * step(); }

            @Override
            protected int calculateVisibleTickCount() {
                return (int) (Math.floor(getUpperBound() / step() + 1e-9) - Math.ceil(getLowerBound() / step() - 1e-9) + 1);
            }

            private double step() { return getTickUnit().getSize(); }
        };
        a.setRange(lo, hi);
        double step = niceStep((hi - lo) / ticks);
        a.setTickUnit(new NumberTickUnit(step, new TickFormat(step, false)), false, true);
        return style(a);
    }

    /** A log10 axis over [lo, hi] (lo &gt; 0) with a tick at each power of ten, thinned to about ten. */
    static LogAxis log(String label, double lo, double hi) {
        LogAxis a = new LogAxis(text(label)) {
            @Override
            public double calculateLog(double value) { return Math.log10(value); }   // exact at powers of ten: 1e-4 is -4
        };
        a.setSmallestValue(Double.MIN_NORMAL);
        a.setRange(lo, hi);
        int decades = (int) Math.ceil(Math.log10(hi) - 1e-9) - (int) Math.floor(Math.log10(lo) + 1e-9);
        a.setTickUnit(new NumberTickUnit(Math.max(1, (decades + 9) / 10)), false, true);
        a.setNumberFormatOverride(new TickFormat(1, true));
        a.setMinorTickMarksVisible(false);
        return style(a);
    }

    private static <A extends ValueAxis> A style(A a) {
        a.setLabelFont(LABEL);
        a.setLabelPaint(INK);
        a.setTickLabelFont(TICK);
        a.setTickLabelPaint(INK);
        a.setTickLabelsVisible(fonts());
        a.setTickMarkPaint(INK);
        a.setTickMarkInsideLength(0);
        a.setTickMarkOutsideLength(4);
        a.setAxisLineVisible(false);   // the plot's outline is the frame
        return a;
    }

    /** A plot with white background, light grid lines at the ticks and a dark frame; datasets are added by the caller. */
    static XYPlot plot(ValueAxis x, ValueAxis y) {
        XYPlot p = new XYPlot(null, x, y, null);
        p.setBackgroundPaint(Color.WHITE);
        p.setOutlinePaint(INK);
        p.setOutlineStroke(new BasicStroke(1f));
        p.setDomainGridlinePaint(GRID);
        p.setRangeGridlinePaint(GRID);
        p.setDomainGridlineStroke(new BasicStroke(1f));
        p.setRangeGridlineStroke(new BasicStroke(1f));
        p.setAxisOffset(RectangleInsets.ZERO_INSETS);
        p.setInsets(new RectangleInsets(4, 4, 4, 14));   // room for the last x tick's label
        p.setNoDataMessage(text("no data"));
        p.setNoDataMessageFont(LABEL);
        p.setNoDataMessagePaint(Color.GRAY);
        return p;
    }

    /** A chart of {@code plot} under a bold title (none without fonts), on white, antialiased, without a legend. */
    static JFreeChart chart(String title, XYPlot plot) {
        JFreeChart c = new JFreeChart(null, TITLE, plot, false);
        if (text(title) != null) c.setTitle(title(title, TITLE, INK, Double.MAX_VALUE));
        c.setBackgroundPaint(Color.WHITE);
        c.setAntiAlias(true);
        c.setTextAntiAlias(true);
        c.setPadding(new RectangleInsets(6, 2, 6, 2));
        return c;
    }

    /** One line of text, shrunk (down to 8 pt) until it fits {@code width} pixels. */
    static TextTitle title(String s, Font font, Color color, double width) {
        TextTitle t = new TextTitle(s, fit(s, font, width));
        t.setPaint(color);
        t.setPadding(new RectangleInsets(1, 0, 3, 0));
        t.setMaximumLinesToDisplay(1);
        return t;
    }

    /** {@code font}, smaller (down to 8 pt) until {@code s} fits {@code width} pixels. */
    static Font fit(String s, Font font, double width) {
        Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        try {
            Font f = font;
            while (g.getFontMetrics(f).stringWidth(s) > width && f.getSize2D() > 8) f = f.deriveFont(f.getSize2D() - 1);
            return f;
        } finally {
            g.dispose();
        }
    }

    // ------------------------------------------------------------------ drawing

    /** A white TYPE_INT_RGB image of the given size. */
    static BufferedImage blank(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.dispose();
        return img;
    }

    static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        return g;
    }

    /** Draws {@code chart} into {@code area} of g and says where its data went. */
    static Rendered.Panel draw(JFreeChart chart, Graphics2D g, Rectangle2D area) {
        ChartRenderingInfo info = new ChartRenderingInfo(null);   // no per-item entities: they cost memory, nobody clicks
        chart.draw(g, area, null, info);
        return new Rendered.Panel(chart.getXYPlot(), (Rectangle2D) info.getPlotInfo().getDataArea().clone());
    }

    /** A chart alone in an image of its own size. */
    static Rendered render(Chart chart, int width, int height) {
        BufferedImage img = blank(width, height);
        Graphics2D g = graphics(img);
        try {
            return new Rendered(img, java.util.List.of(chart.draw(g, new Rectangle2D.Double(0, 0, width, height))));
        } finally {
            g.dispose();
        }
    }

    // ------------------------------------------------------------------ ticks

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0) || !Double.isFinite(raw)) return 1;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / mag;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * mag;
    }

    /** A tick label: "0.25", "-2", "1500" (no grouping), "1e-4" for powers of ten on a log axis, "2.5e+07" for huge values. */
    static String tickLabel(double v, boolean log) {
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (log || a >= 1e5 || a < 1e-3) {
            int e = (int) Math.round(Math.log10(a));
            if (Math.abs(a - Math.pow(10, e)) < 1e-9 * a) {
                String sign = v < 0 ? "-" : "";
                if (e >= 0 && e <= 3) return sign + (long) Math.pow(10, e);
                if (e == -1) return sign + "0.1";
                if (e == -2) return sign + "0.01";
                return sign + "1e" + e;
            }
            return String.format(Locale.ROOT, "%.2g", v);
        }
        String s = String.format(Locale.ROOT, "%.6f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
        return s.equals("-0") ? "0" : s;
    }

    /** {@link #tickLabel} as the NumberFormat JFreeChart asks for; rounding residue below step * 1e-9 is 0. */
    private static final class TickFormat extends NumberFormat {
        private final double step;
        private final boolean log;

        TickFormat(double step, boolean log) {
            this.step = step;
            this.log = log;
        }

        @Override
        public StringBuffer format(double v, StringBuffer to, FieldPosition pos) {
            return to.append(tickLabel(!log && Math.abs(v) < step * 1e-9 ? 0 : v, log));
        }

        @Override
        public StringBuffer format(long v, StringBuffer to, FieldPosition pos) { return format((double) v, to, pos); }

        @Override
        public Number parse(String source, ParsePosition pos) { return null; }
    }
}
