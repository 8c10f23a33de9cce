package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Mixture2D;
import dev.sparring.eval.ImageNpz;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.Progress;
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
        description = {"Draw samples from a trained generator: a PNG grid (a scatter plot for 2-D models), one PNG per "
                + "sample with --out-dir, or all of them as one numpy array with --out FILE.npz.", "Samples are generated in batches of --batch, "
                + "each normalised by its own batch statistics as in training; a progress bar with ETA goes to stderr.",
                "A conditional generator (train --conditional) draws balanced classes, sample i of class i mod K (or all of --class), "
                        + "its grid shows one row per class, and .npz and --out-dir files record each sample's class."})
public final class SampleCommand implements Callable<Integer> {
    /** The most images a grid shows: 64 x 64 thumbnails; more go to files (--out-dir). */
    static final int MAX_GRID = 4096;
    /** The file of an --out-dir folder of a conditional generator's samples that gives each image's class. */
    static final String LABELS_CSV = "labels.csv";

    /** The most points a scatter plot draws. */
    static final int MAX_SCATTER = 1_000_000;

    @Option(names = "--checkpoint", required = true, description = "a checkpoint file, or a run folder (its newest checkpoint)")
    Path checkpoint;
    @Option(names = "--n", defaultValue = "64", description = "number of samples (a grid shows at most " + MAX_GRID + "; --out-dir and --out FILE.npz take any number)")
    int n;
    @Option(names = "--cols", defaultValue = "8", description = "grid columns")
    int cols;
    @Option(names = "--seed", defaultValue = "0", description = "latent noise seed")
    long seed;
    @Option(names = "--batch", defaultValue = "256", description = "samples generated at a time")
    int batch;
    @Option(names = "--out", description = "output file: a PNG grid, or a scatter plot for 2-D models (default: samples.png); "
            + "or FILE.npz: all --n images as one uint8 array arr_0 of shape (N, H, W, C), the layout numpy image tools use "
            + "(numpy.load(FILE)['arr_0']; torch-fidelity wants x.transpose(0, 3, 1, 2)), written in batches and never all in memory; "
            + "sparring fid reads it. An existing file is not replaced without --overwrite")
    Path out;
    @Option(names = "--out-dir", description = "a new (or empty) folder for one PNG per sample, 000000.png, 000001.png, ...")
    Path outDir;
    @Option(names = "--save-z", paramLabel = "FILE.npy", description = "also write the samples' latents, in the samples' order, as one float32 "
            + "array of shape (N, nz) (numpy.load(FILE)); `sparring latent arithmetic --z NAME=FILE[:ROWS]` takes them. An existing file "
            + "is not replaced without --overwrite")
    Path saveZ;
    @Option(names = "--class", paramLabel = "K", description = "a conditional generator's samples all of class K (0 to classes - 1); "
            + "default: sample i of class i mod classes, and a grid of one row of --cols per class")
    Integer only;
    @Option(names = "--no-progress", description = "plain progress lines instead of a live bar")
    boolean noProgress;
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;
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
        overwrite.check("--save-z", saveZ);
        if (saveZ != null && !saveZ.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npy")) {
            throw new UserError("--save-z " + saveZ + ": latents are written as a numpy .npy file; name it FILE.npy");
        }
        Path file = TrainingRun.findCheckpoint(checkpoint, "--checkpoint");
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        boolean mlp = cfg.model() == TrainConfig.Model.MLP;
        if (mlp && outDir != null) {
            throw new UserError("--out-dir writes images, and " + file + " holds a 2-D model whose samples are points: use --out FILE.png "
                    + "for a scatter plot");
        }
        boolean npz = out != null && out.getFileName() != null && out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".npz");
        if (npz && mlp) {
            throw new UserError("--out " + out + ": a .npz holds images, and " + file + " holds a 2-D model whose samples are points: use --out FILE.png "
                    + "for a scatter plot");
        }
        if (out != null && !npz && !mlp && n > MAX_GRID) {
            throw new UserError("--n " + n + ": a grid shows at most " + MAX_GRID + " images; write " + n
                    + " samples as one PNG each with --out-dir DIR, or as one array with --out FILE.npz");
        }
        if (out != null && mlp && n > MAX_SCATTER) throw new UserError("--n " + n + ": a scatter plot draws at most " + MAX_SCATTER + " points");
        int classes = cfg.classes();
        if (only != null && classes == 0) throw new UserError("--class " + only + ": " + file + " holds an unconditional generator (train --conditional makes one)");
        if (only != null && (only < 0 || only >= classes)) {
            throw new UserError("--class " + only + " is out of range: " + file + " is conditioned on " + classes + " classes, 0 to " + (classes - 1));
        }
        boolean classRows = classes > 0 && only == null && out != null && !npz;   // a grid of one row per class
        if (classRows) {
            if (!spec.commandLine().getParseResult().hasMatchedOption("--n")) n = Math.min(classes, SampleCommand.MAX_GRID / cols) * cols;
            if (n % classes != 0) {
                throw new UserError("--n " + n + ": the grid of a conditional generator shows one row per class, so --n must be a multiple of its "
                        + classes + " classes (or give --class K)");
            }
            if (n > MAX_GRID) throw new UserError("--n " + n + ": a grid shows at most " + MAX_GRID + " images");
        }
        int label = only == null ? -1 : only;
        long[] labels = null;
        if (classes > 0) {
            labels = new long[n];
            for (int i = 0; i < n; i++) labels[i] = CheckpointGenerator.label(i, classes, label);
        }
        int b = Math.min(batch, n);
        try (Backend be = device.create()) {
            CheckpointGenerator gen = new CheckpointGenerator(be, f, cfg, b, ema.use());
            int[] s = gen.g.outputShape(1);
            LatentRows zs = saveZ == null ? null : new LatentRows(be, n, cfg.nz());
            int item = s[1] * (mlp ? 1 : s[2] * s[3]);   // floats per sample
            Progress progress = new Progress(System.err, n, "sampling", "img/s", !noProgress);
            if (npz) {
                int c = s[1], h = s[2], w = s[3];
                byte[] nhwc = new byte[b * item];                                  // one batch, (b, H, W, C)
                ImageNpz.write(out, n, h, w, c, labels, sink -> gen.generate(n, b, seed, label, zs, (done, k, samples) -> {
                    toBytesNhwc(be.download(samples), k, c, h, w, nhwc);
                    sink.add(nhwc, k);
                    progress.update(done + k);
                }));
                progress.finish();
                if (zs != null) zs.write(saveZ);
                System.err.println("wrote " + n + " samples from " + file + " to " + out + " (uint8 array arr_0, shape (" + n + ", " + h + ", "
                        + w + ", " + c + ")" + (labels != null ? ", and their classes as int64 array labels, shape (" + n + ")" : "") + ")"
                        + (zs == null ? "" : ", their latents to " + saveZ));
                return 0;
            }
            Path dir = outDir == null ? null : OutputFolder.newOrEmpty(outDir, "--out-dir");
            float[] all = out != null ? new float[Math.multiplyExact(n, item)] : null;
            gen.generate(n, b, seed, label, zs, (done, k, samples) -> {
                float[] x = be.download(samples);
                if (all != null) System.arraycopy(x, 0, all, done * item, k * item);
                else for (int i = 0; i < k; i++) ImageGrid.writeImage(dir.resolve(String.format("%06d.png", done + i)), x, i, s[1], s[2], s[3]);
                progress.update(done + k);
            });
            progress.finish();
            if (mlp) {
                Mixture2D m = (Mixture2D) dev.sparring.data.Datasets.open(cfg.data(), 0, 0);
                ScatterPlot.write(out, all, n, m.centers(), file.getFileName().toString());
            } else if (classRows) {
                ImageGrid.write(out, dev.sparring.train.Conditioning.byClassRows(all, n, classes, item), n, s[1], s[2], s[3], n / classes);
            } else if (out != null) {
                ImageGrid.write(out, all, n, s[1], s[2], s[3], cols);
            } else if (labels != null) {
                StringBuilder csv = new StringBuilder("file,class\n");
                for (int i = 0; i < n; i++) csv.append(String.format("%06d.png", i)).append(',').append(labels[i]).append('\n');
                Files.writeString(dir.resolve(LABELS_CSV), csv.toString());
            }
            if (zs != null) zs.write(saveZ);
            System.err.println("wrote " + n + " samples of " + gen.which() + " from " + file + " to " + (out != null ? out : outDir + "/")
                    + (zs == null ? "" : ", their latents to " + saveZ));
        }
        return 0;
    }

    /** The latents of --save-z, gathered in sample order (N x nz floats in memory) and written as one .npy (N, nz). */
    private static final class LatentRows implements CheckpointGenerator.Batch {
        private final Backend be;
        private final int nz;
        private final float[] rows;

        LatentRows(Backend be, int n, int nz) {
            if ((long) n * nz > Integer.MAX_VALUE - 8) throw new UserError("--save-z: " + n + " latents of " + nz + " values are more than one file holds here; sample fewer");
            this.be = be;
            this.nz = nz;
            this.rows = new float[n * nz];
        }

        @Override
        public void accept(int done, int k, dev.sparring.tensor.Tensor z) {
            System.arraycopy(be.download(z), 0, rows, done * nz, k * nz);
        }

        void write(Path file) throws java.io.IOException {
            dev.sparring.io.AtomicFile.write(file, dev.sparring.eval.NpyArray.ofFloats(rows, rows.length / nz, nz).toBytes());
        }
    }

    /**
     * Images (k, C, H, W) in [-1, 1] as (k, H, W, C) uint8, with the rounding the PNGs get ({@link ImageGrid#toByte}),
     * so that an .npz and an --out-dir folder of the same samples hold the same pixels.
     */
    static void toBytesNhwc(float[] nchw, int k, int c, int h, int w, byte[] nhwc) {
        int plane = h * w;
        for (int i = 0; i < k; i++) {
            int src = i * c * plane, dst = i * plane * c;
            for (int p = 0; p < plane; p++) {
                for (int ch = 0; ch < c; ch++) nhwc[dst + p * c + ch] = (byte) ImageGrid.toByte(nchw[src + ch * plane + p]);
            }
        }
    }

}
