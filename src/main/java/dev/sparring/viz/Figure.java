package dev.sparring.viz;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Charts as panels of one image, {@code columns} per row, each panelWidth x panelHeight pixels, under a heading:
 * its first line in bold, every line wrapped to the image's width.
 *
 * <pre>
 * new Figure(2, 560, 420).heading("nsgan   PASS").heading("why").add(chartA).add(chartB).write(png);
 * </pre>
 */
public final class Figure {
    private static final Font BOLD = new Font(Font.SANS_SERIF, Font.BOLD, 16), PLAIN = new Font(Font.SANS_SERIF, Font.PLAIN, 13);

    private final int columns, panelWidth, panelHeight;
    private final List<String> heading = new ArrayList<>();
    private final List<Chart> charts = new ArrayList<>();

    public Figure(int columns, int panelWidth, int panelHeight) {
        if (columns < 1 || panelWidth < 100 || panelHeight < 100) {
            throw new IllegalArgumentException("Figure: need columns >= 1 and panels of at least 100 x 100 pixels, got " + columns
                    + " columns of " + panelWidth + " x " + panelHeight);
        }
        this.columns = columns;
        this.panelWidth = panelWidth;
        this.panelHeight = panelHeight;
    }

    /** Adds a line to the heading (the first is bold). */
    public Figure heading(String line) {
        heading.add(line);
        return this;
    }

    public Figure add(Chart chart) {
        charts.add(chart);
        return this;
    }

    /** The figure: min(columns, charts) panels per row. */
    public Rendered render() {
        if (charts.isEmpty()) throw new IllegalArgumentException("Figure: no charts to draw");
        int cols = Math.min(columns, charts.size()), rows = (charts.size() + cols - 1) / cols;
        int width = cols * panelWidth;
        List<String> lines = new ArrayList<>();
        List<Font> fonts = new ArrayList<>();
        int top = 0;
        if (Plots.fonts() && !heading.isEmpty()) {
            Graphics2D probe = Plots.blank(1, 1).createGraphics();
            top = 10;
            for (int i = 0; i < heading.size(); i++) {
                Font f = i == 0 ? BOLD : PLAIN;
                FontMetrics fm = probe.getFontMetrics(f);
                for (String l : wrap(heading.get(i), fm, width - 24)) {
                    lines.add(l);
                    fonts.add(f);
                    top += fm.getHeight();
                }
            }
            probe.dispose();
        }
        BufferedImage img = Plots.blank(width, top + rows * panelHeight);
        Graphics2D g = Plots.graphics(img);
        List<Rendered.Panel> panels = new ArrayList<>();
        try {
            g.setColor(Plots.INK);
            int y = 6;
            for (int i = 0; i < lines.size(); i++) {
                g.setFont(fonts.get(i));
                FontMetrics fm = g.getFontMetrics();
                g.drawString(lines.get(i), 12, y + fm.getAscent());
                y += fm.getHeight();
            }
            for (int i = 0; i < charts.size(); i++) {
                Rectangle2D area = new Rectangle2D.Double((i % cols) * panelWidth, top + (i / cols) * panelHeight, panelWidth, panelHeight);
                panels.add(charts.get(i).draw(g, area));
            }
        } finally {
            g.dispose();
        }
        return new Rendered(img, panels);
    }

    /** Writes {@link #render()} as a PNG, atomically (see {@link Png#writeAtomic}). */
    public void write(Path png) throws IOException { Png.writeAtomic(render().image(), png); }

    /** Line breaks at spaces so that no line is wider than {@code width} pixels (a longer word stays whole). */
    private static List<String> wrap(String text, FontMetrics fm, int width) {
        List<String> out = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (!line.isEmpty() && fm.stringWidth(line + " " + word) > width) {
                out.add(line.toString());
                line.setLength(0);
            }
            if (!line.isEmpty()) line.append(' ');
            line.append(word);
        }
        if (!line.isEmpty()) out.add(line.toString());
        return out;
    }
}
