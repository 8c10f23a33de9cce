package dev.sparring.gan;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.nn.Act;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.ConvTranspose2d;
import dev.sparring.nn.Init;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import dev.sparring.nn.Projection;
import dev.sparring.nn.Reshape;
import dev.sparring.nn.Sequential;
import dev.sparring.random.NoiseStream;

import java.util.ArrayList;
import java.util.List;

/**
 * DCGAN generator and critic as in Radford, Metz &amp; Chintala (2016) and PyTorch's DCGAN example, whose
 * state_dict names and layouts these networks share ({@code main.0.weight}, ConvTranspose weights as
 * (in, out, kH, kW), {@code main.1.running_mean}, ...), so weights move between the two.
 *
 * <p>G: z (N, nz, 1, 1) -> ConvT(nz, ngf*2^(L-1), k0, 1, 0) + BN + ReLU -> [ConvT(4, 2, 1) + BN + ReLU]* ->
 * ConvT(ngf, C, 4, 2, 1) + Tanh. D mirrors it: Conv(C, ndf, 4, 2, 1) + LeakyReLU(0.2) -> [Conv(4, 2, 1) + BN +
 * LeakyReLU(0.2)]* -> Conv(ndf*2^(L-1), 1, k0, 1, 0), a raw logit (no sigmoid; the loss decides). k0 = 4 for
 * 32 and 64 px (4x4 base), 7 for 28 px (7x7 base).
 *
 * <p>Conditioned on K classes ({@link Config#classes}), G takes z' = [z, onehot(y)] (N, nz + K, 1, 1): its first
 * transposed convolution on a 1 x 1 input is a linear map, so the one-hot part adds a learned per-class base feature
 * map (a class embedding) to z's, with nothing else of the network changed. The critic becomes a projection
 * discriminator ({@link Projection}): D(x, y) = ψ(φ(x)) + ⟨E[y], φ(x)⟩, φ(x) the last features flattened and ψ the
 * unconditional critic's last convolution.
 *
 * <p>Each batch norm applies the ReLU or LeakyReLU after it as it writes its output, and takes that activation's
 * backward into its own ({@link BatchNorm2d#fuse}): one pass over the tensor instead of two each way, with the same
 * bits. The activation layers stay in the networks (main.2, ...), so the layers and their names are those of PyTorch's
 * DCGAN either way.
 */
public final class Dcgan {
    private Dcgan() { }

    /** Refuses an image side the DCGAN is not built for (it takes 28, 32 or 64 px). */
    public static void requireImageSize(int imageSize) {
        if (imageSize != 28 && imageSize != 32 && imageSize != 64) {
            throw new UserError("--image-size " + imageSize + ": the DCGAN is built for 28, 32 or 64 px");
        }
    }

    /**
     * Size of a DCGAN: image side (28, 32 or 64), channels, latent size, feature widths, and the number of classes it is
     * conditioned on (0: unconditional).
     */
    public record Config(int imageSize, int channels, int nz, int ngf, int ndf, int classes) {
        public Config {
            requireImageSize(imageSize);
            if (channels < 1) throw new UserError("channels must be >= 1, got " + channels);
            if (nz < 1 || ngf < 1 || ndf < 1) throw new UserError("nz, ngf, ndf must be >= 1");
            if (classes < 0 || classes == 1) throw new IllegalArgumentException("classes must be 0 (unconditional) or >= 2, got " + classes);
        }

        /** An unconditional DCGAN. */
        public Config(int imageSize, int channels, int nz, int ngf, int ndf) { this(imageSize, channels, nz, ngf, ndf, 0); }

        public boolean conditional() { return classes > 0; }

        /** G's input channels: z, and with classes the one-hot label after it. */
        public int inputChannels() { return nz + classes; }

        /** Number of stride-2 stages: 2 for 28 px (7->14->28), 3 for 32, 4 for 64. */
        public int stages() { return imageSize == 28 ? 2 : Integer.numberOfTrailingZeros(imageSize) - 2; }

        /** Side of the base feature map that G's first layer produces. */
        public int baseSize() { return imageSize == 28 ? 7 : 4; }
    }

    public static Network generator(Backend be, Config c, NoiseStream init) { return generator(be, c, init, true); }

    /** The generator, with each batch norm and the ReLU after it fused ({@link BatchNorm2d#fuse}) or as two layers. */
    public static Network generator(Backend be, Config c, NoiseStream init, boolean fuse) {
        int L = c.stages();
        List<Layer> ls = new ArrayList<>();
        int width = c.ngf() << (L - 1);
        ls.add(new ConvTranspose2d(be, c.inputChannels(), width, c.baseSize(), 1, 0, false));
        addBatchNorm(ls, be, width, Act.relu(be), fuse);
        for (int i = 1; i < L; i++) {
            ls.add(new ConvTranspose2d(be, width, width / 2, 4, 2, 1, false));
            width /= 2;
            addBatchNorm(ls, be, width, Act.relu(be), fuse);
        }
        ls.add(new ConvTranspose2d(be, width, c.channels(), 4, 2, 1, false));
        ls.add(Act.tanh(be));
        Network g = new Network("G", "main", new Sequential(be, ls), c.inputChannels(), 1, 1);
        initWeights(be, ls, init);
        return g;
    }

    public static Network discriminator(Backend be, Config c, NoiseStream init) { return discriminator(be, c, init, true); }

    /** The critic, with each batch norm and the LeakyReLU after it fused ({@link BatchNorm2d#fuse}) or as two layers. */
    public static Network discriminator(Backend be, Config c, NoiseStream init, boolean fuse) {
        int L = c.stages();
        List<Layer> ls = new ArrayList<>();
        int width = c.ndf();
        ls.add(new Conv2d(be, c.channels(), width, 4, 2, 1, false));
        ls.add(Act.leakyRelu(be, 0.2));
        for (int i = 1; i < L; i++) {
            ls.add(new Conv2d(be, width, width * 2, 4, 2, 1, false));
            width *= 2;
            addBatchNorm(ls, be, width, Act.leakyRelu(be, 0.2), fuse);
        }
        ls.add(new Conv2d(be, width, 1, c.baseSize(), 1, 0, false));
        ls.add(new Reshape(be));   // (N, 1, 1, 1) -> (N)
        if (!c.conditional()) {
            Network d = new Network("D", "main", new Sequential(be, ls), c.channels(), c.imageSize(), c.imageSize());
            initWeights(be, ls, init);
            return d;
        }
        // the projection critic: φ(x) = the last features (N, width, base, base) flattened, ψ = the last conv (a linear
        // map of φ), named as the unconditional critic's main.0 ... main.6; E (K, F) as embedding.weight
        int body = ls.size() - 2;
        List<String> names = new ArrayList<>();
        for (int i = 0; i < ls.size(); i++) names.add(Integer.toString(i));
        Projection p = new Projection(be, new Sequential(be, ls.subList(0, body), names.subList(0, body)),
                new Sequential(be, ls.subList(body, ls.size()), names.subList(body, ls.size())),
                width * c.baseSize() * c.baseSize(), c.classes());
        Network d = new Network("D", "", p, c.channels(), c.imageSize(), c.imageSize());
        initWeights(be, ls, init);
        Init.normal(be, p.embedding.value(), 0.0, 0.02, init);
        return d;
    }

    /** A batch norm of {@code channels} and the activation after it, fused or not. */
    private static void addBatchNorm(List<Layer> ls, Backend be, int channels, Act act, boolean fuse) {
        BatchNorm2d bn = new BatchNorm2d(be, channels);
        ls.add(bn);
        ls.add(fuse ? bn.fuse(act) : act);
    }

    /** The projection layer of a conditional critic ({@link #discriminator} with classes), to give it labels. */
    public static Projection projection(Network d) {
        if (d.root() instanceof Projection p) return p;
        throw new IllegalArgumentException(d.name() + " is not a conditional critic");
    }

    /** DCGAN initialisation: conv weights ~ N(0, 0.02), BN gamma ~ N(1, 0.02), beta = 0. */
    static void initWeights(Backend be, List<Layer> layers, NoiseStream init) {
        for (Layer l : layers) {
            if (l instanceof BatchNorm2d bn) {
                Init.normal(be, bn.weight.value(), 1.0, 0.02, init);
                be.fill(bn.bias.value(), 0f);
            } else {
                for (Parameter p : l.parameters()) {
                    if (p.name().equals("weight")) Init.normal(be, p.value(), 0.0, 0.02, init);
                    else be.fill(p.value(), 0f);
                }
            }
        }
    }
}
