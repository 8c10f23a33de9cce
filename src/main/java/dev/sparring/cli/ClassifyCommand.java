package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.eval.features.ClassScores;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.eval.features.MnistClassifierTraining;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.Progress;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainingRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Classify the digits a generator trained on MNIST draws, with the MNIST classifier that ships with Sparring: "
                + "the share of each digit, the share classified with confidence >= 0.9, and an Inception-Score-style number "
                + "exp(E KL(p(y|x) || p(y))) (1 to 10; 10 = every sample certain and the ten digits equally frequent). "
                + "The same numbers for the classifier's held-out real digits follow, for comparison.",
                "The samples are those `sparring sample` draws with the same --seed, --n and --batch; a progress bar with ETA goes to stderr.",
                "A conditional generator (train --conditional) of 10 classes draws balanced labels (sample i of class i mod 10), and the "
                        + "report adds the share of samples that show the class they were drawn for, overall and per class."})
public final class ClassifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--checkpoint", required = true, description = "a checkpoint file, or a run folder (its newest checkpoint), of a 28 x 28 gray DCGAN")
    Path checkpoint;
    @Option(names = "--n", defaultValue = "10000", description = "number of samples")
    int n;
    @Option(names = "--seed", defaultValue = "0", description = "latent noise seed")
    long seed;
    @Option(names = "--batch", defaultValue = "256", description = "samples generated (and classified) at a time")
    int batch;
    @Option(names = "--classifier", description = "weights written by `sparring features train-mnist` (default: the ones in the jar)")
    Path classifier;
    @Option(names = "--no-progress", description = "plain progress lines instead of a live bar")
    boolean noProgress;
    @Mixin
    DeviceOption device;
    @Mixin
    EmaOption ema;

    @Override
    public Integer call() throws Exception {
        if (n < 1) throw new UserError("--n must be >= 1, got " + n);
        if (batch < 1) throw new UserError("--batch must be >= 1, got " + batch);
        Path file = TrainingRun.findCheckpoint(checkpoint, "--checkpoint");
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        CheckpointGenerator.requireDigits(cfg, "--checkpoint " + file);
        int b = Math.min(batch, n);
        PrintWriter out = spec.commandLine().getOut();
        try (Backend be = device.create()) {
            MnistClassifier clf = classifier == null ? MnistClassifier.bundled(be) : MnistClassifier.load(be, classifier);
            CheckpointGenerator gen = new CheckpointGenerator(be, f, cfg, b, ema.use());
            ClassScores.Accumulator scores = new ClassScores.Accumulator(MnistClassifier.CLASSES, ClassScores.CONFIDENCE);
            int classes = gen.classes();
            if (classes > 0 && classes != MnistClassifier.CLASSES) {
                throw new UserError("--checkpoint " + file + " is conditioned on " + classes + " classes; the MNIST classifier knows "
                        + MnistClassifier.CLASSES + " digits");
            }
            Requested requested = classes > 0 ? new Requested(classes) : null;
            Progress progress = new Progress(System.err, n, "classifying", "img/s", !noProgress);
            gen.generate(n, b, seed, (done, k, samples) -> {
                float[] p = clf.probabilities(samples);
                scores.add(p);
                if (requested != null) requested.add(p, done);
                progress.update(done + k);
            });
            progress.finish();
            ClassScores s = scores.scores();
            ImageDataset digits = Datasets.mnist();
            ClassScores real = ClassScores.of(MnistClassifierTraining.probabilities(clf, digits, MnistClassifierTraining.split(digits).heldOut()),
                    MnistClassifier.CLASSES);
            out.println(report(s, real, n + " samples of " + gen.which() + " in " + file + " (step " + Checkpoint.step(f) + ", --seed " + seed + ")",
                    "the MNIST classifier " + (classifier == null ? "in the jar" : classifier.toString())));
            if (requested != null) out.println(requested.report());
        }
        out.flush();
        return 0;
    }

    /**
     * How often the samples of a conditional generator show the class they were drawn for (balanced labels: sample i
     * of class i mod K): the share whose most probable class is the requested one, and the share that is that and
     * confident, overall and per requested class.
     */
    static final class Requested {
        final int classes;
        final long[] drawn, shown, shownConfident;

        Requested(int classes) {
            this.classes = classes;
            drawn = new long[classes];
            shown = new long[classes];
            shownConfident = new long[classes];
        }

        /** Adds rows of K probabilities of samples first, first + 1, ... */
        void add(float[] probabilities, long first) {
            int[] assigned = ClassScores.assignments(probabilities, classes);
            for (int i = 0; i < assigned.length; i++) {
                int want = CheckpointGenerator.label(first + i, classes, -1);
                drawn[want]++;
                if (assigned[i] == want) {
                    shown[want]++;
                    if (probabilities[i * classes + want] >= ClassScores.CONFIDENCE) shownConfident[want]++;
                }
            }
        }

        String report() {
            long n = 0, s = 0, sc = 0;
            StringBuilder r = new StringBuilder("conditional: each sample drawn for one class (sample i of class i mod " + classes + ")\n");
            r.append(String.format(Locale.ROOT, "%-26s %8s %11s%n", "", "shown", "+confident"));
            for (int k = 0; k < classes; k++) {
                n += drawn[k];
                s += shown[k];
                sc += shownConfident[k];
            }
            r.append(String.format(Locale.ROOT, "%-26s %7.1f%% %10.1f%%%n", "requested class", 100.0 * s / n, 100.0 * sc / n));
            for (int k = 0; k < classes; k++) {
                r.append(String.format(Locale.ROOT, "%-26s %7.1f%% %10.1f%%%n", "requested digit " + k, 100.0 * shown[k] / drawn[k],
                        100.0 * shownConfident[k] / drawn[k]));
            }
            r.append("(shown: the classifier's most probable class is the requested one; +confident: and with p >= " + ClassScores.CONFIDENCE + ")");
            return r.toString();
        }
    }

    /** The report: the samples' scores, then the held-out real digits' for comparison. */
    static String report(ClassScores s, ClassScores real, String what, String by) {
        StringBuilder r = new StringBuilder();
        r.append("classified ").append(what).append(" with ").append(by).append('\n');
        r.append(String.format(Locale.ROOT, "%-26s %8s %8s%n", "", "samples", "real"));
        r.append(String.format(Locale.ROOT, "%-26s %7.1f%% %7.1f%%%n", "confident (p >= " + s.threshold() + ")", 100 * s.confidentShare(), 100 * real.confidentShare()));
        r.append(String.format(Locale.ROOT, "%-26s %8.2f %8.2f%n", "inception score (1 to 10)", s.inceptionScore(), real.inceptionScore()));
        for (int k = 0; k < s.classes(); k++) {
            r.append(String.format(Locale.ROOT, "%-26s %7.1f%% %7.1f%%%n", "digit " + k, 100 * s.share(k), 100 * real.share(k)));
        }
        r.append("(real: the ").append(real.samples()).append(" held-out bundled MNIST digits, 200 of each, that the classifier never trained on; "
                + "a digit's share is the share of samples whose most probable class it is)");
        return r.toString();
    }
}
