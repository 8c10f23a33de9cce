package dev.sparring.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Loads a folder of PNG and JPEG images (searched recursively; files ending in .png, .jpg or .jpeg in any case) into an
 * {@link ImageDataset}. Files are taken in the order of their paths relative to the folder, compared as
 * strings with '/' separators, so the item order is the same on every machine. When every image lies in a subfolder,
 * the images are labelled by their top subfolder, as torchvision's {@code ImageFolder} labels them: the subfolders'
 * names sorted are the classes 0, 1, ... ({@link ImageDataset#classNames}); an image directly in the folder leaves the
 * whole set unlabelled.
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
     * The channels value that keeps the images' own channels and requires them to be the same for all: a folder that
     * mixes gray and color images is refused, naming the first image that differs from the first one.
     */
    public static final int SAME_CHANNELS = -1;

    /** How many bad files an error lists one by one; the rest are counted. */
    static final int MAX_LISTED = 20;

    /** How many bad files the warning of a skipping load names. */
    static final int MAX_NAMED = 5;

    /** {@link #load(Path, int, int, boolean, Consumer)} that refuses a folder holding any file it cannot use. */
    public static ImageDataset load(Path folder, int size, int channels) {
        return load(folder, size, channels, false, warning -> { });
    }

    /**
     * Loads every image under folder as size x size with the given channels (1, 3, or &lt;= 0 for the images' own;
     * {@link #SAME_CHANNELS} for the images' own when they all have the same).
     * size &lt;= 0 keeps the images' size, which then must be the same for all.
     *
     * <p>Every file is read, and those that cannot be used are collected: unreadable, not a PNG or JPEG the decoders
     * accept (corrupt, or not an image despite its name), truncated or damaged (the decoder warns about its data:
     * {@link #damaging}), or smaller than size. Without skipBad any such file refuses the folder with one error that
     * lists them, each with its path and reason (the first {@link #MAX_LISTED}, then a count). With skipBad they are
     * left out, warn gets one line with their count and first names, and the rest are loaded in their usual order;
     * if none is left, the error lists them as well.
     */
    public static ImageDataset load(Path folder, int size, int channels, boolean skipBad, Consumer<String> warn) {
        if (channels > 0 && channels != 1 && channels != 3) {
            throw new DataException(folder + ": channels must be 1 or 3, not " + channels);
        }
        List<Path> files = list(folder);
        List<Bad> bad = new ArrayList<>();
        List<Path> used = new ArrayList<>();
        List<byte[]> items = new ArrayList<>();  // item i: (c_i, S, S), or (c_i, h_i, w_i) when size <= 0
        List<int[]> dims = new ArrayList<>();    // item i: {c_i, h_i, w_i} as decoded
        int smallest = Integer.MAX_VALUE;        // the short side of the smallest too-small image
        for (Path file : files) {
            BufferedImage img;
            try {
                img = decode(file);
            } catch (Unusable e) {
                bad.add(new Bad(file, e.getMessage()));
                continue;
            }
            int h = img.getHeight(), w = img.getWidth();
            if (size > 0 && Math.min(h, w) < size) {
                bad.add(new Bad(file, "image is " + w + "x" + h + " (width x height), smaller than the image size " + size
                        + "x" + size + " (images are not upscaled)"));
                smallest = Math.min(smallest, Math.min(h, w));
                continue;
            }
            boolean gray = img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
            int c = gray ? 1 : 3;
            byte[] planes = planes(img, gray);                          // (c, h, w)
            if (size <= 0) {
                items.add(planes);
            } else {
                byte[] out = new byte[c * size * size];                 // (c, S, S)
                Resample.resize(planes, 0, c, h, w, Resample.rows(h, w, size), Resample.cols(h, w, size), size,
                        new float[h * size], out, 0);
                items.add(out);
            }
            used.add(file);
            dims.add(new int[] {c, h, w});
        }
        if (!bad.isEmpty()) {
            if (!skipBad || used.isEmpty()) throw new DataException(badReport(folder, files.size(), bad, skipBad, smallest));
            List<String> names = bad.stream().limit(MAX_NAMED)
                    .map(b -> folder.relativize(b.file()).toString().replace('\\', '/')).toList();
            warn.accept("--skip-bad-images: left out " + bad.size() + " of " + files.size() + " images in " + folder
                    + " that cannot be used (" + String.join(", ", names) + (bad.size() > names.size() ? ", ..." : "")
                    + "; without the flag the error says why); using the other " + used.size());
        }
        int n = used.size();
        int ho = size > 0 ? size : dims.get(0)[1], wo = size > 0 ? size : dims.get(0)[2];
        for (int i = 1; size <= 0 && i < n; i++) {
            if (dims.get(i)[1] != ho || dims.get(i)[2] != wo) {
                throw new DataException(used.get(i) + ": image is " + dims.get(i)[2] + "x" + dims.get(i)[1] + " but "
                        + used.get(0) + " is " + wo + "x" + ho + "; images of different sizes need an image size to resize to");
            }
        }
        for (int i = 1; channels == SAME_CHANNELS && i < n; i++) {
            if (dims.get(i)[0] != dims.get(0)[0]) {
                throw new DataException(used.get(i) + ": " + kind(dims.get(i)[0]) + " image, but " + used.get(0) + " is " + kind(dims.get(0)[0])
                        + "; the images of " + folder + " must be all gray or all color");
            }
        }
        boolean allGray = true;
        for (int[] d : dims) allGray &= d[0] == 1;
        int cOut = channels > 0 ? channels : (allGray ? 1 : 3);
        long total = (long) n * cOut * ho * wo;
        if (total > Integer.MAX_VALUE - 8) {
            throw new DataException(folder + ": " + n + " images of " + cOut + "x" + ho + "x" + wo
                    + " do not fit in one array (2^31 bytes); use fewer images or a smaller image size");
        }
        byte[] pixels = new byte[(int) total];                          // (N, cOut, H, W)
        for (int i = 0; i < n; i++) {
            Resample.channels(items.get(i), 0, dims.get(i)[0], pixels, i * cOut * ho * wo, cOut, ho * wo);
        }
        List<String> classes = new ArrayList<>();
        int[] labels = classLabels(folder, used, classes);
        return new ImageDataset(folder.getFileName() == null ? folder.toString() : folder.getFileName().toString(),
                pixels, n, cOut, ho, wo, labels, labels == null ? null : classes);
    }

    /**
     * The label of each file: the index of its top subfolder among the sorted names of all of them, which are added to
     * {@code classes}; null when a file lies directly in the folder.
     */
    static int[] classLabels(Path folder, List<Path> files, List<String> classes) {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        String[] top = new String[files.size()];
        for (int i = 0; i < files.size(); i++) {
            Path rel = folder.relativize(files.get(i));
            if (rel.getNameCount() < 2) return null;
            top[i] = rel.getName(0).toString();
            names.add(top[i]);
        }
        classes.addAll(names);
        java.util.Map<String, Integer> index = new java.util.HashMap<>();
        for (String name : classes) index.put(name, index.size());
        int[] labels = new int[files.size()];
        for (int i = 0; i < files.size(); i++) labels[i] = index.get(top[i]);
        return labels;
    }

    private static String kind(int channels) { return channels == 1 ? "a gray" : "a color"; }

    /** A file that cannot be used, and why. */
    record Bad(Path file, String reason) { }

    /** The error for a folder with unusable files: the first {@link #MAX_LISTED} with their reasons, then a count. */
    private static String badReport(Path folder, int total, List<Bad> bad, boolean skipped, int smallest) {
        StringBuilder m = new StringBuilder(folder.toString()).append(": ");
        boolean all = bad.size() == total;
        if (!all) m.append(bad.size()).append(" of ").append(total).append(" images cannot be used:");
        else m.append(total == 1 ? "its only image cannot be used:" : "none of its " + total + " images can be used:");
        for (Bad b : bad.subList(0, Math.min(bad.size(), MAX_LISTED))) m.append("\n  ").append(b.file()).append(": ").append(b.reason());
        if (bad.size() > MAX_LISTED) m.append("\n  ... and ").append(bad.size() - MAX_LISTED).append(" more");
        m.append("\n");
        if (all) {
            m.append(skipped ? "--skip-bad-images leaves nothing to use: fix or replace them" : "Fix or replace them");
        } else {
            m.append("Fix or remove them, or pass --skip-bad-images to leave them out and use the other ").append(total - bad.size());
        }
        String sizes = smallest == Integer.MAX_VALUE ? null : Datasets.sizesUpTo(smallest);
        if (sizes != null) m.append("; to keep the images that are too small, use ").append(sizes);
        return m.toString();
    }

    /** Why a file cannot be used. */
    static final class Unusable extends Exception {
        Unusable(String reason) { super(reason, null, false, false); }
    }

    /**
     * Whether a decoder warning means that the pixels are damaged: the JPEG decoder decodes a truncated or corrupt file
     * and only warns ("Truncated File - Missing EOI marker", "Premature end of JPEG file", "Corrupt JPEG data: bad
     * Huffman code"), filling what is missing with gray. Junk bytes between JPEG segments ("extraneous bytes before
     * marker") leave the pixels intact, and the PNG decoder's warnings are all about chunks it ignores.
     */
    static boolean damaging(String warning) {
        String w = warning.toLowerCase(Locale.ROOT);
        if (w.contains("extraneous bytes")) return false;
        return w.contains("truncated") || w.contains("premature end") || w.contains("corrupt");
    }

    /** Decodes one file, or says why it cannot be used. */
    static BufferedImage decode(Path file) throws Unusable {
        InputStream raw;
        try {
            raw = Files.newInputStream(file);
        } catch (AccessDeniedException e) {
            throw new Unusable("cannot read the file (permission denied)");
        } catch (IOException e) {
            throw new Unusable("cannot read the file (" + describe(e) + ")");
        }
        BufferedImage img;
        List<String> damage = new ArrayList<>();
        try (raw; ImageInputStream in = ImageIO.createImageInputStream(raw)) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new Unusable("not a PNG or JPEG image (no image decoder recognizes its contents)");
            }
            ImageReader reader = readers.next();
            try {
                reader.addIIOReadWarningListener((source, warning) -> {
                    if (damaging(warning)) damage.add(warning);
                });
                reader.setInput(in, true, true);
                img = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new Unusable("cannot decode the image (" + describe(e) + "); is it a valid PNG or JPEG?");
        }
        if (!damage.isEmpty()) throw new Unusable("truncated or corrupt image data (" + String.join("; ", damage) + ")");
        if (img == null || img.getWidth() <= 0 || img.getHeight() <= 0) {
            throw new Unusable("image has no pixels" + (img == null ? "" : " (" + img.getWidth() + "x" + img.getHeight() + ")"));
        }
        return img;
    }

    private static String describe(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
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
