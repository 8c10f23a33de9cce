package dev.sparring.train;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.ImageDataset;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.Json;
import dev.sparring.io.TfRecords;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.Event;
import org.tensorflow.proto.Summary;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A run's TensorBoard event file ({@link TensorBoardLog}) read back with the tests' own record reader and TensorFlow's
 * own Event class ({@link TfRecords}), against what the run wrote beside it: metrics.jsonl, the sample grids and
 * config.json; and, where Python's tensorboard package is installed, loaded by TensorBoard itself.
 */
class TensorBoardRunTest {
    private static final PrintStream QUIET = new PrintStream(PrintStream.nullOutputStream());
    private static final ImageDataset DIGITS = TrainerTest.firstDigits(24);

    /** 7 steps, metrics read every 3 (and every step on the CPU), grids at 3 and 6 and the end, checkpoints at 4 and the end. */
    private static TrainConfig tiny() {
        return TrainerTest.tinyDcgan().toBuilder().steps(7).sampleEvery(3).checkpointEvery(4).build();
    }

    private static Trainer trainer(TrainConfig cfg) {
        return new Trainer(cfg, new CpuBackend(), DIGITS, TrainLoss.of(GanLoss.parse("nsgan")));
    }

    /** A fresh run of {@code cfg} in {@code dir}; {@code stopAfter} > 0 asks it to stop after that step, as Ctrl-C does. */
    private static TrainingRun.Result train(TrainConfig cfg, Path dir, long stopAfter) throws IOException {
        try (Trainer t = trainer(cfg)) {
            TrainingRun run = new TrainingRun(t, dir, QUIET, null).progressBar(false).tensorBoard(true);
            if (stopAfter > 0) t.onPhase(phase -> { if (phase.equals("G backward") && t.stepCount() + 1 == stopAfter) run.requestStop(); });
            run.initFresh();
            TrainingRun.Result r = run.run();
            assertEquals(TfRecords.eventFiles(dir), List.of(run.tensorBoardFile()));
            return r;
        }
    }

    private static List<Map<String, Object>> lines(Path jsonl) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String l : Files.readAllLines(jsonl)) if (!l.isBlank()) out.add(Json.parseObject(l, jsonl.toString()));
        return out;
    }

    /** The scalar events (all values simple_value) by step, each as tag to value, in file order. */
    private static Map<Long, Map<String, Float>> scalars(List<Event> events, String prefix) {
        Map<Long, Map<String, Float>> out = new LinkedHashMap<>();
        for (Event e : events) {
            if (!e.hasSummary() || !e.getSummary().getValue(0).getTag().startsWith(prefix)) continue;
            Map<String, Float> values = new LinkedHashMap<>();
            for (Summary.Value v : e.getSummary().getValueList()) {
                assertEquals(Summary.Value.ValueCase.SIMPLE_VALUE, v.getValueCase(), v.getTag());
                assertNull(values.put(v.getTag(), v.getSimpleValue()), "one value per tag in an event: " + v.getTag());
            }
            assertNull(out.put(e.getStep(), values), "one event per line: step " + e.getStep());
        }
        return out;
    }

    /** Every number of every line of a JSON-lines file, as the event file must hold it (prefix + key, as a float). */
    private static Map<Long, Map<String, Float>> expectedScalars(Path jsonl, String prefix) throws IOException {
        Map<Long, Map<String, Float>> out = new LinkedHashMap<>();
        for (Map<String, Object> line : lines(jsonl)) {
            Map<String, Float> values = new LinkedHashMap<>();
            line.forEach((k, v) -> { if (!k.equals("step") && v instanceof Number n) values.put(prefix + k, n.floatValue()); });
            out.put(((Number) line.get("step")).longValue(), values);
        }
        return out;
    }

    /** The images of a tag by step. */
    private static Map<Long, Summary.Image> images(List<Event> events, String tag) {
        Map<Long, Summary.Image> out = new LinkedHashMap<>();
        for (Event e : events) {
            if (e.hasSummary() && e.getSummary().getValue(0).getTag().equals(tag)) {
                assertNull(out.put(e.getStep(), e.getSummary().getValue(0).getImage()), tag + " twice at step " + e.getStep());
            }
        }
        return out;
    }

    private static void assertImageIsTheFile(Summary.Image img, Path png) throws IOException {
        byte[] bytes = img.getEncodedImageString().toByteArray();
        assertArrayEquals(Files.readAllBytes(png), bytes, png.toString());
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(bytes));
        assertNotNull(decoded, png + " decodes as an image");
        assertEquals(decoded.getWidth(), img.getWidth());
        assertEquals(decoded.getHeight(), img.getHeight());
        assertEquals(1, img.getColorspace(), "gray digits");
    }

    private static Map<Long, Path> sampleGrids(Path run) throws IOException {
        Map<Long, Path> out = new java.util.TreeMap<>();
        try (Stream<Path> s = Files.list(run.resolve("samples"))) {
            s.forEach(p -> {
                var m = java.util.regex.Pattern.compile("step_(\\d+)\\.png").matcher(p.getFileName().toString());
                if (m.matches()) out.put(Long.parseLong(m.group(1)), p);
            });
        }
        return out;
    }

    /** The configuration text: the config.json of the run, as a Markdown code block. */
    private static Map<String, Object> configText(Summary.Value v) {
        assertEquals("text", v.getMetadata().getPluginData().getPluginName());
        assertEquals(DataType.DT_STRING, v.getTensor().getDtype());
        String text = v.getTensor().getStringVal(0).toStringUtf8();
        assertTrue(text.startsWith("config.json:\n\n    {"), text);
        return Json.parseObject(text.substring("config.json:".length()), "the config text");
    }

    @Test
    void everyMetricGridAndTheConfigurationAreInTheEventFile(@TempDir Path dir) throws IOException {
        assertEquals(TrainingRun.Outcome.COMPLETED, train(tiny(), dir, 0).outcome());
        List<Event> events = TfRecords.events(TfRecords.eventFiles(dir).getFirst());

        assertEquals("brain.Event:2", events.getFirst().getFileVersion(), "the first record names the file version");
        for (Event e : events.subList(1, events.size())) assertTrue(e.hasSummary(), "every later record is a summary");
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).getWallTime() >= events.get(i - 1).getWallTime(), "wall times in order");
            assertTrue(events.get(i).getWallTime() > 1.7e9, "wall time in seconds since the epoch");
        }

        Summary.Value config = events.get(1).getSummary().getValue(0);
        assertEquals(TensorBoardLog.CONFIG, config.getTag());
        assertEquals(0, events.get(1).getStep());
        assertEquals(Json.readObject(dir.resolve("config.json")), configText(config));

        // every number of every metrics.jsonl line, at its step, and nothing else
        Map<Long, Map<String, Float>> want = expectedScalars(dir.resolve("metrics.jsonl"), "metrics/");
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), List.copyOf(want.keySet()));
        assertTrue(want.get(1L).keySet().containsAll(List.of("metrics/d_loss", "metrics/g_loss", "metrics/lr_d", "metrics/time_s")));
        assertEquals(want, scalars(events, "metrics/"));

        Map<Long, Summary.Image> real = images(events, TensorBoardLog.REAL);
        assertEquals(List.of(0L), List.copyOf(real.keySet()));
        assertImageIsTheFile(real.get(0L), dir.resolve("samples").resolve(TrainingRun.REAL_SAMPLES));
        Map<Long, Summary.Image> generated = images(events, TensorBoardLog.GENERATED);
        Map<Long, Path> grids = sampleGrids(dir);
        assertEquals(List.of(3L, 6L, 7L), List.copyOf(grids.keySet()));
        assertEquals(grids.keySet(), generated.keySet());
        for (long s : grids.keySet()) assertImageIsTheFile(generated.get(s), grids.get(s));
    }

    @Test
    void aStoppedRunHasEverythingUpToItsLastStepInTheFile(@TempDir Path dir) throws IOException {
        TrainingRun.Result r = train(tiny(), dir, 5);
        assertEquals(TrainingRun.Outcome.INTERRUPTED, r.outcome());
        assertEquals(5, r.steps());
        List<Event> events = TfRecords.events(TfRecords.eventFiles(dir).getFirst());
        assertEquals(expectedScalars(dir.resolve("metrics.jsonl"), "metrics/"), scalars(events, "metrics/"));
        assertEquals(List.of(3L, 5L), List.copyOf(images(events, TensorBoardLog.GENERATED).keySet()), "the grid of the last step too");
    }

    @Test
    void aResumedRunAddsAFileWhoseStepsContinue(@TempDir Path dir) throws IOException {
        train(tiny().toBuilder().steps(4).build(), dir, 0);
        Resume from = Resume.from(dir);
        from.steps(7);
        try (Trainer t = from.trainer(new CpuBackend(), DIGITS, TrainLoss.of(GanLoss.parse("nsgan")))) {
            TrainingRun run = from.start(t, dir, QUIET, null).progressBar(false).tensorBoard(true);
            assertEquals(TrainingRun.Outcome.COMPLETED, run.run().outcome());
        }
        List<Path> files = TfRecords.eventFiles(dir);
        assertEquals(2, files.size(), files.toString());
        List<Event> first = TfRecords.events(files.get(0)), second = TfRecords.events(files.get(1));
        assertEquals("brain.Event:2", second.getFirst().getFileVersion());
        assertEquals(4, second.get(1).getStep(), "the configuration at the step the session started from");
        assertEquals(7L, ((Number) configText(second.get(1).getSummary().getValue(0)).get("steps")).longValue(), "the new total");
        assertTrue(images(second, TensorBoardLog.REAL).isEmpty(), "real.png belongs to the first session");
        Map<Long, Map<String, Float>> both = new LinkedHashMap<>(scalars(first, "metrics/"));
        both.putAll(scalars(second, "metrics/"));
        assertEquals(List.of(1L, 2L, 3L, 4L), List.copyOf(scalars(first, "metrics/").keySet()));
        assertEquals(List.of(5L, 6L, 7L), List.copyOf(scalars(second, "metrics/").keySet()));
        assertEquals(expectedScalars(dir.resolve("metrics.jsonl"), "metrics/"), both);
    }

    @Test
    void resumingFromAnOlderCheckpointCutsTheEventFileThere(@TempDir Path dir) throws IOException {
        train(tiny(), dir, 0);
        Path original = TfRecords.eventFiles(dir).getFirst();
        byte[] whole = Files.readAllBytes(original);
        Resume from = Resume.from(dir.resolve("checkpoints").resolve("step_000004.safetensors"));
        try (Trainer t = from.trainer(new CpuBackend(), DIGITS, TrainLoss.of(GanLoss.parse("nsgan")))) {
            TrainingRun run = from.start(t, dir, QUIET, null).progressBar(false).tensorBoard(true);
            assertEquals(TrainingRun.Outcome.COMPLETED, run.run().outcome());
        }
        List<Path> files = TfRecords.eventFiles(dir);
        assertEquals(2, files.size(), files.toString());
        assertEquals(original, files.getFirst());
        List<Event> first = TfRecords.events(files.get(0)), second = TfRecords.events(files.get(1));
        assertEquals(List.of(1L, 2L, 3L, 4L), List.copyOf(scalars(first, "metrics/").keySet()), "the first file now ends at step 4");
        assertEquals(List.of(3L), List.copyOf(images(first, TensorBoardLog.GENERATED).keySet()));
        assertEquals(List.of(5L, 6L, 7L), List.copyOf(scalars(second, "metrics/").keySet()));
        Map<Long, Map<String, Float>> both = new LinkedHashMap<>(scalars(first, "metrics/"));
        both.putAll(scalars(second, "metrics/"));
        assertEquals(expectedScalars(dir.resolve("metrics.jsonl"), "metrics/"), both, "the file as metrics.jsonl: the continued run's steps");

        Path aside;
        try (Stream<Path> s = Files.list(dir.resolve("rewound"))) {
            aside = s.findFirst().orElseThrow();
        }
        assertArrayEquals(whole, Files.readAllBytes(aside.resolve(original.getFileName())), "the whole file, moved aside");
        assertEquals(expectedScalars(aside.resolve("metrics.jsonl"), "metrics/").keySet(),
                scalars(TfRecords.events(aside.resolve(original.getFileName())), "metrics/").keySet().stream().filter(st -> st > 4)
                        .collect(java.util.stream.Collectors.toCollection(java.util.LinkedHashSet::new)),
                "the later steps, beside the later metrics lines");
    }

    @Test
    void withoutTheOptionNoEventFileIsWritten(@TempDir Path dir) throws IOException {
        try (Trainer t = trainer(tiny().toBuilder().steps(2).build())) {
            TrainingRun run = new TrainingRun(t, dir, QUIET, null).progressBar(false);
            run.initFresh();
            run.run();
            assertNull(run.tensorBoardFile());
        }
        assertEquals(List.of(), TfRecords.eventFiles(dir));
    }

    @Test
    void twoDimensionalRunsLogTheirModeCoverage(@TempDir Path dir) throws IOException {
        TrainConfig ring = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).hidden(8).depth(1).nz(2).batch(16)
                .steps(6).sampleEvery(3).checkpointEvery(0).logEvery(2).build();
        dev.sparring.data.Mixture2D points = (dev.sparring.data.Mixture2D) ring.openData(s -> { });
        try (Trainer t = new Trainer(ring, new CpuBackend(), points, TrainLoss.of(GanLoss.parse("nsgan")))) {
            TrainingRun run = new TrainingRun(t, dir, QUIET, points).progressBar(false).tensorBoard(true);
            run.initFresh();
            run.run();
        }
        List<Event> events = TfRecords.events(TfRecords.eventFiles(dir).getFirst());
        Map<Long, Map<String, Float>> want = expectedScalars(dir.resolve("coverage.jsonl"), "coverage/");
        assertEquals(List.of(3L, 6L), List.copyOf(want.keySet()));
        assertEquals(want, scalars(events, "coverage/"));
        assertEquals(want.keySet(), images(events, TensorBoardLog.GENERATED).keySet(), "the scatters");
        assertEquals(3, images(events, TensorBoardLog.GENERATED).get(3L).getColorspace(), "a colour plot");
    }

    /**
     * TensorBoard's own reader (EventAccumulator, as `tensorboard --logdir` reads a run folder) on a run's folder, where
     * python3 has the tensorboard package: the tags, steps and values it finds must be those of metrics.jsonl.
     */
    @Test
    void tensorBoardItselfReadsTheRunFolder(@TempDir Path dir) throws IOException, InterruptedException {
        train(tiny(), dir, 0);
        String script = """
                import json, sys, warnings
                warnings.filterwarnings("ignore")
                try:
                    from tensorboard.backend.event_processing import event_accumulator as ea
                    from tensorboard.util import tensor_util
                except ImportError:
                    print("NO-TENSORBOARD"); sys.exit(0)
                a = ea.EventAccumulator(sys.argv[1], size_guidance={ea.SCALARS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
                a.Reload()
                out = {"scalars": {t: [[e.step, e.value] for e in a.Scalars(t)] for t in a.Tags()["scalars"]},
                       "images": {t: [[e.step, e.width, e.height, len(e.encoded_image_string)] for e in a.Images(t)] for t in a.Tags()["images"]},
                       "text": {t: [tensor_util.make_ndarray(e.tensor_proto).item().decode() for e in a.Tensors(t)] for t in a.Tags()["tensors"]},
                       "plugin": a.SummaryMetadata("config").plugin_data.plugin_name}
                print("RESULT " + json.dumps(out))
                """;
        Process p;
        try {
            p = new ProcessBuilder("python3", "-c", script, dir.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("python3 is not installed: TensorBoard's own reader not tried");
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python3 finished");
        Assumptions.assumeFalse(out.contains("NO-TENSORBOARD"), "python3 has no tensorboard package: TensorBoard's own reader not tried");
        assertEquals(0, p.exitValue(), out);
        String json = out.lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow(() -> new AssertionError(out)).substring(7);
        Map<String, Object> tb = Json.parseObject(json, "EventAccumulator");

        @SuppressWarnings("unchecked") Map<String, List<List<Number>>> scalars = (Map<String, List<List<Number>>>) tb.get("scalars");
        Map<String, List<List<Number>>> want = new LinkedHashMap<>();
        expectedScalars(dir.resolve("metrics.jsonl"), "metrics/").forEach((step, values) -> values.forEach((tag, v) ->
                want.computeIfAbsent(tag, k -> new ArrayList<>()).add(List.of(step, v))));
        assertEquals(want.keySet(), scalars.keySet(), "TensorBoard's scalar tags");
        want.forEach((tag, series) -> {
            List<List<Number>> got = scalars.get(tag);
            assertEquals(series.size(), got.size(), tag);
            for (int i = 0; i < series.size(); i++) {
                assertEquals(series.get(i).get(0).longValue(), got.get(i).get(0).longValue(), tag + " step");
                assertEquals(series.get(i).get(1).floatValue(), got.get(i).get(1).floatValue(), tag + " at step " + series.get(i).get(0));
            }
        });

        @SuppressWarnings("unchecked") Map<String, List<List<Number>>> images = (Map<String, List<List<Number>>>) tb.get("images");
        assertEquals(java.util.Set.of(TensorBoardLog.REAL, TensorBoardLog.GENERATED), images.keySet());
        assertEquals(List.of(3L, 6L, 7L), images.get(TensorBoardLog.GENERATED).stream().map(e -> e.get(0).longValue()).toList());
        for (var e : images.get(TensorBoardLog.GENERATED)) {
            Path png = dir.resolve("samples").resolve(String.format("step_%06d.png", e.get(0).longValue()));
            assertEquals(Files.size(png), e.get(3).longValue(), png + " whole");
        }
        assertEquals("text", tb.get("plugin"));
        @SuppressWarnings("unchecked") List<String> text = ((Map<String, List<String>>) tb.get("text")).get(TensorBoardLog.CONFIG);
        assertEquals(1, text.size());
        assertEquals(Json.readObject(dir.resolve("config.json")), Json.parseObject(text.getFirst().substring("config.json:".length()), "text"));
    }
}
