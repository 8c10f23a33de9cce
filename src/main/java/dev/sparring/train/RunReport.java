package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.Json;
import dev.sparring.io.JsonException;
import dev.sparring.viz.ReportPage;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A run folder's {@code report.html}, and one page comparing several runs ({@code sparring report}): the run's
 * configuration, its loss curves with the loss's values at equilibrium and a smoothed line, the FID (and KID), for 2-D
 * data the mode coverage, a chart of every other numeric metrics key, sample grids over time and the checkpoints. The
 * page ({@link ReportPage}) is one self-contained file: the numbers and the images are embedded in it, so that it opens
 * anywhere, also when copied out of the run folder or written for a comparison elsewhere.
 *
 * <p>What is embedded, to keep the file small for long runs: each metrics key at most {@link #MAX_POINTS} points,
 * evenly thinned over its steps (as TensorBoard keeps 1,000 of a scalar), always with its last; values as float32;
 * at most {@link #MAX_IMAGES} sample images, evenly spaced and always with the last (fewer when they pass
 * {@link #MAX_IMAGE_BYTES}), plus {@code samples/real.png}. Everything else stays in the run folder.
 *
 * <p>{@link TrainingRun} writes the run's page at each checkpoint and when the run ends (also on Ctrl-C and after a
 * non-finite metric), so that an interrupted or crashed run has one. Writes are atomic.
 */
public final class RunReport {
    /** The page's name in a run folder. */
    public static final String FILE = "report.html";
    /** The most points of one metric a page holds. */
    public static final int MAX_POINTS = 2000;
    /** The most sample images of one run a page holds (besides real.png). */
    public static final int MAX_IMAGES = 16;
    /** The sample images of a run are thinned further until they take at most this many bytes (or only two are left). */
    public static final long MAX_IMAGE_BYTES = 8L << 20;
    /** The smoothing weight the page starts with (TensorBoard's default). */
    public static final double SMOOTHING = 0.6;

    /** The prefix of the keys of coverage.jsonl among a run's columns. */
    static final String COVERAGE = "coverage/";
    private static final Pattern SAMPLE = Pattern.compile("step_(\\d+)\\.png"), CHECKPOINT = Pattern.compile("step_(\\d+)\\.safetensors");
    private static final Pattern PAIRED = Pattern.compile("(.+)_(real|fake|d|g)");
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private RunReport() { }

    /**
     * Writes {@code dir/report.html} for a run in progress or just ended, with the equilibrium values of the loss it
     * trains with (those of loss_curve.png). Refuses a report.html that Sparring did not write.
     */
    public static Path write(Path dir, TrainLoss loss) throws IOException {
        Map<String, Object> config = Json.readObject(dir.resolve("config.json"));
        Map<String, Object> run = runData(dir, config, loss.spec(), loss.equilibriumCriticLoss(), loss.equilibriumGeneratorLoss(), new ArrayList<>());
        return writeInRunFolder(dir, run);
    }

    /**
     * Writes {@code dir/report.html} again ({@code sparring report RUN}) from what the run folder holds; the values at
     * equilibrium come from the configuration's loss. The folder must be a Sparring run's ({@link #requireRunFolder}).
     */
    public static Path write(Path dir) throws IOException {
        return writeInRunFolder(dir, read(dir));
    }

    /**
     * Writes one page to {@code out}: with one run, that run's page; with several, a page that overlays their curves,
     * sets their configurations side by side (the keys whose values differ highlighted) and shows the last sample grid
     * of each. The caller has checked that {@code out} may be written.
     */
    public static void write(List<Path> dirs, Path out) throws IOException {
        Set<Path> seen = new LinkedHashSet<>();
        List<Map<String, Object>> runs = new ArrayList<>();
        for (Path d : dirs) {
            if (!seen.add(d.toAbsolutePath().normalize())) throw new UserError("RUN " + d + " is given twice");
            runs.add(read(d));
        }
        if (runs.size() > 1) {   // two folders of one name (a/run, b/run) are told apart by their paths
            Set<Object> names = new java.util.HashSet<>();
            boolean unique = runs.stream().allMatch(r -> names.add(r.get("name")));
            if (!unique) runs.forEach(r -> r.put("name", r.get("path")));
        }
        ReportPage.write(out, title(runs), page(runs));
    }

    private static Path writeInRunFolder(Path dir, Map<String, Object> run) throws IOException {
        Path file = dir.resolve(FILE);
        if (Files.isDirectory(file)) throw new UserError(file + " is a folder; a run's report is written as a file of that name");
        if (Files.exists(file) && !ReportPage.isOurs(file)) {
            throw new UserError(file + " exists and was not written by Sparring; move it away to let the run write its report there");
        }
        List<Map<String, Object>> runs = List.of(run);
        ReportPage.write(file, title(runs), page(runs));
        return file;
    }

    private static String title(List<Map<String, Object>> runs) {
        return runs.size() == 1 ? "Sparring run " + runs.getFirst().get("name") : "Sparring: " + runs.size() + " runs compared";
    }

    /**
     * Checks that {@code dir} is a Sparring run folder (a config.json that reads as a run configuration, beside
     * metrics.jsonl or checkpoints/) and returns its configuration as written; otherwise a one-line {@link UserError}
     * naming the path.
     */
    public static Map<String, Object> requireRunFolder(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new UserError("RUN " + dir + (Files.exists(dir) ? " is not a folder" : ": no such folder") + "; give a run folder (runs/NAME)");
        }
        Path configFile = dir.resolve("config.json");
        if (!Files.isRegularFile(configFile)) throw new UserError(dir + " is not a Sparring run folder: it has no config.json");
        Map<String, Object> config;
        try {
            config = Json.readObject(configFile);
            TrainConfig.fromMap(config);
        } catch (IOException | RuntimeException e) {
            throw new UserError(configFile + " is not a Sparring run configuration (" + oneLine(e.getMessage()) + ")");
        }
        if (!Files.exists(dir.resolve("metrics.jsonl")) && !Files.isDirectory(dir.resolve("checkpoints"))) {
            throw new UserError(dir + " is not a Sparring run folder: it has a config.json but neither metrics.jsonl nor checkpoints/");
        }
        return config;
    }

    /** A run folder's data for the page, its loss's equilibrium values from its configuration. */
    static Map<String, Object> read(Path dir) throws IOException {
        Map<String, Object> config = requireRunFolder(dir);
        String spec = String.valueOf(config.get("loss"));
        List<String> notes = new ArrayList<>();
        double eqD = Double.NaN, eqG = Double.NaN;
        try {
            GanLoss loss = GanLoss.parse(spec);
            eqD = loss.equilibriumCriticLoss();
            eqG = loss.equilibriumGeneratorLoss();
        } catch (RuntimeException e) {
            notes.add("the values at equilibrium are not drawn: the loss " + spec + " does not read (" + oneLine(e.getMessage()) + ")");
        }
        return runData(dir, config, spec, eqD, eqG, notes);
    }

    // ================================================================ one run's data

    /** One metric's points as they come, thinned on the way to at most {@link #MAX_POINTS}, evenly over its steps. */
    static final class Thinned {
        private long[] steps = new long[64];
        private float[] values = new float[64];
        private int n, stride = 1;
        private long seen, finite, lastStep;
        private float lastValue;

        void add(long step, double value) {
            float v = (float) value;
            if (Float.isFinite(v)) finite++;
            lastStep = step;
            lastValue = v;
            if (seen++ % stride != 0) return;
            if (n == steps.length) {
                steps = Arrays.copyOf(steps, n * 2);
                values = Arrays.copyOf(values, n * 2);
            }
            steps[n] = step;
            values[n++] = v;
            if (n == MAX_POINTS) {   // keep every other point: those at multiples of the doubled stride
                for (int i = 0; i < n / 2; i++) {
                    steps[i] = steps[2 * i];
                    values[i] = values[2 * i];
                }
                n /= 2;
                stride *= 2;
            }
        }

        /** The kept steps, and the last one when thinning passed it over. */
        long[] steps() { return withLast() ? append(Arrays.copyOf(steps, n), lastStep) : Arrays.copyOf(steps, n); }

        float[] values() {
            float[] v = Arrays.copyOf(values, n + (withLast() ? 1 : 0));
            if (withLast()) v[n] = lastValue;
            return v;
        }

        private boolean withLast() { return seen > 0 && (n == 0 || steps[n - 1] != lastStep); }

        long count() { return seen; }

        long finiteCount() { return finite; }

        long lastStep() { return lastStep; }

        float lastValue() { return lastValue; }

        private static long[] append(long[] a, long v) {
            long[] b = Arrays.copyOf(a, a.length + 1);
            b[a.length] = v;
            return b;
        }
    }

    /** What metrics.jsonl holds: each numeric key's points, and how many lines were read. */
    record Metrics(Map<String, Thinned> keys, long lines) { }

    /**
     * Reads metrics.jsonl: every key with a number (or null: a value that was not finite) on a line becomes a series
     * over the lines' steps. A line that is not a JSON object with a numeric step is a {@link UserError} naming the file
     * and line, except an unfinished last line (a run killed while writing it), which is left out with a note.
     */
    static Metrics readMetrics(Path file, List<String> notes) throws IOException {
        Map<String, Thinned> keys = new LinkedHashMap<>();
        if (!Files.exists(file)) return new Metrics(keys, 0);
        boolean endsWithNewline = endsWithNewline(file);
        long lines = 0;
        try (BufferedReader r = Files.newBufferedReader(file)) {
            int number = 0;
            String line = r.readLine(), next;
            for (; line != null; line = next) {
                next = r.readLine();
                number++;
                if (line.isBlank()) continue;
                Map<String, Object> o;
                try {
                    o = Json.parseObject(line, file.toString());
                } catch (JsonException e) {
                    if (next == null && !endsWithNewline) {
                        notes.add("the last line of metrics.jsonl (line " + number + ") is unfinished and left out");
                        break;
                    }
                    throw new UserError(file + ":" + number + ": " + jsonMessage(e) + " (each line of metrics.jsonl is one JSON object)");
                }
                if (!(o.get("step") instanceof Number stepNumber)) {
                    throw new UserError(file + ":" + number + ": the line has no numeric \"step\"; this is not a Sparring metrics file");
                }
                long step = stepNumber.longValue();
                lines++;
                for (Map.Entry<String, Object> e : o.entrySet()) {
                    if (e.getKey().equals("step")) continue;
                    Object v = e.getValue();
                    if (v instanceof Number num) keys.computeIfAbsent(e.getKey(), k -> new Thinned()).add(step, num.doubleValue());
                    else if (v == null) keys.computeIfAbsent(e.getKey(), k -> new Thinned()).add(step, Double.NaN);
                }
            }
        } catch (CharacterCodingException e) {
            throw new UserError(file + ": not UTF-8 text; this is not a Sparring metrics file");
        } catch (IOException e) {
            throw new UserError(file + ": cannot be read (" + oneLine(e.getMessage()) + ")");
        }
        return new Metrics(keys, lines);
    }

    private static boolean endsWithNewline(Path file) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            if (size == 0) return true;
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, size - 1);
            return b.get(0) == '\n';
        } catch (IOException e) {
            throw new UserError(file + ": cannot be read (" + oneLine(e.getMessage()) + ")");
        }
    }

    private static String jsonMessage(JsonException e) {
        String m = String.valueOf(e.getMessage());
        String prefix = e.source() + ":" + e.line() + ":" + e.column() + ": ";
        return m.startsWith(prefix) ? "column " + e.column() + ": " + m.substring(prefix.length()) : m;
    }

    /** coverage.jsonl (2-D data) as the keys {@link #COVERAGE}modes_covered and hq_share; the last line's mode count. */
    private static int readCoverage(Path file, Map<String, Thinned> into) throws IOException {
        if (!Files.exists(file)) return 0;
        int modes = 0, number = 0;
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UserError(file + ": cannot be read (" + oneLine(e.getMessage()) + ")");
        }
        for (String line : lines) {
            number++;
            if (line.isBlank()) continue;
            Map<String, Object> o;
            try {
                o = Json.parseObject(line, file.toString());
            } catch (JsonException e) {
                if (number == lines.size()) break;   // unfinished last line
                throw new UserError(file + ":" + number + ": " + jsonMessage(e) + " (each line of coverage.jsonl is one JSON object)");
            }
            if (!(o.get("step") instanceof Number step) || !(o.get("modes_covered") instanceof Number covered)
                    || !(o.get("modes") instanceof Number m) || !(o.get("hq_share") instanceof Number hq)) {
                throw new UserError(file + ":" + number + ": a coverage line holds step, modes_covered, modes and hq_share");
            }
            into.computeIfAbsent(COVERAGE + "modes_covered", k -> new Thinned()).add(step.longValue(), covered.doubleValue());
            into.computeIfAbsent(COVERAGE + "hq_share", k -> new Thinned()).add(step.longValue(), hq.doubleValue());
            modes = m.intValue();
        }
        return modes;
    }

    /** The data of one run: see report.js for the layout. */
    static Map<String, Object> runData(Path dir, Map<String, Object> config, String lossSpec, double eqD, double eqG,
                                       List<String> notes) throws IOException {
        Metrics metrics = readMetrics(dir.resolve("metrics.jsonl"), notes);
        Map<String, Thinned> keys = new LinkedHashMap<>(metrics.keys());
        int modes = readCoverage(dir.resolve("coverage.jsonl"), keys);
        keys.values().removeIf(t -> t.finiteCount() == 0);   // a key that never held a number draws nothing

        Map<String, Object> run = new LinkedHashMap<>();
        Path name = dir.toAbsolutePath().normalize().getFileName();
        run.put("name", name == null ? dir.toString() : name.toString());
        run.put("path", dir.toString());
        run.put("loss", lossSpec);
        run.put("config", config);
        run.put("summary", summary(metrics, keys, modes));
        run.put("metrics_lines", metrics.lines());
        run.put("columns", columns(keys));
        // which keys are dense (on nearly every line: smoothed lines) or sparse (points): for the chart list
        Map<String, Object> density = new LinkedHashMap<>();
        keys.forEach((k, t) -> density.put(k, k.startsWith(COVERAGE) || t.count() < 0.9 * metrics.lines() ? "sparse" : "dense"));
        run.put("density", density);
        Map<String, Object> refs = new LinkedHashMap<>();
        if (Double.isFinite(eqD)) refs.put("d_loss", ref(String.format(Locale.ROOT, "D at equilibrium %.4g", eqD), eqD));
        if (Double.isFinite(eqG)) refs.put("g_loss", ref(String.format(Locale.ROOT, "G at equilibrium %.4g", eqG), eqG));
        if (modes > 0) refs.put(COVERAGE + "modes_covered", ref("all " + modes + " modes", modes));
        run.put("refs", refs);
        addSamples(dir.resolve("samples"), run, notes);
        run.put("checkpoints", checkpoints(dir.resolve("checkpoints")));
        long total = keys.values().stream().mapToLong(Thinned::count).max().orElse(0);
        if (total > MAX_POINTS) {
            notes.add(String.format(Locale.ROOT, "the charts show at most %,d evenly spaced points of each metric (of %,d lines in metrics.jsonl)",
                    MAX_POINTS, metrics.lines()));
        }
        run.put("notes", notes);
        return run;
    }

    private static Map<String, Object> ref(String label, double value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", label);
        m.put("value", value);
        return m;
    }

    /** Keys with the same steps share one column of steps. */
    private static List<Map<String, Object>> columns(Map<String, Thinned> keys) {
        List<long[]> steps = new ArrayList<>();
        List<Map<String, Object>> columns = new ArrayList<>();
        keys.forEach((key, t) -> {
            long[] s = t.steps();
            int at = 0;
            while (at < steps.size() && !Arrays.equals(steps.get(at), s)) at++;
            if (at == steps.size()) {
                steps.add(s);
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("step", s);
                c.put("values", new LinkedHashMap<String, Object>());
                columns.add(c);
            }
            @SuppressWarnings("unchecked") Map<String, Object> values = (Map<String, Object>) columns.get(at).get("values");
            values.put(key, boxed(t.values()));
        });
        return columns;
    }

    /** Values as JSON writes them: a value that is not finite as null (a gap in its line). */
    private static List<Float> boxed(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float x : v) out.add(Float.isFinite(x) ? x : null);
        return out;
    }

    private static Map<String, Object> summary(Metrics metrics, Map<String, Thinned> keys, int modes) {
        Map<String, Object> s = new LinkedHashMap<>();
        var lastStep = metrics.keys().values().stream().mapToLong(Thinned::lastStep).max();
        s.put("last_step", lastStep.isPresent() ? lastStep.getAsLong() : null);
        for (String k : List.of("epoch", "time_s", "img_per_s", "d_loss", "g_loss")) {
            Thinned t = metrics.keys().get(k);
            s.put(k, t == null ? null : t.lastValue());
        }
        Thinned fid = keys.get("fid");
        s.put("fid", fid == null ? null : fid.lastValue());
        s.put("fid_step", fid == null ? null : fid.lastStep());
        Thinned covered = keys.get(COVERAGE + "modes_covered"), hq = keys.get(COVERAGE + "hq_share");
        s.put("coverage", covered == null ? null : String.format(Locale.ROOT, "%d/%d modes, %.1f%% high quality (step %d)",
                (int) covered.lastValue(), modes, 100 * hq.lastValue(), covered.lastStep()));
        return s;
    }

    /** samples/real.png and the grids (scatters) step_*.png, at most {@link #MAX_IMAGES} of them, evenly spaced. */
    private static void addSamples(Path dir, Map<String, Object> run, List<String> notes) throws IOException {
        List<Map.Entry<Long, Path>> grids = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> s = Files.list(dir)) {
                s.forEach(p -> {
                    Matcher m = SAMPLE.matcher(p.getFileName().toString());
                    if (m.matches() && Files.isRegularFile(p)) grids.add(Map.entry(Long.parseLong(m.group(1)), p));
                });
            }
        }
        grids.sort(Map.Entry.comparingByKey());
        List<Map.Entry<Long, Path>> chosen = evenlySpaced(grids, MAX_IMAGES);
        while (chosen.size() > 2 && bytes(chosen) > MAX_IMAGE_BYTES) chosen = evenlySpaced(grids, chosen.size() / 2);
        List<Map<String, Object>> samples = new ArrayList<>();
        for (Map.Entry<Long, Path> g : chosen) {
            String src = dataUri(g.getValue(), notes);
            if (src == null) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("step", g.getKey());
            m.put("src", src);
            samples.add(m);
        }
        run.put("samples", samples);
        run.put("samples_total", grids.size());
        Path real = dir.resolve(TrainingRun.REAL_SAMPLES);
        run.put("real", Files.isRegularFile(real) ? dataUri(real, notes) : null);
    }

    /** At most {@code max} of {@code all}, evenly spaced, the first and the last among them. */
    static <T> List<T> evenlySpaced(List<T> all, int max) {
        int n = all.size();
        if (n <= max) return new ArrayList<>(all);
        if (max == 1) return new ArrayList<>(List.of(all.getLast()));
        List<T> out = new ArrayList<>();
        for (int i = 0; i < max; i++) out.add(all.get((int) Math.round(i * (n - 1) / (double) (max - 1))));
        return out;
    }

    private static long bytes(List<Map.Entry<Long, Path>> files) throws IOException {
        long b = 0;
        for (Map.Entry<Long, Path> f : files) b += Files.size(f.getValue());
        return b;
    }

    /** A PNG as a data: URI; a file that is not a PNG is left out with a note. */
    private static String dataUri(Path png, List<String> notes) throws IOException {
        byte[] b = Files.readAllBytes(png);
        if (b.length < PNG_SIGNATURE.length || !Arrays.equals(b, 0, PNG_SIGNATURE.length, PNG_SIGNATURE, 0, PNG_SIGNATURE.length)) {
            notes.add(png + " is not a PNG image and is left out");
            return null;
        }
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(b);
    }

    private static List<Map<String, Object>> checkpoints(Path dir) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> CHECKPOINT.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        DateTimeFormatter time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
        for (Path p : files) {
            Matcher m = CHECKPOINT.matcher(p.getFileName().toString());
            if (!m.matches()) continue;
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("name", p.getFileName().toString());
            c.put("step", Long.parseLong(m.group(1)));
            c.put("bytes", Files.size(p));
            c.put("modified", LocalDateTime.ofInstant(Files.getLastModifiedTime(p).toInstant(), ZoneId.systemDefault()).format(time));
            out.add(c);
        }
        return out;
    }

    // ================================================================ the page

    /** The page's data: the runs, the charts to draw, and for a comparison the configuration keys that differ. */
    static Map<String, Object> page(List<Map<String, Object>> runs) {
        boolean compare = runs.size() > 1;
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("compare", compare);
        page.put("smoothing", SMOOTHING);
        List<Map<String, Object>> featured = new ArrayList<>(), generic = new ArrayList<>();
        charts(runs, compare, featured, generic);
        List<Map<String, Object>> charts = new ArrayList<>(featured);
        charts.addAll(generic);
        page.put("featured", featured.size());
        page.put("charts", charts);
        page.put("differing", compare ? differingKeys(runs) : List.of());
        runs.forEach(r -> r.remove("density"));   // used for the chart list only
        page.put("runs", runs);
        return page;
    }

    /** The configuration keys whose values are not the same in every run (or absent from some). */
    @SuppressWarnings("unchecked")
    static List<String> differingKeys(List<Map<String, Object>> runs) {
        Set<String> keys = new LinkedHashSet<>();
        for (Map<String, Object> r : runs) keys.addAll(((Map<String, Object>) r.get("config")).keySet());
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            Map<String, Object> first = (Map<String, Object>) runs.getFirst().get("config");
            boolean same = runs.stream().allMatch(r -> {
                Map<String, Object> c = (Map<String, Object>) r.get("config");
                return c.containsKey(k) && first.containsKey(k) && sameValue(c.get(k), first.get(k));
            });
            if (!same) out.add(k);
        }
        return out;
    }

    private static boolean sameValue(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) return x.doubleValue() == y.doubleValue();
        return Objects.equals(a, b);
    }

    /**
     * The charts: featured first (losses with their values at equilibrium, FID and KID, mode coverage), then one for
     * every other numeric key, keys that differ only by a _real/_fake or _d/_g ending together. A comparison draws one
     * key per chart, a line per run.
     */
    @SuppressWarnings("unchecked")
    private static void charts(List<Map<String, Object>> runs, boolean compare, List<Map<String, Object>> featured,
                               List<Map<String, Object>> generic) {
        Map<String, String> density = new LinkedHashMap<>();   // key -> dense, unless sparse in some run
        for (Map<String, Object> r : runs) {
            ((Map<String, Object>) r.get("density")).forEach((k, d) -> density.merge(k, (String) d, (a, b) -> a.equals("sparse") ? a : b));
        }
        Set<String> used = new LinkedHashSet<>(List.of("d_loss", "g_loss", "fid", "kid", COVERAGE + "modes_covered", COVERAGE + "hq_share"));
        if (compare) {
            chart(featured, density, "loss-d", "D loss", "loss", null, series("d_loss", "D loss", false));
            chart(featured, density, "loss-g", "G loss", "loss", null, series("g_loss", "G loss", false));
            chart(featured, density, "fid", "FID", "FID", null, series("fid", "FID", false));
            chart(featured, density, "kid", "KID", "KID", null, series("kid", "KID", false));
            chart(featured, density, "coverage-modes", "modes covered", "modes", null, series(COVERAGE + "modes_covered", "modes covered", false));
            chart(featured, density, "coverage-hq", "high-quality share", "share", null, series(COVERAGE + "hq_share", "high-quality share", false));
        } else {
            chart(featured, density, "loss", "losses", "loss", null, series("d_loss", "D loss", false), series("g_loss", "G loss", false));
            chart(featured, density, "fid", "FID" + (density.containsKey("kid") ? " and KID" : ""), "FID", "KID",
                    series("fid", "FID", false), series("kid", "KID", true));
            chart(featured, density, "coverage", "mode coverage", "modes covered", "high-quality share",
                    series(COVERAGE + "modes_covered", "modes covered", false), series(COVERAGE + "hq_share", "high-quality share", true));
        }
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (String k : density.keySet()) {
            if (used.contains(k)) continue;
            Matcher m = PAIRED.matcher(k);
            groups.computeIfAbsent(compare || !m.matches() ? k : m.group(1), g -> new ArrayList<>()).add(k);
        }
        groups.forEach((g, ks) -> chart(generic, density, "metric-" + g, String.join(", ", ks), g, null,
                ks.stream().map(k -> series(k, k, false)).toArray(Map[]::new)));
    }

    private static Map<String, Object> series(String key, String label, boolean right) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("key", key);
        s.put("label", label);
        s.put("right", right);
        return s;
    }

    /** Adds a chart of those of {@code series} that some run holds; none: no chart. Dense keys are smoothed. */
    @SafeVarargs
    private static void chart(List<Map<String, Object>> into, Map<String, String> density, String id, String title, String yLabel,
                              String y2Label, Map<String, Object>... series) {
        List<Map<String, Object>> present = Arrays.stream(series).filter(s -> density.containsKey((String) s.get("key"))).toList();
        if (present.isEmpty()) return;
        boolean dense = present.stream().allMatch(s -> density.get((String) s.get("key")).equals("dense"));
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("id", id);
        c.put("title", title);
        c.put("y_label", yLabel);
        c.put("y2_label", y2Label);
        c.put("smooth", dense);
        c.put("points", !dense);
        c.put("series", present);
        into.add(c);
    }

    private static String oneLine(String message) {
        if (message == null) return "unreadable";
        String line = message.strip().lines().findFirst().orElse("unreadable");
        return line.length() > 160 ? line.substring(0, 157) + "..." : line;
    }
}
