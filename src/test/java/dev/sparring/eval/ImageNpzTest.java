package dev.sparring.eval;

import dev.sparring.UserError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Image arrays (N, H, W, C) uint8 in a .npz, written and read a batch at a time. */
class ImageNpzTest {
    @TempDir
    Path dir;

    /** 7 images of 3 x 2 x 3 (H, W, C) with distinct bytes: pixel value = (31 i + 7 y + 3 x + c) mod 256. */
    private static byte[] images(int n, int h, int w, int c) {
        byte[] b = new byte[n * h * w * c];
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int ch = 0; ch < c; ch++) b[((i * h + y) * w + x) * c + ch] = (byte) (31 * i + 7 * y + 3 * x + ch + 200);
                }
            }
        }
        return b;
    }

    private static void writeInBatches(Path p, byte[] all, int n, int h, int w, int c, int batch) throws IOException {
        int item = h * w * c;
        ImageNpz.write(p, n, h, w, c, sink -> {
            for (int done = 0; done < n; done += batch) {
                int k = Math.min(batch, n - done);
                byte[] part = Arrays.copyOfRange(all, done * item, done * item + batch * item);   // a full batch buffer, k used
                sink.add(part, k);
            }
        });
    }

    @Test
    void writtenInBatchesReadsBackInOtherBatches() throws IOException {
        int n = 7, h = 3, w = 2, c = 3;
        byte[] all = images(n, h, w, c);
        Path p = dir.resolve("x.npz");
        writeInBatches(p, all, n, h, w, c, 3);
        Map<String, NpyArray.Header> headers = Npz.headers(p);
        assertEquals(java.util.List.of(ImageNpz.KEY), java.util.List.copyOf(headers.keySet()));
        assertTrue(ImageNpz.isImages(headers.get(ImageNpz.KEY)));
        assertEquals("arr_0 (uint8, (7, 3, 2, 3))", Npz.describe(headers));
        // the whole-array reader sees the same bytes as numpy would: header, then the elements in C order
        NpyArray a = Npz.read(p).get(ImageNpz.KEY);
        assertArrayEquals(new long[] {n, h, w, c}, a.shape());
        assertArrayEquals(all, a.data());

        try (ImageNpz.Reader r = ImageNpz.open(p, ImageNpz.KEY)) {
            assertEquals(n, r.count());
            assertEquals(h, r.height());
            assertEquals(w, r.width());
            assertEquals(c, r.channels());
            byte[] got = new byte[n * h * w * c], buf = new byte[2 * h * w * c];
            int done = 0;
            for (int k; (k = r.read(buf, 2)) > 0; done += k) System.arraycopy(buf, 0, got, done * h * w * c, k * h * w * c);
            assertEquals(n, done);
            assertArrayEquals(all, got);
        }
    }

    @Test
    void aProducerThatGivesTheWrongNumberLeavesNoFile() {
        Path p = dir.resolve("short.npz");
        assertThrows(IllegalStateException.class, () -> ImageNpz.write(p, 5, 2, 2, 1, sink -> sink.add(new byte[8], 2)));
        assertThrows(IllegalArgumentException.class, () -> ImageNpz.write(p, 1, 2, 2, 1, sink -> sink.add(new byte[8], 2)));
        assertFalse(Files.exists(p));
        try (var s = Files.list(dir)) {
            assertEquals(0, s.count(), "no temporary file left either");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private Path npz(String name, Map<String, byte[]> entries) throws IOException {
        Path p = dir.resolve(name);
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(e.getValue());
                z.closeEntry();
            }
        }
        return p;
    }

    private static byte[] u1(long... shape) {
        long size = 1;
        for (long d : shape) size *= d;
        byte[] h = NpyArray.headerBytes(ImageNpz.UINT8, shape);
        return Arrays.copyOf(h, (int) (h.length + size));
    }

    private void rejects(Path p, String phrase) {
        UserError e = assertThrows(UserError.class, () -> {
            try (ImageNpz.Reader r = ImageNpz.open(p, ImageNpz.KEY)) {
                byte[] buf = new byte[r.count() * r.height() * r.width() * r.channels()];
                r.read(buf, r.count());
            }
        });
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(phrase), "expected \"" + phrase + "\" in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    @Test
    void refusesWhatIsNotImagesInTheRightLayout() throws IOException {
        rejects(npz("nchw.npz", Map.of("arr_0.npy", u1(4, 1, 28, 28))), "looks like (N, C, H, W): save x.transpose(0, 2, 3, 1)");
        rejects(npz("c5.npz", Map.of("arr_0.npy", u1(4, 8, 8, 5))), "C = 1 (gray) or 3 (RGB)");
        rejects(npz("f8.npz", Map.of("arr_0.npy", NpyArray.ofDoubles(new double[4], 1, 2, 2, 1).toBytes())), "is float64 (1, 2, 2, 1), not images");
        rejects(npz("none.npz", Map.of("arr_0.npy", u1(0, 2, 2, 1))), "no images");
        rejects(npz("other.npz", Map.of("x.npy", u1(2, 2, 2, 1))), "no array arr_0");
        byte[] cut = u1(3, 2, 2, 1);
        rejects(npz("cut.npz", Map.of("arr_0.npy", Arrays.copyOf(cut, cut.length - 5))), "needs 12 bytes but the array holds 7");
        Path text = Files.writeString(dir.resolve("text.npz"), "not a zip");
        rejects(text, "not a readable .npz (zip) archive");
    }

    /**
     * numpy reads the file as any array: {@code numpy.load(f)['arr_0']} is uint8 (N, H, W, C) with the bytes written.
     * Skipped where python3 with numpy is not installed.
     */
    @Test
    void numpyLoadsTheImages() throws Exception {
        int n = 7, h = 3, w = 2, c = 3;
        Path p = dir.resolve("for-numpy.npz");
        writeInBatches(p, images(n, h, w, c), n, h, w, c, 4);
        String script = String.join("\n",
                "import sys, numpy as np",
                "a = np.load(sys.argv[1])['arr_0']",
                "i, y, x, c = np.meshgrid(np.arange(7), np.arange(3), np.arange(2), np.arange(3), indexing='ij')",
                "want = ((31 * i + 7 * y + 3 * x + c + 200) % 256).astype(np.uint8)",
                "assert a.dtype == np.uint8 and a.shape == (7, 3, 2, 3), (a.dtype, a.shape)",
                "assert np.array_equal(a, want)",
                "print('numpy read', a.dtype, a.shape)");
        String out = Numpy.run(script, p);
        assertTrue(out.contains("numpy read uint8 (7, 3, 2, 3)"), out);
    }

    @Test
    void headersListWhatAFileHolds() throws IOException {
        Map<String, byte[]> e = new LinkedHashMap<>();
        e.put("mu.npy", NpyArray.ofDoubles(new double[3], 3).toBytes());
        e.put("labels.npy", NpyArray.ofLongs(new long[2], 2).toBytes());
        Path p = npz("mixed.npz", e);
        assertEquals("mu (float64, (3,)), labels (int64, (2,))", Npz.describe(Npz.headers(p)));
        assertEquals("no arrays", Npz.describe(Map.of()));
    }
}
