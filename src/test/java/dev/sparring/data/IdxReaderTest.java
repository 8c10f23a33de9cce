package dev.sparring.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
    @TempDir Path dir;

    /** An IDX file: big-endian magic, dims, then the bytes. */
    static byte[] idx(int magic, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.putInt(magic);
        for (int d : dims) b.putInt(d);
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }

    /** 3 images of 2 x 4 with distinct bytes (values over 127 included) and labels 7, 0, 255. */
    static byte[] pixels() {
        byte[] p = new byte[3 * 2 * 4];
        for (int i = 0; i < p.length; i++) p[i] = (byte) (i * 11);
        return p;
    }

    @Test
    void roundTripRawAndGzip() throws IOException {
        byte[] px = pixels();
        byte[] images = idx(0x803, new int[] {3, 2, 4}, px);
        byte[] labels = idx(0x801, new int[] {3}, new byte[] {7, 0, (byte) 255});
        Path rawImages = Files.write(dir.resolve("a-images-idx3-ubyte"), images);
        Path gzImages = Files.write(dir.resolve("b-images-idx3-ubyte.gz"), gzip(images));
        Path gzLabels = Files.write(dir.resolve("b-labels-idx1-ubyte.gz"), gzip(labels));

        ImageDataset raw = IdxReader.images("a", rawImages, null);
        assertEquals(3, raw.size());
        assertArrayEquals(new int[] {1, 2, 4}, raw.itemShape());
        assertArrayEquals(px, raw.pixels());
        assertNull(raw.labels());

        ImageDataset gz = IdxReader.images("b", gzImages, gzLabels);
        assertArrayEquals(px, gz.pixels());
        assertArrayEquals(new int[] {7, 0, 255}, gz.labels());
        assertEquals(2, gz.height());
        assertEquals(4, gz.width());
        assertEquals(1, gz.channels());
    }

    @Test
    void wrongMagicIsNamed() throws IOException {
        Path labelsAsImages = Files.write(dir.resolve("x-idx3-ubyte"), idx(0x801, new int[] {3}, new byte[3]));
        DataException e = assertThrows(DataException.class, () -> IdxReader.images("x", labelsAsImages, null));
        assertTrue(e.getMessage().contains(labelsAsImages.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("0x00000801") && e.getMessage().contains("0x00000803"), e.getMessage());

        Path png = Files.write(dir.resolve("not-idx"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0});
        DataException e2 = assertThrows(DataException.class, () -> IdxReader.read(png));
        assertTrue(e2.getMessage().startsWith(png.toString()) && e2.getMessage().contains("not an IDX file"), e2.getMessage());

        Path floats = Files.write(dir.resolve("floats-idx3"), idx(0x0D03, new int[] {1, 1, 1}, new byte[4]));
        DataException e3 = assertThrows(DataException.class, () -> IdxReader.read(floats));
        assertTrue(e3.getMessage().contains("0x0d"), e3.getMessage());
    }

    @Test
    void truncatedFilesAreRefused() throws IOException {
        byte[] images = idx(0x803, new int[] {3, 2, 4}, pixels());
        byte[] cut = Arrays.copyOf(images, images.length - 5);
        Path raw = Files.write(dir.resolve("cut-idx3-ubyte"), cut);
        DataException e = assertThrows(DataException.class, () -> IdxReader.read(raw));
        assertTrue(e.getMessage().contains(raw.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("need 24") && e.getMessage().contains("only 19"), e.getMessage());

        Path header = Files.write(dir.resolve("header-idx3-ubyte"), Arrays.copyOf(images, 9));
        DataException eh = assertThrows(DataException.class, () -> IdxReader.read(header));
        assertTrue(eh.getMessage().contains("truncated IDX header"), eh.getMessage());

        byte[] gz = gzip(images);
        Path gzCut = Files.write(dir.resolve("cut-idx3-ubyte.gz"), Arrays.copyOf(gz, gz.length / 2));
        DataException eg = assertThrows(DataException.class, () -> IdxReader.read(gzCut));
        assertTrue(eg.getMessage().contains(gzCut.toString()) && eg.getMessage().contains("truncated"), eg.getMessage());

        Path longer = Files.write(dir.resolve("long-idx3-ubyte"), Arrays.copyOf(images, images.length + 3));
        DataException el = assertThrows(DataException.class, () -> IdxReader.read(longer));
        assertTrue(el.getMessage().contains("3 bytes after"), el.getMessage());
    }

    @Test
    void labelCountMismatchNamesBothFiles() throws IOException {
        Path images = Files.write(dir.resolve("m-images-idx3-ubyte"), idx(0x803, new int[] {3, 2, 4}, pixels()));
        Path labels = Files.write(dir.resolve("m-labels-idx1-ubyte"), idx(0x801, new int[] {2}, new byte[] {1, 2}));
        DataException e = assertThrows(DataException.class, () -> IdxReader.images("m", images, labels));
        assertTrue(e.getMessage().contains(images.toString()) && e.getMessage().contains(labels.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("2 labels") && e.getMessage().contains("3 images"), e.getMessage());
    }

    @Test
    void missingFileIsNamed() {
        Path none = dir.resolve("none-idx3-ubyte.gz");
        DataException e = assertThrows(DataException.class, () -> IdxReader.read(none));
        assertTrue(e.getMessage().contains(none.toString()) && e.getMessage().contains("not found"), e.getMessage());
    }
}
