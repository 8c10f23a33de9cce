package dev.sparring.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Turns the --data flag into a {@link Dataset}.
 *
 * <pre>
 * mnist                     the bundled 10,000 MNIST digits (1 x 28 x 28, labelled); the default
 * ring8                     8 Gaussians on a circle of radius 2, sigma 0.02    ({@link Mixture2D#ring})
 * grid25                    5 x 5 Gaussians at -4, -2, 0, 2, 4, sigma 0.05     ({@link Mixture2D#grid})
 * idx:IMAGES[,LABELS]       IDX files, raw or gzipped ({@link IdxReader})
 * PATH-idx3-ubyte[.gz]      the same, for a path whose name ends in -idx3-ubyte or .idx3-ubyte (optionally .gz);
 *                           labels are picked up from the sibling file named with "idx1" for "idx3" and "labels"
 *                           for "images" (train-images-idx3-ubyte.gz: train-labels-idx1-ubyte.gz) when it exists
 * FOLDER                    the PNG and JPEG images under a folder, recursively ({@link ImageFolder})
 * </pre>
 *
 * Images are center-cropped and resampled to imageSize x imageSize and converted to channels (1 or 3); imageSize
 * &lt;= 0 keeps the dataset's own size, channels &lt;= 0 keeps its own channels (MNIST and IDX: 1; folders: 3 unless
 * every image is gray). Images smaller than imageSize are refused unless the caller allows upscaling
 * ({@link #open(String, int, int, boolean)}): Sparring never upscales silently. Mixtures ignore both numbers.
 */
public final class Datasets {
    /** Where the bundled digits live on the classpath. */
    public static final String MNIST_IMAGES = "/dev/sparring/data/mnist-10k-images-idx3-ubyte.gz";
    public static final String MNIST_LABELS = "/dev/sparring/data/mnist-10k-labels-idx1-ubyte.gz";

    static final String USAGE = "expected mnist, ring8, grid25, idx:IMAGES[,LABELS], a path ending in -idx3-ubyte[.gz],"
            + " or a folder of PNG/JPEG images";

    private Datasets() { }

    /** The image sizes the DCGAN takes ({@code --image-size}): what size advice may suggest. */
    static final int[] MODEL_SIZES = {28, 32, 64};

    /** {@link #open(String, int, int, boolean)} without upscaling. */
    public static Dataset open(String spec, int imageSize, int channels) throws DataException {
        return open(spec, imageSize, channels, false);
    }

    /** {@link #open(String, int, int, boolean, boolean, Consumer)} refusing a folder with any unusable file. */
    public static Dataset open(String spec, int imageSize, int channels, boolean allowUpscale) throws DataException {
        return open(spec, imageSize, channels, allowUpscale, false, warning -> { });
    }

    /**
     * Opens the dataset named by spec (the value of --data; null or blank means mnist). allowUpscale lets images
     * smaller than imageSize be interpolated up (for example MNIST's 28 x 28 digits for a 32 x 32 or 64 x 64 model);
     * folders always refuse images smaller than imageSize. A folder with files that cannot be used (corrupt, truncated,
     * not images, unreadable, too small) is refused with a list of them, unless skipBadImages leaves them out, which
     * warn is told in one line ({@link ImageFolder#load(Path, int, int, boolean, Consumer)}); other datasets ignore it.
     */
    public static Dataset open(String spec, int imageSize, int channels, boolean allowUpscale, boolean skipBadImages,
            Consumer<String> warn) throws DataException {
        if (channels > 0 && channels != 1 && channels != 3) {
            throw new DataException("--channels must be 1 or 3 (or 0 to keep the dataset's own), not " + channels);
        }
        String s = spec == null ? "" : spec.strip();
        Mixture2D points = mixture(s);
        if (points != null) return points;
        if (s.isEmpty() || s.equalsIgnoreCase("mnist")) return fit(mnist(), "the bundled MNIST digits", imageSize, channels, allowUpscale);
        if (s.startsWith("idx:")) {
            String rest = s.substring(4);
            int comma = rest.indexOf(',');
            Path images = path(comma < 0 ? rest : rest.substring(0, comma), spec);
            Path labels = comma < 0 ? null : path(rest.substring(comma + 1), spec);
            return fit(IdxReader.images(idxName(images), images, labels), images.toString(), imageSize, channels,
                    allowUpscale);
        }
        Path p = path(s, spec);
        String file = p.getFileName() == null ? "" : p.getFileName().toString();
        if (isIdxImagesName(file)) {
            Path labels = siblingLabels(p);
            return fit(IdxReader.images(idxName(p), p, labels), p.toString(), imageSize, channels, allowUpscale);
        }
        if (Files.isDirectory(p)) {
            return ImageFolder.load(p, imageSize, channels, skipBadImages, warn);
        }
        if (Files.exists(p)) {
            throw new DataException("--data " + spec + ": " + p + " is a file, not a dataset; for IDX files use idx:"
                    + p + " (" + USAGE + ")");
        }
        throw new DataException("--data " + spec + ": no dataset of that name and no such file or folder; " + USAGE);
    }

    /** Whether spec (a --data value) names 2-D points (ring8, grid25) rather than images; opens nothing. */
    public static boolean isPoints(String spec) {
        return mixture(spec == null ? "" : spec.strip()) != null;
    }

    /** The mixture a --data value names, or null when it names none. */
    private static Mixture2D mixture(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "ring8" -> Mixture2D.ring(8, 2.0, 0.02);
            case "grid25" -> Mixture2D.grid(5, 2.0, 0.05);
            default -> null;
        };
    }

    private static volatile ImageDataset bundledMnist;   // read on first use, then shared

    /** The bundled 10,000 MNIST digits, (10000, 1, 28, 28) with labels 0..9, read once and shared: do not modify. */
    public static ImageDataset mnist() {
        ImageDataset d = bundledMnist;
        if (d == null) {
            synchronized (Datasets.class) {
                d = bundledMnist;
                if (d == null) {
                    d = IdxReader.images("mnist", resource(MNIST_IMAGES), resource(MNIST_LABELS));
                    bundledMnist = d;
                }
            }
        }
        return d;
    }

    private static IdxReader.Idx resource(String name) {
        try (InputStream in = Datasets.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new DataException("classpath:" + name + ": bundled MNIST file missing from the jar;"
                        + " rebuild Sparring (the file is in src/main/resources)");
            }
            return IdxReader.read(in, "classpath:" + name);
        } catch (IOException e) {
            throw new DataException("classpath:" + name + ": " + e.getMessage(), e);
        }
    }

    static boolean isIdxImagesName(String file) {
        String f = file.toLowerCase(Locale.ROOT);
        if (f.endsWith(".gz")) f = f.substring(0, f.length() - 3);
        return f.endsWith("-idx3-ubyte") || f.endsWith(".idx3-ubyte");
    }

    /** The labels file next to an images file (idx3 -> idx1, images -> labels), or null if there is none. */
    static Path siblingLabels(Path images) {
        String f = images.getFileName().toString();
        String g = f.replace("idx3", "idx1").replace("images", "labels");
        if (g.equals(f)) return null;
        Path labels = images.resolveSibling(g);
        return Files.isRegularFile(labels) ? labels : null;
    }

    private static String idxName(Path images) {
        String f = images.getFileName() == null ? images.toString() : images.getFileName().toString();
        return f.replaceFirst("(?i)\\.gz$", "").replaceFirst("(?i)[-.]idx3-ubyte$", "");
    }

    private static Path path(String s, String spec) {
        if (s.isBlank()) throw new DataException("--data " + spec + ": empty path; " + USAGE);
        try {
            return Path.of(s);
        } catch (InvalidPathException e) {
            throw new DataException("--data " + spec + ": not a valid path (" + e.getMessage() + ")");
        }
    }

    /** Resizes and converts an IDX or bundled dataset; refuses to upscale unless allowed. */
    private static ImageDataset fit(ImageDataset d, String source, int imageSize, int channels, boolean allowUpscale) {
        int side = Math.min(d.height(), d.width());
        if (imageSize > side && !allowUpscale) {
            String sizes = sizesUpTo(side);
            throw new DataException(source + ": images are " + d.width() + "x" + d.height() + " (width x height),"
                    + " smaller than the image size " + imageSize + "x" + imageSize + "; "
                    + (sizes != null ? "use " + sizes + ", or " : "") + "allow upscaling with --upscale");
        }
        return d.resized(imageSize, channels);
    }

    /**
     * The --image-size values that images with a short side of side px can serve without upscaling, as advice
     * ("--image-size 28", "--image-size 28, 32 or 64"), or null when they are smaller than every one of {@link #MODEL_SIZES}.
     */
    static String sizesUpTo(int side) {
        List<String> fit = new ArrayList<>();
        for (int s : MODEL_SIZES) if (s <= side) fit.add(Integer.toString(s));
        if (fit.isEmpty()) return null;
        String last = fit.removeLast();
        return "--image-size " + (fit.isEmpty() ? last : String.join(", ", fit) + " or " + last);
    }
}
