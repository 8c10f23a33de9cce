package dev.sparring.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A scatter plot of 2-D points (a generator's samples on a toy mixture) with optional marker crosses (the
 * mixture's centres), as a PNG. Points are small translucent blue discs, so dense regions read darker; centres
 * are red crosses drawn on top.
 *
 * <p>Axis limits are either automatic (the points and centres with a 5% margin, widened so that one unit is as
 * long on both axes: a ring of Gaussians looks like a ring) or fixed with {@link Options#fixed}, which keeps
 * frames of a training run comparable. Points outside fixed limits and non-finite points (NaN from a diverged
 * run) are not drawn; a red line under the title says how many there were.
 */
public final class ScatterPlot {
    static final Color POINT = new Color(31, 119, 180, 140);
    static final Color CENTER = new Color(214, 39, 40);
    static final int MARGIN_LEFT = 60, MARGIN_RIGHT = 20, MARGIN_TOP = 40, MARGIN_BOTTOM = 40;

    private ScatterPlot() { }

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

    /** Writes the plot with automatic limits, 512 x 512. {@code points} is (N, 2) as x0, y0, x1, y1, ... */
    public static void write(Path png, float[] points, int n, double[][] centers, String title) throws IOException {
        write(png, points, n, centers, title, Options.auto());
    }

    /**
     * Writes the plot (atomically, see {@link Png#writeAtomic}).
     *
     * @param points  (N, 2) x, y pairs; may hold more than n points
     * @param centers (K, 2) marker positions, or null for none
     * @param title   drawn above the plot; may be null
     */
    public static void write(Path png, float[] points, int n, double[][] centers, String title, Options options) throws IOException {
        Png.writeAtomic(render(points, n, centers, title, options), png);
    }

    /** The plot as a TYPE_INT_RGB image. */
    public static BufferedImage render(float[] points, int n, double[][] centers, String title, Options options) {
        if (n < 0 || (long) 2 * n > points.length) {
            throw new IllegalArgumentException("ScatterPlot: " + n + " points need " + 2L * n + " floats (N, 2), the array has " + points.length);
        }
        if (centers != null) {
            for (int k = 0; k < centers.length; k++) {
                if (centers[k] == null || centers[k].length != 2) throw new IllegalArgumentException("ScatterPlot: centers[" + k + "] must be an {x, y} pair");
            }
        }
        Axes.Frame f = frame(points, n, centers, options);

        BufferedImage img = new BufferedImage(options.width(), options.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            Axes.antialias(g);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, options.width(), options.height());
            Axes.drawFrame(g, f);

            int outside = 0, nonFinite = 0;
            g.setColor(POINT);
            for (int i = 0; i < n; i++) {
                double x = points[2 * i], y = points[2 * i + 1];
                if (!Double.isFinite(x) || !Double.isFinite(y)) { nonFinite++; continue; }
                if (!f.inside(x, y)) { outside++; continue; }
                g.fill(new Ellipse2D.Double(f.px(x) - 1.5, f.py(y) - 1.5, 3, 3));
            }
            if (centers != null) {
                g.setColor(CENTER);
                g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                for (double[] c : centers) {
                    if (!Double.isFinite(c[0]) || !Double.isFinite(c[1]) || !f.inside(c[0], c[1])) continue;
                    double cx = f.px(c[0]), cy = f.py(c[1]);
                    g.draw(new Line2D.Double(cx - 5, cy - 5, cx + 5, cy + 5));
                    g.draw(new Line2D.Double(cx - 5, cy + 5, cx + 5, cy - 5));
                }
            }

            StringBuilder note = new StringBuilder();
            if (outside > 0) note.append(outside).append(" of ").append(n).append(" points outside the axes");
            if (outside > 0 && nonFinite > 0) note.append(", ");
            if (nonFinite > 0) note.append(nonFinite).append(" of ").append(n).append(" points not finite");
            g.setColor(Axes.INK);
            float mid = options.width() / 2f, room = options.width() - 8;
            Axes.text(g, title == null ? "" : title, new Font(Font.SANS_SERIF, Font.BOLD, 13), mid, 17, 0.5f, room);
            g.setColor(CENTER);
            Axes.text(g, note.toString(), new Font(Font.SANS_SERIF, Font.PLAIN, 11), mid, 31, 0.5f, room);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** The plot area and limits for these points and options (automatic limits use equal units on both axes). */
    static Axes.Frame frame(float[] points, int n, double[][] centers, Options o) {
        int left = MARGIN_LEFT, top = MARGIN_TOP;
        int w = o.width() - MARGIN_LEFT - MARGIN_RIGHT, h = o.height() - MARGIN_TOP - MARGIN_BOTTOM;
        if (!o.isAuto()) return new Axes.Frame(left, top, w, h, o.xMin(), o.xMax(), o.yMin(), o.yMax());

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
        if (x0 > x1) { x0 = -1; x1 = 1; y0 = -1; y1 = 1; }              // nothing finite to show
        double cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
        double dx = Math.max(x1 - x0, 1e-9), dy = Math.max(y1 - y0, 1e-9);
        if (x1 - x0 < 1e-12 && y1 - y0 < 1e-12) { dx = 2; dy = 2; }      // a single location: show +-1 around it
        // Equal units: data per pixel is the larger of the two, then 5% margin on each side.
        double perPixel = Math.max(dx / w, dy / h) * 1.1;
        double hx = perPixel * w / 2, hy = perPixel * h / 2;
        return new Axes.Frame(left, top, w, h, cx - hx, cx + hx, cy - hy, cy + hy);
    }
}
