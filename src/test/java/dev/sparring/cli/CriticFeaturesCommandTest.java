package dev.sparring.cli;

import dev.sparring.io.Json;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sparring critic-features}, end to end on tiny runs, and its one-line refusals. */
class CriticFeaturesCommandTest {
    @TempDir
    static Path runs;
    static String cond, ring;

    @BeforeAll
    static void train() {
        CliTest.trainTinyDigits(runs, "c");
        cond = runs.resolve("c").toString();
        CliTest.trainTinyRing(runs, "r");
        ring = runs.resolve("r").toString();
    }

    private static CliTest.Run features(String... args) {
        List<String> a = new ArrayList<>(List.of("critic-features"));
        a.addAll(List.of(args));
        a.addAll(List.of("--device", "cpu", "--no-progress"));
        return CliTest.run(a.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) { return (Map<String, Object>) o; }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) { return (List<Object>) o; }

    private static double num(Object o) { return ((Number) o).doubleValue(); }

    @Test
    void writesTheFigureAndSummaryOfAConditionalRun(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("f");
        CliTest.Run r = features("--checkpoint", cond, "--n", "12", "--perplexity", "5", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        Map<String, Object> s = Json.readObject(out.resolve("summary.json"));
        assertEquals(12, ((Number) s.get("n")).intValue());
        assertEquals("G", s.get("generator"), "the critic's opponent, not G_ema");
        assertEquals(10, ((Number) s.get("classes")).intValue());
        List<Object> layers = list(s.get("layers"));
        assertEquals(2, layers.size());
        Map<String, Object> first = map(layers.get(0));
        assertEquals(List.of(4, 14, 14), first.get("shape"));
        Map<String, Object> sep = map(first.get("separability"));
        assertEquals(24, ((Number) sep.get("images")).intValue());
        double acc = num(sep.get("accuracy"));
        assertTrue(acc >= 0 && acc <= 1, "accuracy " + acc);
        assertEquals(acc, ((Number) sep.get("correct")).intValue() / 24.0, 1e-12);
        assertTrue(num(first.get("tsne_kl")) >= 0);
        assertTrue(map(s.get("score")).containsKey("mean_real"));
        BufferedImage png = ImageIO.read(out.resolve("features.png").toFile());
        assertEquals(2 * 400, png.getWidth(), "a column per block");
        try (var files = Files.list(out)) {
            assertEquals(List.of("features.png", "summary.json"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertTrue(r.out().contains("block 2"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains("score") && l.contains("separability")), r.out());

        // the same output again: refused, nothing touched
        long before = Files.getLastModifiedTime(out.resolve("summary.json")).toMillis();
        CliTest.Run again = features("--checkpoint", cond, "--n", "12", "--perplexity", "5", "--out", out.toString());
        assertEquals(2, again.code());
        assertOneLine(again, "--out " + out + " is not empty");
        assertEquals(before, Files.getLastModifiedTime(out.resolve("summary.json")).toMillis());

        // training-mode batch norm: batches of the run's size, all real or all fake
        Path batch = dir.resolve("b");
        CliTest.Run b = features("--checkpoint", cond, "--n", "12", "--perplexity", "5", "--batch-norm", "batch", "--out", batch.toString());
        assertEquals(0, b.code(), b.err());
        assertTrue(((String) Json.readObject(batch.resolve("summary.json")).get("batch_norm")).startsWith("batch: training mode, each batch of 10 images"));
    }

    private static void assertOneLine(CliTest.Run r, String text) {
        assertTrue(r.err().strip().lines().count() == 1 && r.err().contains(text), "one line with '" + text + "', got: " + r.err());
    }

    @Test
    void refusesBadInputInOneLine(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("never");
        CliTest.Run mlp = features("--checkpoint", ring, "--out", out.toString());
        assertEquals(2, mlp.code());
        assertOneLine(mlp, "holds a 2-D model (ring8)");
        CliTest.Run zero = features("--checkpoint", cond, "--n", "0", "--out", out.toString());
        assertEquals(2, zero.code());
        assertOneLine(zero, "--n 0: give 4 to 1024 images per side");
        CliTest.Run missing = features("--checkpoint", dir.resolve("nothing").toString(), "--out", out.toString());
        assertEquals(2, missing.code());
        assertOneLine(missing, "nothing");
        CliTest.Run perplexity = features("--checkpoint", cond, "--n", "12", "--perplexity", "8", "--out", out.toString());
        assertEquals(2, perplexity.code());
        assertOneLine(perplexity, "--perplexity 8: for --n 12 (24 points) it must be above 0 and at most 7.7");
        CliTest.Run bn = features("--checkpoint", cond, "--batch-norm", "frozen", "--out", out.toString());
        assertEquals(2, bn.code());
        assertOneLine(bn, "--batch-norm frozen: running or batch");
        CliTest.Run none = features("--checkpoint", cond, "--components", "0", "--out", out.toString());
        assertEquals(2, none.code());
        assertOneLine(none, "--components 0: must be >= 1");
        assertFalse(Files.exists(out), "a refused command makes no folder");
        Path file = dir.resolve("taken");
        Files.writeString(file, "mine");
        CliTest.Run taken = features("--checkpoint", cond, "--n", "4", "--perplexity", "2", "--out", file.toString());
        assertEquals(2, taken.code());
        assertOneLine(taken, "is a file");
        assertEquals("mine", Files.readString(file));
        CliTest.Run help = CliTest.run("critic-features", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--perplexity") && help.out().contains("--batch-norm"), help.out());
    }
}
