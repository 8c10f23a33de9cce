package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Dataset;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.SafeTensorsFile;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Continuing a run from one of its checkpoints, as {@code sparring train --resume} does. {@link #from} takes a run
 * folder (its newest checkpoint) or a checkpoint file, and finds the run folder the checkpoint belongs to
 * ({@link TrainingRun#runFolderOf}). A resumed run keeps the configuration its checkpoint was written with, so that it
 * stays the same run; it may change only what no step it has trained depends on: the total ({@link #steps},
 * {@link #epochs}, counted from the start of the run), rate drops at or after the checkpoint's step
 * ({@link #lrDecayAt}, {@link #lrDecay}), and how often it samples, logs, checkpoints and measures the FID.
 *
 * <pre>
 * try (Backend be = Backends.create("auto", System.err)) {
 *     TrainingRun.Result r = Resume.from(Path.of("runs/ring8-nsgan-20260101-120000")).steps(8000).run(be, System.err);
 * }
 * </pre>
 *
 * {@link #run} does it all; {@link #trainer} and {@link #start} are its steps, for a caller that wants to do more
 * between them (the command line prints, hooks Ctrl-C, and continues a checkpoint kept outside a run folder in a new
 * folder).
 */
public final class Resume {
    private final Path checkpoint;
    private final Path runFolder;            // null: a checkpoint kept outside a run's checkpoints/ folder
    private final SafeTensorsFile file;
    private final TrainConfig saved;
    private final long step;
    private Long steps;                      // the changes asked for; null: as saved
    private Integer epochs, sampleEvery, logEvery, checkpointEvery, fidEvery;
    private String inceptionWeights;
    private List<Long> lrDecayAt;
    private Double lrDecay;

    private Resume(Path checkpoint, Path runFolder, SafeTensorsFile file) throws IOException {
        this.checkpoint = checkpoint;
        this.runFolder = runFolder;
        this.file = file;
        this.saved = Checkpoint.config(file);
        this.step = Checkpoint.step(file);
    }

    /** The newest checkpoint of a run folder, or the checkpoint file given; errors name {@code --resume}. */
    public static Resume from(Path runOrCheckpoint) throws IOException { return from(runOrCheckpoint, "--resume"); }

    /** As {@link #from(Path)}; errors name {@code flag}, the option that gave the path. */
    public static Resume from(Path runOrCheckpoint, String flag) throws IOException {
        Path cp = TrainingRun.findCheckpoint(runOrCheckpoint, flag);
        return new Resume(cp, TrainingRun.runFolderOf(cp), TrainingRun.open(cp));
    }

    /** The checkpoint the run continues from. */
    public Path checkpoint() { return checkpoint; }

    /** The run folder the checkpoint belongs to, or null for a checkpoint kept anywhere else (continued in a new folder). */
    public Path runFolder() { return runFolder; }

    /** The configuration the checkpoint was written with. */
    public TrainConfig saved() { return saved; }

    /** The generator steps the checkpoint has trained. */
    public long step() { return step; }

    // ---------------------------------------------------------------- what a resumed run may change

    /** A new total of generator steps, counted from the start of the run (0: train to {@code epochs}). */
    public Resume steps(long total) { steps = total; return this; }

    /** A new total of epochs (and the steps cleared, unless {@link #steps} sets them too). */
    public Resume epochs(int total) { epochs = total; return this; }

    /** The rate drops, replacing the saved ones: those before the checkpoint's step must stay as they were. */
    public Resume lrDecayAt(List<Long> at) { lrDecayAt = List.copyOf(at); return this; }

    /** The factor of the rate drops; it may change only while no drop has acted before the checkpoint's step. */
    public Resume lrDecay(double factor) { lrDecay = factor; return this; }

    public Resume sampleEvery(int n) { sampleEvery = n; return this; }

    public Resume logEvery(int n) { logEvery = n; return this; }

    public Resume checkpointEvery(int n) { checkpointEvery = n; return this; }

    /** How often the FID is measured (0: never); measurements never change a trained step ({@link FidEvaluator}). */
    public Resume fidEvery(int n) { fidEvery = n; return this; }

    /**
     * Where pytorch-fid's Inception-v3 weights are now (the file may have moved since the run began); the FID's network
     * is checked against the run's fid_reference.npz, so a run measured with one network cannot go on with another.
     */
    public Resume inceptionWeights(String path) { inceptionWeights = path; return this; }

    /** The configuration the resumed run trains with: the saved one with the changes asked for. */
    public TrainConfig config() {
        TrainConfig.Builder b = saved.toBuilder();
        if (epochs != null) b.epochs(epochs).steps(0);
        if (steps != null) b.steps(steps);
        if (sampleEvery != null) b.sampleEvery(sampleEvery);
        if (logEvery != null) b.logEvery(logEvery);
        if (checkpointEvery != null) b.checkpointEvery(checkpointEvery);
        if (fidEvery != null) b.fidEvery(fidEvery);
        if (inceptionWeights != null) b.inceptionWeights(inceptionWeights);
        boolean schedule = lrDecayAt != null || lrDecay != null;
        if (schedule) {
            List<Long> at = lrDecayAt != null ? lrDecayAt : saved.lrDecayAt();
            double factor = lrDecay != null ? lrDecay : saved.lrDecay();
            if (at.isEmpty()) {
                throw new UserError("--lr-decay " + factor + " needs --lr-decay-at STEP[,STEP...]: the run has no rate drops to apply it at");
            }
            b.lrDecayAt(at).lrDecay(factor);
        }
        TrainConfig cfg = b.build();
        if (schedule) requireSamePastRates(cfg);
        return cfg;
    }

    /** The rates of steps 1..step are those of the drops listed before step (a drop at S acts from step S+1 on). */
    private void requireSamePastRates(TrainConfig cfg) {
        List<Long> before = saved.lrDecayAt().stream().filter(s -> s < step).toList();
        List<Long> now = cfg.lrDecayAt().stream().filter(s -> s < step).toList();
        if (!before.equals(now)) {
            List<Long> later = cfg.lrDecayAt().stream().filter(s -> s >= step).toList();
            List<Long> kept = new ArrayList<>(before);
            kept.addAll(later);
            throw new UserError("--lr-decay-at " + joined(cfg.lrDecayAt()) + ": the checkpoint is at step " + step + ", and steps 1-"
                    + step + " trained " + (before.isEmpty() ? "without a rate drop" : "with the rates dropping after step"
                    + (before.size() == 1 ? " " : "s ") + joined(before)) + "; a resumed run keeps those and can add or move only "
                    + "drops at step " + step + " or later" + (kept.isEmpty() ? "" : " (e.g. --lr-decay-at " + joined(kept) + ")"));
        }
        if (!before.isEmpty() && cfg.lrDecay() != saved.lrDecay()) {
            throw new UserError("--lr-decay " + cfg.lrDecay() + ": the rates already dropped by " + saved.lrDecay() + " after step"
                    + (before.size() == 1 ? " " : "s ") + joined(before) + ", before the checkpoint at step " + step
                    + "; a resumed run keeps that factor");
        }
    }

    private static String joined(List<Long> steps) { return String.join(",", steps.stream().map(String::valueOf).toList()); }

    /** The fields {@link #config()} changes, as "steps 30 -> 60, sampleEvery 3 -> 10" ("" for none). */
    public String changes() {
        List<String> out = new ArrayList<>();
        Map<String, Object> a = saved.toMap(), b = config().toMap();
        a.forEach((k, v) -> {
            if (!Objects.equals(v, b.get(k))) out.add(k + " " + v + " -> " + b.get(k));
        });
        return String.join(", ", out);
    }

    // ---------------------------------------------------------------- continuing

    private UserError outsideARun() {
        return new UserError(checkpoint + " is not in a run's checkpoints/ folder, so it continues as a new run in a folder of its own");
    }

    /**
     * A trainer of {@link #config()} on {@code be} and {@code data} with the checkpoint restored into it: weights,
     * optimizer state and loop position, so that it continues at {@link #step()} as the run would have.
     */
    public Trainer trainer(Backend be, Dataset data, TrainLoss loss) throws IOException {
        Trainer t = new Trainer(config(), be, data, loss);
        try {
            Checkpoint.restore(t, file);
            return t;
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /**
     * The training run that continues the trainer's steps: in the run folder, after what the folder held beyond the
     * checkpoint is moved aside ({@link TrainingRun#initResumed}); for a checkpoint outside a run folder, in
     * {@code newFolder} (an empty folder, e.g. from {@link TrainingRun#createFolder}) as a new run. Samples of 2-D
     * data ({@code points}, else null) are drawn as scatter plots.
     */
    public TrainingRun start(Trainer t, Path newFolder, PrintStream log, Mixture2D points) throws IOException {
        if (runFolder == null && newFolder == null) throw outsideARun();
        TrainingRun run = new TrainingRun(t, runFolder != null ? runFolder : newFolder, log, points);
        if (runFolder != null) run.initResumed();
        else run.initFresh();
        return run;
    }

    /**
     * Resumes the run in its folder and trains it to its total on {@code be}: opens its data, restores the
     * checkpoint and runs ({@link TrainingRun#run}). A run already at its total trains nothing (the result says so).
     * A checkpoint outside a run folder needs a folder of its own: use {@link #trainer} and {@link #start}.
     */
    public TrainingRun.Result run(Backend be, PrintStream log) throws IOException {
        if (runFolder == null) throw outsideARun();
        TrainConfig cfg = config();
        Dataset data = cfg.openData(log::println);
        try (Trainer t = trainer(be, data, TrainLoss.of(GanLoss.parse(cfg.loss())))) {
            if (t.totalSteps() <= step) {
                return new TrainingRun.Result(TrainingRun.Outcome.COMPLETED, step, checkpoint,
                        "already finished (step " + step + " of " + t.totalSteps() + "); give a new total above " + step + " to train it longer");
            }
            t.config().requireDecaysWithin(t.totalSteps(), lrDecayAt != null);
            return start(t, null, log, data instanceof Mixture2D m ? m : null).run();
        }
    }
}
