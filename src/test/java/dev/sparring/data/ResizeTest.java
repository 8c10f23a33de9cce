package dev.sparring.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/** ImageDataset.resized on patterns whose answer can be worked out by hand. */
class ResizeTest {
    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    static int[] ints(byte[] b) {
        int[] v = new int[b.length];
        for (int i = 0; i < b.length; i++) v[i] = b[i] & 0xFF;
        return v;
    }

    static ImageDataset gray(int h, int w, int... v) {
        return new ImageDataset("t", bytes(v), 1, 1, h, w, null);
    }

    @Test
    void areaShrinkIsTheBlockMean() {
        ImageDataset d = gray(4, 4,
                10, 20, 200, 220,
                30, 40, 240, 255,
                0, 0, 1, 3,
                0, 4, 5, 7);
        ImageDataset r = d.resized(2, 1);
        assertArrayEquals(new int[] {1, 2, 2}, r.itemShape());
        // (10+20+30+40)/4 = 25, (200+220+240+255)/4 = 228.75, (0+0+0+4)/4 = 1, (1+3+5+7)/4 = 4
        assertArrayEquals(new int[] {25, 229, 1, 4}, ints(r.pixels()));
    }

    @Test
    void areaShrinkWithFractionalOverlap() {
        // 3 -> 2: output 0 covers [0, 1.5): (a + b/2) / 1.5; output 1 covers [1.5, 3): (b/2 + c) / 1.5
        ImageDataset d = gray(3, 3,
                30, 60, 90,
                30, 60, 90,
                30, 60, 90);
        assertArrayEquals(new int[] {40, 80, 40, 80}, ints(d.resized(2, 1).pixels()));
    }

    @Test
    void bilinearGrowUsesAlignedCenters() {
        // 2 -> 4: sample points x = (j + 0.5)/2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped to [0, 1]
        ImageDataset d = gray(2, 2,
                0, 100,
                200, 200);
        int[] r = ints(d.resized(4, 1).pixels());
        int[] row0 = {0, 25, 75, 100}, row3 = {200, 200, 200, 200};
        for (int j = 0; j < 4; j++) {
            assertEquals(row0[j], r[j], "row 0, col " + j);
            assertEquals(row3[j], r[12 + j], "row 3, col " + j);
            // row 1 sits at y = 0.25: 0.75 * row0 + 0.25 * row3
            assertEquals(Math.round(0.75 * row0[j] + 0.25 * 200), r[4 + j], "row 1, col " + j);
        }
    }

    @Test
    void nonSquareIsCenterCropped() {
        // (H, W) = (2, 6): the central 2 x 2 square is columns 2..3
        ImageDataset wide = gray(2, 6,
                1, 2, 3, 4, 5, 6,
                7, 8, 9, 10, 11, 12);
        assertArrayEquals(new int[] {3, 4, 9, 10}, ints(wide.resized(2, 1).pixels()));
        // (H, W) = (5, 2): offset floor((5 - 2) / 2) = 1, rows 1..2
        ImageDataset tall = gray(5, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertArrayEquals(new int[] {3, 4, 5, 6}, ints(tall.resized(2, 1).pixels()));
    }

    @Test
    void channelConversion() {
        ImageDataset g = new ImageDataset("g", bytes(0, 128, 255, 7), 2, 1, 1, 2, new int[] {4, 5});
        ImageDataset rgb = g.resized(0, 3);
        assertArrayEquals(new int[] {3, 1, 2}, rgb.itemShape());
        assertArrayEquals(new int[] {0, 128, 0, 128, 0, 128, 255, 7, 255, 7, 255, 7}, ints(rgb.pixels()));
        assertArrayEquals(new int[] {4, 5}, rgb.labels());

        // BT.601 luma: red 0.299*255 = 76.2, green 149.7, blue 29.1, (10, 20, 30) -> 18.15
        ImageDataset c = new ImageDataset("c", bytes(255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30), 1, 3, 1, 4, null);
        assertArrayEquals(new int[] {76, 150, 29, 18}, ints(c.resized(0, 1).pixels()));
    }

    @Test
    void nothingToDoReturnsTheSameDataset() {
        ImageDataset d = gray(2, 2, 1, 2, 3, 4);
        assertSame(d, d.resized(2, 1));
        assertSame(d, d.resized(0, 0));
        assertArrayEquals(new int[] {1, 2, 3, 4}, ints(d.resized(2, 3).resized(2, 1).pixels()));
    }
}
