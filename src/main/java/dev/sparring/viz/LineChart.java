package dev.sparring.viz;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A headless PNG line chart: named series of (x, y) points, horizontal dashed reference lines with labels,
 * axis labels and ticks, a title, an optional logarithmic x axis, and a legend. Used for the loss checker's
 * plots (d(r), omega(r)) and the trainer's loss curves (with the equilibrium values as reference lines).
 *
 * <pre>
 * new LineChart("losses").xLabel("step").yLabel("loss")
 *         .series("L_D", steps, lossD).series("L_G", steps, lossG)
 *         .reference("L_D* = 2 ln 2", 1.386, 0)     // dashed, in the colour of series 0
 *         .write(Path.of("losses.png"));
 * </pre>
 * Non-finite points (and x &lt;= 0 on a log axis) break a line instead of being drawn. A series with many more
 * points than pixels is drawn as a per-pixel min/max envelope, so 10^6 steps render as fast as 10^3.
 * Files are written atomically: to a temporary file in the same folder, then renamed over the target.
 * Needs no display ({@code java.awt.headless=true} is set if unset).
 */
public final class LineChart {
    private static final Color[] PALETTE = {
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
            new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
            new Color(188, 189, 34), new Color(23, 190, 207)};
    private static final Color REFERENCE_GRAY = new Color(90, 90, 90);

    private record Series(String name, double[] x, double[] y, Color color) { }

    private record Reference(String label, double y, Color color) { }

    private record Marker(String label, double x) { }

    private final String title;
    private String xLabel = "", yLabel = "", message;
    private boolean logX, legendOutside;
    private double yMin = Double.NaN, yMax = Double.NaN;
    private int width = 900, height = 560;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();
    private final List<Marker> markers = new ArrayList<>();

    static {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
    }

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

    /** A text shown in the middle of the plot area (e.g. why there is nothing to draw). */
    public LineChart message(String text) {
        this.message = text;
        return this;
    }

    /** Adds a series; x and y are copied and must have the same length. Colours follow the order of addition. */
    public LineChart series(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("LineChart.series '" + name + "': x has " + x.length + " points, y has " + y.length);
        }
        series.add(new Series(name, x.clone(), y.clone(), PALETTE[series.size() % PALETTE.length]));
        return this;
    }

    /** Adds a series with x = 0, 1, 2, ... (e.g. one value per training step). */
    public LineChart series(String name, double[] y) {
        double[] x = new double[y.length];
        for (int i = 0; i < x.length; i++) x[i] = i;
        return series(name, x, y);
    }

    /** A horizontal dashed reference line in gray, labelled. A non-finite y is ignored (nothing to draw). */
    public LineChart reference(String label, double y) {
        if (Double.isFinite(y)) references.add(new Reference(label, y, REFERENCE_GRAY));
        return this;
    }

    /** A horizontal dashed reference line in the colour of series {@code seriesIndex} (added so far or later). */
    public LineChart reference(String label, double y, int seriesIndex) {
        if (Double.isFinite(y)) references.add(new Reference(label, y, PALETTE[seriesIndex % PALETTE.length]));
        return this;
    }

    /** A vertical dashed line in gray at x, labelled at its top. A non-finite x is ignored. */
    public LineChart marker(String label, double x) {
        if (Double.isFinite(x)) markers.add(new Marker(label, x));
        return this;
    }

    /** Draws the legend below the plot area, where it cannot cover the data (default: inside, top left). */
    public LineChart legendOutside(boolean on) {
        this.legendOutside = on;
        return this;
    }

    /** Renders at {@link #size}. */
    public BufferedImage render() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            render(g, 0, 0, width, height);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Writes a PNG at {@link #size}, atomically. */
    public void write(Path png) throws IOException { writeImage(render(), png); }

    /** Writes several charts side by side, {@code columns} per row, each panelW x panelH pixels, as one PNG. */
    public static void writePanels(Path png, int columns, List<LineChart> charts, int panelW, int panelH) throws IOException {
        writePanels(png, columns, charts, panelW, panelH, List.of());
    }

    /**
     * As {@link #writePanels(Path, int, List, int, int)}, under a heading: its first line in bold, each line wrapped
     * to the image's width.
     */
    public static void writePanels(Path png, int columns, List<LineChart> charts, int panelW, int panelH, List<String> heading)
            throws IOException {
        if (charts.isEmpty()) throw new IllegalArgumentException("LineChart.writePanels: no charts for " + png);
        int cols = Math.max(1, Math.min(columns, charts.size()));
        int rows = (charts.size() + cols - 1) / cols;
        int width = cols * panelW;
        Font bold = new Font(Font.SANS_SERIF, Font.BOLD, 16), plain = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        List<String> lines = new ArrayList<>();
        List<Font> fonts = new ArrayList<>();
        int top = heading.isEmpty() ? 0 : 10;
        for (int i = 0; i < heading.size(); i++) {
            Font f = i == 0 ? bold : plain;
            FontMetrics fm = pg.getFontMetrics(f);
            for (String l : wrap(heading.get(i), fm, width - 24)) {
                lines.add(l);
                fonts.add(f);
                top += fm.getHeight();
            }
        }
        pg.dispose();
        BufferedImage img = new BufferedImage(width, top + rows * panelH, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, top);
            g.setColor(Color.BLACK);
            int y = 6;
            for (int i = 0; i < lines.size(); i++) {
                g.setFont(fonts.get(i));
                FontMetrics fm = g.getFontMetrics();
                g.drawString(lines.get(i), 12, y + fm.getAscent());
                y += fm.getHeight();
            }
            for (int i = 0; i < charts.size(); i++) charts.get(i).render(g, (i % cols) * panelW, top + (i / cols) * panelH, panelW, panelH);
        } finally {
            g.dispose();
        }
        writeImage(img, png);
    }

    /** text broken at spaces into lines at most {@code width} pixels wide (a longer word stays whole). */
    private static List<String> wrap(String text, FontMetrics fm, int width) {
        List<String> out = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && fm.stringWidth(line + " " + word) > width) {
                out.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) line.append(' ');
            line.append(word);
        }
        if (line.length() > 0) out.add(line.toString());
        return out;
    }

    /** Writes img as PNG to a temporary file beside {@code png}, then renames it over {@code png}. */
    static void writeImage(BufferedImage img, Path png) throws IOException {
        Path target = png.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("LineChart: no PNG writer in this JVM (javax.imageio)");
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    // ------------------------------------------------------------------ drawing

    /** Draws the chart into the rectangle (x0, y0, w, h) of g. */
    public void render(Graphics2D g, int x0, int y0, int w, int h) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(x0, y0, w, h);
        Font base = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        g.setFont(base.deriveFont(Font.BOLD, 14f));
        FontMetrics tfm = g.getFontMetrics();
        g.setColor(Color.BLACK);
        g.drawString(title, x0 + (w - tfm.stringWidth(title)) / 2, y0 + 8 + tfm.getAscent());
        g.setFont(base);
        FontMetrics fm = g.getFontMetrics();

        int left = x0 + 72, right = x0 + w - 18, top = y0 + 16 + tfm.getHeight(), bottom = y0 + h - 46;
        List<Legend> legend = legend();
        int[] legendRows = legendOutside ? legendRows(legend, fm, right - x0 - 16) : new int[0];
        int legendRowCount = legendRows.length == 0 ? 0 : legendRows[legendRows.length - 1] + 1;
        bottom -= legendRowCount * fm.getHeight() + (legendRowCount > 0 ? 6 : 0);
        int pw = right - left, ph = bottom - top;
        if (pw < 20 || ph < 20) return;

        // data ranges
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
        boolean empty = xlo > xhi;
        for (Reference r : references) {
            ylo = Math.min(ylo, r.y);
            yhi = Math.max(yhi, r.y);
        }
        if (!Double.isNaN(yMin)) {
            ylo = yMin;
            yhi = yMax;
        }
        if (empty) {
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
        if (Double.isNaN(yMin) && Double.isFinite(yhi - ylo)) {
            double pad = 0.05 * (yhi - ylo);
            ylo -= pad;
            yhi += pad;
        }
        double[] yt = linearTicks(ylo, yhi);
        double[] xt = logX ? logTicks(xlo, xhi) : linearTicks(xlo, xhi);
        Axis ax = new Axis(logX, xlo, xhi, left, right);
        Axis ay = new Axis(false, ylo, yhi, bottom, top);

        // grid and ticks
        g.setStroke(new BasicStroke(1f));
        for (double v : xt) {
            int px = (int) Math.round(ax.map(v));
            if (px < left - 1 || px > right + 1) continue;
            g.setColor(new Color(232, 232, 232));
            g.drawLine(px, top, px, bottom);
            g.setColor(Color.BLACK);
            g.drawLine(px, bottom, px, bottom + 4);
            String label = tickLabel(v, logX);
            g.drawString(label, px - fm.stringWidth(label) / 2, bottom + 6 + fm.getAscent());
        }
        for (double v : yt) {
            int py = (int) Math.round(ay.map(v));
            if (py < top - 1 || py > bottom + 1) continue;
            g.setColor(new Color(232, 232, 232));
            g.drawLine(left, py, right, py);
            g.setColor(Color.BLACK);
            g.drawLine(left - 4, py, left, py);
            String label = tickLabel(v, false);
            g.drawString(label, left - 7 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, pw, ph);
        g.drawString(xLabel, left + (pw - fm.stringWidth(xLabel)) / 2, bottom + 24 + fm.getAscent());
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(top + (ph + fm.stringWidth(yLabel)) / 2), x0 + 16);
        g.setTransform(saved);

        // series and references, clipped to the plot area
        Shape clip = g.getClip();
        g.clipRect(left, top, pw + 1, ph + 1);
        Stroke dashed = new BasicStroke(1.3f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {7f, 5f}, 0f);
        for (Marker m : markers) {   // under the data
            if (!usable(m.x)) continue;
            int px = (int) Math.round(ax.map(m.x));
            g.setStroke(dashed);
            g.setColor(REFERENCE_GRAY);
            g.drawLine(px, top, px, bottom);
            boolean leftOfLine = px + 4 + fm.stringWidth(m.label) > right;
            g.drawString(m.label, leftOfLine ? px - 4 - fm.stringWidth(m.label) : px + 4, top + fm.getAscent() + 2);
        }
        g.setStroke(new BasicStroke(1.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        for (Series s : series) {
            g.setColor(s.color);
            g.draw(path(s, ax, ay));
        }
        for (Reference r : references) {
            int py = (int) Math.round(ay.map(r.y));
            g.setStroke(dashed);
            g.setColor(r.color);
            g.drawLine(left, py, right, py);
            if (!legendOutside) g.drawString(r.label, right - 6 - fm.stringWidth(r.label), py - 4);
        }
        g.setClip(clip);
        if (message != null) {
            g.setColor(new Color(120, 0, 0));
            g.drawString(message, left + (pw - fm.stringWidth(message)) / 2, top + ph / 2);
        } else if (empty) {
            g.setColor(Color.GRAY);
            g.drawString("no data", left + (pw - fm.stringWidth("no data")) / 2, top + ph / 2);
        }

        // legend
        List<String> names = new ArrayList<>();
        List<Color> colors = new ArrayList<>();
        List<Boolean> dash = new ArrayList<>();
        for (Legend e : legend) {
            names.add(e.name);
            colors.add(e.color);
            dash.add(e.dashed);
        }
        if (legendOutside) {
            int lh = fm.getHeight(), ly0 = bottom + 46, row = -1, lx = 0;
            for (int i = 0; i < legend.size(); i++) {
                if (legendRows[i] != row) {
                    row = legendRows[i];
                    lx = x0 + 16;
                }
                int ly = ly0 + row * lh + lh / 2;
                g.setColor(colors.get(i));
                g.setStroke(dash.get(i) ? dashed : new BasicStroke(2f));
                g.drawLine(lx, ly, lx + 24, ly);
                g.setColor(Color.BLACK);
                g.drawString(names.get(i), lx + 30, ly + fm.getAscent() / 2 - 1);
                lx += legendWidth(legend.get(i), fm);
            }
        } else if (!names.isEmpty()) {
            int lw = 0;
            for (String n : names) lw = Math.max(lw, fm.stringWidth(n));
            int lh = fm.getHeight();
            int bw = lw + 40, bh = lh * names.size() + 8;
            int bx = left + 8, by = top + 8;
            g.setStroke(new BasicStroke(1f));
            g.setColor(new Color(255, 255, 255, 220));
            g.fillRect(bx, by, bw, bh);
            g.setColor(new Color(180, 180, 180));
            g.drawRect(bx, by, bw, bh);
            for (int i = 0; i < names.size(); i++) {
                int ly = by + 4 + i * lh + lh / 2;
                g.setColor(colors.get(i));
                g.setStroke(dash.get(i) ? dashed : new BasicStroke(2f));
                g.drawLine(bx + 6, ly, bx + 30, ly);
                g.setColor(Color.BLACK);
                g.drawString(names.get(i), bx + 36, ly + fm.getAscent() / 2 - 1);
            }
        }
    }

    private record Legend(String name, Color color, boolean dashed) { }

    /** The legend's entries: the series, then the reference lines. */
    private List<Legend> legend() {
        List<Legend> out = new ArrayList<>();
        for (Series s : series) out.add(new Legend(s.name, s.color, false));
        for (Reference r : references) out.add(new Legend(r.label, r.color, true));
        return out;
    }

    private static int legendWidth(Legend e, FontMetrics fm) { return 30 + fm.stringWidth(e.name) + 18; }

    /** The row of each legend entry when laid out left to right below the plot, rows at most {@code width} wide. */
    private static int[] legendRows(List<Legend> legend, FontMetrics fm, int width) {
        int[] rows = new int[legend.size()];
        int row = 0, used = 0;
        for (int i = 0; i < legend.size(); i++) {
            int ew = legendWidth(legend.get(i), fm);
            if (used > 0 && used + ew > width) {
                row++;
                used = 0;
            }
            rows[i] = row;
            used += ew;
        }
        return rows;
    }

    private boolean usable(double x) { return Double.isFinite(x) && (!logX || x > 0); }

    /** The polyline of a series in pixels; a per-column min/max envelope when points outnumber pixels. */
    private Path2D path(Series s, Axis ax, Axis ay) {
        Path2D.Double p = new Path2D.Double();
        boolean pen = false;
        int n = s.x.length;
        boolean envelope = n > 4 * Math.abs(ax.p1 - ax.p0);
        int col = Integer.MIN_VALUE;
        double cmin = 0, cmax = 0, clast = 0;
        for (int i = 0; i < n; i++) {
            if (!usable(s.x[i]) || !Double.isFinite(s.y[i])) {
                if (envelope && col != Integer.MIN_VALUE) flush(p, col, cmin, cmax, clast);
                col = Integer.MIN_VALUE;
                pen = false;
                continue;
            }
            // far-off points are held a million pixels out: the visible part of a line keeps its slope, and Java2D
            // is never handed coordinates near float overflow
            double px = ax.map(s.x[i]), py = Math.max(-1e6, Math.min(1e6, ay.map(s.y[i])));
            if (!envelope) {
                if (pen) p.lineTo(px, py);
                else p.moveTo(px, py);
                pen = true;
                continue;
            }
            int c = (int) Math.floor(px);
            if (c != col) {
                if (col != Integer.MIN_VALUE) flush(p, col, cmin, cmax, clast);
                if (pen) p.lineTo(c, py);
                else p.moveTo(c, py);
                pen = true;
                col = c;
                cmin = cmax = clast = py;
            } else {
                cmin = Math.min(cmin, py);
                cmax = Math.max(cmax, py);
                clast = py;
            }
        }
        if (envelope && col != Integer.MIN_VALUE) flush(p, col, cmin, cmax, clast);
        return p;
    }

    private static void flush(Path2D p, int col, double cmin, double cmax, double clast) {
        p.lineTo(col, cmin);
        p.lineTo(col, cmax);
        p.lineTo(col, clast);
    }

    /** Maps data to pixels along one axis (linear or log10). */
    private record Axis(boolean log, double lo, double hi, double p0, double p1) {
        double map(double v) {
            double a = log ? Math.log10(lo) : lo, b = log ? Math.log10(hi) : hi, x = log ? Math.log10(v) : v;
            return p0 + (x - a) / (b - a) * (p1 - p0);
        }
    }

    /** Ticks at a 1-2-5 step inside [lo, hi]. */
    static double[] linearTicks(double lo, double hi) {
        if (!Double.isFinite(hi - lo)) return new double[] {lo, hi};
        double step = niceStep((hi - lo) / 5);
        double a = Math.ceil(lo / step - 1e-9) * step;
        int n = (int) Math.min(100, Math.floor((hi - a) / step + 1e-9) + 1);
        double[] out = new double[Math.max(n, 0)];
        for (int i = 0; i < out.length; i++) out[i] = clean(a + i * step, step);
        return out;
    }

    /** Powers of ten covering [lo, hi], thinned to at most about 10 labels. */
    static double[] logTicks(double lo, double hi) {
        int a = (int) Math.floor(Math.log10(lo) + 1e-9), b = (int) Math.ceil(Math.log10(hi) - 1e-9);
        int every = Math.max(1, (b - a + 9) / 10);
        List<Double> t = new ArrayList<>();
        for (int k = a; k <= b; k++) if ((k - a) % every == 0) t.add(Math.pow(10, k));
        double[] out = new double[t.size()];
        for (int i = 0; i < out.length; i++) out[i] = t.get(i);
        return out;
    }

    private static double niceStep(double raw) {
        if (!(raw > 0) || !Double.isFinite(raw)) return 1;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / mag;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * mag;
    }

    /** Removes rounding residue (0.30000000000000004 -> 0.3) relative to the step. */
    private static double clean(double v, double step) {
        double q = Math.round(v / step * 1e6) / 1e6 * step;
        return Math.abs(q) < step * 1e-9 ? 0 : q;
    }

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
}
