package dev.sparring.viz;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LabelledGridTest {
    @Test
    void labelsGoLeftOfTheGridWhichIsDrawnUnchangedBesideThem() {
        int rows = 2, cols = 3, h = 4, w = 5;
        float[] x = new float[rows * cols * h * w];
        for (int i = 0; i < x.length; i++) x[i] = (i % 7) / 3.5f - 1;
        Arrays.fill(x, (rows * cols - 1) * h * w, x.length, Float.NaN);   // a short last row: NaN draws black
        BufferedImage grid = ImageGrid.render(x, rows * cols, 1, h, w, cols);
        BufferedImage labelled = LabelledGrid.render(x, rows, cols, 1, h, w, new String[] {"1 lerp", "1 slerp"});
        assertEquals(grid.getHeight(), labelled.getHeight());
        int left = labelled.getWidth() - grid.getWidth();
        assertTrue(left > LabelledGrid.GAP, "a column for the labels: " + left);
        Raster a = grid.getRaster(), b = labelled.getRaster();
        for (int y = 0; y < grid.getHeight(); y++) {
            for (int c = 0; c < grid.getWidth(); c++) assertEquals(a.getSample(c, y, 0), b.getSample(left + c, y, 0), "pixel " + c + ", " + y);
        }
        boolean ink = false;
        for (int y = 0; y < b.getHeight() && !ink; y++) for (int c = 0; c < left; c++) ink |= b.getSample(c, y, 0) > 100;
        assertTrue(ink, "the labels are drawn");
        assertEquals(0, a.getSample(grid.getWidth() - 1 - ImageGrid.PADDING, grid.getHeight() - 1 - ImageGrid.PADDING, 0), "NaN is black");
        assertThrows(IllegalArgumentException.class, () -> LabelledGrid.render(x, rows, cols, 1, h, w, new String[] {"one"}));
    }

    @Test
    void withoutFontsTheGridIsDrawnAlone() {
        Plots.fontsForTest(false);
        try {
            float[] x = new float[2 * 4 * 4];
            BufferedImage g = LabelledGrid.render(x, 2, 1, 1, 4, 4, new String[] {"a", "b"});
            assertEquals(ImageGrid.render(x, 2, 1, 4, 4, 1).getWidth(), g.getWidth());
        } finally {
            Plots.fontsForTest(null);
        }
    }
}
