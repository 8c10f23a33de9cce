package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.viz.ReportPage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * report.html holds the run folder's numbers: each metric's values at their steps, the loss's values at equilibrium,
 * the FID and coverage, the sample images and checkpoints; long runs thinned evenly; several runs compared; bad run
 * folders refused in one line. (That the page draws them is RunReportBrowserTest's part.)
 */
class RunReportTest {

    @SuppressWarnings("unchecked")
    static <T> T get(Object o, String... path) {
        for (String k : path) o = ((Map<String, Object>) o).get(k);
        return (T) o;
    }

    /** A key's (steps, values) as the page embeds them. */
    @SuppressWarnings("unchecked")
    static List<List<? extends Number>> series(Map<String, Object> run, String key) {
        for (Map<String, Object> c : (List<Map<String, Object>>) run.get("columns")) {
            Map<String, Object> values = (Map<String, Object>) c.get("values");
            if (values.containsKey(key)) return List.of((List<Number>) c.get("step"), (List<Number>) values.get(key));
        }
        return null;
    }

    private static List<Long> steps(long... s) { return LongStream.of(s).boxed().toList(); }

    private static List<Long> asLongs(List<? extends Number> xs) { return xs.stream().map(Number::longValue).toList(); }

    /** Values as float32 (what the page holds), null kept. */
    private static List<Float> asFloats(List<? extends Number> xs) { return xs.stream().map(x -> x == null ? null : x.floatValue()).toList(); }

    @Test
    @SuppressWarnings("unchecked")
    void thePageEmbedsTheRunsNumbers(@TempDir Path tmp) throws IOException {
        Path dir = RunFolders.ring(tmp.resolve("ring-run"), 12, 2e-3);
        Path page = RunReport.write(dir);
        assertEquals(dir.resolve("report.html"), page);
        Map<String, Object> data = RunFolders.embedded(page);
        assertEquals(false, data.get("compare"));
        Map<String, Object> run = ((List<Map<String, Object>>) data.get("runs")).getFirst();
        assertEquals("ring-run", run.get("name"));
        assertEquals("nsgan", run.get("loss"));
        assertEquals(2e-3, ((Number) get(run, "config", "lrD")).doubleValue());

        List<Long> all = LongStream.rangeClosed(1, 12).boxed().toList();
        var d = series(run, "d_loss");
        assertEquals(all, asLongs(d.get(0)));
        assertEquals(all.stream().map(s -> (float) RunFolders.dLoss(s)).toList(), asFloats(d.get(1)));
        var g = series(run, "g_loss");
        assertEquals(all.stream().map(s -> (float) RunFolders.gLoss(s)).toList(), asFloats(g.get(1)));
        var eq = series(run, "d_loss_eq_distance");
        assertNull(eq.get(1).get(2), "a null (not finite) value stays a gap: " + eq.get(1));
        assertEquals((float) (RunFolders.dLoss(4) - 1.3862943611198906), eq.get(1).get(3).floatValue());
        var fid = series(run, "fid");
        assertEquals(steps(4, 8, 12), asLongs(fid.get(0)), "the FID at its own steps");
        assertEquals(List.of(25f, 12.5f, (float) (100.0 / 12)), asFloats(fid.get(1)));
        assertNull(series(run, "fid_features"), "a text value is no series");

        GanLoss nsgan = GanLoss.parse("nsgan");
        assertEquals(nsgan.equilibriumCriticLoss(), ((Number) get(run, "refs", "d_loss", "value")).doubleValue());
        assertEquals(nsgan.equilibriumGeneratorLoss(), ((Number) get(run, "refs", "g_loss", "value")).doubleValue());
        assertEquals("D at equilibrium 1.386", get(run, "refs", "d_loss", "label"));
        assertEquals(8.0, ((Number) get(run, "refs", "coverage/modes_covered", "value")).doubleValue());

        var covered = series(run, "coverage/modes_covered");
        assertEquals(steps(4, 8, 12), asLongs(covered.get(0)));
        assertEquals(List.of(1f, 2f, 3f), asFloats(covered.get(1)));
        assertEquals(List.of(0.125f, 0.25f, 0.375f), asFloats(series(run, "coverage/hq_share").get(1)));

        List<Map<String, Object>> samples = (List<Map<String, Object>>) run.get("samples");
        assertEquals(steps(4, 8, 12), samples.stream().map(s -> ((Number) s.get("step")).longValue()).toList());
        for (Map<String, Object> s : samples) {
            Path file = dir.resolve(String.format("samples/step_%06d.png", ((Number) s.get("step")).longValue()));
            assertArrayEquals(Files.readAllBytes(file), decode((String) s.get("src")), file + " embedded byte for byte");
        }
        assertArrayEquals(Files.readAllBytes(dir.resolve("samples/real.png")), decode((String) run.get("real")));

        List<Map<String, Object>> cps = (List<Map<String, Object>>) run.get("checkpoints");
        assertEquals(List.of("step_000004.safetensors", "step_000008.safetensors", "step_000012.safetensors"),
                cps.stream().map(c -> c.get("name")).toList());
        assertEquals(List.of(40L, 80L, 120L), cps.stream().map(c -> ((Number) c.get("bytes")).longValue()).toList());

        assertEquals(12, ((Number) get(run, "summary", "last_step")).intValue());
        assertEquals((float) (100.0 / 12), ((Number) get(run, "summary", "fid")).floatValue());
        assertEquals("3/8 modes, 37.5% high quality (step 12)", get(run, "summary", "coverage"));

        List<Map<String, Object>> charts = (List<Map<String, Object>>) data.get("charts");
        assertEquals(List.of("loss", "fid", "coverage", "metric-d_loss_eq_distance", "metric-sigma", "metric-grad_norm",
                "metric-epoch", "metric-time_s"), charts.stream().map(c -> c.get("id")).toList());
        assertEquals(3, ((Number) data.get("featured")).intValue());
        Map<String, Object> loss = charts.get(0), fidChart = charts.get(1), sigma = charts.get(4);
        assertEquals(List.of("d_loss", "g_loss"), keys(loss));
        assertEquals(true, loss.get("smooth"), "dense series get a smoothed line");
        assertEquals(List.of("fid", "kid"), keys(fidChart));
        assertEquals(List.of(false, true), ((List<Map<String, Object>>) fidChart.get("series")).stream().map(s -> s.get("right")).toList(),
                "KID on its own axis");
        assertEquals(false, fidChart.get("smooth"), "a few measurements: points, not smoothed");
        assertEquals(List.of("sigma_real", "sigma_fake"), keys(sigma), "_real and _fake share a chart");

        String html = Files.readString(page);
        assertTrue(ReportPage.isOurs(page));
        assertFalse(html.matches("(?s).*(<link|<iframe|\\ssrc=|\\shref=).*"), "the page loads nothing");
        assertTrue(html.contains("Content-Security-Policy\" content=\"default-src 'none'"), "and may load nothing");
    }

    @SuppressWarnings("unchecked")
    private static List<Object> keys(Map<String, Object> chart) {
        return ((List<Map<String, Object>>) chart.get("series")).stream().map(s -> s.get("key")).toList();
    }

    private static byte[] decode(String dataUri) {
        String prefix = "data:image/png;base64,";
        assertTrue(dataUri.startsWith(prefix), dataUri.substring(0, Math.min(40, dataUri.length())));
        return Base64.getDecoder().decode(dataUri.substring(prefix.length()));
    }

    @Test
    void aLongMetricIsThinnedEvenlyKeepingItsFirstAndLastPoints() {
        for (int n : new int[] {RunReport.MAX_POINTS - 1, RunReport.MAX_POINTS, 10_007, 100_000}) {
            RunReport.Thinned t = new RunReport.Thinned();
            for (long s = 1; s <= n; s++) t.add(s, s * 0.5);
            long[] steps = t.steps();
            float[] values = t.values();
            assertTrue(steps.length <= RunReport.MAX_POINTS && steps.length >= Math.min(n, RunReport.MAX_POINTS / 2),
                    n + " points kept as " + steps.length);
            assertEquals(1, steps[0]);
            assertEquals(n, steps[steps.length - 1], "the last point is kept");
            long stride = steps[1] - steps[0];
            for (int i = 1; i < steps.length - 1; i++) assertEquals(stride, steps[i] - steps[i - 1], "even spacing at " + i);
            assertTrue(steps[steps.length - 1] - steps[steps.length - 2] <= stride);
            for (int i = 0; i < steps.length; i++) assertEquals(steps[i] * 0.5f, values[i], "the value of step " + steps[i]);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void sampleImagesAreThinnedEvenlyAndALongRunSaysSo(@TempDir Path tmp) throws IOException {
        assertEquals(List.of(0, 2, 5, 7, 9), RunReport.evenlySpaced(IntStream.range(0, 10).boxed().toList(), 5));
        assertEquals(List.of(9), RunReport.evenlySpaced(IntStream.range(0, 10).boxed().toList(), 1));
        Path dir = RunFolders.ring(tmp.resolve("long"), 2400, 2e-3);   // 600 grids and checkpoints
        Map<String, Object> run = ((List<Map<String, Object>>) RunFolders.embedded(RunReport.write(dir)).get("runs")).getFirst();
        List<Map<String, Object>> samples = (List<Map<String, Object>>) run.get("samples");
        assertEquals(RunReport.MAX_IMAGES, samples.size());
        assertEquals(4L, ((Number) samples.getFirst().get("step")).longValue());
        assertEquals(2400L, ((Number) samples.getLast().get("step")).longValue());
        assertEquals(600, ((Number) run.get("samples_total")).intValue());
        var d = series(run, "d_loss");
        assertTrue(d.get(0).size() <= RunReport.MAX_POINTS && d.get(0).size() > RunReport.MAX_POINTS / 2, "" + d.get(0).size());
        assertEquals(2400L, d.get(0).getLast().longValue());
        assertEquals((float) RunFolders.dLoss(2400), d.get(1).getLast().floatValue());
        assertEquals(600, series(run, "fid").get(0).size(), "sparse keys keep every point below the cap");
        assertTrue(((List<String>) run.get("notes")).stream().anyMatch(n -> n.contains("at most 2,000 evenly spaced points")), "" + run.get("notes"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void severalRunsAreComparedKeyByKeyWithTheirDifferingSettings(@TempDir Path tmp) throws IOException {
        Path a = RunFolders.ring(tmp.resolve("a"), 8, 2e-3), b = RunFolders.ring(tmp.resolve("b"), 12, 1e-3);
        Path out = tmp.resolve("both.html");
        RunReport.write(List.of(a, b), out);
        Map<String, Object> data = RunFolders.embedded(out);
        assertEquals(true, data.get("compare"));
        assertEquals(List.of("lrD", "lrDecayAt", "steps"), data.get("differing"), "2-D runs drop their rates after 60 % of their steps");
        List<Map<String, Object>> runs = (List<Map<String, Object>>) data.get("runs");
        assertEquals(List.of("a", "b"), runs.stream().map(r -> r.get("name")).toList());
        assertEquals(12, series(runs.get(1), "d_loss").get(0).size());
        List<Map<String, Object>> charts = (List<Map<String, Object>>) data.get("charts");
        assertEquals(List.of("loss-d", "loss-g", "fid", "kid", "coverage-modes", "coverage-hq", "metric-d_loss_eq_distance",
                "metric-sigma_real", "metric-sigma_fake", "metric-grad_norm_d", "metric-epoch", "metric-time_s"),
                charts.stream().map(c -> c.get("id")).toList());
        assertTrue(charts.stream().allMatch(c -> keys(c).size() == 1), "one key per chart, a line per run");
        assertFalse(Files.exists(a.resolve("report.html")) || Files.exists(b.resolve("report.html")), "the run folders are only read");

        // two folders of one name are told apart by their paths; a run given twice is refused
        Path a2 = RunFolders.ring(tmp.resolve("x/a"), 4, 2e-3);
        RunReport.write(List.of(a, a2), tmp.resolve("same-name.html"));
        List<Map<String, Object>> named = (List<Map<String, Object>>) RunFolders.embedded(tmp.resolve("same-name.html")).get("runs");
        assertEquals(List.of(a.toString(), a2.toString()), named.stream().map(r -> r.get("name")).toList());
        UserError twice = assertThrows(UserError.class, () -> RunReport.write(List.of(a, b, tmp.resolve("a")), tmp.resolve("c.html")));
        assertEquals("RUN " + tmp.resolve("a") + " is given twice", twice.getMessage());
    }

    @Test
    void aFolderThatIsNoRunIsRefusedInOneLineNamingThePath(@TempDir Path tmp) throws IOException {
        Path missing = tmp.resolve("nope");
        assertRefused(missing, "RUN " + missing + ": no such folder; give a run folder (runs/NAME)");
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        assertRefused(file, "RUN " + file + " is not a folder; give a run folder (runs/NAME)");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertRefused(empty, empty + " is not a Sparring run folder: it has no config.json");
        Path users = Files.createDirectories(tmp.resolve("users"));
        Files.writeString(users.resolve("config.json"), "{\"editor\": \"vim\"}\n");
        Files.writeString(users.resolve("metrics.jsonl"), "{\"step\": 1}\n");
        String m = assertRefused(users, null);
        assertTrue(m.startsWith(users.resolve("config.json") + " is not a Sparring run configuration ("), m);
        assertFalse(Files.exists(users.resolve("report.html")), "nothing written into a folder that is not a run's");
        Path configOnly = Files.createDirectories(tmp.resolve("config-only"));
        Files.copy(RunFolders.ring(tmp.resolve("r0"), 4, 2e-3).resolve("config.json"), configOnly.resolve("config.json"));
        assertRefused(configOnly, configOnly + " is not a Sparring run folder: it has a config.json but neither metrics.jsonl nor checkpoints/");
    }

    @Test
    @SuppressWarnings("unchecked")
    void aBadMetricsFileIsRefusedNamingItsLineButAnUnfinishedLastLineIsLeftOut(@TempDir Path tmp) throws IOException {
        Path dir = RunFolders.ring(tmp.resolve("r"), 4, 2e-3);
        Path metrics = dir.resolve("metrics.jsonl");
        List<String> lines = Files.readAllLines(metrics);

        Files.writeString(metrics, lines.get(0) + "\n" + lines.get(1) + "\n{\"step\": 3, \"d_loss\": }\n" + lines.get(3) + "\n");
        String m = assertRefused(dir, null);
        assertTrue(m.startsWith(metrics + ":3: column "), m);
        assertTrue(m.endsWith("(each line of metrics.jsonl is one JSON object)"), m);

        Files.writeString(metrics, lines.get(0) + "\n{\"d_loss\": 1.0}\n");
        assertRefused(dir, metrics + ":2: the line has no numeric \"step\"; this is not a Sparring metrics file");

        Files.write(metrics, new byte[] {'{', '"', 's', (byte) 0xFF, '"', '}', '\n'});
        assertRefused(dir, metrics + ": not UTF-8 text; this is not a Sparring metrics file");

        // a run killed while writing its last line: that line is left out, with a note
        Files.writeString(metrics, lines.get(0) + "\n" + lines.get(1) + "\n" + lines.get(2).substring(0, 20));
        Map<String, Object> run = ((List<Map<String, Object>>) RunFolders.embedded(RunReport.write(dir)).get("runs")).getFirst();
        assertEquals(2, ((Number) get(run, "summary", "last_step")).intValue());
        assertEquals(List.of("the last line of metrics.jsonl (line 3) is unfinished and left out"), run.get("notes"));

        Files.delete(metrics);
        Files.createDirectory(metrics);
        m = assertRefused(dir, null);
        assertTrue(m.startsWith(metrics + ": cannot be read ("), m);
    }

    @Test
    void aReportHtmlSparringDidNotWriteIsLeftAlone(@TempDir Path tmp) throws IOException {
        Path dir = RunFolders.ring(tmp.resolve("r"), 4, 2e-3);
        Files.writeString(dir.resolve("report.html"), "<html>my notes</html>");
        assertRefused(dir, dir.resolve("report.html") + " exists and was not written by Sparring; move it away to let the run write its report there");
        assertEquals("<html>my notes</html>", Files.readString(dir.resolve("report.html")));
        Files.delete(dir.resolve("report.html"));
        RunReport.write(dir);
        RunReport.write(dir);   // its own page it replaces
        assertTrue(ReportPage.isOurs(dir.resolve("report.html")));
    }

    /** Refused with a one-line UserError; {@code expected} (when given) is the whole message. */
    private static String assertRefused(Path dir, String expected) {
        UserError e = assertThrows(UserError.class, () -> RunReport.write(dir));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        if (expected != null) assertEquals(expected, e.getMessage());
        return e.getMessage();
    }

    // ---------------------------------------------------------------- written by a run

    private static final TrainConfig TINY = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).hidden(8)
            .depth(1).nz(2).batch(16).lrD(2e-3).lrG(2e-3).steps(6).sampleEvery(3).checkpointEvery(4).logEvery(2).build();

    @Test
    @SuppressWarnings("unchecked")
    void aRunWritesItsReportAtEachCheckpointAtItsEndAndWhenInterrupted(@TempDir Path tmp) throws IOException {
        Mixture2D ring = Mixture2D.ring(8, 2.0, 0.02);
        Path dir = tmp.resolve("run");
        List<Map<String, Object>> beforeTheEnd = new ArrayList<>();
        // the run prints "samples at step 6" after its last step, before it writes its end-of-run files: the page
        // then on disk is the one written with the checkpoint of step 4
        PrintStream log = new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream line = new ByteArrayOutputStream();

            @Override
            public void write(int b) throws IOException {
                if (b != '\n') { line.write(b); return; }
                if (line.toString(StandardCharsets.UTF_8).startsWith("samples at step 6")) {
                    Path page = dir.resolve("report.html");
                    beforeTheEnd.add(Files.exists(page) ? RunFolders.embedded(page) : Map.of());
                }
                line.reset();
            }
        }, true);
        try (Trainer t = new Trainer(TINY, new CpuBackend(), ring, TrainLoss.of(GanLoss.parse("nsgan")))) {
            TrainingRun run = new TrainingRun(t, dir, log, ring).progressBar(false);
            run.initFresh();
            assertEquals(TrainingRun.Outcome.COMPLETED, run.run().outcome());
        }
        assertEquals(1, beforeTheEnd.size(), "the run printed its coverage line once");
        assertFalse(beforeTheEnd.getFirst().isEmpty(), "no report.html before the end of the run: the checkpoint of step 4 wrote none");
        Map<String, Object> atCheckpoint = ((List<Map<String, Object>>) beforeTheEnd.getFirst().get("runs")).getFirst();
        assertEquals(4, ((Number) get(atCheckpoint, "summary", "last_step")).intValue());
        Map<String, Object> atEnd = ((List<Map<String, Object>>) RunFolders.embedded(dir.resolve("report.html")).get("runs")).getFirst();
        assertEquals(6, ((Number) get(atEnd, "summary", "last_step")).intValue());
        assertEquals(2, ((List<?>) atEnd.get("checkpoints")).size());
        assertEquals(2, ((List<?>) atEnd.get("samples")).size());

        // resumed from step 4 and stopped at once (Ctrl-C): the page is written again, for the metrics up to step 4
        try (Trainer t = new Trainer(TINY, new CpuBackend(), ring, TrainLoss.of(GanLoss.parse("nsgan")))) {
            Checkpoint.restore(t, TrainingRun.open(dir.resolve("checkpoints/step_000004.safetensors")));
            TrainingRun run = new TrainingRun(t, dir, new PrintStream(PrintStream.nullOutputStream()), ring).progressBar(false);
            run.initResumed();
            run.requestStop();
            assertEquals(TrainingRun.Outcome.INTERRUPTED, run.run().outcome());
        }
        Map<String, Object> interrupted = ((List<Map<String, Object>>) RunFolders.embedded(dir.resolve("report.html")).get("runs")).getFirst();
        assertEquals(4, ((Number) get(interrupted, "summary", "last_step")).intValue());
    }
}
