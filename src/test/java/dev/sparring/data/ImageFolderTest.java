package dev.sparring.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir Path dir;

    interface Pixel { int at(int x, int y); }

    static Path writeRgb(Path file, int w, int h, Pixel rgb, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, rgb.at(x, y));
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, format, file.toFile()), "no writer for " + format);
        return file;
    }

    static Path writeGray(Path file, int w, int h, Pixel v, String format) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, v.at(x, y));
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, format, file.toFile()), "no writer for " + format);
        return file;
    }

    static int px(ImageDataset d, int i, int c, int y, int x) {
        int s = d.height();
        return d.pixels()[((i * d.channels() + c) * s + y) * d.width() + x] & 0xFF;
    }

    /** A folder with a wide RGB PNG, a tall gray PNG, an RGB JPEG and (in a subfolder) a gray JPEG. */
    Path mixedFolder() throws IOException {
        Path f = dir.resolve("mixed");
        writeRgb(f.resolve("rgb.png"), 12, 8, (x, y) -> (10 * x) << 16 | (20 * y) << 8 | 7, "png");
        writeGray(f.resolve("gray.png"), 8, 12, (x, y) -> 10 * y + x, "png");
        writeRgb(f.resolve("photo.jpg"), 10, 10, (x, y) -> 200 << 16 | 100 << 8 | 50, "jpg");
        writeGray(f.resolve("sub/gray.jpg"), 8, 8, (x, y) -> 128, "jpg");
        Files.writeString(f.resolve("notes.txt"), "not an image");
        return f;
    }

    @Test
    void loadsSortedRecursiveMixedFolderWithCenterCrop() throws IOException {
        Path f = mixedFolder();
        List<Path> files = ImageFolder.list(f);
        assertEquals(List.of(f.resolve("gray.png"), f.resolve("photo.jpg"), f.resolve("rgb.png"), f.resolve("sub/gray.jpg")),
                files);

        ImageDataset d = ImageFolder.load(f, 4, 0);
        assertEquals(4, d.size());
        assertArrayEquals(new int[] {3, 4, 4}, d.itemShape(), "not all gray: 3 channels");
        assertNull(d.labels());
        assertEquals("mixed", d.name());
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                // gray.png, 8 wide x 12 tall, v = 10 y + x: rows 2..9 kept, 2 x 2 means = 10 (2.5 + 2i) + (0.5 + 2j)
                int g = (int) Math.floor(25.5 + 20 * y + 2 * x + 0.5);
                for (int c = 0; c < 3; c++) assertEquals(g, px(d, 0, c, y, x), "gray.png c" + c + " y" + y + " x" + x);
                // rgb.png, 12 wide x 8 tall: columns 2..9 kept; R = 10 x -> 10 (2.5 + 2j); G = 20 y -> 20 (0.5 + 2i)
                assertEquals(25 + 20 * x, px(d, 2, 0, y, x), "rgb.png R y" + y + " x" + x);
                assertEquals(10 + 40 * y, px(d, 2, 1, y, x), "rgb.png G y" + y + " x" + x);
                assertEquals(7, px(d, 2, 2, y, x), "rgb.png B y" + y + " x" + x);
                // JPEG is lossy, but a flat color survives within a few levels
                assertEquals(200, px(d, 1, 0, y, x), 4);
                assertEquals(100, px(d, 1, 1, y, x), 4);
                assertEquals(50, px(d, 1, 2, y, x), 4);
                for (int c = 0; c < 3; c++) assertEquals(128, px(d, 3, c, y, x), 2);
            }
        }

        ImageDataset g = ImageFolder.load(f, 4, 1);
        assertEquals(1, g.channels());
        // rgb.png pixel (0, 0): R 25, G 10, B 7 -> 0.299*25 + 0.587*10 + 0.114*7 = 14.2
        assertEquals(14, px(g, 2, 0, 0, 0));
        assertEquals(26, px(g, 0, 0, 0, 0));
    }

    @Test
    void allGrayFolderKeepsOneChannelAndNativeSize() throws IOException {
        Path f = dir.resolve("grays");
        writeGray(f.resolve("a.png"), 5, 3, (x, y) -> 40 * y + x, "png");
        writeGray(f.resolve("b.png"), 5, 3, (x, y) -> 255 - x, "png");
        ImageDataset d = ImageFolder.load(f, 0, 0);
        assertArrayEquals(new int[] {1, 3, 5}, d.itemShape());
        assertEquals(84, px(d, 0, 0, 2, 4));
        assertEquals(251, px(d, 1, 0, 0, 4));
        assertEquals(3, ImageFolder.load(f, 3, 3).channels());

        writeGray(f.resolve("c.png"), 4, 4, (x, y) -> 0, "png");
        DataException e = assertThrows(DataException.class, () -> ImageFolder.load(f, 0, 0));
        assertTrue(e.getMessage().contains("c.png") && e.getMessage().contains("4x4") && e.getMessage().contains("5x3"),
                e.getMessage());
    }

    @Test
    void missingFolder() {
        Path none = dir.resolve("nowhere");
        DataException e = assertThrows(DataException.class, () -> ImageFolder.load(none, 8, 0));
        assertTrue(e.getMessage().contains(none.toString()) && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void emptyFolder() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty/deeper"));
        Files.writeString(empty.resolve("readme.txt"), "no images here");
        DataException e = assertThrows(DataException.class, () -> ImageFolder.load(dir.resolve("empty"), 8, 0));
        assertTrue(e.getMessage().contains("empty") && e.getMessage().contains("no PNG or JPEG"), e.getMessage());
    }

    @Test
    void corruptImage() throws IOException {
        Path f = dir.resolve("corrupt");
        writeGray(f.resolve("a.png"), 8, 8, (x, y) -> x, "png");
        Path bad = Files.write(f.resolve("b.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5, 6, 7});
        DataException e = assertThrows(DataException.class, () -> ImageFolder.load(f, 8, 0));
        assertTrue(e.getMessage().contains(bad.toString()), e.getMessage());

        Path text = dir.resolve("text");
        Path fake = Files.createDirectories(text).resolve("photo.jpg");
        Files.writeString(fake, "this is not a jpeg");
        DataException e2 = assertThrows(DataException.class, () -> ImageFolder.load(text, 8, 0));
        assertTrue(e2.getMessage().contains(fake.toString()) && e2.getMessage().contains("decod"), e2.getMessage());
    }

    @Test
    void imageSmallerThanModelSizeIsRefusedNotUpscaled() throws IOException {
        Path f = dir.resolve("small");
        writeRgb(f.resolve("big.png"), 40, 40, (x, y) -> 0, "png");
        Path small = writeRgb(f.resolve("tiny.png"), 30, 20, (x, y) -> 0, "png");
        DataException e = assertThrows(DataException.class, () -> ImageFolder.load(f, 32, 0));
        String m = e.getMessage();
        assertTrue(m.contains(small.toString()) && m.contains("30x20") && m.contains("32x32"), m);
        assertEquals(20, ImageFolder.load(f, 20, 0).height());
    }

    /** A file holding the first part of an encoded image of random pixels (which compresses poorly). */
    static Path truncated(Path file, String format, double keep) throws IOException {
        Random r = new Random(file.getFileName().toString().hashCode());
        writeRgb(file, 32, 32, (x, y) -> r.nextInt(), format);
        byte[] all = Files.readAllBytes(file);
        return Files.write(file, Arrays.copyOf(all, (int) (all.length * keep)));
    }

    /** Asserts that message has a line "  PATH: ...PHRASE...". */
    static void listed(String message, Path file, String phrase) {
        assertTrue(message.lines().anyMatch(l -> l.startsWith("  " + file + ": ") && l.contains(phrase)),
                "expected a line for " + file + " with \"" + phrase + "\" in:\n" + message);
    }

    @Test
    void everyBadFileIsListedWithItsReason() throws IOException {
        Path f = dir.resolve("bad");
        Path a = writeGray(f.resolve("a.png"), 8, 8, (x, y) -> x, "png");
        Path junk = Files.write(f.resolve("b.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5, 6, 7});
        Path text = Files.writeString(f.resolve("c.jpg"), "this is not a jpeg");
        Path cutJpeg = truncated(f.resolve("d.jpg"), "jpg", 0.6);
        Path cutPng = truncated(f.resolve("e.png"), "png", 0.6);
        Path small = writeRgb(f.resolve("sub/f.png"), 6, 9, (x, y) -> 0, "png");
        Path z = writeRgb(f.resolve("z.jpg"), 10, 10, (x, y) -> 0x808080, "jpg");

        String m = assertThrows(DataException.class, () -> ImageFolder.load(f, 8, 0)).getMessage();
        assertTrue(m.startsWith(f + ": 5 of 7 images cannot be used:\n"), m);
        listed(m, junk, "PNG or JPEG");
        listed(m, text, "not a PNG or JPEG image");
        listed(m, cutJpeg, "truncated or corrupt image data");
        listed(m, cutPng, "cannot decode the image");
        listed(m, small, "6x9 (width x height), smaller than the image size 8x8");
        assertFalse(m.contains(a.toString()) || m.contains(z.toString()), "the good images are not listed: " + m);
        assertTrue(m.endsWith("Fix or remove them, or pass --skip-bad-images to leave them out and use the other 2"), m);
        assertEquals(7, m.lines().count(), m);
    }

    @Test
    void aListOfManyBadFilesStopsAtTwentyAndCountsTheRest() throws IOException {
        Path f = dir.resolve("many");
        writeGray(f.resolve("good.png"), 4, 4, (x, y) -> 0, "png");
        for (int i = 0; i < 26; i++) Files.writeString(f.resolve(String.format("x%02d.png", i)), "junk");
        String m = assertThrows(DataException.class, () -> ImageFolder.load(f, 4, 0)).getMessage();
        assertTrue(m.startsWith(f + ": 26 of 27 images cannot be used:"), m);
        for (int i = 0; i < 20; i++) listed(m, f.resolve(String.format("x%02d.png", i)), "not a PNG or JPEG image");
        assertFalse(m.contains("x20.png"), m);
        assertTrue(m.contains("\n  ... and 6 more\n"), m);
    }

    @Test
    void imagesTooSmallForTheImageSizeSuggestOnlySizesTheModelTakes() throws IOException {
        Path f = dir.resolve("forty");
        writeRgb(f.resolve("big.png"), 70, 70, (x, y) -> 0, "png");
        Path small = writeRgb(f.resolve("small.png"), 40, 50, (x, y) -> 0, "png");
        String m = assertThrows(DataException.class, () -> ImageFolder.load(f, 64, 0)).getMessage();
        listed(m, small, "40x50 (width x height), smaller than the image size 64x64");
        assertTrue(m.endsWith("; to keep the images that are too small, use --image-size 28 or 32"), m);
        assertFalse(m.contains("at most 40"), m);

        Path g = dir.resolve("tiny");
        writeRgb(g.resolve("big.png"), 40, 40, (x, y) -> 0, "png");
        writeRgb(g.resolve("tiny.png"), 20, 20, (x, y) -> 0, "png");
        String n = assertThrows(DataException.class, () -> ImageFolder.load(g, 32, 0)).getMessage();
        assertFalse(n.contains("--image-size"), "no size the model takes keeps a 20 px image: " + n);
    }

    @Test
    void skipBadImagesLeavesThemOutWithOneWarning() throws IOException {
        Path f = dir.resolve("mixed-bad");
        Path clean = dir.resolve("clean");
        for (Path p : List.of(f, clean)) {
            writeRgb(p.resolve("a.png"), 10, 12, (x, y) -> (20 * x) << 16 | (10 * y) << 8 | 3, "png");
            writeGray(p.resolve("sub/c.png"), 9, 9, (x, y) -> 7 * x + y, "png");
            writeRgb(p.resolve("e.png"), 8, 8, (x, y) -> 0x00FF00, "png");
        }
        Files.writeString(f.resolve("b.png"), "junk");
        truncated(f.resolve("sub/d.jpg"), "jpg", 0.5);
        writeRgb(f.resolve("f.png"), 4, 4, (x, y) -> 0, "png");   // smaller than 8

        List<String> warnings = new ArrayList<>();
        ImageDataset d = ImageFolder.load(f, 8, 0, true, warnings::add);
        ImageDataset expected = ImageFolder.load(clean, 8, 0);
        assertEquals(3, d.size());
        assertArrayEquals(expected.pixels(), d.pixels(), "the good images, in their usual order");
        assertEquals(1, warnings.size(), warnings.toString());
        String w = warnings.get(0);
        assertTrue(w.startsWith("--skip-bad-images: left out 3 of 6 images in " + f) && w.contains("(b.png, f.png, sub/d.jpg;")
                && w.endsWith("using the other 3") && !w.contains("\n"), w);

        List<String> none = new ArrayList<>();
        assertArrayEquals(expected.pixels(), ImageFolder.load(clean, 8, 0, true, none::add).pixels());
        assertEquals(List.of(), none, "no warning when nothing is left out");
    }

    @Test
    void skipBadImagesWithNothingLeftIsAnError() throws IOException {
        Path f = dir.resolve("all-bad");
        Path b = Files.createDirectories(f).resolve("b.png");
        Files.writeString(b, "junk");
        Path c = Files.writeString(f.resolve("c.jpg"), "junk");
        List<String> warnings = new ArrayList<>();
        String m = assertThrows(DataException.class, () -> ImageFolder.load(f, 8, 0, true, warnings::add)).getMessage();
        assertTrue(m.startsWith(f + ": none of its 2 images can be used:"), m);
        listed(m, b, "not a PNG or JPEG image");
        listed(m, c, "not a PNG or JPEG image");
        assertTrue(m.endsWith("--skip-bad-images leaves nothing to use: fix or replace them"), m);
        assertEquals(List.of(), warnings);
        String without = assertThrows(DataException.class, () -> ImageFolder.load(f, 8, 0)).getMessage();
        assertTrue(without.endsWith("\nFix or replace them"), "skipping would leave nothing, so it is not offered: " + without);
    }

    @Test
    void damagingDecoderWarnings() {
        assertTrue(ImageFolder.damaging("Truncated File - Missing EOI marker"));
        assertTrue(ImageFolder.damaging("Corrupt JPEG data: premature end of data segment"));
        assertTrue(ImageFolder.damaging("Premature end of JPEG file"));
        assertTrue(ImageFolder.damaging("Corrupt JPEG data: bad Huffman code"));
        assertFalse(ImageFolder.damaging("Corrupt JPEG data: 12 extraneous bytes before marker 0xd9"));
        assertFalse(ImageFolder.damaging("Embedded color profile is invalid; ignored"));
        assertFalse(ImageFolder.damaging("tRNS chunk without prior PLTE chunk, ignoring it."));
    }
}
