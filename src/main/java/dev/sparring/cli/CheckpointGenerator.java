package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.data.Dataset;
import dev.sparring.data.ImageDataset;
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
import java.nio.file.Path;

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
        ModelSize size = size(cfg);
        Backend.Memory mem = be.memoryAvailable();
        size.require(batch, "to sample in batches of " + batch + " (--batch)", size.samplingBytes(batch), mem.bytes(), mem.where());
        NoiseStream init = new NoiseStream(0, 0);   // the builders need one; the checkpoint overwrites every weight
        this.g = mlp ? Mlp.generator(be, new Mlp.Config(cfg.nz(), cfg.hidden(), cfg.depth(), 2), init)
                : Dcgan.generator(be, new Dcgan.Config(cfg.imageSize(), cfg.channels(), cfg.nz(), cfg.ngf(), cfg.ndf(), cfg.classes()), init);
        this.ema = useEma && Checkpoint.hasEma(f, g);
        Checkpoint.loadNetwork(f, be, ema ? Checkpoint.EMA_PREFIX : "G.", g);
    }

    /** The size of a checkpoint's networks. */
    static ModelSize size(TrainConfig cfg) {
        return cfg.model() == TrainConfig.Model.MLP ? ModelSize.mlp(cfg.nz(), cfg.hidden(), cfg.depth(), 2)
                : ModelSize.dcgan(cfg.imageSize(), cfg.channels(), cfg.nz(), cfg.ngf(), cfg.ndf(), cfg.classes());
    }

    /** The checkpoint's critic D (an MLP's or a DCGAN's, a projection critic for a conditional run), built on be and loaded. */
    static Network critic(Backend be, SafeTensorsFile f, TrainConfig cfg) throws IOException {
        NoiseStream init = new NoiseStream(0, 0);   // the builders need one; the checkpoint overwrites every weight
        Network d = cfg.model() == TrainConfig.Model.MLP ? Mlp.discriminator(be, new Mlp.Config(cfg.nz(), cfg.hidden(), cfg.depth(), 2), init)
                : Dcgan.discriminator(be, new Dcgan.Config(cfg.imageSize(), cfg.channels(), cfg.nz(), cfg.ngf(), cfg.ndf(), cfg.classes()), init);
        Checkpoint.loadNetwork(f, be, "D.", d);
        return d;
    }

    /**
     * The images a DCGAN checkpoint's run trained on, opened again from its config; refused in one line naming the
     * checkpoint when they no longer open as its images, or, for a conditional run, no longer have labels.
     * {@code command} prefixes the data's warnings.
     */
    static ImageDataset trainingImages(Path file, TrainConfig cfg, String command) {
        Dataset data = cfg.openData(w -> System.err.println(command + ": " + w));
        if (!(data instanceof ImageDataset images) || images.channels() != cfg.channels() || images.height() != cfg.imageSize()
                || images.width() != cfg.imageSize()) {
            throw new UserError("--checkpoint " + file + ": its data (" + cfg.data() + ") no longer opens as the " + cfg.imageSize() + " x "
                    + cfg.imageSize() + " images the run trained on");
        }
        if (cfg.classes() > 0 && images.labels() == null) throw new UserError("--checkpoint " + file + ": a conditional run, but its data has no labels now");
        return images;
    }

    /** Images {@code idx[from .. from + k)} of {@code images} in the networks' [-1, 1] convention (k, C, H, W), as training gathers them. */
    static float[] pixels(ImageDataset images, int[] idx, int from, int k) {
        int item = images.channels() * images.height() * images.width();
        byte[] px = images.pixels();
        float[] x = new float[k * item];
        for (int i = 0; i < k; i++) {
            int src = idx[from + i];
            for (int j = 0; j < item; j++) x[i * item + j] = (px[src * item + j] & 0xFF) / 127.5f - 1f;
        }
        return x;
    }

    /** n distinct indices of [0, size): the first n of a Fisher–Yates shuffle drawn from {@code rng}. */
    static int[] pick(int size, int n, NoiseStream rng) {
        int[] all = new int[size];
        for (int i = 0; i < size; i++) all[i] = i;
        for (int i = 0; i < n; i++) {
            int j = i + rng.nextInt(size - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, n);
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
