package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Datasets;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.Mlp;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.linalg.Eigenvalues.Eigenvalue;
import dev.sparring.nn.Network;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.GameJacobian;
import dev.sparring.train.JacobianSpectrum;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.TrainingRun;
import dev.sparring.viz.ScatterPlot;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code sparring numerics --checkpoint RUN --eigs K}: the K largest-magnitude eigenvalues of a trained MLP game's
 * Jacobian ({@link JacobianSpectrum}), printed and drawn in the complex plane. Kept apart from the command's options so
 * that it can join another analysis of the same command as one alternative of its source.
 */
final class CheckpointSpectrum {
    private CheckpointSpectrum() { }

    static int run(Path checkpoint, int eigs, Integer krylov, Integer batch, long seed, Path out, OverwriteOption overwrite,
                   DeviceOption device, java.io.PrintWriter o) throws Exception {
        if (eigs < 1) throw new UserError("--eigs must be >= 1, got " + eigs);
        if (krylov != null && krylov < eigs) throw new UserError("--krylov must be >= --eigs (" + eigs + "), got " + krylov);
        if (batch != null && batch < 1) throw new UserError("--batch must be >= 1, got " + batch);
        overwrite.check("--out", out);
        Path file = TrainingRun.findCheckpoint(checkpoint, "--checkpoint");
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        if (cfg.model() != TrainConfig.Model.MLP) {
            throw new UserError("--eigs works for MLP models only (2-D data): " + file + " holds a " + cfg.model()
                    + " (its game Jacobian exists, --consensus uses it; --eigs does not build image games yet)");
        }
        int b = batch == null ? cfg.batch() : batch;
        TrainLoss loss = TrainLoss.of(GanLoss.parse(cfg.loss()));
        Mixture2D data = (Mixture2D) Datasets.open(cfg.data(), 0, 0);
        try (Backend be = device.create()) {
            Mlp.Config mc = new Mlp.Config(cfg.nz(), cfg.hidden(), cfg.depth(), 2);
            Network g = Mlp.generator(be, mc, new NoiseStream(0, 0)), d = Mlp.discriminator(be, mc, new NoiseStream(0, 0));
            Checkpoint.loadNetwork(f, be, "G.", g);
            Checkpoint.loadNetwork(f, be, "D.", d);
            float[] x = new float[2 * b];
            data.sample(NoiseStream.derive(seed, "numerics data"), x, b);
            Tensor xReal = be.upload(x, b, 2), z = be.zeros(b, cfg.nz()), stats = be.zeros(16);
            NoiseStream zs = NoiseStream.derive(seed, "numerics z");
            be.normal(z, zs.seed(), zs.take(z.size()));
            try (GameJacobian jac = new GameJacobian(g, d, loss)) {
                jac.field(xReal, z, stats, 0, 5);
                long n = g.parameterCount() + d.parameterCount();
                int m = (int) Math.min(n, krylov == null ? Math.max(4L * eigs, 60) : krylov);
                if (eigs > m) throw new UserError("--eigs " + eigs + ": the game has only " + n + " parameters");
                long t0 = System.nanoTime();
                List<Eigenvalue> ev = JacobianSpectrum.largest(jac, eigs, m, seed);
                double secs = (System.nanoTime() - t0) / 1e9;
                o.printf(Locale.ROOT, "game Jacobian of %s (%,d parameters; loss %s) at a batch of %d, %d Arnoldi steps in %.1f s:%n",
                        file, n, cfg.loss(), b, m, secs);
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
}
