package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.Mlp;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainingRun;
import dev.sparring.viz.ImageGrid;
import dev.sparring.viz.ScatterPlot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = "Draw samples from a trained generator into a PNG grid (a scatter plot for 2-D models).")
public final class SampleCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, description = "a checkpoint file, or a run folder (its newest checkpoint)")
    Path checkpoint;
    @Option(names = "--n", defaultValue = "64", description = "number of samples")
    int n;
    @Option(names = "--cols", defaultValue = "8", description = "grid columns")
    int cols;
    @Option(names = "--seed", defaultValue = "0", description = "latent noise seed")
    long seed;
    @Option(names = "--out", defaultValue = "samples.png", description = "output PNG")
    Path out;
    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu or cuda")
    String device;

    @Override
    public Integer call() throws Exception {
        if (n < 1) throw new UserError("--n must be >= 1, got " + n);
        if (cols < 1) throw new UserError("--cols must be >= 1, got " + cols);
        Path file = TrainingRun.findCheckpoint(checkpoint);
        SafeTensorsFile f = TrainingRun.open(file);
        TrainConfig cfg = Checkpoint.config(f);
        try (Backend be = dev.sparring.backend.Backends.create(device, System.err)) {
            NoiseStream init = new NoiseStream(0, 0);   // the builders need one; the checkpoint overwrites every weight
            boolean mlp = cfg.model().equals("mlp");
            Network g;
            int[] zShape;
            if (mlp) {
                g = Mlp.generator(be, new Mlp.Config(cfg.nz(), cfg.hidden(), cfg.depth(), 2), init);
                zShape = new int[]{n, cfg.nz()};
            } else {
                g = Dcgan.generator(be, new Dcgan.Config(cfg.imageSize(), cfg.channels(), cfg.nz(), cfg.ngf(), cfg.ndf()), init);
                zShape = new int[]{n, cfg.nz(), 1, 1};
            }
            Checkpoint.loadNetwork(f, be, "G.", g);
            try (Tensor z = be.zeros(zShape)) {
                NoiseStream rng = NoiseStream.derive(seed, "sample");
                be.normal(z, rng.seed(), rng.take(z.size()));
                float[] x = be.download(g.forward(z, Pass.train(0)));
                if (mlp) {
                    Mixture2D m = (Mixture2D) dev.sparring.data.Datasets.open(cfg.data(), 0, 0);
                    ScatterPlot.write(out, x, n, m.centers(), file.getFileName().toString());
                } else {
                    int[] s = g.outputShape(n);
                    ImageGrid.write(out, x, n, s[1], s[2], s[3], cols);
                }
            }
        }
        System.err.println("wrote " + n + " samples from " + file + " to " + out);
        return 0;
    }
}
