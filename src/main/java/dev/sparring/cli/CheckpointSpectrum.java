package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.ModelSize;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.linalg.Eigenvalues.Eigenvalue;
import dev.sparring.nn.Network;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.Conditioning;
import dev.sparring.train.GameJacobian;
import dev.sparring.train.JacobianSpectrum;
import dev.sparring.train.Progress;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.TrainingRun;
import dev.sparring.viz.ScatterPlot;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code sparring numerics --checkpoint RUN --eigs K}: the K largest-magnitude eigenvalues of a trained game's Jacobian
 * ({@link JacobianSpectrum}), an MLP's on 2-D points or a DCGAN's (unconditional or class-conditional), printed and
 * drawn in the complex plane. Kept apart from the command's options so that it can join another analysis of the same
 * command as one alternative of its source.
 *
 * <p>The batch (B = --batch, default the run's): the real half is B points drawn from the stream (seed, "numerics
 * data"), or B distinct images of the run's data picked by a Fisher–Yates shuffle on that stream, with their labels
 * for a conditional run; the fake half is G(z) with z from (seed, "numerics z") and, for a conditional run, labels
 * drawn uniformly from (seed, "numerics labels"), one per row, given to G as [z, onehot(y)] and to the critic, as
 * training draws its fake labels. G is the trained generator (not G_ema), the critic's opponent.
 */
final class CheckpointSpectrum {
    private CheckpointSpectrum() { }

    /** The game's batch on the device: D's real input and its labels, G's input, the fake batch's labels (null: unconditional). */
    record Batch(Tensor xReal, Tensor yReal, Tensor gIn, Tensor yFake) { }

    static int run(Path checkpoint, int eigs, Integer krylov, Integer batch, long seed, Path out, OverwriteOption overwrite,
                   DeviceOption device, boolean progressBar, java.io.PrintWriter o) throws Exception {
        if (eigs < 1) throw new UserError("--eigs must be >= 1, got " + eigs);
        if (krylov != null && krylov < eigs) throw new UserError("--krylov must be >= --eigs (" + eigs + "), got " + krylov);
        if (batch != null && batch < 1) throw new UserError("--batch must be >= 1, got " + batch);
        overwrite.check("--out", out);
        Path file = TrainingRun.findCheckpoint(checkpoint, "--checkpoint");
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        boolean mlp = cfg.model() == TrainConfig.Model.MLP;
        int b = batch == null ? cfg.batch() : batch;
        TrainLoss loss = TrainLoss.of(GanLoss.parse(cfg.loss()));
        ImageDataset images = mlp ? null : CheckpointGenerator.trainingImages(file, cfg, "numerics");
        if (images != null && images.size() < b) {
            throw new UserError("--batch " + b + ": the run's data (" + cfg.data() + ") has " + images.size() + " images");
        }
        ModelSize size = CheckpointGenerator.size(cfg);
        try (Backend be = device.create()) {
            Backend.Memory mem = be.memoryAvailable();
            size.require(b, "for the game Jacobian at --batch " + b, jacobianBytes(size, b), mem.bytes(), mem.where());
            Network g = new CheckpointGenerator(be, f, cfg, b, false).g;
            Network d = CheckpointGenerator.critic(be, f, cfg);
            long n = g.parameterCount() + d.parameterCount();
            int m = (int) Math.min(n, krylov == null ? Math.max(4L * eigs, 60) : krylov);
            if (eigs > m) throw new UserError("--eigs " + eigs + ": the game has only " + n + " parameters");
            requireHostMemory(n, m);
            Batch game = mlp ? points(be, cfg, b, seed) : images(be, cfg, images, b, seed);
            try (GameJacobian jac = new GameJacobian(g, d, loss)) {
                jac.field(game.xReal(), game.yReal(), game.gIn(), game.yFake(), be.zeros(16), 0, 5);
                Progress progress = new Progress(System.err, m, "Arnoldi", "steps/s", progressBar);
                long t0 = System.nanoTime();
                int[] steps = {0};
                List<Eigenvalue> ev = JacobianSpectrum.largest(jac, eigs, m, seed, j -> {
                    steps[0] = j;
                    progress.update(j);
                });
                progress.finish();
                double secs = (System.nanoTime() - t0) / 1e9;
                o.printf(Locale.ROOT, "game Jacobian of %s (%,d parameters; loss %s%s) at a batch of %d, %d Arnoldi steps in %.1f s%s:%n",
                        file, n, cfg.loss(), cfg.classes() > 0 ? "; " + cfg.classes() + " classes" : "", b, steps[0], secs,
                        steps[0] < m ? " (the Krylov space closed after " + steps[0] + " of " + m + ": its Ritz values are exact)" : "");
                o.println("  #        re            im        |lambda|");
                float[] pts = new float[2 * ev.size()];
                for (int i = 0; i < ev.size(); i++) {
                    Eigenvalue e = ev.get(i);
                    o.printf(Locale.ROOT, "%3d  %12.5g  %12.5g  %12.5g%n", i + 1, e.re(), e.im(), e.magnitude());
                    pts[2 * i] = (float) e.re();
                    pts[2 * i + 1] = (float) e.im();
                }
                ScatterPlot.write(out, pts, ev.size(), new double[][] {{0, 0}}, String.format(Locale.ROOT,
                        "%d largest eigenvalues of the game Jacobian (x: re, y: im; cross: 0)", ev.size()));
                o.flush();
                System.err.println("wrote " + out);
            }
        }
        return 0;
    }

    /**
     * Refuses, in one line, a Krylov space the Java heap cannot hold: Arnoldi keeps m + 1 double vectors of n values and
     * one more for the product, and the host copies of a product's parts in float.
     */
    private static void requireHostMemory(long n, int m) {
        long need = ModelSize.mul(8, ModelSize.mul(n, m + 3L));
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (need > free) {
            throw new UserError(String.format(Locale.ROOT, "--krylov %d: Arnoldi keeps %d vectors of the game's %,d parameters in double, "
                    + "about %s, more than the %s this JVM has free; give a smaller --krylov (or a larger heap: SPARRING_JAVA_OPTS=-Xmx...)",
                    m, m + 1, n, ModelSize.bytesText(need), ModelSize.bytesText(free)));
        }
    }

    /**
     * Bytes on the backend for the game Jacobian at batch b: training's (parameters, gradients and the passes) with u in
     * place of one optimizer slot, and the four recorded backwards' upstream gradients (D's three, G's one) with as many
     * accumulators of dP/dx.
     */
    private static long jacobianBytes(ModelSize size, int b) {
        long recorded = ModelSize.mul(2L * b, ModelSize.sat(ModelSize.mul(3, size.criticValues()), size.generatorValues()));
        return ModelSize.sat(size.trainingBytes(b, 1), ModelSize.mul(4, recorded));
    }

    /** 2-D points from (seed, "numerics data") and latents from (seed, "numerics z"). */
    private static Batch points(Backend be, TrainConfig cfg, int b, long seed) {
        Mixture2D data = (Mixture2D) Datasets.open(cfg.data(), 0, 0);
        float[] x = new float[2 * b];
        data.sample(NoiseStream.derive(seed, "numerics data"), x, b);
        return new Batch(be.upload(x, b, 2), null, latents(be, b, cfg.nz(), false, seed), null);
    }

    /** B images of the run's data with their labels, latents and, for a conditional run, fake labels and G's input [z, onehot(y)]. */
    private static Batch images(Backend be, TrainConfig cfg, ImageDataset images, int b, long seed) {
        int[] picked = CheckpointGenerator.pick(images.size(), b, NoiseStream.derive(seed, "numerics data"));
        Tensor xReal = be.upload(CheckpointGenerator.pixels(images, picked, 0, b), b, images.channels(), images.height(), images.width());
        Tensor z = latents(be, b, cfg.nz(), true, seed);
        int k = cfg.classes();
        if (k == 0) return new Batch(xReal, null, z, null);
        int[] real = new int[b], fake = new int[b];
        NoiseStream labels = NoiseStream.derive(seed, "numerics labels");
        for (int i = 0; i < b; i++) {
            real[i] = images.labels()[picked[i]];
            fake[i] = labels.nextInt(k);
        }
        Tensor yReal = onehot(be, real, k), yFake = onehot(be, fake, k);
        Tensor gIn = Conditioning.generatorInput(be, z, yFake, be.zeros(b, cfg.nz() + k, 1, 1));
        return new Batch(xReal, yReal, gIn, yFake);
    }

    private static Tensor latents(Backend be, int b, int nz, boolean image, long seed) {
        Tensor z = image ? be.zeros(b, nz, 1, 1) : be.zeros(b, nz);
        NoiseStream zs = NoiseStream.derive(seed, "numerics z");
        be.normal(z, zs.seed(), zs.take(z.size()));
        return z;
    }

    private static Tensor onehot(Backend be, int[] labels, int k) {
        float[] host = new float[labels.length * k];
        Conditioning.onehot(labels, labels.length, k, host);
        return be.upload(host, labels.length, k);
    }
}
