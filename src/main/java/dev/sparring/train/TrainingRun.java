package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.data.Mixture2D;
import dev.sparring.io.AtomicFile;
import dev.sparring.io.Json;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.viz.Figure;
import dev.sparring.viz.ImageGrid;
import dev.sparring.viz.LineChart;
import dev.sparring.viz.ScatterPlot;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a {@link Trainer} to the end inside a run folder:
 * <pre>
 * runs/&lt;name&gt;/config.json        the run's configuration
 *              metrics.jsonl      one JSON object per generator step
 *              coverage.jsonl     2-D data: the mode coverage of each sample scatter ({@link #COVERAGE_SAMPLES} points)
 *              samples/           step_NNNNNN.png: a fixed-noise grid (a scatter plot for 2-D data)
 *                                 real.png: the first real images the critic is fed ({@link #writeRealSamples})
 *              checkpoints/       step_NNNNNN.safetensors (atomic writes; also on Ctrl-C)
 *              loss_curve.png     D and G losses with the equilibrium reference lines
 *              fid_reference.npz  with fidEvery: the training data's feature statistics ({@link FidEvaluator})
 *              fid_curve.png      with fidEvery: FID (and KID) per measurement
 *              report.html        all of the above on one self-contained page ({@link RunReport}), at each checkpoint and at the end
 *              events.out.tfevents.*  with {@link #tensorBoard}: the metrics, grids and configuration for TensorBoard, a file per session
 * </pre>
 * With {@link TrainConfig#fidEvery} the run measures the FID (and KID) every fidEvery steps and at its end; the
 * measurement goes into the metrics.jsonl line of its step ({@link FidEvaluator.Measurement#toMap}).
 * Stops with a clear message when a loss turns NaN/Inf, keeping the last good checkpoint.
 */
public final class TrainingRun {
    /** How a run ended. */
    public enum Outcome { COMPLETED, INTERRUPTED, DIVERGED }

    public record Result(Outcome outcome, long steps, Path lastCheckpoint, String message) { }

    private final Trainer trainer;
    private final Path dir;
    private final PrintStream log;
    private final Mixture2D points;      // non-null for 2-D data: samples are drawn as scatter plots
    private final List<Metrics> history = new ArrayList<>();
    private volatile boolean stopRequested;
    private final CountDownLatch finished = new CountDownLatch(1);
    private Path lastCheckpoint;
    private int gridSamples = 64;
    private boolean progressBar = true;
    private Progress progress;
    private Mixture2D.Coverage lastCoverage;   // 2-D data: of the last sample scatter, at lastCoverageStep
    private long lastCoverageStep = -1;
    private final FidEvaluator fid;      // null: the run measures no FID
    private final List<FidEvaluator.Measurement> fidHistory = new ArrayList<>();
    private double evaluationSeconds;    // spent measuring the FID this session, left out of img_per_s
    private boolean tensorBoard;         // write a TensorBoard event file ({@link TensorBoardLog})
    private TensorBoardLog tb;           // open while run() runs, when tensorBoard
    private boolean realSamplesWritten;  // samples/real.png was written this session (a fresh run)

    /** The most classes a conditional run's sample grids show, a row of 8 each. */
    static final int CLASS_ROWS = 64;

    /** Fixed-noise samples in a 2-D run's scatter plots, and in the mode coverage computed from them. */
    public static final int COVERAGE_SAMPLES = 1000;

    public TrainingRun(Trainer trainer, Path dir, PrintStream log, Mixture2D pointsOrNull) {
        this.trainer = trainer;
        this.dir = dir;
        this.log = log;
        this.points = pointsOrNull;
        this.fid = trainer.config().fidEvery() > 0 ? new FidEvaluator(trainer) : null;
    }

    public TrainingRun progressBar(boolean on) { this.progressBar = on; return this; }

    /** Whether {@link #run()} also writes what it logs into a new TensorBoard event file in the run folder ({@link TensorBoardLog}). */
    public TrainingRun tensorBoard(boolean on) { this.tensorBoard = on; return this; }

    /** The event file of the last {@link #run()} with {@link #tensorBoard}, or null. */
    public Path tensorBoardFile() { return tb == null ? null : tb.file(); }

    public Path dir() { return dir; }

    /** Asks the loop to stop after the current step and write a checkpoint (used by the Ctrl-C hook). */
    public void requestStop() { stopRequested = true; }

    /** Waits until the loop has stopped and its last checkpoint is written. */
    public boolean awaitFinished(long seconds) throws InterruptedException { return finished.await(seconds, TimeUnit.SECONDS); }

    public List<Metrics> history() { return history; }

    /** The FID measurements of the run so far (a resumed run's include those before the checkpoint), oldest first. */
    public List<FidEvaluator.Measurement> fidHistory() { return fidHistory; }

    /** The FID evaluator, or null when the run measures no FID. */
    public FidEvaluator fidEvaluator() { return fid; }

    /**
     * Creates a new, empty run folder {@code out/name} (and {@code out} if needed) and returns it. Sparring writes a
     * run only into a folder it creates (or one that is empty), so that it never overwrites a file it did not write.
     * With {@code numbered} (a default name), a taken name becomes {@code name-2}, {@code name-3}, ...: two runs
     * started in the same second get folders of their own. Without it (a name the user chose), a taken name is refused.
     */
    public static Path createFolder(Path out, String name, boolean numbered) throws IOException {
        Files.createDirectories(out);
        for (int k = 1; ; k++) {
            Path dir = out.resolve(k == 1 ? name : name + "-" + k);
            try {
                return Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException taken) {
                if (numbered) continue;
                if (Files.isDirectory(dir) && isEmpty(dir)) return dir;
                if (Files.exists(dir.resolve("metrics.jsonl")) || Files.exists(dir.resolve("checkpoints"))) {
                    throw new UserError("--name " + name + ": run folder " + dir + " already holds a run: use --resume " + dir
                            + " to continue it, or choose another --name/--out");
                }
                throw new UserError("--name " + name + ": " + dir + " already exists and is not an empty folder; a run is "
                        + "written only into a new folder, so choose another --name/--out");
            }
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }

    /**
     * The run folder a checkpoint belongs to: DIR for a checkpoint DIR/checkpoints/FILE beside a DIR/config.json that
     * reads as a Sparring run configuration; null for a checkpoint kept anywhere else (~/models/x.safetensors), whose
     * surroundings are the user's and are never written.
     */
    public static Path runFolderOf(Path checkpoint) {
        Path parent = checkpoint.toAbsolutePath().normalize().getParent();
        if (parent == null || parent.getFileName() == null || !parent.getFileName().toString().equals("checkpoints")) return null;
        Path dir = parent.getParent();
        if (dir == null || !Files.isRegularFile(dir.resolve("config.json"))) return null;
        try {
            TrainConfig.fromMap(Json.readObject(dir.resolve("config.json")));
            Path typed = checkpoint.getParent() == null ? null : checkpoint.getParent().getParent();   // as the user wrote it
            return typed != null && checkpoint.getParent().getFileName().toString().equals("checkpoints") ? typed : dir;
        } catch (IOException | RuntimeException notARun) {
            // a config.json of someone else's beside a folder named checkpoints is not a run; beside Sparring's own
            // metrics it is a damaged run, which is reported rather than silently continued as a new run elsewhere
            if (writesSparringMetrics(dir)) {
                throw new UserError(dir.resolve("config.json") + ": this run's configuration does not read ("
                        + oneLine(notARun.getMessage()) + "); restore it, or continue the checkpoint as a new run by passing a copy of it "
                        + "kept outside the run folder to --resume");
            }
            return null;
        }
    }

    /** Whether DIR/metrics.jsonl starts with a line of Sparring's training metrics (step, d_loss, g_loss). */
    private static boolean writesSparringMetrics(Path dir) {
        Path metrics = dir.resolve("metrics.jsonl");
        if (!Files.isRegularFile(metrics)) return false;
        try (java.io.BufferedReader r = Files.newBufferedReader(metrics)) {
            String first = r.readLine();
            if (first == null || first.length() > 1 << 16) return false;
            java.util.Map<String, Object> line = Json.parseObject(first, metrics.toString());
            return line.containsKey("step") && line.containsKey("d_loss") && line.containsKey("g_loss");
        } catch (IOException | RuntimeException notOurs) {
            return false;
        }
    }

    private static String oneLine(String message) {
        if (message == null) return "unreadable";
        String line = message.strip().lines().findFirst().orElse("unreadable");
        return line.length() > 160 ? line.substring(0, 157) + "..." : line;
    }

    /** Prepares a fresh run, or a new run continued from a checkpoint kept outside a run folder, in a new folder. */
    public void initFresh() throws IOException {
        if (Files.exists(dir.resolve("metrics.jsonl")) || Files.exists(dir.resolve("checkpoints"))) {
            throw new IOException("run folder " + dir + " already holds a run: use --resume " + dir + " to continue it, or choose another --name/--out");
        }
        Files.createDirectories(dir.resolve("samples"));
        Files.createDirectories(dir.resolve("checkpoints"));
        Json.writeFile(dir.resolve("config.json"), trainer.config());
        writeRealSamples();
    }

    /** The real-data grid (or scatter) in samples/, written once when a run starts in a new folder. */
    public static final String REAL_SAMPLES = "real.png";

    /**
     * Writes samples/real.png: the next {@link #gridSamples} real images the critic will be fed (the first ones, in a
     * run from step 0), taken through the trainer's own gather and [-1, 1] mapping ({@link RealBatches#upcoming}), in
     * the layout of the fake grids, so that a wrong scale, shift, channel order or size shows beside them. 2-D data:
     * a scatter of the next {@link #COVERAGE_SAMPLES} real points, with their mode coverage as the fake scatters'
     * reference. Neither moves the data order or any stream, so the run trains the same with it or without it. A
     * file already there is left alone (a resumed run never calls this).
     */
    private void writeRealSamples() throws IOException {
        Path file = dir.resolve("samples").resolve(REAL_SAMPLES);
        if (Files.exists(file)) return;
        if (points != null) {
            float[] xy = trainer.realBatches().upcoming(COVERAGE_SAMPLES);
            ScatterPlot.write(file, xy, COVERAGE_SAMPLES, points.centers(),
                    "real data: " + points.coverage(xy, COVERAGE_SAMPLES));
        } else {
            var data = (dev.sparring.data.ImageDataset) trainer.data();
            float[] imgs = trainer.realBatches().upcoming(gridSamples);   // (n, C, H, W)
            int c = data.channels(), h = data.height(), w = data.width();
            ImageGrid.write(file, imgs, imgs.length / (c * h * w), c, h, w, 8);
        }
        realSamplesWritten = true;
    }

    /**
     * Prepares to continue a run from its checkpoint at step S: rewrites config.json with the trainer's configuration
     * (a resumed run may train to a new total or log, sample and checkpoint at other intervals; later checkpoints
     * record the same) and keeps the metrics up to S. What the folder holds beyond S (a run resumed from an older
     * checkpoint, or one killed after its last checkpoint: later checkpoints, sample grids, metrics lines, and the
     * config.json they were made with) is moved, not deleted, to {@code rewound/from-step_S-<time>/}, so that the
     * continued run does not mix with it and nothing is lost.
     */
    public void initResumed() throws IOException {
        long at = trainer.stepCount();
        Files.createDirectories(dir.resolve("samples"));
        Files.createDirectories(dir.resolve("checkpoints"));
        Path aside = dir.resolve("rewound").resolve(String.format("from-step_%06d-%s", at,
                java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
        int movedCheckpoints = moveLater(dir.resolve("checkpoints"), "safetensors", at, aside.resolve("checkpoints"));
        int movedSamples = moveLater(dir.resolve("samples"), "png", at, aside.resolve("samples"));
        Path m = dir.resolve("metrics.jsonl");
        List<String> later = new ArrayList<>();
        if (Files.exists(m)) {
            List<String> keep = new ArrayList<>();
            for (String line : Files.readAllLines(m, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                var o = Json.parseObject(line, m.toString());
                if (o.get("step") instanceof Number n && n.longValue() <= at) {
                    keep.add(line);
                    history.add(metricsFromJson(o));
                    FidEvaluator.Measurement fm = FidEvaluator.Measurement.fromJson(o);
                    if (fm != null) fidHistory.add(fm);
                } else {
                    later.add(line);
                }
            }
            if (!later.isEmpty()) {
                Files.createDirectories(aside);
                AtomicFile.write(aside.resolve("metrics.jsonl"), (String.join("\n", later) + "\n").getBytes(StandardCharsets.UTF_8));
            }
            AtomicFile.write(m, keep.isEmpty() ? new byte[0] : (String.join("\n", keep) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        moveLaterLines(dir.resolve("coverage.jsonl"), at, aside);
        int cutEventFiles = TensorBoardLog.keepUpTo(dir, at, aside);
        if (movedCheckpoints + movedSamples + later.size() + cutEventFiles > 0) {
            Path config = dir.resolve("config.json");
            if (Files.exists(config)) Files.copy(config, aside.resolve("config.json"));
            log.printf("resuming at step %d: moved what the run held beyond it (%d checkpoint(s), %d sample grid(s), %d metrics "
                    + "line(s)) to %s%s%n", at, movedCheckpoints, movedSamples, later.size(), aside, cutEventFiles == 0 ? ""
                    : "; " + cutEventFiles + " TensorBoard event file(s) now end at step " + at + " (whole copies moved there too)");
        }
        Json.writeFile(dir.resolve("config.json"), trainer.config());
    }

    /**
     * Keeps the lines of a JSON-lines file (coverage.jsonl) with a step up to {@code at} and moves the others to a file
     * of the same name in {@code aside}; a missing file is left alone.
     */
    private static void moveLaterLines(Path file, long at, Path aside) throws IOException {
        if (!Files.exists(file)) return;
        List<String> keep = new ArrayList<>(), later = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            boolean kept = Json.parseObject(line, file.toString()).get("step") instanceof Number n && n.longValue() <= at;
            (kept ? keep : later).add(line);
        }
        if (later.isEmpty()) return;
        Files.createDirectories(aside);
        AtomicFile.write(aside.resolve(file.getFileName()), (String.join("\n", later) + "\n").getBytes(StandardCharsets.UTF_8));
        AtomicFile.write(file, keep.isEmpty() ? new byte[0] : (String.join("\n", keep) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Moves the files step_NNNNNN.EXT of {@code from} with a step above {@code at} into {@code to}; returns how many. */
    private static int moveLater(Path from, String ext, long at, Path to) throws IOException {
        java.util.regex.Pattern name = java.util.regex.Pattern.compile("step_(\\d+)\\." + ext);
        List<Path> later = new ArrayList<>();
        try (Stream<Path> s = Files.list(from)) {
            s.forEach(p -> {
                java.util.regex.Matcher mm = name.matcher(p.getFileName().toString());
                if (mm.matches() && Long.parseLong(mm.group(1)) > at) later.add(p);
            });
        }
        if (later.isEmpty()) return 0;
        Files.createDirectories(to);
        for (Path p : later) Files.move(p, to.resolve(p.getFileName()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return later.size();
    }

    private static Metrics metricsFromJson(java.util.Map<String, Object> o) {
        return new Metrics(((Number) o.get("step")).longValue(), num(o.get("d_loss")), num(o.get("g_loss")),
                num(o.get("sigma_real")), num(o.get("sigma_fake")), num(o.get("t_real")), num(o.get("t_fake")),
                num(o.get("grad_norm_d")), num(o.get("grad_norm_g")), num(o.get("d_loss_eq_distance")),
                (float) num(o.get("lr_d")), (float) num(o.get("lr_g")),   // NaN in metrics written before the rates were logged
                penalties(o));
    }

    /** The gradient penalties' metrics a metrics.jsonl line holds. */
    private static java.util.Map<String, Double> penalties(java.util.Map<String, Object> o) {
        java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
        for (String name : GradientPenalties.METRICS) if (o.get(name) instanceof Number n) m.put(name, n.doubleValue());
        return m;
    }

    private static double num(Object o) { return o instanceof Number n ? n.doubleValue() : Double.NaN; }

    /** Trains until the configured number of steps, a stop request, or a non-finite loss. */
    public Result run() throws IOException {
        TrainConfig cfg = trainer.config();
        long total = trainer.totalSteps();
        long start = trainer.stepCount();
        progress = new Progress(log, total, start, progressBar);
        Result result;
        try (BufferedWriter metricsOut = Files.newBufferedWriter(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            if (tensorBoard) {
                tb = TensorBoardLog.open(dir, cfg, start);
                if (realSamplesWritten) tb.image(TensorBoardLog.REAL, start, dir.resolve("samples").resolve(REAL_SAMPLES));
            }
            if (fid != null) {
                log.println(fid.prepare(dir));
                if (!fidHistory.isEmpty()) progress.note(fidNote(fidHistory.getLast()));
            }
            long t0 = System.nanoTime();
            result = null;
            // a synchronous backend (the CPU) is read after every step, so that a run stops at the first non-finite metric
            boolean readEveryStep = trainer.backend().synchronous();
            while (trainer.stepCount() < total && !stopRequested) {
                trainer.step();
                long s = trainer.stepCount();
                boolean dueSample = cfg.sampleEvery() > 0 && s % cfg.sampleEvery() == 0;
                boolean dueCheckpoint = cfg.checkpointEvery() > 0 && s % cfg.checkpointEvery() == 0;
                boolean dueFid = fid != null && (s % cfg.fidEvery() == 0 || s == total);
                if (readEveryStep || s % cfg.logEvery() == 0 || dueSample || dueCheckpoint || dueFid || s == total) {
                    double elapsed = (System.nanoTime() - t0) / 1e9;
                    Metrics bad = drain(metricsOut, elapsed, s - start, dueFid);
                    progress.update(s, history.isEmpty() ? null : history.get(history.size() - 1));
                    if (bad != null) {
                        progress.finish();
                        result = diverged(bad, s);
                        break;
                    }
                }
                if (dueSample) writeSamples(s);
                if (dueCheckpoint) {
                    writeCheckpoint();
                    writeReport();
                }
            }
            if (result == null) {
                progress.finish();
                long s = trainer.stepCount();
                Metrics bad = drain(metricsOut, (System.nanoTime() - t0) / 1e9, s - start, false);
                if (bad != null) {
                    result = diverged(bad, s);
                } else {
                    if (cfg.sampleEvery() == 0 || s % cfg.sampleEvery() != 0) writeSamples(s);
                    if (cfg.checkpointEvery() == 0 || s % cfg.checkpointEvery() != 0 || lastCheckpoint == null) writeCheckpoint();
                    result = stopRequested && s < total
                            ? new Result(Outcome.INTERRUPTED, s, lastCheckpoint, "interrupted at step " + s + "; resume with --resume " + dir)
                            : new Result(Outcome.COMPLETED, s, lastCheckpoint, "finished " + s + " steps"
                                    + (!fidHistory.isEmpty() && fidHistory.getLast().step() == s ? ": " + fidHistory.getLast().describe() : ""));
                    if (lastCoverageStep == s) {
                        log.printf("samples at step %d: %s (%d fixed-noise samples; per scatter in %s)%n", s, lastCoverage,
                                COVERAGE_SAMPLES, dir.resolve("coverage.jsonl"));
                    }
                }
            }
            writeLossCurve();
            writeFidCurve();
            writeReport();
        } finally {
            try {
                if (tb != null) tb.close();
            } finally {
                finished.countDown();   // after the last file: a Ctrl-C hook waits for this before the JVM exits
            }
        }
        return result;
    }

    /**
     * The result of a run stopped by a non-finite metric: which one, at which step, and (on a backend read every
     * --log-every steps) at which step it was found. No checkpoint is written from that state.
     */
    private Result diverged(Metrics bad, long foundAt) {
        String found = foundAt > bad.step() ? String.format(" (found at step %d: the %s backend's metrics are read every "
                + "--log-every %d steps)", foundAt, trainer.backend().name(), trainer.config().logEvery()) : "";
        return new Result(Outcome.DIVERGED, bad.step(), lastCheckpoint, String.format(
                "training stopped: %s became non-finite at step %d%s (d_loss %s, g_loss %s, grad_norm_d %s, grad_norm_g %s). "
                        + "Lower the learning rates or change the loss. Last good checkpoint: %s",
                String.join(", ", bad.nonFinite()), bad.step(), found, bad.dLoss(), bad.gLoss(), bad.gradNormD(), bad.gradNormG(),
                lastCheckpoint == null ? "none yet" : lastCheckpoint));
    }

    /**
     * Reads pending metrics, appends them to metrics.jsonl, and returns the first non-finite row, if any. With
     * {@code measureFid}, and every row finite, it first measures the FID of the generator as it is now (after the
     * trainer's last step) and adds the measurement to that step's line.
     */
    private Metrics drain(BufferedWriter out, double elapsed, long stepsThisSession, boolean measureFid) throws IOException {
        List<Metrics> ms = trainer.drainMetrics();
        double training = elapsed - evaluationSeconds;
        double imgPerS = training > 0 ? stepsThisSession * (double) trainer.config().batch() / training : 0;
        FidEvaluator.Measurement measured = measureFid && ms.stream().allMatch(Metrics::finite) ? measureFid() : null;
        Metrics bad = null;
        for (Metrics m : ms) {
            var map = m.toMap();
            map.put("epoch", trainer.realBatches().epoch());
            map.put("img_per_s", Math.round(imgPerS * 10) / 10.0);
            map.put("time_s", Math.round(elapsed * 1000) / 1000.0);
            if (measured != null && m.step() == measured.step()) map.putAll(measured.toMap());
            if (tb != null) tb.metrics(map);   // before nanToNull: TensorBoard takes NaN and infinities
            out.write(Json.write(nanToNull(map)));
            out.write('\n');
            if (m.finite()) history.add(m);
            else if (bad == null) bad = m;
        }
        out.flush();
        if (tb != null) tb.flush();
        return bad;
    }

    /**
     * Measures the FID now, records it (history, fid_curve.png, the progress line) and returns it; a measurement that
     * fails on the samples (a generator that draws NaN) is reported and skipped, and training goes on.
     */
    private FidEvaluator.Measurement measureFid() throws IOException {
        FidEvaluator.Measurement m;
        try {
            m = fid.measure();
        } catch (UserError e) {
            progress.finish();
            log.println("FID at step " + trainer.stepCount() + " not measured: " + e.getMessage());
            return null;
        }
        evaluationSeconds += m.seconds();
        fidHistory.add(m);
        writeFidCurve();
        progress.note(fidNote(m));
        return m;
    }

    private static String fidNote(FidEvaluator.Measurement m) {
        return String.format(java.util.Locale.ROOT, "FID %.4g (step %d)", m.fid(), m.step());
    }

    /** FID per measurement (and KID beside it, when measured); nothing before the first measurement. */
    public void writeFidCurve() throws IOException {
        if (fidHistory.isEmpty()) return;
        int n = fidHistory.size();
        double[] x = new double[n], f = new double[n], k = new double[n];
        boolean kid = false;
        for (int i = 0; i < n; i++) {
            FidEvaluator.Measurement m = fidHistory.get(i);
            x[i] = m.step();
            f[i] = m.fid();
            k[i] = m.kid();
            kid |= !Double.isNaN(m.kid());
        }
        FidEvaluator.Measurement last = fidHistory.getLast();
        String about = String.format(java.util.Locale.ROOT, "%,d samples, %s features", last.samples(), last.features());
        LineChart fidChart = new LineChart("FID (" + about + ")").xLabel("generator step").yLabel("FID").series("FID", x, f);
        Path file = dir.resolve("fid_curve.png");
        if (!kid) {
            fidChart.write(file);
        } else {
            LineChart kidChart = new LineChart("KID (" + about + ")").xLabel("generator step").yLabel("KID").series("KID", x, k);
            new Figure(2, 560, 420).add(fidChart).add(kidChart).write(file);
        }
    }

    private static java.util.Map<String, Object> nanToNull(java.util.Map<String, Object> m) {
        m.replaceAll((k, v) -> v instanceof Double d && !Double.isFinite(d) ? null : v);
        return m;
    }

    private void writeSamples(long step) throws IOException {
        Path file = dir.resolve("samples").resolve(String.format("step_%06d.png", step));
        if (points != null) {
            float[] xy = trainer.fixedSamples(COVERAGE_SAMPLES);
            Mixture2D.Coverage c = points.coverage(xy, COVERAGE_SAMPLES);
            ScatterPlot.write(file, xy, COVERAGE_SAMPLES, points.centers(), "step " + step + ": " + c);
            recordCoverage(step, c);
        } else {
            int[] s = trainer.sampleShape();
            int k = trainer.classes();
            if (k == 0) {
                float[] imgs = trainer.fixedSamples(gridSamples);
                ImageGrid.write(file, imgs, gridSamples, s[1], s[2], s[3], 8);
            } else {
                // one row of 8 per class (the first CLASS_ROWS classes): sample i has class i mod K
                int rows = Math.min(k, CLASS_ROWS), n = k * 8;
                float[] imgs = Conditioning.byClassRows(trainer.fixedSamples(n), n, k, s[1] * s[2] * s[3]);
                ImageGrid.write(file, imgs, rows * 8, s[1], s[2], s[3], 8);
            }
        }
        if (tb != null) tb.image(TensorBoardLog.GENERATED, step, file);
    }

    /**
     * Appends the coverage of a 2-D sample scatter to coverage.jsonl ({@code step}, {@code modes_covered},
     * {@code modes}, {@code hq_share}: the share of samples within 3 sigma of a mode, {@code samples}; see
     * {@link Mixture2D}) and shows it on the progress lines that follow.
     */
    private void recordCoverage(long step, Mixture2D.Coverage c) throws IOException {
        var m = new java.util.LinkedHashMap<String, Object>();
        m.put("step", step);
        m.put("modes_covered", c.modesCovered());
        m.put("modes", c.modes());
        m.put("hq_share", Math.round(c.highQualityShare() * 10000) / 10000.0);
        m.put("samples", COVERAGE_SAMPLES);
        Files.writeString(dir.resolve("coverage.jsonl"), Json.write(m) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (tb != null) tb.coverage(m);
        lastCoverage = c;
        lastCoverageStep = step;
        if (progress != null) {
            progress.note(String.format(java.util.Locale.ROOT, "modes %d/%d, HQ %.1f%% (step %d)", c.modesCovered(), c.modes(),
                    100 * c.highQualityShare(), step));
        }
    }

    /**
     * Writes report.html ({@link RunReport}), at each checkpoint and when the run ends, so that an interrupted or
     * crashed run has one; a report that cannot be written is said on the log and the run goes on.
     */
    private void writeReport() {
        try {
            RunReport.write(dir, trainer.loss());
        } catch (IOException | RuntimeException e) {
            log.println(dir.resolve(RunReport.FILE) + " not written: " + e.getMessage());
        }
    }

    public Path writeCheckpoint() throws IOException {
        Path file = dir.resolve("checkpoints").resolve(String.format("step_%06d.safetensors", trainer.stepCount()));
        Checkpoint.save(trainer, file);
        lastCheckpoint = file;
        return file;
    }

    /** D and G loss per step with the loss's equilibrium values as dashed reference lines in the colours of their losses. */
    public void writeLossCurve() throws IOException {
        if (history.isEmpty()) return;
        int n = history.size();
        double[] x = new double[n], dl = new double[n], gl = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = history.get(i).step();
            dl[i] = history.get(i).dLoss();
            gl[i] = history.get(i).gLoss();
        }
        TrainLoss loss = trainer.loss();
        LineChart chart = new LineChart("losses: " + loss.spec()).xLabel("generator step").yLabel("loss");
        chart.series("D loss", x, dl);
        chart.series("G loss", x, gl);
        if (Double.isFinite(loss.equilibriumCriticLoss())) chart.reference(String.format("D at equilibrium %.4g", loss.equilibriumCriticLoss()), loss.equilibriumCriticLoss(), 0);
        if (Double.isFinite(loss.equilibriumGeneratorLoss())) chart.reference(String.format("G at equilibrium %.4g", loss.equilibriumGeneratorLoss()), loss.equilibriumGeneratorLoss(), 1);
        chart.write(dir.resolve("loss_curve.png"));
    }

    /** The newest checkpoint in a run folder, or the file itself; errors name {@code --resume}. */
    public static Path findCheckpoint(Path runOrFile) throws IOException { return findCheckpoint(runOrFile, "--resume"); }

    /** The newest checkpoint in a run folder, or the file itself; errors name {@code flag}, the option that gave the path. */
    public static Path findCheckpoint(Path runOrFile, String flag) throws IOException {
        if (Files.isRegularFile(runOrFile)) return runOrFile;
        Path cp = runOrFile.resolve("checkpoints");
        if (!Files.isDirectory(cp)) throw new UserError(flag + " " + runOrFile + ": no such checkpoint file or run folder with checkpoints/");
        try (Stream<Path> s = Files.list(cp)) {
            return s.filter(p -> p.getFileName().toString().matches("step_\\d+\\.safetensors"))
                    .max(java.util.Comparator.comparing(p -> p.getFileName().toString()))
                    .orElseThrow(() -> new UserError(flag + " " + runOrFile + ": checkpoints/ holds no step_*.safetensors"));
        }
    }

    /** Opens a checkpoint file with the safetensors reader (bounds-checked). */
    public static SafeTensorsFile open(Path file) throws IOException { return SafeTensors.read(file); }
}
