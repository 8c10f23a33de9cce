package dev.sparring.cli;

import dev.sparring.io.Json;
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
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code sparring sweep}: its folders, table, figure and summary on tiny ring8 grids, a diverging run, and its one-line errors. */
class SweepCommandTest {

    /** A tiny ring8 sweep into {@code out}: a 1-layer MLP with 8 units, then {@code more}. */
    private static CliTest.Run sweep(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("sweep", "--data", "ring8", "--batch", "16", "--hidden", "8", "--depth", "1",
                "--nz", "2", "--sample-every", "12", "--checkpoint-every", "0", "--no-tensorboard", "--no-progress", "--device", "cpu",
                "--out", out.toString()));
        a.addAll(List.of(more));
        return CliTest.run(a.toArray(String[]::new));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) { return (Map<String, Object>) o; }

    @Test
    void aGridOfRunsWithTheirTableFigureAndADivergingRun(@TempDir Path dir) throws IOException {
        // SGD at a critic rate of 100 blows up within a few steps; the sweep records it and goes on
        CliTest.Run r = sweep(dir, "--steps", "12", "--win-window", "4", "--optimizer", "sgd", "--lr-d", "1e-3,100", "--lr-g", "1e-3,2e-3", "--name", "s");
        assertEquals(0, r.code(), r.err());
        Path s = dir.resolve("s");
        List<String> runs = List.of("lrd1e-3-lrg1e-3", "lrd1e-3-lrg2e-3", "lrd1e2-lrg1e-3", "lrd1e2-lrg2e-3");
        try (var l = Files.list(s)) {
            assertEquals(List.of("losses.png", "lrd1e-3-lrg1e-3", "lrd1e-3-lrg2e-3", "lrd1e2-lrg1e-3", "lrd1e2-lrg2e-3", "report.html",
                    "summary.json", "table.csv", "table.md"), l.map(p -> p.getFileName().toString()).sorted().toList());
        }
        for (String run : runs) {
            Map<String, Object> cfg = Json.readObject(s.resolve(run).resolve("config.json"));
            assertEquals(run.contains("lrd1e-3") ? 1e-3 : 100.0, ((Number) cfg.get("lrD")).doubleValue(), 1e-9, run);
            assertEquals(run.endsWith("lrg1e-3") ? 1e-3 : 2e-3, ((Number) cfg.get("lrG")).doubleValue(), 1e-12, run);
            assertEquals("sgd", cfg.get("optimizer").toString().toLowerCase(), run);
            assertEquals(12, ((Number) cfg.get("steps")).intValue(), run);
        }
        Map<String, Object> summary = Json.readObject(s.resolve("summary.json"));
        assertEquals("ring8", summary.get("data"));
        assertEquals(false, summary.get("interrupted"));
        Map<String, Object> win = map(summary.get("critic_wins"));
        assertEquals(0.05 * 2 * Math.log(2), ((Number) win.get("threshold")).doubleValue(), 1e-12);
        assertEquals(4, ((Number) win.get("window")).intValue());
        List<?> rows = (List<?>) summary.get("runs");
        assertEquals(4, rows.size());
        for (int i = 0; i < 4; i++) {
            Map<String, Object> row = map(rows.get(i));
            assertEquals(runs.get(i), row.get("run"));
            boolean diverges = i >= 2;
            assertEquals(diverges ? "diverged" : "completed", row.get("outcome"), row.toString());
            if (diverges) {
                assertTrue(((Number) row.get("steps")).longValue() < 12, row.toString());
                assertTrue(row.get("note").toString().contains("became non-finite"), row.toString());
                assertNull(row.get("coverage"), "no coverage for a run that diverged");
            } else {
                assertEquals(12L, ((Number) row.get("steps")).longValue());
                assertEquals("modes", row.get("coverage"));
                assertEquals(8, ((Number) row.get("of")).intValue());
                // the final D loss is the mean of the last 4 lines of metrics.jsonl, and its distance is from 2 ln 2
                List<String> lines = Files.readAllLines(s.resolve(runs.get(i)).resolve("metrics.jsonl"));
                double mean = lines.subList(8, 12).stream().mapToDouble(x -> ((Number) Json.parseObject(x, "m").get("d_loss")).doubleValue()).average().orElseThrow();
                assertEquals(mean, ((Number) row.get("d_loss_final")).doubleValue(), 1e-12);
                assertEquals(mean - 2 * Math.log(2), ((Number) row.get("d_loss_eq_distance")).doubleValue(), 1e-12);
                // and the mode coverage that of the run's last scatter
                List<String> cov = Files.readAllLines(s.resolve(runs.get(i)).resolve("coverage.jsonl"));
                assertEquals(Json.parseObject(cov.getLast(), "c").get("modes_covered"), row.get("covered"));
            }
            assertNull(row.get("fid"), "2-D data has no FID");
        }
        String md = Files.readString(s.resolve("table.md"));
        assertEquals(6, md.lines().count(), md);
        assertTrue(md.lines().skip(4).allMatch(l -> l.contains("| 1e2 | ") && l.contains("diverged at ")), md);
        assertTrue(r.out().contains(md), "the table goes to stdout: " + r.out());
        List<String> csv = Files.readAllLines(s.resolve("table.csv"));
        assertEquals(5, csv.size());
        assertTrue(csv.get(0).startsWith("run,lr_d,lr_g,outcome,"), csv.get(0));
        assertTrue(csv.get(3).startsWith("lrd1e2-lrg1e-3,100.0,0.001,diverged,"), csv.get(3));
        BufferedImage png = ImageIO.read(s.resolve("losses.png").toFile());
        assertNotNull(png);
        assertEquals(2 * SweepFigure.PANEL_WIDTH, png.getWidth(), "two columns: the generator rates");
        assertTrue(png.getHeight() >= 2 * SweepFigure.PANEL_HEIGHT, "two rows: the critic rates");
        assertTrue(Files.readString(s.resolve("report.html")).contains("4 runs compared"));
        assertTrue(r.err().contains("sweep: run 3 of 4, lr_d 1e2, lr_g 1e-3"), r.err());
        assertTrue(r.err().contains("left)"), "an ETA from the second run on: " + r.err());
    }

    @Test
    void twoSweepsStartedTogetherNeverShareAFolder(@TempDir Path dir) throws IOException {
        // default names: sweep-ring8-nsgan-<date>-<time>, numbered when two start within the same second
        for (int i = 0; i < 2; i++) assertEquals(0, sweep(dir, "--lr-g", "1e-3", "--steps", "3", "--win-window", "1").code());
        List<Path> sweeps;
        try (var l = Files.list(dir)) {
            sweeps = l.sorted().toList();
        }
        assertEquals(2, sweeps.size(), sweeps.toString());
        assertNotEquals(sweeps.get(0), sweeps.get(1));
        for (Path s : sweeps) {
            assertTrue(s.getFileName().toString().startsWith("sweep-ring8-nsgan-"), s.toString());
            // the critic rate was left out: the 2-D default (2e-3) names the run
            assertTrue(Files.isRegularFile(s.resolve("lrd2e-3-lrg1e-3").resolve("metrics.jsonl")), s.toString());
        }
        // a --name already taken is refused, not numbered; nothing new is written
        Files.writeString(dir.resolve("taken.txt"), "mine");
        CliTest.Run r = sweep(dir, "--lr-g", "1e-3", "--steps", "3", "--name", "taken.txt");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--name taken.txt"), r.err());
        try (var l = Files.list(dir)) {
            assertEquals(3, l.count());
        }
    }

    private static String[] withSteps(String[] a) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of("--steps", "3"));
        return l.toArray(String[]::new);
    }

    @Test
    void badInputIsOneLineAndWritesNothing(@TempDir Path dir) {
        Object[][] cases = {
                {new String[] {}, "give the rates to sweep"},
                {new String[] {"--lr-d", ""}, "--lr-d"},
                {new String[] {"--lr-d", "1e-3,"}, "--lr-d 1e-3,: an empty entry"},
                {new String[] {"--lr-g", "-1e-3"}, "--lr-g -1e-3: a learning rate must be a number > 0"},
                {new String[] {"--lr-g", "0"}, "--lr-g 0: a learning rate must be a number > 0"},
                {new String[] {"--lr-d", "fast"}, "--lr-d fast: 'fast' is not a number"},
                {new String[] {"--lr-d", "1e-3,2e-3,1e-3"}, "1e-3 is given twice"},
                {new String[] {"--lr-d", "1e-3", "--lr-d", "2e-3"}, "--lr-d is given 2 times: give every rate in one list, --lr-d 1e-3,2e-3"},
                {new String[] {"--lr-d", "1e-3", "--resume", "runs/x"}, "--resume: a sweep trains new runs"},
                {new String[] {"--lr-d", "1e-3", "--bogus", "3"}, "Unknown options: '--bogus', '3'"},
                {new String[] {"--lr-d", "1e-3", "--d-steps", "0"}, "--d-steps must be >= 1"},
                {new String[] {"--lr-d", "1e-3"}, "ring8 is an endless sampler: set --steps"},
                {new String[] {"--lr-d", "1e-3", "--fid-every", "5"}, "--fid-every: ring8 is 2-D data"},
                {new String[] {"--lr-d", "1e-3", "--win-margin", "1.5"}, "--win-margin must lie in (0, 1)"},
                {new String[] {"--lr-d", "1e-3", "--win-window", "0"}, "--win-window must be >= 1"},
                {new String[] {"--lr-d", "1e-3", "--class-samples", "-1"}, "--class-samples must be >= 0"},
        };
        for (Object[] c : cases) {
            CliTest.Run r = sweep(dir.resolve("out"), ((String) c[1]).contains("endless") ? (String[]) c[0] : withSteps((String[]) c[0]));
            String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
            assertEquals(2, r.code(), String.join(" ", (String[]) c[0]) + ": " + r.err());
            assertTrue(last.startsWith("sparring: ") && last.contains((String) c[1]), String.join(" ", (String[]) c[0]) + ": " + last);
            assertFalse(r.err().contains("\tat "), r.err());
            assertFalse(Files.exists(dir.resolve("out")), "refused before anything is written: " + String.join(" ", (String[]) c[0]));
        }
    }

    @Test
    void digitsGetTheFinalFidAndTheDigitsCovered(@TempDir Path dir) throws IOException {
        CliTest.Run r = CliTest.run("sweep", "--lr-d", "1e-3", "--steps", "2", "--batch", "8", "--ngf", "4", "--ndf", "4", "--no-conditional",
                "--fid-samples", "64", "--no-kid", "--class-samples", "40", "--no-tensorboard", "--no-progress", "--device", "cpu",
                "--out", dir.toString(), "--name", "d");
        assertEquals(0, r.code(), r.err());
        Map<String, Object> summary = Json.readObject(dir.resolve("d/summary.json"));
        assertEquals("at the end of each run (--fid-every 2)", summary.get("fid"));
        Map<String, Object> row = map(((List<?>) summary.get("runs")).getFirst());
        assertTrue(((Number) row.get("fid")).doubleValue() > 0, row.toString());
        assertEquals(2L, ((Number) row.get("fid_step")).longValue());
        assertEquals("digits", row.get("coverage"));
        assertEquals(10, ((Number) row.get("of")).intValue());
        int covered = ((Number) row.get("covered")).intValue();
        assertTrue(covered >= 0 && covered <= 10, row.toString());
        assertTrue(r.err().contains("40 samples classified with confidence"), r.err());
        // the FID is the run's own end-of-run measurement, in its last metrics line
        List<String> lines = Files.readAllLines(dir.resolve("d/lrd1e-3-lrg1.6e-3/metrics.jsonl"));
        assertEquals(row.get("fid"), Json.parseObject(lines.getLast(), "m").get("fid"));
    }

    @Test
    void runsAreNamedByTheirRatesInFullWhenShortNamesWouldClash() {
        var b = dev.sparring.train.TrainConfig.builder().data("ring8").steps(10);
        var a = b.lrD(1e-3).lrG(2e-3).build();
        assertEquals(List.of("lrd1e-3-lrg2e-3", "lrd4e-3-lrg2e-3"), SweepCommand.runNames(List.of(a, b.lrD(4e-3).build())));
        assertEquals(List.of("lrd0.001-lrg0.002", "lrd0.0010001-lrg0.002"), SweepCommand.runNames(List.of(a, b.lrD(1.0001e-3).build())));
    }
}
