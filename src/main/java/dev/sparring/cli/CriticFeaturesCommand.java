package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.ImageDataset;
import dev.sparring.io.Json;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.lab.features.CriticTaps;
import dev.sparring.lab.features.LayerAnalysis;
import dev.sparring.lab.features.LinearProbe;
import dev.sparring.lab.features.Tsne;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.Conditioning;
import dev.sparring.train.Progress;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainingRun;
import dev.sparring.viz.FieldPlot;
import dev.sparring.viz.Figure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code sparring critic-features --checkpoint RUN}: what a trained critic's layers make of real and generated images
 * (docs/lab.md). n real images of the run's data and n images of its generator go through the critic in eval mode
 * ({@link CriticTaps}); each convolution block's output is drawn in 2-D by PCA and by t-SNE, real in red and fake in
 * blue, and measured by how well a linear probe tells real from fake on held-out images ({@link LayerAnalysis}).
 */
@Command(name = "critic-features", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"What a trained critic's layers make of real and generated images (docs/lab.md).",
                "--n real images of the run's data and --n images of its generator G go through the critic in eval mode (batch norm with the "
                        + "checkpoint's running statistics; --batch-norm batch: as in training); each convolution block's output (after its activation) is projected to 2-D by PCA "
                        + "and by exact t-SNE, real in red and fake in blue (features.png), and a linear probe (logistic regression on the "
                        + "block's top --components principal components, standardised, C = 1) tells real from fake on held-out "
                        + "images (" + LinearProbe.FOLDS + "-fold cross-validation): its accuracy is the block's separability, 0.5 when the "
                        + "block cannot tell them apart. The critic's own score gets the same probe.",
                "A conditional run's critic scores real images with their labels and fakes with the labels they were generated for (i mod K).",
                "Writes features.png and summary.json into a new or empty folder (--out; default critic-features, numbered -2, -3, ... when taken)."})
public final class CriticFeaturesCommand implements Callable<Integer> {
    /** The most images per side: exact t-SNE holds a few (2n)² arrays of doubles. */
    static final int MAX_N = 1024;
    static final int BATCH = 256;

    @Spec
    CommandSpec spec;
    @Option(names = "--checkpoint", required = true, description = "a checkpoint file, or a run folder (its newest checkpoint), of a DCGAN")
    Path checkpoint;
    @Option(names = "--n", defaultValue = "256", description = "real images, and as many generated ones (" + LinearProbe.FOLDS + " to " + MAX_N + ")")
    int n;
    @Option(names = "--perplexity", defaultValue = "30", description = "t-SNE's perplexity, the effective number of neighbours (at most (2n - 1) / 3)")
    double perplexity;
    @Option(names = "--components", defaultValue = "" + LinearProbe.COMPONENTS, description = "principal components of a block the probe "
            + "is fitted on (fewer when its training images span fewer)")
    int components;
    @Option(names = "--seed", defaultValue = "0", description = "seed of the real images picked, the generator's latents, t-SNE's start and the probe's folds")
    long seed;
    @Option(names = "--ema", description = "generate with G_ema (when the checkpoint has it) instead of G, the generator the critic trained against")
    boolean ema;
    @Option(names = "--batch-norm", paramLabel = "running|batch", defaultValue = "running",
            description = "the critic's batch norm: running (eval mode, the checkpoint's running statistics: each image's features depend on it "
                    + "alone) or batch (training mode: each batch of the run's batch size, all real or all fake, normalised by its own "
                    + "statistics, as the critic saw them in training)")
    String batchNorm;
    @Option(names = "--out", paramLabel = "DIR", description = "a new or empty folder for features.png and summary.json (default: critic-features "
            + "in the working folder, numbered -2, -3, ... when taken)")
    Path out;
    @Option(names = "--no-progress", description = "plain progress lines instead of a live bar")
    boolean noProgress;
    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        if (n < LinearProbe.FOLDS || n > MAX_N) {
            throw new UserError("--n " + n + ": give " + LinearProbe.FOLDS + " to " + MAX_N + " images per side (the probe's " + LinearProbe.FOLDS
                    + " folds need " + LinearProbe.FOLDS + " of each; exact t-SNE is quadratic in 2n)");
        }
        double maxPerplexity = Tsne.maxPerplexity(2 * n);
        if (!(perplexity > 0) || perplexity > maxPerplexity) {
            throw new UserError(String.format(Locale.ROOT, "--perplexity %s: for --n %d (%d points) it must be above 0 and at most %.1f, (2n - 1) / 3",
                    num(perplexity), n, 2 * n, maxPerplexity));
        }
        if (!batchNorm.equals("running") && !batchNorm.equals("batch")) throw new UserError("--batch-norm " + batchNorm + ": running or batch");
        Pass pass = batchNorm.equals("batch") ? Pass.TRAIN : Pass.EVAL;
        if (components < 1) throw new UserError("--components " + components + ": must be >= 1");
        Path file = TrainingRun.findCheckpoint(checkpoint, "--checkpoint");
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        if (cfg.model() == TrainConfig.Model.MLP) {
            throw new UserError("--checkpoint " + file + " holds a 2-D model (" + cfg.data() + ") whose critic sees points; critic-features "
                    + "needs the critic of a DCGAN, which sees images");
        }
        ImageDataset images = CheckpointGenerator.trainingImages(file, cfg, "critic-features");
        if (images.size() < n) throw new UserError("--n " + n + ": the run's data (" + cfg.data() + ") has " + images.size() + " images");
        int classes = cfg.classes();
        Path dir = OutputFolder.of(out, "critic-features");
        PrintWriter stdout = spec.commandLine().getOut();

        try (Backend be = device.create()) {
            Network critic = CheckpointGenerator.critic(be, f, cfg);
            CriticTaps taps = new CriticTaps(critic);
            List<CriticTaps.Tap> tapList = taps.taps();
            CheckpointGenerator gen = new CheckpointGenerator(be, f, cfg, cfg.batch(), ema);
            int total = 2 * n;
            float[][] rows = new float[tapList.size()][];
            for (int t = 0; t < rows.length; t++) rows[t] = new float[Math.multiplyExact(total, tapList.get(t).size())];
            float[] scores = new float[total];
            boolean[] real = new boolean[total];
            for (int i = 0; i < n; i++) real[i] = true;

            Progress forward = new Progress(System.err, total, "critic forward", "img/s", !noProgress);
            // rows 0 .. n-1: real images, n picked at random (seed, "critic-features-real") with their labels
            int[] picked = pick(images.size(), n, seed);
            int chunk = pass.training() ? cfg.batch() : BATCH;        // training mode: batches of the run's size
            for (int done = 0; done < n; done += chunk) {
                int k = Math.min(chunk, n - done);
                float[] x = CheckpointGenerator.pixels(images, picked, done, k);
                int[] labels = new int[k];
                if (classes > 0) for (int i = 0; i < k; i++) labels[i] = images.labels()[picked[done + i]];
                try (Tensor xt = be.upload(x, k, cfg.channels(), cfg.imageSize(), cfg.imageSize())) {
                    keep(taps, xt, classes > 0 ? labels : null, classes, be, rows, scores, done, tapList, pass);
                }
                forward.update(done + k);
            }
            // rows n .. 2n-1: the generator's images in batches of the run's batch size (batch statistics, as the critic saw them), labels i mod K
            gen.generate(n, cfg.batch(), seed, (done, k, x) -> {
                int[] labels = new int[k];
                for (int i = 0; i < k; i++) labels[i] = classes > 0 ? Conditioning.balanced(done + i, classes) : 0;
                keep(taps, x, classes > 0 ? labels : null, classes, be, rows, scores, n + done, tapList, pass);
                forward.update(n + done + k);
            });
            forward.finish();

            Progress tsneProgress = new Progress(System.err, (long) Tsne.ITERATIONS * tapList.size(), "t-SNE", "it/s", !noProgress);
            List<LayerAnalysis> analyses = new ArrayList<>();
            for (int t = 0; t < tapList.size(); t++) {
                long base = (long) t * Tsne.ITERATIONS;
                analyses.add(LayerAnalysis.of(rows[t], total, tapList.get(t).size(), real, perplexity, components, seed, it -> tsneProgress.update(base + it)));
                rows[t] = null;
            }
            tsneProgress.finish();
            LinearProbe.Result scoreProbe = LayerAnalysis.probe(scores, total, 1, real, seed);

            String run = runName(file);
            long step = Checkpoint.step(f);
            writeFigure(dir.resolve("features.png"), run, step, gen.which(), tapList, analyses, scoreProbe);
            Map<String, Object> summary = summary(file, step, gen.which(), classes, pass, cfg.batch(), tapList, analyses, scoreProbe, scores);
            Json.writeFile(dir.resolve("summary.json"), summary);

            stdout.printf(Locale.ROOT, "critic of %s (step %d), batch norm %s: %d real images and %d of %s, separability = held-out accuracy of a linear probe "
                    + "(0.5: cannot tell real from fake)%n", file, step, pass.training() ? "by batch (as in training)" : "running statistics", n, n, gen.which());
            for (int t = 0; t < tapList.size(); t++) {
                CriticTaps.Tap tap = tapList.get(t);
                LayerAnalysis a = analyses.get(t);
                stdout.printf(Locale.ROOT, "  %-8s %-16s separability %.3f ± %.3f   PCA %.1f%% + %.1f%% of variance   t-SNE KL %.3f, trustworthiness %.3f%n",
                        tap.name(), tap.shapeText(), a.probe().accuracy(), a.probe().standardError(), 100 * a.explained()[0], 100 * a.explained()[1],
                        a.tsne().kl(), a.trustworthiness());
            }
            stdout.printf(Locale.ROOT, "  %-8s %-16s separability %.3f ± %.3f   mean score real %.3f, fake %.3f%n", "score", "1",
                    scoreProbe.accuracy(), scoreProbe.standardError(), mean(scores, 0, n), mean(scores, n, total));
            stdout.println("wrote " + dir.resolve("features.png") + " and summary.json");
        }
        stdout.flush();
        return 0;
    }

    /** Runs a batch through the critic and copies its taps and scores into rows [at, at + k). */
    private static void keep(CriticTaps taps, Tensor x, int[] labels, int classes, Backend be, float[][] rows, float[] scores, int at,
            List<CriticTaps.Tap> tapList, Pass pass) {
        int k = x.dim(0);
        Tensor onehot = null;
        try {
            if (labels != null) {
                float[] y = new float[k * classes];
                Conditioning.onehot(labels, k, classes, y);
                onehot = be.upload(y, k, classes);
            }
            CriticTaps.Outputs o = taps.forward(x, onehot, pass);
            for (int t = 0; t < rows.length; t++) {
                int size = tapList.get(t).size();
                System.arraycopy(o.taps()[t], 0, rows[t], at * size, k * size);
            }
            System.arraycopy(o.scores(), 0, scores, at, k);
        } finally {
            if (onehot != null) onehot.close();
        }
    }

    /** n distinct indices of [0, size): the first n of a Fisher–Yates shuffle on the stream (seed, "critic-features-real"). */
    static int[] pick(int size, int n, long seed) {
        return CheckpointGenerator.pick(size, n, NoiseStream.derive(seed, "critic-features-real"));
    }

    /** 30, 2.5: a flag's number as typed. */
    private static String num(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    private static double mean(float[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += v[i];
        return s / (to - from);
    }

    /** The run folder's name for a checkpoint inside one (RUN/checkpoints/step_X.safetensors), else the file's name. */
    private static String runName(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && parent.getFileName() != null && parent.getFileName().toString().equals("checkpoints") && parent.getParent() != null) {
            return parent.getParent().getFileName().toString();
        }
        return file.getFileName().toString();
    }

    /** One figure: a row of PCA panels and a row of t-SNE panels, one column per block; real red, fake blue. */
    private void writeFigure(Path png, String run, long step, String which, List<CriticTaps.Tap> tapList, List<LayerAnalysis> analyses,
            LinearProbe.Result scoreProbe) throws IOException {
        int cols = tapList.size();
        Figure fig = new Figure(cols, 400, 430);
        fig.heading(String.format(Locale.ROOT, "critic features of %s, step %d: %d real (red) and %d %s images (blue); batch norm: %s", run, step, n, n,
                which, batchNorm));
        StringBuilder sep = new StringBuilder("separability (held-out accuracy of a linear probe, 0.5 = none): ");
        for (int t = 0; t < cols; t++) sep.append(String.format(Locale.ROOT, "%s %.3f, ", tapList.get(t).name(), analyses.get(t).probe().accuracy()));
        sep.append(String.format(Locale.ROOT, "critic score %.3f", scoreProbe.accuracy()));
        fig.heading(sep.toString());
        for (int t = 0; t < cols; t++) {
            LayerAnalysis a = analyses.get(t);
            fig.add(panel(String.format(Locale.ROOT, "%s (%s) PCA: %.0f%% + %.0f%%", tapList.get(t).name(), tapList.get(t).shapeText(),
                    100 * a.explained()[0], 100 * a.explained()[1]), a.pca()).labels("PC 1", "PC 2"));
        }
        for (int t = 0; t < cols; t++) {
            LayerAnalysis a = analyses.get(t);
            fig.add(panel(String.format(Locale.ROOT, "%s t-SNE (perplexity %s): KL %.2f", tapList.get(t).name(), num(perplexity),
                    a.tsne().kl()), a.tsne().y()));
        }
        fig.write(png);
    }

    private FieldPlot panel(String title, double[] xy) {
        int total = 2 * n;
        double x0 = Double.POSITIVE_INFINITY, x1 = Double.NEGATIVE_INFINITY, y0 = Double.POSITIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < total; i++) {
            x0 = Math.min(x0, xy[2 * i]);
            x1 = Math.max(x1, xy[2 * i]);
            y0 = Math.min(y0, xy[2 * i + 1]);
            y1 = Math.max(y1, xy[2 * i + 1]);
        }
        double span = Math.max(Math.max(x1 - x0, y1 - y0), 1e-12), mx = 0.05 * span;
        double[][] realXy = coords(xy, 0, n), fakeXy = coords(xy, n, total);
        return new FieldPlot(title, x0 - mx, x1 + mx, y0 - mx, y1 + mx)
                .points("fake", 0, FieldPlot.Marker.SPECK, fakeXy[0], fakeXy[1])
                .points("real", 3, FieldPlot.Marker.SPECK, realXy[0], realXy[1]);
    }

    private static double[][] coords(double[] xy, int from, int to) {
        double[][] c = new double[2][to - from];
        for (int i = from; i < to; i++) {
            c[0][i - from] = xy[2 * i];
            c[1][i - from] = xy[2 * i + 1];
        }
        return c;
    }

    private Map<String, Object> summary(Path file, long step, String which, int classes, Pass pass, int batchSize, List<CriticTaps.Tap> tapList, List<LayerAnalysis> analyses,
            LinearProbe.Result scoreProbe, float[] scores) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("command", "critic-features");
        s.put("checkpoint", file.toString());
        s.put("step", step);
        s.put("n", n);
        s.put("seed", seed);
        s.put("generator", which);
        s.put("classes", classes);
        if (classes > 0) s.put("labels", "real images with their labels, generated image i with label i mod " + classes);
        s.put("batch_norm", pass.training() ? "batch: training mode, each batch of " + batchSize + " images (all real or all fake) normalised by its own statistics"
                : "running: eval mode, the checkpoint's running statistics");
        s.put("taps", "each convolution block's output after its activation");
        s.put("perplexity", perplexity);
        s.put("tsne_iterations", Tsne.ITERATIONS);
        s.put("probe", String.format(Locale.ROOT, "logistic regression (C = %s) on the top %d principal components, standardised; %d-fold "
                + "stratified cross-validation", num(LinearProbe.C), components, LinearProbe.FOLDS));
        List<Map<String, Object>> layers = new ArrayList<>();
        for (int t = 0; t < tapList.size(); t++) {
            CriticTaps.Tap tap = tapList.get(t);
            LayerAnalysis a = analyses.get(t);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", tap.name());
            m.put("layers", tap.layers());
            m.put("shape", tap.shape());
            m.put("features", tap.size());
            m.put("separability", probe(a.probe()));
            m.put("pca_explained", a.explained());
            m.put("tsne_kl", a.tsne().kl());
            m.put("tsne_trustworthiness", a.trustworthiness());
            m.put("tsne_trustworthiness_neighbours", LayerAnalysis.NEIGHBOURS);
            layers.add(m);
        }
        s.put("layers", layers);
        Map<String, Object> score = new LinkedHashMap<>();
        score.put("separability", probe(scoreProbe));
        score.put("mean_real", mean(scores, 0, n));
        score.put("mean_fake", mean(scores, n, 2 * n));
        s.put("score", score);
        s.put("figures", List.of("features.png"));
        return s;
    }

    private static Map<String, Object> probe(LinearProbe.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", r.accuracy());
        m.put("standard_error", r.standardError());
        m.put("correct", r.correct());
        m.put("images", r.n());
        m.put("fold_accuracy", r.foldAccuracy());
        m.put("components", r.components());
        return m;
    }
}
