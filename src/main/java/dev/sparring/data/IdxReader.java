package dev.sparring.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST format), raw or gzipped (recognized by the gzip magic bytes, not by the name).
 *
 * <h2>Format</h2>
 * A big-endian header: the magic number 0x00 0x00 TYPE NDIMS, then NDIMS uint32 dimensions, then the data in
 * row-major order. Only TYPE 0x08 (unsigned byte) is read. Images are magic 0x00000803, dims (N, H, W);
 * labels are magic 0x00000801, dims (N). The data must be exactly the product of the dims in bytes: a file that is
 * shorter (truncated) or longer (wrong dims) is refused.
 */
public final class IdxReader {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxReader() { }

    /** One IDX file: where it came from, its magic number, its dimensions and its bytes (row-major). */
    public record Idx(String source, int magic, int[] dims, byte[] data) { }

    /** Reads an IDX file from disk. */
    public static Idx read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": IDX file not found");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read IDX file: " + e.getMessage(), e);
        }
    }

    /** Reads an IDX stream; source names it in error messages. The stream is not closed. */
    public static Idx read(InputStream raw, String source) {
        try {
            BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
            buffered.mark(2);
            int b0 = buffered.read(), b1 = buffered.read();
            buffered.reset();
            boolean gz = b0 == 0x1f && b1 == 0x8b;
            DataInputStream in = new DataInputStream(gz ? new GZIPInputStream(buffered, 1 << 16) : buffered);

            int magic;
            try {
                magic = in.readInt();
            } catch (EOFException e) {
                throw new DataException(source + ": not an IDX file (shorter than its 4-byte magic number)");
            }
            int type = (magic >>> 8) & 0xFF, ndims = magic & 0xFF;
            if ((magic >>> 16) != 0 || ndims < 1 || ndims > 8) {
                throw new DataException(source + ": not an IDX file (magic number " + hex(magic)
                        + "; expected " + hex(IMAGES_MAGIC) + " for images or " + hex(LABELS_MAGIC) + " for labels)");
            }
            if (type != 0x08) {
                throw new DataException(source + ": IDX element type " + String.format("0x%02x", type)
                        + " is not supported; only unsigned bytes (0x08) are read");
            }
            int[] dims = new int[ndims];
            long count = 1;
            try {
                for (int i = 0; i < ndims; i++) {
                    dims[i] = in.readInt();
                    if (dims[i] < 0) {
                        throw new DataException(source + ": IDX dimension " + i + " is " + (dims[i] & 0xFFFFFFFFL)
                                + ", too large to be real: the header is corrupt");
                    }
                    count *= dims[i];
                    if (count > Integer.MAX_VALUE - 8) {
                        throw new DataException(source + ": IDX dims " + Arrays.toString(dims)
                                + " describe more than 2^31 bytes; Sparring reads datasets into one array");
                    }
                }
            } catch (EOFException e) {
                throw new DataException(source + ": truncated IDX header (magic " + hex(magic) + " announces "
                        + ndims + " dimensions)");
            }
            byte[] data = new byte[(int) count];
            int got = in.readNBytes(data, 0, data.length);
            if (got < data.length) {
                throw new DataException(source + ": truncated IDX file: dims " + Arrays.toString(dims) + " need "
                        + data.length + " data bytes but only " + got + " are there");
            }
            long extra = 0;
            while (in.read() >= 0) extra++;
            if (extra > 0) {
                throw new DataException(source + ": IDX file has " + extra + " bytes after the " + data.length
                        + " that dims " + Arrays.toString(dims) + " describe: wrong dims or not an IDX file");
            }
            return new Idx(source, magic, dims, data);
        } catch (EOFException | ZipException e) {
            throw new DataException(source + ": truncated or corrupt gzip stream (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new DataException(source + ": cannot read IDX data: " + e.getMessage(), e);
        }
    }

    /** Reads an images file and, if labels is not null, its labels file, into a 1-channel dataset. */
    public static ImageDataset images(String name, Path images, Path labels) {
        return images(name, read(images), labels == null ? null : read(labels));
    }

    /** Checks an images IDX (magic 0x803, dims (N, H, W)) and an optional labels IDX (0x801, (N)) and joins them. */
    public static ImageDataset images(String name, Idx images, Idx labels) {
        if (images.magic() != IMAGES_MAGIC) {
            throw new DataException(images.source() + ": wrong IDX magic " + hex(images.magic()) + " for an images file; expected "
                    + hex(IMAGES_MAGIC) + " (unsigned bytes, dims N, H, W)"
                    + (images.magic() == LABELS_MAGIC ? ": this looks like a labels file" : ""));
        }
        int[] d = images.dims();
        if (d[0] == 0 || d[1] == 0 || d[2] == 0) {
            throw new DataException(images.source() + ": IDX images file holds no pixels (dims " + Arrays.toString(d) + ")");
        }
        int[] labelValues = null;
        if (labels != null) {
            if (labels.magic() != LABELS_MAGIC) {
                throw new DataException(labels.source() + ": wrong IDX magic " + hex(labels.magic()) + " for a labels file; expected "
                        + hex(LABELS_MAGIC) + " (unsigned bytes, dims N)"
                        + (labels.magic() == IMAGES_MAGIC ? ": this looks like an images file" : ""));
            }
            if (labels.dims()[0] != d[0]) {
                throw new DataException(labels.source() + ": " + labels.dims()[0] + " labels but " + images.source()
                        + " holds " + d[0] + " images; the two files must describe the same items");
            }
            labelValues = new int[d[0]];                        // (N)
            for (int i = 0; i < d[0]; i++) labelValues[i] = labels.data()[i] & 0xFF;
        }
        return new ImageDataset(name, images.data(), d[0], 1, d[1], d[2], labelValues);
    }

    static String hex(int v) { return String.format("0x%08x", v); }
}
