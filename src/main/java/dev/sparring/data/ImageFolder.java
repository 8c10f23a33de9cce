package dev.sparring.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * Loads a folder of PNG and JPEG images (searched recursively; files ending in .png, .jpg or .jpeg in any case) into an
 * unlabelled {@link ImageDataset}. Files are taken in the order of their paths relative to the folder, compared as
 * strings with '/' separators, so the item order is the same on every machine.
 *
 * <p>Each image is center-cropped to its central square and resampled to size x size ({@link Resample}). An image
 * whose short side is smaller than size is refused, never upscaled. A gray image (a gray color space: 8- or 16-bit
 * gray PNG, gray JPEG) keeps its one channel; anything else is read as sRGB (palette, 16-bit and alpha images
 * included; alpha is dropped). channels &lt;= 0 keeps 3 channels unless every image is gray.
 */
public final class ImageFolder {
    private ImageFolder() { }

    /** The image files under folder in load order. */
    public static List<Path> list(Path folder) {
        if (!Files.exists(folder)) {
            throw new DataException(folder + ": image folder does not exist");
        }
        if (!Files.isDirectory(folder)) {
            throw new DataException(folder + ": not a folder");
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder)) {
            files = new ArrayList<>(walk.filter(Files::isRegularFile).filter(ImageFolder::isImageName).toList());
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new DataException(folder + ": cannot list image folder: " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new DataException(folder + ": no PNG or JPEG images found (searched recursively for .png, .jpg, .jpeg)");
        }
        files.sort(Comparator.comparing(p -> folder.relativize(p).toString().replace('\\', '/')));
        return files;
    }

    static boolean isImageName(Path p) {
        String s = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return s.endsWith(".png") || s.endsWith(".jpg") || s.endsWith(".jpeg");
    }

    /**
     * Loads every image under folder as size x size with the given channels (1, 3, or &lt;= 0 for the images' own).
     * size &lt;= 0 keeps the images' size, which then must be the same for all.
     */
    public static ImageDataset load(Path folder, int size, int channels) {
        if (channels > 0 && channels != 1 && channels != 3) {
            throw new DataException(folder + ": channels must be 1 or 3, not " + channels);
        }
        List<Path> files = list(folder);
        int n = files.size();
        byte[][] items = new byte[n][];    // item i: (c_i, S, S) at its own channel count c_i
        boolean[] gray = new boolean[n];
        int firstH = -1, firstW = -1;
        for (int i = 0; i < n; i++) {
            Path file = files.get(i);
            BufferedImage img = decode(file);
            int h = img.getHeight(), w = img.getWidth();
            if (size <= 0) {
                if (i == 0) {
                    firstH = h;
                    firstW = w;
                } else if (h != firstH || w != firstW) {
                    throw new DataException(file + ": image is " + w + "x" + h + " but " + files.get(0) + " is "
                            + firstW + "x" + firstH + "; images of different sizes need an image size to resize to");
                }
            } else if (Math.min(h, w) < size) {
                throw new DataException(file + ": image is " + w + "x" + h + " (width x height), smaller than the model"
                        + " image size " + size + "x" + size + "; images are not upscaled: remove it or choose an image"
                        + " size of at most " + Math.min(h, w));
            }
            gray[i] = img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
            int c = gray[i] ? 1 : 3;
            byte[] planes = planes(img, gray[i]);                       // (c, h, w)
            if (size <= 0) {
                items[i] = planes;
            } else {
                byte[] out = new byte[c * size * size];                 // (c, S, S)
                Resample.resize(planes, 0, c, h, w, Resample.rows(h, w, size), Resample.cols(h, w, size), size,
                        new float[h * size], out, 0);
                items[i] = out;
            }
        }
        int ho = size > 0 ? size : firstH, wo = size > 0 ? size : firstW;
        boolean allGray = true;
        for (boolean g : gray) allGray &= g;
        int cOut = channels > 0 ? channels : (allGray ? 1 : 3);
        long total = (long) n * cOut * ho * wo;
        if (total > Integer.MAX_VALUE - 8) {
            throw new DataException(folder + ": " + n + " images of " + cOut + "x" + ho + "x" + wo
                    + " do not fit in one array (2^31 bytes); use fewer images or a smaller image size");
        }
        byte[] pixels = new byte[(int) total];                          // (N, cOut, H, W)
        for (int i = 0; i < n; i++) {
            Resample.channels(items[i], 0, gray[i] ? 1 : 3, pixels, i * cOut * ho * wo, cOut, ho * wo);
        }
        return new ImageDataset(folder.getFileName() == null ? folder.toString() : folder.getFileName().toString(),
                pixels, n, cOut, ho, wo, null);
    }

    static BufferedImage decode(Path file) {
        BufferedImage img;
        try (InputStream in = Files.newInputStream(file)) {
            img = ImageIO.read(in);
        } catch (IOException | RuntimeException e) {
            throw new DataException(file + ": cannot decode image (" + e.getMessage() + "); is it a valid PNG or JPEG?", e);
        }
        if (img == null) {
            throw new DataException(file + ": not a decodable PNG or JPEG image (no image reader accepted it)");
        }
        if (img.getWidth() <= 0 || img.getHeight() <= 0) {
            throw new DataException(file + ": image has no pixels (" + img.getWidth() + "x" + img.getHeight() + ")");
        }
        return img;
    }

    /**
     * The pixels of img as (C, H, W) uint8: C = 1 read from the raster of a gray image (samples of b bits scaled by
     * 255 / (2^b - 1), rounded), else C = 3 from getRGB, which converts any color model to 8-bit sRGB.
     */
    static byte[] planes(BufferedImage img, boolean gray) {
        int h = img.getHeight(), w = img.getWidth();
        if (gray) {
            Raster r = img.getRaster();
            int max = (1 << r.getSampleModel().getSampleSize(0)) - 1;  // 1, 3, 15, 255 or 65535
            byte[] out = new byte[h * w];                               // (1, H, W)
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) out[y * w + x] = (byte) ((row[x] * 255 + max / 2) / max);
            }
            return out;
        }
        byte[] out = new byte[3 * h * w];                               // (3, H, W)
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                out[y * w + x] = (byte) (p >>> 16);
                out[h * w + y * w + x] = (byte) (p >>> 8);
                out[2 * h * w + y * w + x] = (byte) p;
            }
        }
        return out;
    }
}
