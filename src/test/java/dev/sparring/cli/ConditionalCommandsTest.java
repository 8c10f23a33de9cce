package dev.sparring.cli;

import dev.sparring.eval.Npz;
import dev.sparring.eval.NpyArray;
import dev.sparring.io.Json;
import dev.sparring.viz.ImageGrid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** train --conditional and what sample, classify and fid do with a conditional checkpoint, end to end on tiny runs. */
class ConditionalCommandsTest {
    static final String[] TINY = {"--batch", "8", "--ngf", "4", "--ndf", "4", "--nz", "4", "--device", "cpu", "--no-progress"};

    static String[] cat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void aConditionalRunRecordsItsClassesResumesAsOneAndSamplesByClass(@TempDir Path dir) throws IOException {
        CliTest.Run t = CliTest.run(cat(new String[]{"train", "--conditional", "--steps", "2", "--out", dir.toString(), "--name", "c"}, TINY));
        assertEquals(0, t.code(), t.err());
        assertTrue(t.err().contains("class-conditional: 10 classes, G takes [z, one-hot label]"), t.err());
        Path run = dir.resolve("c");
        Map<String, Object> cfg = Json.parseObject(Files.readString(run.resolve("config.json")), "config.json");
        assertEquals(true, cfg.get("conditional"));
        assertEquals(10, ((Number) cfg.get("classes")).intValue());
        BufferedImage grid = ImageIO.read(run.resolve("samples").resolve("step_000002.png").toFile());
        assertEquals(10 * (28 + ImageGrid.PADDING) + ImageGrid.PADDING, grid.getHeight(), "one row per digit");
        assertEquals(8 * (28 + ImageGrid.PADDING) + ImageGrid.PADDING, grid.getWidth(), "of 8 samples");

        CliTest.Run r = CliTest.run(cat(new String[]{"train", "--resume", run.toString(), "--steps", "3"}, "--device", "cpu", "--no-progress"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("class-conditional: 10 classes"), "--resume keeps the run conditional: " + r.err());

        // an unconditional run on the bundled digits (--no-conditional, or one recorded before the conditional default)
        // resumes unconditional: --resume keeps what the run recorded
        CliTest.Run u = CliTest.run(cat(new String[]{"train", "--no-conditional", "--steps", "1", "--out", dir.toString(), "--name", "u"}, TINY));
        assertEquals(0, u.code(), u.err());
        assertFalse(u.err().contains("class-conditional"), u.err());
        Path uc = dir.resolve("u"), ucfg = uc.resolve("config.json");
        Map<String, Object> old = Json.parseObject(Files.readString(ucfg), "config.json");
        assertEquals(false, old.get("conditional"));
        CliTest.Run ur = CliTest.run(cat(new String[]{"train", "--resume", uc.toString(), "--steps", "2"}, "--device", "cpu", "--no-progress"));
        assertEquals(0, ur.code(), ur.err());
        assertFalse(ur.err().contains("class-conditional"), ur.err());
        CliTest.Run flag = CliTest.run("train", "--resume", uc.toString(), "--steps", "3", "--conditional");
        assertEquals(2, flag.code());
        assertTrue(flag.err().contains("does not take --conditional"), flag.err());

        Path npz = dir.resolve("s.npz");
        CliTest.Run s = CliTest.run("sample", "--checkpoint", run.toString(), "--n", "13", "--out", npz.toString(), "--device", "cpu");
        assertEquals(0, s.code(), s.err());
        NpyArray labels = Npz.read(npz).get("labels");
        assertArrayEquals(new long[]{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2}, labels.toLongs("labels"), "balanced: sample i of class i mod 10");
        s = CliTest.run("sample", "--checkpoint", run.toString(), "--n", "3", "--class", "7", "--out", npz.toString(), "--overwrite", "--device", "cpu");
        assertEquals(0, s.code(), s.err());
        assertArrayEquals(new long[]{7, 7, 7}, Npz.read(npz).get("labels").toLongs("labels"));
        Path folder = dir.resolve("pngs");
        s = CliTest.run("sample", "--checkpoint", run.toString(), "--n", "3", "--out-dir", folder.toString(), "--device", "cpu");
        assertEquals(0, s.code(), s.err());
        assertEquals("file,class\n000000.png,0\n000001.png,1\n000002.png,2\n", Files.readString(folder.resolve("labels.csv")));
        Path png = dir.resolve("grid.png");
        s = CliTest.run("sample", "--checkpoint", run.toString(), "--out", png.toString(), "--cols", "3", "--device", "cpu");
        assertEquals(0, s.code(), s.err());
        assertEquals(10 * (28 + ImageGrid.PADDING) + ImageGrid.PADDING, ImageIO.read(png.toFile()).getHeight(), "a row per class");
        assertEquals(3 * (28 + ImageGrid.PADDING) + ImageGrid.PADDING, ImageIO.read(png.toFile()).getWidth(), "--cols per class");

        // bad --class and --n, in one line naming the flag
        for (String[] bad : new String[][]{{"--class", "10"}, {"--class", "-1"}, {"--n", "64"}}) {
            CliTest.Run e = CliTest.run(cat(new String[]{"sample", "--checkpoint", run.toString(), "--out", png.toString(), "--overwrite",
                    "--device", "cpu"}, bad));
            assertEquals(2, e.code(), e.err());
            assertTrue(e.err().strip().startsWith("sparring: " + bad[0] + " " + bad[1]), e.err());
            assertEquals(1, e.err().strip().lines().count(), e.err());
        }

        CliTest.Run c = CliTest.run("classify", "--checkpoint", run.toString(), "--n", "20", "--batch", "8", "--device", "cpu");
        assertEquals(0, c.code(), c.err());
        assertTrue(c.out().contains("conditional: each sample drawn for one class") && c.out().contains("requested digit 9"), c.out());
        CliTest.Run f = CliTest.run("fid", "mnist", run.toString(), "--n", "20", "--json", "--device", "cpu");
        assertEquals(0, f.code(), f.err());
    }

    @Test
    void classSubfoldersAreLabelsAndBadInputIsRefusedInOneLine(@TempDir Path dir) throws IOException {
        Path flat = dir.resolve("flat"), one = dir.resolve("one"), two = dir.resolve("two");
        for (Path p : new Path[]{flat, one.resolve("cats"), two.resolve("a"), two.resolve("b")}) Files.createDirectories(p);
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 8; i++) {
            ImageIO.write(img, "png", flat.resolve(i + ".png").toFile());
            ImageIO.write(img, "png", one.resolve("cats").resolve(i + ".png").toFile());
            ImageIO.write(img, "png", two.resolve(i % 2 == 0 ? "a" : "b").resolve(i + ".png").toFile());
        }
        String[] train = {"train", "--conditional", "--steps", "1", "--out", dir.resolve("runs").toString()};
        String[][] bad = {{flat.toString(), "--conditional: --data " + flat + " has no labels"},
                {one.toString(), "--conditional: --data " + one + " has one class only (every image is in its subfolder 'cats')"},
                {"ring8", "--conditional: --data ring8 is 2-D points"}};
        for (String[] b : bad) {
            CliTest.Run e = CliTest.run(cat(cat(train, "--data", b[0]), TINY));
            assertEquals(2, e.code(), e.err());
            assertTrue(e.err().strip().startsWith("sparring: " + b[1]), e.err());
            assertEquals(1, e.err().strip().lines().count(), e.err());
        }
        // two class subfolders: the labels of torchvision's ImageFolder (the subfolders' sorted names), none for a flat folder
        var ab = dev.sparring.data.ImageFolder.load(two, 28, 0);
        assertArrayEquals(new int[]{0, 0, 0, 0, 1, 1, 1, 1}, ab.labels(), "a/0.png, a/2.png, ..., b/1.png, ... in path order");
        assertEquals(java.util.List.of("a", "b"), ab.classNames());
        assertNull(dev.sparring.data.ImageFolder.load(flat, 28, 0).labels());
    }
}
