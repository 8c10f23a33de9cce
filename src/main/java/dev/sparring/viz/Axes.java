package dev.sparring.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Line2D;
import java.util.Locale;

/**
 * What the plots in this package share: the mapping from data to pixels, "nice" ticks (1, 2, 5 times a power
 * of ten), the frame with grid lines and tick labels, and text drawing that survives a machine without fonts.
 */
final class Axes {
    static final Color GRID = new Color(225, 225, 225);
    static final Color INK = new Color(40, 40, 40);

    /** Set once text drawing has failed (no usable font); later plots skip text instead of failing again. */
    private static volatile boolean noFonts;

    private Axes() { }

    /** The plot area in pixels (left, top, width, height) and the data limits it shows. */
    record Frame(int left, int top, int width, int height, double xMin, double xMax, double yMin, double yMax) {
        /** Pixel x (continuous: pixel i covers [i, i + 1)) of data x. */
        double px(double x) { return left + (x - xMin) / (xMax - xMin) * width; }

        /** Pixel y of data y; y grows upwards in data and downwards in pixels. */
        double py(double y) { return top + height - (y - yMin) / (yMax - yMin) * height; }

        boolean inside(double x, double y) { return x >= xMin && x <= xMax && y >= yMin && y <= yMax; }
    }

    /** Tick step near (max - min) / target, rounded to 1, 2 or 5 times a power of ten. */
    static double tickStep(double min, double max, int target) {
        double raw = (max - min) / Math.max(1, target);
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
    }

    /** The multiples of {@code step} in [min, max]. */
    static double[] ticks(double min, double max, double step) {
        long first = (long) Math.ceil(min / step - 1e-9), last = (long) Math.floor(max / step + 1e-9);
        int n = (int) Math.max(0, Math.min(100, last - first + 1));
        double[] t = new double[n];
        for (int i = 0; i < n; i++) t[i] = (first + i) * step;
        return t;
    }

    /** A tick label with as many decimals as the step needs ("0.25", "-2", "1e+04" for huge values). */
    static String label(double v, double step) {
        if (Math.abs(v) < step * 1e-6) v = 0; // -0.0 and rounding noise
        double a = Math.max(Math.abs(v), step);
        if (a >= 1e6 || a < 1e-4) return String.format(Locale.ROOT, "%.2g", v);
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    static void antialias(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
    }

    /** Grid lines at the ticks, the frame, and the tick labels below and left of it. */
    static void drawFrame(Graphics2D g, Frame f) {
        double xs = tickStep(f.xMin, f.xMax, 6), ys = tickStep(f.yMin, f.yMax, 6);
        double[] xt = ticks(f.xMin, f.xMax, xs), yt = ticks(f.yMin, f.yMax, ys);
        g.setStroke(new BasicStroke(1f));
        g.setColor(GRID);
        for (double x : xt) g.draw(new Line2D.Double(f.px(x), f.top, f.px(x), f.top + f.height));
        for (double y : yt) g.draw(new Line2D.Double(f.left, f.py(y), f.left + f.width, f.py(y)));
        g.setColor(INK);
        g.drawRect(f.left, f.top, f.width, f.height);
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        for (double x : xt) {
            g.draw(new Line2D.Double(f.px(x), f.top + f.height, f.px(x), f.top + f.height + 4));
            text(g, label(x, xs), small, (float) f.px(x), f.top + f.height + 17, 0.5f);
        }
        for (double y : yt) {
            g.draw(new Line2D.Double(f.left - 4, f.py(y), f.left, f.py(y)));
            text(g, label(y, ys), small, f.left - 7, (float) f.py(y) + 4, 1f);
        }
    }

    /**
     * Draws {@code s} with its baseline at y, anchored at x by {@code align} (0 left, 0.5 centre, 1 right). On a
     * JVM with no usable font (no fontconfig or font files: text rendering then throws from inside the JDK)
     * the text is skipped and a single warning goes to stderr, so that a plot without labels is still written.
     */
    static void text(Graphics2D g, String s, Font font, float x, float y, float align) {
        text(g, s, font, x, y, align, Float.MAX_VALUE);
    }

    /** Like {@link #text(Graphics2D, String, Font, float, float, float)}, shrinking the font (down to 8 pt) to fit maxWidth. */
    static void text(Graphics2D g, String s, Font font, float x, float y, float align, float maxWidth) {
        if (noFonts || s.isEmpty()) return;
        try {
            g.setFont(font);
            FontMetrics fm = g.getFontMetrics();
            while (fm.stringWidth(s) > maxWidth && g.getFont().getSize2D() > 8) {
                g.setFont(g.getFont().deriveFont(g.getFont().getSize2D() - 1));
                fm = g.getFontMetrics();
            }
            g.drawString(s, x - align * fm.stringWidth(s), y);
        } catch (RuntimeException | InternalError | LinkageError e) {
            noFonts = true;
            System.err.println("sparring viz: no usable font (" + e + "); plots are drawn without text. "
                    + "Install fontconfig and a TrueType font (Debian/Ubuntu: apt-get install fontconfig fonts-dejavu-core).");
        }
    }
}
