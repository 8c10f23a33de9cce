package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.eval.features.MnistClassifier;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.Mlp;
import dev.sparring.gan.ModelSize;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.Conditioning;
import dev.sparring.train.TrainConfig;

import java.io.IOException;

/**
 * The generator of a checkpoint, and the samples it draws for {@code sparring sample} and {@code sparring classify}:
 * latent noise from the stream (seed, "sample"), generated in batches, each normalised by its own batch statistics as
 * in training, so that the same seed, number and batch give the same samples in both commands.
 */
final class CheckpointGenerator {
    /** Receives the samples [done, done + k) as a tensor (k, ...) owned by the generator, valid until the next batch. */
    interface Batch { void accept(int done, int k, Tensor samples) throws IOException; }

    final TrainConfig cfg;
    final boolean mlp;
    final Network g;
    /** Whether g holds the checkpoint's G_ema (else its G). */
    final boolean ema;
    private final Backend be;

    /**
     * Builds the checkpoint's generator on {@code be} and loads its weights, after checking that sampling in batches of
     * {@code batch} fits the backend's memory: G_ema when {@code useEma} and the checkpoint has it, else G (the raw
     * generator: {@code --no-ema}, or a checkpoint of a run without EMA).
     */
    CheckpointGenerator(Backend be, SafeTensorsFile f, TrainConfig cfg, int batch, boolean useEma) throws IOException {
        this.be = be;
        this.cfg = cfg;
        this.mlp = cfg.model() == TrainConfig.Model.MLP;
        ModelSize size = mlp ? ModelSize.mlp(cfg.nz(), cfg.hidden(), cfg.depth(), 2)
                : ModelSize.dcgan(cfg.imageSize(), cfg.channels(), cfg.nz(), cfg.ngf(), cfg.ndf(), cfg.classes());
        Backend.Memory mem = be.memoryAvailable();
        size.require(batch, "to sample in batches of " + batch + " (--batch)", size.samplingBytes(batch), mem.bytes(), mem.where());
        NoiseStream init = new NoiseStream(0, 0);   // the builders need one; the checkpoint overwrites every weight
        this.g = mlp ? Mlp.generator(be, new Mlp.Config(cfg.nz(), cfg.hidden(), cfg.depth(), 2), init)
                : Dcgan.generator(be, new Dcgan.Config(cfg.imageSize(), cfg.channels(), cfg.nz(), cfg.ngf(), cfg.ndf(), cfg.classes()), init);
        this.ema = useEma && Checkpoint.hasEma(f, g);
        Checkpoint.loadNetwork(f, be, ema ? Checkpoint.EMA_PREFIX : "G.", g);
    }

    /** Which generator draws the samples, for the commands' output: "G_ema" or "G". */
    String which() { return ema ? "G_ema" : "G"; }

    /**
     * Refuses a checkpoint whose generator does not draw 28 x 28 gray digits, the only images the MNIST classifier
     * takes; {@code what} names the checkpoint as the message should ("--checkpoint FILE").
     */
    static void requireDigits(TrainConfig cfg, String what) {
        if (cfg.model() == TrainConfig.Model.MLP || cfg.imageSize() != MnistClassifier.SIZE || cfg.channels() != 1) {
            String model = cfg.model() == TrainConfig.Model.MLP ? "a 2-D model (" + cfg.data() + ")"
                    : "a generator of " + cfg.imageSize() + " x " + cfg.imageSize() + " images with " + cfg.channels() + " channel" + (cfg.channels() == 1 ? "" : "s");
            throw new UserError(what + " holds " + model + "; the MNIST classifier takes 28 x 28 gray digits");
        }
    }

    /** The number of classes of a conditional generator; 0 for an unconditional one. */
    int classes() { return cfg.classes(); }

    /**
     * The class of sample i of {@link #generate} for a conditional generator: {@code only} when it is >= 0 (sample
     * --class), else {@link Conditioning#balanced} (i mod K).
     */
    static int label(long i, int classes, int only) { return only >= 0 ? only : Conditioning.balanced(i, classes); }

    /** Draws n samples in batches of at most {@code batch} from the latent stream of {@code seed}; balanced classes. */
    void generate(int n, int batch, long seed, Batch body) throws IOException { generate(n, batch, seed, -1, null, body); }

    /** As {@link #generate(int, int, long, Batch)}, handing each batch's latents (k, nz, ...) to {@code latents} first (when not null). */
    void generate(int n, int batch, long seed, Batch latents, Batch body) throws IOException { generate(n, batch, seed, -1, latents, body); }

    /**
     * Draws n samples in batches of at most {@code batch} from the latent stream of {@code seed}; a conditional
     * generator's of class {@code only} (>= 0), or of class i mod K for sample i (-1). The latent stream is the same
     * either way: z of sample i does not depend on its class. Each batch's latents z (k, nz, ...), without the labels,
     * go to {@code latents} first (when not null).
     */
    void generate(int n, int batch, long seed, int only, Batch latents, Batch body) throws IOException {
        NoiseStream rng = NoiseStream.derive(seed, "sample");
        int classes = cfg.classes();
        Tensor z = null, input = null;
        try {
            for (int done = 0; done < n; done += batch) {
                int k = Math.min(batch, n - done);
                if (z == null || z.dim(0) != k) {
                    if (z != null) z.close();
                    if (input != null) input.close();
                    z = input = null;
                    z = be.zeros(mlp ? new int[]{k, cfg.nz()} : new int[]{k, cfg.nz(), 1, 1});
                    if (classes > 0) input = be.zeros(k, cfg.nz() + classes, 1, 1);
                }
                be.normal(z, rng.seed(), rng.take(z.size()));
                if (latents != null) latents.accept(done, k, z);
                if (classes > 0) {
                    float[] onehot = new float[k * classes];                       // (k, K)
                    for (int i = 0; i < k; i++) onehot[i * classes + label(done + i, classes, only)] = 1f;
                    try (Tensor y = be.upload(onehot, k, classes, 1, 1)) {
                        be.copyChannels(input, 0, z, 0, cfg.nz());
                        be.copyChannels(input, cfg.nz(), y, 0, classes);
                    }
                }
                body.accept(done, k, g.forward(classes > 0 ? input : z, Pass.TRAIN));
            }
        } finally {
            if (z != null) z.close();
            if (input != null) input.close();
        }
    }
}
