package dev.sparring.train;

import dev.sparring.io.EventFileWriter;
import dev.sparring.io.Json;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What a run writes for TensorBoard, into one new event file in the run folder per session ({@link EventFileWriter};
 * a resumed run adds a file, and TensorBoard reads a folder's files as one run):
 * <pre>
 * metrics/KEY       scalar: every number of every metrics.jsonl line (step is the event's step), FID and KID included
 * coverage/KEY      scalar: every number of every coverage.jsonl line (2-D data)
 * samples/generated image: each sample grid (or scatter) as its PNG, at its step
 * samples/real      image: samples/real.png, at the step the run started from
 * config            text: config.json, at the step this session started from
 * </pre>
 * Keys are not listed here: a key added to a metrics line appears in TensorBoard without a change to this class.
 */
final class TensorBoardLog implements Closeable {
    static final String GENERATED = "samples/generated", REAL = "samples/real", CONFIG = "config";

    private final EventFileWriter events;

    private TensorBoardLog(EventFileWriter events) { this.events = events; }

    /** Opens a new event file in {@code dir} and writes {@code config} into it as text at {@code step}. */
    static TensorBoardLog open(Path dir, TrainConfig config, long step) throws IOException {
        TensorBoardLog log = new TensorBoardLog(EventFileWriter.create(dir, now()));
        // indented by four spaces: a Markdown code block, shown as written
        String json = Json.writePretty(config).indent(4);
        log.events.text(CONFIG, step, now(), "config.json:\n\n" + json);
        return log;
    }

    Path file() { return events.file(); }

    /**
     * Cuts the event files of {@code dir} after step {@code at}, for a run resumed there ({@link TrainingRun#initResumed}):
     * a file that holds later events (or ends in a damaged record) is moved to {@code aside} whole and replaced by its
     * events up to {@code at} ({@link EventFileWriter#keepUpTo}). Returns how many files were cut.
     */
    static int keepUpTo(Path dir, long at, Path aside) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().startsWith(EventFileWriter.PREFIX) && Files.isRegularFile(p)).sorted().toList();
        }
        int cut = 0;
        for (Path f : files) if (EventFileWriter.keepUpTo(f, at, aside) > 0) cut++;
        return cut;
    }

    /** The numbers of a metrics.jsonl line as metrics/KEY scalars at its step. */
    void metrics(Map<String, Object> line) throws IOException { scalars("metrics/", line); }

    /** The numbers of a coverage.jsonl line as coverage/KEY scalars at its step. */
    void coverage(Map<String, Object> line) throws IOException { scalars("coverage/", line); }

    /** The PNG file {@code png} as an image at {@code step}. */
    void image(String tag, long step, Path png) throws IOException {
        events.image(tag, step, now(), Files.readAllBytes(png));
    }

    private void scalars(String prefix, Map<String, Object> line) throws IOException {
        if (!(line.get("step") instanceof Number step)) throw new IllegalArgumentException("a line without a step: " + line.keySet());
        Map<String, Float> values = new LinkedHashMap<>();
        line.forEach((key, v) -> {
            if (!key.equals("step") && v instanceof Number n) values.put(prefix + key, n.floatValue());
        });
        events.scalars(step.longValue(), now(), values);
    }

    void flush() throws IOException { events.flush(); }

    @Override
    public void close() throws IOException { events.close(); }

    private static double now() { return System.currentTimeMillis() / 1000.0; }
}
