package dev.sparring.eval;

import dev.sparring.UserError;
import dev.sparring.io.AtomicFile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * N images as one uint8 array of shape (N, H, W, C) in a {@code .npz}: what {@code sparring sample --out x.npz} writes
 * and {@code sparring fid} reads. Each image is an (H, W, C) array, as numpy image tools hold one (PIL and imageio
 * give that layout; OpenAI's guided-diffusion evaluator reads such an {@code arr_0}); torch-fidelity takes
 * (N, C, H, W), {@code x.transpose(0, 3, 1, 2)}.
 *
 * <p>Both directions stream: the writer deflates each batch into the zip entry as it comes (as
 * {@code numpy.savez_compressed} stores its arrays, at zlib's fastest level; zip64 where the file passes 4 GiB), and the
 * reader inflates a batch at a time, so no more than one batch of images is ever in memory. {@code numpy.load(f)["arr_0"]}
 * reads the file back.
 */
public final class ImageNpz {
    private ImageNpz() { }

    /** The array's name: {@code numpy.savez(file, x)} calls its first array this. */
    public static final String KEY = "arr_0";

    /** numpy's dtype string for uint8, as {@code numpy.save} writes it. */
    static final String UINT8 = "|u1";

    /** Whether an array header is images: uint8 with 4 dimensions (the reader still checks the layout). */
    public static boolean isImages(NpyArray.Header h) {
        return h.descr().substring(1).equals("u1") && h.shape().length == 4;
    }

    /** Takes the next {@code count} images, (count, H, W, C) uint8 in {@code nhwc[0 ...]}. */
    public interface Sink { void add(byte[] nhwc, int count) throws IOException; }

    /** Gives all N images to the sink, in order and in any number of batches. */
    public interface Producer { void produce(Sink sink) throws IOException; }

    /**
     * Writes the N images that {@code producer} gives, (N, H, W, C) uint8 under {@link #KEY}, replacing {@code file}
     * atomically (nothing is left at {@code file} if the producer fails). The producer must give exactly n images.
     */
    public static void write(Path file, int n, int h, int w, int c, Producer producer) throws IOException {
        write(file, n, h, w, c, null, producer);
    }

    /** The name of the int64 array (N) of a conditional generator's samples' classes, beside {@link #KEY}. */
    public static final String LABELS = "labels";

    /**
     * {@link #write(Path, int, int, int, int, Producer)}, and with {@code labels} (N) not null also the int64 array
     * {@link #LABELS}: the class each image was drawn for ({@code numpy.load(f)["labels"]}).
     */
    public static void write(Path file, int n, int h, int w, int c, long[] labels, Producer producer) throws IOException {
        if (labels != null && labels.length != n) throw new IllegalArgumentException("ImageNpz.write: " + labels.length + " labels for " + n + " images");
        if (n < 0 || h < 1 || w < 1 || c < 1) throw new IllegalArgumentException("ImageNpz.write: shape (" + n + ", " + h + ", " + w + ", " + c + ")");
        long item = (long) h * w * c;
        AtomicFile.write(file, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            zip.setLevel(Deflater.BEST_SPEED);
            ZipEntry e = new ZipEntry(KEY + ".npy");
            e.setMethod(ZipEntry.DEFLATED);
            zip.putNextEntry(e);
            zip.write(NpyArray.headerBytes(UINT8, n, h, w, c));
            long[] written = {0};
            producer.produce((nhwc, count) -> {
                if (count < 0 || written[0] + count > n || count * item > nhwc.length) {
                    throw new IllegalArgumentException("ImageNpz.write: " + count + " more images after " + written[0] + " of " + n
                            + " (from an array of " + nhwc.length + " bytes)");
                }
                zip.write(nhwc, 0, (int) (count * item));
                written[0] += count;
            });
            if (written[0] != n) throw new IllegalStateException("ImageNpz.write: the producer gave " + written[0] + " of " + n + " images");
            zip.closeEntry();
            if (labels != null) {
                zip.putNextEntry(new ZipEntry(LABELS + ".npy"));
                zip.write(NpyArray.ofLongs(labels, n).toBytes());
                zip.closeEntry();
            }
            zip.finish();                                                   // AtomicFile closes the stream
        });
    }

    /** Reads the images of one array of a {@code .npz}, a batch at a time. */
    public static final class Reader implements AutoCloseable {
        private final ZipFile zip;
        private final InputStream in;
        private final String where;
        private final int n, h, w, c;
        private int done;

        private Reader(ZipFile zip, InputStream in, String where, int n, int h, int w, int c) {
            this.zip = zip;
            this.in = in;
            this.where = where;
            this.n = n;
            this.h = h;
            this.w = w;
            this.c = c;
        }

        /** N, the number of images. */
        public int count() { return n; }

        public int height() { return h; }

        public int width() { return w; }

        public int channels() { return c; }

        /**
         * Reads the next images, at most {@code max}, into {@code nhwc} as (k, H, W, C) uint8 and returns k (0 at the
         * end). A file that ends early is a one-line {@link UserError} naming it.
         */
        public int read(byte[] nhwc, int max) throws IOException {
            int k = Math.min(max, n - done);
            int bytes = Math.multiplyExact(k, h * w * c);
            int got;
            try {
                got = in.readNBytes(nhwc, 0, bytes);
            } catch (ZipException e) {
                throw new UserError(where + ": the archive is damaged after " + done + " of " + n + " images: " + e.getMessage());
            }
            if (got < bytes) throw new UserError(where + ": ends after " + (done + got / (h * w * c)) + " of its " + n + " images (the file is cut short)");
            done += k;
            return k;
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } finally {
                zip.close();
            }
        }
    }

    /**
     * Opens the array {@code key} of {@code file} for reading: it must be uint8 (N, H, W, C) in C order with C of 1 or 3
     * and N ≥ 1; anything else is a one-line {@link UserError} naming the file, the array and what is wrong (an array
     * that looks like (N, C, H, W) says how to transpose it).
     */
    public static Reader open(Path file, String key) {
        String where = file + ": " + key;
        ZipFile zip = null;
        try {
            zip = new ZipFile(file.toFile());
            ZipEntry e = zip.getEntry(key + ".npy");
            if (e == null) throw new UserError(file + ": no array " + key);
            InputStream in = zip.getInputStream(e);
            NpyArray.Header hd = NpyArray.readHeader(in, where);
            long[] s = hd.shape();
            if (!isImages(hd)) {
                throw new UserError(where + " is " + hd.dtypeName() + " " + hd.shapeText() + ", not images: uint8 (N, H, W, C)");
            }
            if (hd.fortranOrder()) {
                throw new UserError(where + " is stored in Fortran order; save it in C order (numpy.ascontiguousarray) as (N, H, W, C)");
            }
            if (s[3] != 1 && s[3] != 3) {
                String hint = (s[1] == 1 || s[1] == 3) ? "; it looks like (N, C, H, W): save x.transpose(0, 2, 3, 1)" : "";
                throw new UserError(where + " has shape " + hd.shapeText() + ": images are (N, H, W, C) with C = 1 (gray) or 3 (RGB)" + hint);
            }
            if (s[0] < 1 || s[1] < 1 || s[2] < 1) throw new UserError(where + " has shape " + hd.shapeText() + ": no images");
            if (s[0] > Integer.MAX_VALUE || s[1] * s[2] * s[3] > (1 << 28)) {
                throw new UserError(where + " has shape " + hd.shapeText() + ", more images or larger ones than Sparring reads");
            }
            if (e.getSize() >= 0 && e.getSize() != hd.dataOffset() + hd.dataBytes()) {
                throw new UserError(where + ": shape " + hd.shapeText() + " needs " + hd.dataBytes() + " bytes but the array holds "
                        + (e.getSize() - hd.dataOffset()));
            }
            Reader r = new Reader(zip, in, file.toString(), (int) s[0], (int) s[1], (int) s[2], (int) s[3]);
            zip = null;                                                     // the reader owns it now
            return r;
        } catch (ZipException e) {
            throw new UserError(file + ": not a readable .npz (zip) archive: " + e.getMessage());
        } catch (IOException e) {
            throw new UserError(file + ": cannot be read: " + e.getMessage(), e);
        } finally {
            if (zip != null) {
                try {
                    zip.close();
                } catch (IOException ignored) {
                    // the error being thrown says what went wrong
                }
            }
        }
    }
}
