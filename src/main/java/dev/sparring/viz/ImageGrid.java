package dev.sparring.viz;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A grid of images as one PNG, laid out like torchvision's {@code make_grid}: images left to right, then top
 * to bottom, {@code min(cols, n)} per row, {@value #PADDING} black pixels around and between them; a last row
 * that is not full is left black. The grid is
 * {@code cols * (w + 2) + 2} pixels wide and {@code rows * (h + 2) + 2} high, with rows = ceil(n / cols).
 *
 * <p>Pixel values: an input v in [-1, 1] (a tanh generator's range) becomes {@code floor((v + 1) / 2 * 255 + 0.5)},
 * the rounding {@code torchvision.utils.save_image} uses, so -1 is 0, 0 is 128 and 1 is 255; values outside
 * [-1, 1] are clamped, and NaN is drawn as 0 (black). One channel gives an 8-bit grayscale PNG, three an RGB one.
 */
public final class ImageGrid {
    /** Pixels of black border around and between the images. */
    public static final int PADDING = 2;

    private ImageGrid() { }

    /**
     * Writes the first n images of {@code images} as a grid PNG (atomically, see {@link Png#writeAtomic}).
     *
     * @param images (N, C, H, W) values in [-1, 1]; may hold more than n images
     * @param c      1 (grayscale) or 3 (RGB)
     * @param cols   images per row
     */
    public static void write(Path png, float[] images, int n, int c, int h, int w, int cols) throws IOException {
        Png.writeAtomic(render(images, n, c, h, w, cols), png);
    }

    /** Image {@code index} of (N, C, H, W) values in [-1, 1] alone, as an H x W PNG (atomically). */
    public static void writeImage(Path png, float[] images, int index, int c, int h, int w) throws IOException {
        int item = c * h * w;
        BufferedImage one = render(java.util.Arrays.copyOfRange(images, index * item, (index + 1) * item), 1, c, h, w, 1);
        Png.writeAtomic(one.getSubimage(PADDING, PADDING, w, h), png);
    }

    /** The grid as an image: TYPE_BYTE_GRAY for c = 1, TYPE_INT_RGB for c = 3. */
    public static BufferedImage render(float[] images, int n, int c, int h, int w, int cols) {
        if (n < 1 || h < 1 || w < 1 || cols < 1) {
            throw new IllegalArgumentException("ImageGrid: n, h, w and cols must be positive, got n=" + n + " h=" + h + " w=" + w + " cols=" + cols);
        }
        if (c != 1 && c != 3) throw new IllegalArgumentException("ImageGrid: c must be 1 (grayscale) or 3 (RGB), got " + c);
        long need = (long) n * c * h * w;
        if (images.length < need) {
            throw new IllegalArgumentException("ImageGrid: " + n + " images of (C, H, W) = (" + c + ", " + h + ", " + w + ") need "
                    + need + " floats, the array has " + images.length);
        }
        int gridCols = Math.min(cols, n);
        int gridRows = (n + gridCols - 1) / gridCols;
        long width = (long) gridCols * (w + PADDING) + PADDING;
        long height = (long) gridRows * (h + PADDING) + PADDING;
        if (width * height > Integer.MAX_VALUE / 4) {
            throw new IllegalArgumentException("ImageGrid: a " + width + " x " + height + " grid is too large; draw fewer images");
        }
        int gw = (int) width, gh = (int) height;
        int plane = h * w;

        if (c == 1) {
            BufferedImage img = new BufferedImage(gw, gh, BufferedImage.TYPE_BYTE_GRAY);
            byte[] px = ((DataBufferByte) img.getRaster().getDataBuffer()).getData(); // (gh, gw), zero = black padding
            for (int k = 0; k < n; k++) {
                int y0 = PADDING + (k / gridCols) * (h + PADDING);
                int x0 = PADDING + (k % gridCols) * (w + PADDING);
                int base = k * plane;
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        px[(y0 + y) * gw + x0 + x] = (byte) toByte(images[base + y * w + x]);
                    }
                }
            }
            return img;
        }
        BufferedImage img = new BufferedImage(gw, gh, BufferedImage.TYPE_INT_RGB);
        int[] px = ((DataBufferInt) img.getRaster().getDataBuffer()).getData(); // (gh, gw) as 0xRRGGBB
        for (int k = 0; k < n; k++) {
            int y0 = PADDING + (k / gridCols) * (h + PADDING);
            int x0 = PADDING + (k % gridCols) * (w + PADDING);
            int base = k * 3 * plane;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = y * w + x;
                    int r = toByte(images[base + i]);
                    int g = toByte(images[base + plane + i]);
                    int b = toByte(images[base + 2 * plane + i]);
                    px[(y0 + y) * gw + x0 + x] = (r << 16) | (g << 8) | b;
                }
            }
        }
        return img;
    }

    /** [-1, 1] to 0..255: floor((v + 1) * 127.5 + 0.5), clamped; NaN gives 0. */
    public static int toByte(float v) {
        if (!(v > -1f)) return 0; // also NaN
        if (v >= 1f) return 255;
        return (int) ((v + 1.0) * 127.5 + 0.5);
    }
}
