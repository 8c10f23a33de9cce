package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.lab.sweep.ClassCoverage;
import dev.sparring.lab.sweep.CriticWin;
import dev.sparring.lab.sweep.Grid;
import dev.sparring.lab.sweep.RunMetrics;
import dev.sparring.lab.sweep.SweepRow;
import dev.sparring.lab.sweep.SweepTable;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.FidEvaluator;
import dev.sparring.train.Progress;
import dev.sparring.train.RunReport;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainingRun;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Train a grid of critic and generator learning rates, one run after another, and compare the runs. Example: "
                        + "sparring sweep --data ring8 --steps 3000 --lr-d 5e-4,2e-3,8e-3 --lr-g 5e-4,2e-3,8e-3",
                "Every other flag goes to each run as `sparring train` takes it (--data, --loss, --steps, --seed, ...; see sparring train "
                        + "--help); the runs differ only in their rates. Each run trains in a folder of its own inside the sweep's folder, "
                        + "named by its rates (lrd2e-3-lrg1e-3), as `sparring train` writes a run.",
                "The sweep's folder also gets losses.png (a panel per run: the D and G losses with their values at equilibrium and the "
                        + "step at which the critic wins), table.md and table.csv (per run: the final D loss and its distance from "
                        + "equilibrium, the step the critic wins at, the final FID, the mode or digit coverage), summary.json and "
                        + "report.html (the runs compared, as sparring report draws them). The table is rewritten after every run: "
                        + "Ctrl-C stops the current run (its checkpoint is kept, and it resumes with sparring train --resume) and "
                        + "leaves the table of the runs so far.",
                "The critic wins at step s when its D loss stays at or below L_min + margin (L_D* - L_min) for --win-window "
                        + "steps from s: L_D* is the loss's D loss at equilibrium, L_min the D loss of a critic that separates real "
                        + "and fake perfectly (0 for nsgan, lsgan, hinge). A loss whose D loss has no lower bound (wgan) has no win (n/a)."})
public final class SweepCommand implements Callable<Integer> {
    @Option(names = "--lr-d", paramLabel = "RATES", description = "critic learning rates, separated by commas (1e-4,2e-4,4e-4): the grid's rows. "
            + "Left out: sparring train's default rate for the run")
    List<String> lrD;
    @Option(names = "--lr-g", paramLabel = "RATES", description = "generator learning rates, separated by commas: the grid's columns. "
            + "Left out: sparring train's default rate for the run")
    List<String> lrG;
    @Option(names = "--out", defaultValue = "runs", description = "folder that holds the sweep's folder (as sparring train's --out holds run folders)")
    Path out;
    @Option(names = "--name", description = "the sweep's folder, a new or empty one (default: sweep-<data>-<loss>-<date>-<time>, numbered "
            + "-2, -3, ... if taken); its runs are named by their rates inside it")
    String name;
    @Option(names = "--win-margin", defaultValue = "" + CriticWin.DEFAULT_MARGIN, paramLabel = "SHARE", description = "the critic wins when its "
            + "D loss is within this share of L_D* - L_min above L_min (0.05: an nsgan critic's loss at or below 0.069)")
    double winMargin;
    @Option(names = "--win-window", defaultValue = "" + CriticWin.DEFAULT_WINDOW, paramLabel = "STEPS", description = "... for this many "
            + "consecutive steps; the final D loss in the table is the mean of the last as many steps")
    int winWindow;
    @Option(names = "--fid", negatable = true, defaultValue = "true", fallbackValue = "true", description = "measure each run's FID at "
            + "its end (as --fid-every with the run's length: --fid-samples samples) when the images take the MNIST features "
            + "(28 x 28 gray) or --inception-weights is given; a --fid-every of your own is kept. --no-fid: none")
    boolean fid;
    @Option(names = "--class-samples", defaultValue = "10000", paramLabel = "N", description = "28 x 28 gray digits: classify N samples of each "
            + "finished run with the MNIST classifier, as sparring classify --n N does, for the digits covered (0: none)")
    int classSamples;
    @Mixin
    DeviceOption device;
    @Option(names = "--no-progress", description = "plain progress lines instead of a live bar (also for each run)")
    boolean noProgress;
    @Unmatched
    List<String> trainArgs = new ArrayList<>();
    @Spec
    CommandSpec spec;

    /** Train flags a sweep sets itself or cannot take, with why. */
    private static final Map<String, String> REFUSED = Map.of(
            "--resume", "a sweep trains new runs; resume one of its runs with sparring train --resume RUN");

    private volatile boolean stopRequested;
    private volatile TrainingRun current;

    @Override
    public Integer call() throws Exception {
        CriticWin win = new CriticWin(winMargin, winWindow);
        if (classSamples < 0) throw new UserError("--class-samples must be >= 0, got " + classSamples);
        Grid grid = new Grid(rates(lrD, "--lr-d"), rates(lrG, "--lr-g"));
        if (grid.lrD().isEmpty() && grid.lrG().isEmpty()) {
            throw new UserError("give the rates to sweep: --lr-d RATES and/or --lr-g RATES (e.g. --lr-d 1e-4,2e-4 --lr-g 1e-4,2e-4)");
        }
        for (String a : trainArgs) {
            String flag = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (REFUSED.containsKey(flag)) throw new UserError(flag + ": " + REFUSED.get(flag));
        }
        PrintStream log = System.err;
        List<String> common = new ArrayList<>(trainArgs);
        common.addAll(List.of("--device", device.name));
        if (noProgress) common.add("--no-progress");

        // every check a run makes, before anything is written: each cell's flags, then the first run's data, loss and model
        List<Grid.Cell> cells = grid.cells();
        List<TrainConfig> configs = new ArrayList<>();
        for (Grid.Cell c : cells) configs.add(configOf(cellArgs(common, c)));
        List<String> names = runNames(configs);
        TrainCommand check = parse(cellArgs(common, cells.getFirst()));
        check.checkOnly = true;
        check.call();
        TrainConfig first = check.checkedConfig;
        long total = check.checkedTotalSteps;
        boolean points = first.model() == TrainConfig.Model.MLP;
        String fidNote;
        if (first.fidEvery() > 0) {
            fidNote = "every " + first.fidEvery() + " steps and at the end (--fid-every)";
        } else if (!fid || points) {
            fidNote = points ? "none: 2-D data has no images (mode coverage instead)" : "none (--no-fid)";
        } else {
            String why = null;
            try {
                FidEvaluator.networkFor(first);
            } catch (UserError e) {
                why = e.getMessage();
            }
            if (why == null) {
                common.addAll(List.of("--fid-every", Long.toString(Math.min(total, Integer.MAX_VALUE))));
                fidNote = "at the end of each run (--fid-every " + total + ")";
            } else {
                fidNote = "none: " + why;
                log.println("sweep: no FID: " + why);
            }
        }
        boolean digits = !points && classSamples > 0 && first.imageSize() == MnistClassifier.SIZE && first.channels() == 1
                && (first.classes() == 0 || first.classes() == MnistClassifier.CLASSES);
        GanLoss loss = Losses.parse(first.loss(), "--loss");
        double eqD = loss.equilibriumCriticLoss(), eqG = loss.equilibriumGeneratorLoss(), minD = loss.minimumCriticLoss();

        Path dir = TrainingRun.createFolder(out, name != null ? name : "sweep-" + TrainCommand.defaultName(first, LocalDateTime.now()), name == null);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("folder", dir.toString());
        settings.put("data", first.data());
        settings.put("loss", first.loss());
        settings.put("steps", total);
        settings.put("lr_d", configs.stream().map(TrainConfig::lrD).distinct().toList());
        settings.put("lr_g", configs.stream().map(TrainConfig::lrG).distinct().toList());
        settings.put("train_flags", String.join(" ", trainArgs));
        settings.put("fid", fidNote);
        settings.put("coverage", points ? "modes: the last line of each run's coverage.jsonl (" + TrainingRun.COVERAGE_SAMPLES + " samples)"
                : digits ? "digits: " + classSamples + " samples of the run's last checkpoint (G_ema where it has one, latent seed 0), classified "
                + "as sparring classify does; a digit is covered when at least a quarter of its fair share is classified as it with p >= 0.9"
                : "none");
        settings.put("figure", "losses.png");
        String heading = String.format(Locale.ROOT, "sweep of %s on %s, %,d steps per run: %d critic x %d generator rates",
                first.loss(), first.data(), total, grid.rows(), grid.columns());

        List<SweepRow> rows = new ArrayList<>();
        List<RunMetrics> metrics = new ArrayList<>();
        List<Path> runDirs = new ArrayList<>();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopRequested = true;
            TrainingRun r = current;
            if (r != null) r.requestStop();
            try {
                if (!finished.await(300, TimeUnit.SECONDS)) System.err.println("sparring: gave up waiting for the sweep's table");
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "sparring-sweep-interrupt");
        Runtime.getRuntime().addShutdownHook(hook);
        log.printf("sweep %s: %d runs of %,d steps (%s on %s), critic rates %s, generator rates %s%n", dir, cells.size(), total,
                first.loss(), first.data(), ratesText(settings.get("lr_d")), ratesText(settings.get("lr_g")));
        long t0 = System.nanoTime(), stepsDone = 0;
        try {
            for (int i = 0; i < cells.size() && !stopRequested; i++) {
                TrainConfig cfg = configs.get(i);
                String runName = names.get(i);
                double elapsed = (System.nanoTime() - t0) / 1e9;
                String eta = stepsDone == 0 ? "" : "; about " + Progress.time(elapsed / stepsDone * total * (cells.size() - i)) + " left";
                log.printf("%nsweep: run %d of %d, lr_d %s, lr_g %s -> %s (%s so far%s)%n", i + 1, cells.size(), Grid.rate(cfg.lrD()),
                        Grid.rate(cfg.lrG()), dir.resolve(runName), Progress.time(elapsed), eta);
                long r0 = System.nanoTime();
                TrainCommand train = parse(cellArgs(common, cells.get(i), "--out", dir.toString(), "--name", runName));
                train.onStart = run -> {
                    current = run;
                    if (stopRequested) run.requestStop();
                };
                String outcome, note = "";
                try {
                    train.call();
                    TrainingRun.Result res = train.result;
                    outcome = switch (res.outcome()) {
                        case COMPLETED -> "completed";
                        case INTERRUPTED -> "interrupted";
                        case DIVERGED -> "diverged";
                    };
                    if (!outcome.equals("completed")) note = res.message();
                } catch (UserError | IOException e) {
                    outcome = "failed";
                    note = e.getMessage();
                    log.println("sweep: run " + runName + " failed: " + e.getMessage());
                } finally {
                    current = null;
                }
                Path runDir = dir.resolve(runName);
                RunMetrics m = RunMetrics.read(runDir);
                ClassCoverage cc = null;
                if (digits && outcome.equals("completed") && !stopRequested) cc = classify(runDir, log);
                double seconds = (System.nanoTime() - r0) / 1e9;
                stepsDone += Math.max(1, m.lastStep());
                rows.add(row(runName, cfg, outcome, note, total, m, win, eqD, minD, cc, seconds));
                metrics.add(m);
                if (Files.exists(runDir.resolve("config.json"))) runDirs.add(runDir);
                SweepTable.write(dir, settings, win, eqD, minD, rows, stopRequested);
                SweepFigure.write(dir.resolve("losses.png"), heading, grid.columns(), rows, metrics, eqD, eqG);
            }
        } finally {
            try {
                if (!rows.isEmpty()) {
                    SweepTable.write(dir, settings, win, eqD, minD, rows, stopRequested);
                    try {
                        RunReport.write(runDirs, dir.resolve(RunReport.FILE));
                    } catch (IOException | RuntimeException e) {
                        log.println("sweep: " + dir.resolve(RunReport.FILE) + " not written: " + e.getMessage());
                    }
                }
            } finally {
                finished.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // Ctrl-C: the hook waited for the table, written above
                }
            }
        }
        PrintWriter o = spec.commandLine().getOut();
        o.print(SweepTable.markdown(rows, win));
        o.flush();
        log.printf("sweep %s: %d of %d runs%s in %s; losses.png, table.md, table.csv, summary.json, report.html%n", dir, rows.size(), cells.size(),
                stopRequested ? " (interrupted)" : "", Progress.time((System.nanoTime() - t0) / 1e9));
        return stopRequested ? 130 : 0;
    }

    /** lrd2e-3-lrg1e-3 per cell; rates that differ only beyond four digits are written in full (lrd0.0010001-lrg0.001). */
    static List<String> runNames(List<TrainConfig> configs) {
        List<String> shortNames = configs.stream().map(c -> "lrd" + Grid.rate(c.lrD()) + "-lrg" + Grid.rate(c.lrG())).toList();
        if (shortNames.stream().distinct().count() == shortNames.size()) return shortNames;
        return configs.stream().map(c -> "lrd" + c.lrD() + "-lrg" + c.lrG()).toList();
    }

    private static String ratesText(Object rates) {
        return ((List<?>) rates).stream().map(r -> Grid.rate((Double) r)).toList().toString();
    }

    private static List<Double> rates(List<String> given, String flag) {
        if (given == null || given.isEmpty()) return List.of();
        if (given.size() > 1) throw new UserError(flag + " is given " + given.size() + " times: give every rate in one list, " + flag + " " + String.join(",", given));
        return Grid.parseRates(given.getFirst(), flag);
    }

    private static List<String> cellArgs(List<String> common, Grid.Cell c, String... more) {
        List<String> a = new ArrayList<>(common);
        if (c.lrD() != null) a.addAll(List.of("--lr-d", Double.toString(c.lrD())));
        if (c.lrG() != null) a.addAll(List.of("--lr-g", Double.toString(c.lrG())));
        a.addAll(List.of(more));
        return a;
    }

    /** sparring train with these flags, parsed; a flag train does not take is refused in one line. */
    private static TrainCommand parse(List<String> args) {
        TrainCommand cmd = new TrainCommand();
        try {
            new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new UserError(e.getMessage() + " (sparring sweep passes the flags it does not know to sparring train; see sparring train --help)");
        }
        return cmd;
    }

    private static TrainConfig configOf(List<String> args) { return parse(args).freshConfig(); }

    /** The digits covered by {@link #classSamples} samples of the run's last checkpoint, as sparring classify draws them. */
    private ClassCoverage classify(Path runDir, PrintStream log) throws IOException {
        Path file = TrainingRun.findCheckpoint(runDir, "--checkpoint");
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        int batch = Math.min(256, classSamples);
        ClassCoverage cc = new ClassCoverage(MnistClassifier.CLASSES);
        try (Backend be = device.create()) {
            MnistClassifier clf = MnistClassifier.bundled(be);
            CheckpointGenerator gen = new CheckpointGenerator(be, f, cfg, batch, true);
            Progress progress = new Progress(log, classSamples, "classifying", "img/s", !noProgress);
            gen.generate(classSamples, batch, 0, (done, k, samples) -> {
                if (stopRequested) return;
                cc.add(clf.probabilities(samples));
                progress.update(done + k);
            });
            progress.finish();
        }
        if (cc.samples() < classSamples) return null;   // stopped by Ctrl-C
        log.printf(Locale.ROOT, "%s: %d/%d digits covered, %.1f %% of %,d samples classified with confidence%n", runDir.getFileName(),
                cc.covered(), cc.classes(), 100 * cc.confidentShare(), cc.samples());
        return cc;
    }

    private static SweepRow row(String runName, TrainConfig cfg, String outcome, String note, long total, RunMetrics m, CriticWin win,
                                double eqD, double minD, ClassCoverage cc, double seconds) {
        double threshold = win.threshold(eqD, minD);
        long winStep = win.firstWin(m.steps(), m.dLoss(), threshold);
        String kind = null;
        int covered = 0, of = 0;
        double share = Double.NaN;
        Map<String, Object> c = m.coverage();
        if (c != null && c.get("step") instanceof Number s && s.longValue() == m.lastStep() && !outcome.equals("diverged")) {
            kind = "modes";
            covered = ((Number) c.get("modes_covered")).intValue();
            of = ((Number) c.get("modes")).intValue();
            share = ((Number) c.get("hq_share")).doubleValue();
        } else if (cc != null) {
            kind = "digits";
            covered = cc.covered();
            of = cc.classes();
            share = cc.confidentShare();
        }
        return new SweepRow(runName, cfg.lrD(), cfg.lrG(), outcome, note == null ? "" : note, m.lastStep(), total,
                m.meanLastDLoss(win.window()), eqD, winStep, threshold, m.fid(), m.kid(), m.fidStep(), kind, covered, of, share, seconds);
    }
}
