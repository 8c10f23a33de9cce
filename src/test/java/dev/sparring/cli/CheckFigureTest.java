package dev.sparring.cli;

import dev.sparring.gan.loss.GanLoss;
import dev.sparring.gan.loss.GanLosses;
import dev.sparring.viz.Rendered;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The figure of {@code sparring loss check --png}. */
class CheckFigureTest {
    private static final String BROKEN = "phi=softplus(-t); psi=softplus(t)";   // fails "range"

    @Test
    void panelsFollowHowFarTheCheckGot(@TempDir Path dir) throws IOException {
        Path three = dir.resolve("sub/minimax.png"), four = dir.resolve("nsgan.png"), wgan = dir.resolve("wgan.png");
        Path broken = dir.resolve("broken.png");
        CheckFigure.write(GanLosses.get("minimax").check(), three);
        CheckFigure.write(GanLosses.get("nsgan").check(), four);
        CheckFigure.write(GanLosses.get("wgan").check(), wgan);
        CheckFigure.write(GanLoss.parse(BROKEN).check(), broken);
        BufferedImage a = ImageIO.read(three.toFile()), b = ImageIO.read(four.toFile()), w = ImageIO.read(wgan.toFile());
        BufferedImage c = ImageIO.read(broken.toFile());
        assertEquals(3 * 560, a.getWidth(), "the functions, f and d, omega: one row");
        assertEquals(2 * 560, b.getWidth(), "plus r beta(omega(r)) for a separate generator loss: two rows of two");
        int heading = b.getHeight() - 2 * 420;
        assertTrue(heading > 20 && heading < 100, "a heading above the panels: " + heading);
        assertEquals(560, w.getWidth(), "an IPM has no d(r) or omega(r): only the functions, no empty panel");
        assertEquals(560, c.getWidth(), "a design that fails before Omega: only the functions");

        // f's minimum at r = 1 shows: the y scale follows r in [0.1, 10], so the f curve (blue, the panel's first
        // series) stands far higher at r = 10 than at r = 1, and it passes through f(1) = 0
        Rendered.Panel d = CheckFigure.figure(GanLosses.get("nsgan").check()).render().panels().get(1);
        int at1 = blueRow(b, (int) Math.round(d.px(1)), heading, heading + 420);
        int at10 = blueRow(b, (int) Math.round(d.px(10)), heading, heading + 420);
        assertTrue(at1 - at10 > 100, "f(1) at y = " + at1 + ", f(10) at y = " + at10);
        assertEquals(d.py(0), at1, 2, "f(1) = 0");
        try (var files = Files.list(dir)) {
            assertNull(files.filter(f -> f.getFileName().toString().endsWith(".tmp")).findAny().orElse(null), "temporary files left");
        }
    }

    @Test
    void headingSaysTheVerdictAndWhy() {
        List<String> pass = CheckFigure.heading(GanLosses.get("nsgan").check()), fail = CheckFigure.heading(GanLoss.parse(BROKEN).check());
        assertEquals("nsgan   PASS (interior optimum t* = omega(r))", pass.getFirst());
        assertTrue(pass.get(1).contains("D_f(Q||P) = 2 x JSD"), pass.get(1));
        assertEquals(BROKEN + "   FAIL (range)", fail.getFirst());
        assertTrue(fail.get(1).startsWith("range: "), fail.get(1));
    }

    private static int blueRow(BufferedImage img, int x, int y0, int y1) {
        int blue = 0x1f77b4, sum = 0, n = 0;
        for (int y = y0; y < y1; y++) {
            for (int xx = x - 1; xx <= x + 1; xx++) {
                if ((img.getRGB(xx, y) & 0xffffff) == blue) {
                    sum += y;
                    n++;
                }
            }
        }
        return n == 0 ? -1 : sum / n;
    }
}
