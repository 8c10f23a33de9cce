package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Mixture2D;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainingRun;
import dev.sparring.viz.ImageGrid;
import dev.sparring.viz.ScatterPlot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Draw samples from a trained generator: a PNG grid (a scatter plot for 2-D models), or one PNG per "
                + "sample with --out-dir.", "Samples are generated in batches of --batch, each normalised by its own "
                + "batch statistics as in training."})
public final class SampleCommand implements Callable<Integer> {
    /** The most images a grid shows: 64 x 64 thumbnails; more go to files (--out-dir). */
    static final int MAX_GRID = 4096;
    /** The most points a scatter plot draws. */
    static final int MAX_SCATTER = 1_000_000;

    @Option(names = "--checkpoint", required = true, description = "a checkpoint file, or a run folder (its newest checkpoint)")
    Path checkpoint;
    @Option(names = "--n", defaultValue = "64", description = "number of samples (a grid shows at most " + MAX_GRID + "; --out-dir takes any number)")
    int n;
    @Option(names = "--cols", defaultValue = "8", description = "grid columns")
    int cols;
    @Option(names = "--seed", defaultValue = "0", description = "latent noise seed")
    long seed;
    @Option(names = "--batch", defaultValue = "256", description = "samples generated at a time")
    int batch;
    @Option(names = "--out", description = "output PNG: a grid, or a scatter plot for 2-D models (default: samples.png; "
            + "an existing file is not replaced without --overwrite)")
    Path out;
    @Option(names = "--out-dir", description = "a new (or empty) folder for one PNG per sample, 000000.png, 000001.png, ...")
    Path outDir;
    @Mixin
    OverwriteOption overwrite;
    @Mixin
    DeviceOption device;
    @Mixin
    EmaOption ema;

    @Override
    public Integer call() throws Exception {
        if (n < 1) throw new UserError("--n must be >= 1, got " + n);
        if (cols < 1) throw new UserError("--cols must be >= 1, got " + cols);
        if (batch < 1) throw new UserError("--batch must be >= 1, got " + batch);
        if (out != null && outDir != null) throw new UserError("--out and --out-dir: give one (a grid file, or a folder of images)");
        if (outDir == null && out == null) out = Path.of("samples.png");
        overwrite.check("--out", out);
        Path file = TrainingRun.findCheckpoint(checkpoint, "--checkpoint");
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        boolean mlp = cfg.model() == TrainConfig.Model.MLP;
        if (mlp && outDir != null) {
            throw new UserError("--out-dir writes images, and " + file + " holds a 2-D model whose samples are points: use --out FILE.png "
                    + "for a scatter plot");
        }
        if (out != null && !mlp && n > MAX_GRID) {
            throw new UserError("--n " + n + ": a grid shows at most " + MAX_GRID + " images; write " + n
                    + " samples as one PNG each with --out-dir DIR");
        }
        if (out != null && mlp && n > MAX_SCATTER) throw new UserError("--n " + n + ": a scatter plot draws at most " + MAX_SCATTER + " points");
        int b = Math.min(batch, n);
        try (Backend be = device.create()) {
            CheckpointGenerator gen = new CheckpointGenerator(be, f, cfg, b, ema.use());
            int[] s = gen.g.outputShape(1);
            int item = s[1] * (mlp ? 1 : s[2] * s[3]);   // floats per sample
            Path dir = outDir == null ? null : newFolder(outDir);
            float[] all = out != null ? new float[Math.multiplyExact(n, item)] : null;
            gen.generate(n, b, seed, (done, k, samples) -> {
                float[] x = be.download(samples);
                if (all != null) System.arraycopy(x, 0, all, done * item, k * item);
                else for (int i = 0; i < k; i++) ImageGrid.writeImage(dir.resolve(String.format("%06d.png", done + i)), x, i, s[1], s[2], s[3]);
            });
            if (mlp) {
                Mixture2D m = (Mixture2D) dev.sparring.data.Datasets.open(cfg.data(), 0, 0);
                ScatterPlot.write(out, all, n, m.centers(), file.getFileName().toString());
            } else if (out != null) {
                ImageGrid.write(out, all, n, s[1], s[2], s[3], cols);
            }
            System.err.println("wrote " + n + " samples of " + gen.which() + " from " + file + " to " + (out != null ? out : outDir + "/"));
        }
        return 0;
    }

    /** Creates --out-dir, or takes it when it is an empty folder; anything else is refused (nothing is overwritten). */
    private static Path newFolder(Path dir) throws java.io.IOException {
        if (Files.isDirectory(dir)) {
            try (var s = Files.list(dir)) {
                if (s.findAny().isPresent()) throw new UserError("--out-dir " + dir + " is not empty; give a new or empty folder");
            }
            return dir;
        }
        if (Files.exists(dir)) throw new UserError("--out-dir " + dir + " is a file; give a new or empty folder");
        return Files.createDirectories(dir);
    }
}
