package dev.sparring.viz;

import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An {@link ImageGrid} of {@code rows} x {@code cols} images with a text label left of each row (a latent walk's path
 * and its numbers, a latent dimension, an expression's term), drawn in light gray on the black of the grid's padding.
 * A NaN image draws black, so rows of different lengths are padded with NaN. Where the JVM has no font the labels are
 * left out and the grid is drawn alone (see {@code Plots}).
 */
public final class LabelledGrid {
    /** Pixels between a label and the first image. */
    static final int GAP = 6;

    private LabelledGrid() { }

    /** Writes the grid with its row labels as a PNG (atomically). {@code images} is (rows * cols, C, H, W) in [-1, 1]. */
    public static void write(Path png, float[] images, int rows, int cols, int c, int h, int w, String[] labels) throws IOException {
        Png.writeAtomic(render(images, rows, cols, c, h, w, labels), png);
    }

    public static BufferedImage render(float[] images, int rows, int cols, int c, int h, int w, String[] labels) {
        if (labels.length != rows) throw new IllegalArgumentException("LabelledGrid: " + rows + " rows need " + rows + " labels, got " + labels.length);
        BufferedImage grid = ImageGrid.render(images, rows * cols, c, h, w, cols);
        if (!Plots.fonts()) return grid;
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D pg = probe.createGraphics();
        pg.setFont(Plots.SMALL);
        FontMetrics fm = pg.getFontMetrics();
        int labelWidth = 0;
        for (String s : labels) labelWidth = Math.max(labelWidth, fm.stringWidth(s));
        pg.dispose();
        int left = labelWidth == 0 ? 0 : labelWidth + GAP + ImageGrid.PADDING;
        BufferedImage out = new BufferedImage(grid.getWidth() + left, grid.getHeight(), grid.getType());
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.BLACK);
            g.fillRect(0, 0, out.getWidth(), out.getHeight());
            g.drawImage(grid, left, 0, null);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(Plots.SMALL);
            g.setColor(new Color(220, 220, 220));
            FontMetrics m = g.getFontMetrics();
            for (int r = 0; r < rows; r++) {
                int mid = ImageGrid.PADDING + r * (h + ImageGrid.PADDING) + h / 2;
                g.drawString(labels[r], ImageGrid.PADDING + labelWidth - m.stringWidth(labels[r]), mid + (m.getAscent() - m.getDescent()) / 2);
            }
        } finally {
            g.dispose();
        }
        return out;
    }
}
