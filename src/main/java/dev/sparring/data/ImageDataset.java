package dev.sparring.data;

/**
 * N images of C x H x W uint8 pixels held in one array, with optional integer labels. Pixels are the raw 0..255
 * values; the trainer normalizes them on the device when it gathers a batch. The arrays are handed out without
 * copying: callers must not write to them (a dataset may be shared, see {@link Datasets#mnist()}).
 */
public final class ImageDataset implements Dataset {
    private final String name;
    private final byte[] pixels;   // (N, C, H, W) uint8
    private final int[] labels;    // (N) or null
    private final java.util.List<String> classNames;   // (K) the name of each label (a folder's class subfolders), or null
    private final int n, c, h, w;

    public ImageDataset(String name, byte[] pixels, int n, int c, int h, int w, int[] labelsOrNull) {
        this(name, pixels, n, c, h, w, labelsOrNull, null);
    }

    /** A dataset whose label k is named {@code classNames.get(k)} (the class subfolders of a folder); null: unnamed. */
    public ImageDataset(String name, byte[] pixels, int n, int c, int h, int w, int[] labelsOrNull, java.util.List<String> classNames) {
        if (n < 0 || c <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException("ImageDataset " + name + ": bad shape (N, C, H, W) = ("
                    + n + ", " + c + ", " + h + ", " + w + ")");
        }
        if ((long) n * c * h * w != pixels.length) {
            throw new IllegalArgumentException("ImageDataset " + name + ": " + pixels.length + " pixel bytes for shape ("
                    + n + ", " + c + ", " + h + ", " + w + ") = " + (long) n * c * h * w);
        }
        if (labelsOrNull != null && labelsOrNull.length != n) {
            throw new IllegalArgumentException("ImageDataset " + name + ": " + labelsOrNull.length
                    + " labels for " + n + " images");
        }
        this.name = name;
        this.pixels = pixels;
        this.labels = labelsOrNull;
        this.classNames = classNames == null ? null : java.util.List.copyOf(classNames);
        this.n = n;
        this.c = c;
        this.h = h;
        this.w = w;
    }

    @Override public String name() { return name; }

    @Override public int size() { return n; }

    @Override public int[] itemShape() { return new int[] {c, h, w}; }

    /** (N, C, H, W) uint8; not a copy. */
    public byte[] pixels() { return pixels; }

    /** (N) labels, or null when the dataset has none; not a copy. */
    public int[] labels() { return labels; }

    /** The name of each label (a folder's class subfolders, sorted), or null when the labels are plain numbers or absent. */
    public java.util.List<String> classNames() { return classNames; }

    public int channels() { return c; }

    public int height() { return h; }

    public int width() { return w; }

    /**
     * This dataset as size x size images with the given number of channels (1 or 3): the central square is cut out
     * and area-averaged (shrinking) or bilinearly interpolated (growing), see {@link Resample}. This method upscales
     * when asked to; {@link Datasets#open} refuses to unless told. size &lt;= 0 keeps H and W as they are (no crop),
     * channels &lt;= 0 keeps C. Returns this dataset when nothing changes. Labels are shared with the result.
     */
    public ImageDataset resized(int size, int channels) {
        int cOut = channels <= 0 ? c : channels;
        if (cOut != 1 && cOut != 3) {
            throw new IllegalArgumentException("ImageDataset.resized(" + name + "): channels must be 1 or 3, not " + channels);
        }
        if (c != 1 && c != 3 && cOut != c) {
            throw new IllegalArgumentException("ImageDataset.resized(" + name + "): cannot convert " + c
                    + " channels to " + cOut + " (only 1 <-> 3)");
        }
        boolean keepGeometry = size <= 0 || (size == h && size == w);
        if (keepGeometry && cOut == c) return this;
        int ho = keepGeometry ? h : size, wo = keepGeometry ? w : size;
        long total = (long) n * cOut * ho * wo;
        if (total > Integer.MAX_VALUE - 8) {
            throw new DataException(name + ": " + n + " images of " + cOut + "x" + ho + "x" + wo
                    + " do not fit in one array (2^31 bytes); use fewer images or a smaller image size");
        }
        byte[] out = new byte[(int) total];                        // (N, cOut, ho, wo)
        byte[] one = keepGeometry ? null : new byte[c * ho * wo];  // (C, ho, wo) one resampled image
        float[] tmp = keepGeometry ? null : new float[h * wo];     // (H, wo) after the horizontal pass
        Resample.Axis ry = keepGeometry ? null : Resample.rows(h, w, size);
        Resample.Axis rx = keepGeometry ? null : Resample.cols(h, w, size);
        for (int i = 0; i < n; i++) {
            int srcOff = i * c * h * w;
            if (keepGeometry) {
                Resample.channels(pixels, srcOff, c, out, i * cOut * ho * wo, cOut, ho * wo);
            } else {
                Resample.resize(pixels, srcOff, c, h, w, ry, rx, size, tmp, one, 0);
                Resample.channels(one, 0, c, out, i * cOut * ho * wo, cOut, ho * wo);
            }
        }
        return new ImageDataset(name, out, n, cOut, ho, wo, labels, classNames);
    }

    @Override
    public String toString() {
        return "ImageDataset[" + name + ", " + n + " x (" + c + ", " + h + ", " + w + ")"
                + (labels != null ? ", labelled" : "") + "]";
    }
}
