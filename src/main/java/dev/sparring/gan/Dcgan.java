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
 */
public final class Dcgan {
    private Dcgan() { }

    /** Refuses an image side the DCGAN is not built for (it takes 28, 32 or 64 px). */
    public static void requireImageSize(int imageSize) {
        if (imageSize != 28 && imageSize != 32 && imageSize != 64) {
            throw new UserError("--image-size " + imageSize + ": the DCGAN is built for 28, 32 or 64 px");
        }
    }

    /** Size of a DCGAN: image side (28, 32 or 64), channels, latent size and feature widths. */
    public record Config(int imageSize, int channels, int nz, int ngf, int ndf) {
        public Config {
            requireImageSize(imageSize);
            if (channels < 1) throw new UserError("channels must be >= 1, got " + channels);
            if (nz < 1 || ngf < 1 || ndf < 1) throw new UserError("nz, ngf, ndf must be >= 1");
        }

        /** Number of stride-2 stages: 2 for 28 px (7->14->28), 3 for 32, 4 for 64. */
        public int stages() { return imageSize == 28 ? 2 : Integer.numberOfTrailingZeros(imageSize) - 2; }

        /** Side of the base feature map that G's first layer produces. */
        public int baseSize() { return imageSize == 28 ? 7 : 4; }
    }

    public static Network generator(Backend be, Config c, NoiseStream init) {
        int L = c.stages();
        List<Layer> ls = new ArrayList<>();
        int width = c.ngf() << (L - 1);
        ls.add(new ConvTranspose2d(be, c.nz(), width, c.baseSize(), 1, 0, false));
        ls.add(new BatchNorm2d(be, width));
        ls.add(Act.relu(be));
        for (int i = 1; i < L; i++) {
            ls.add(new ConvTranspose2d(be, width, width / 2, 4, 2, 1, false));
            width /= 2;
            ls.add(new BatchNorm2d(be, width));
            ls.add(Act.relu(be));
        }
        ls.add(new ConvTranspose2d(be, width, c.channels(), 4, 2, 1, false));
        ls.add(Act.tanh(be));
        Network g = new Network("G", "main", new Sequential(be, ls), c.nz(), 1, 1);
        initWeights(be, ls, init);
        return g;
    }

    public static Network discriminator(Backend be, Config c, NoiseStream init) {
        int L = c.stages();
        List<Layer> ls = new ArrayList<>();
        int width = c.ndf();
        ls.add(new Conv2d(be, c.channels(), width, 4, 2, 1, false));
        ls.add(Act.leakyRelu(be, 0.2));
        for (int i = 1; i < L; i++) {
            ls.add(new Conv2d(be, width, width * 2, 4, 2, 1, false));
            width *= 2;
            ls.add(new BatchNorm2d(be, width));
            ls.add(Act.leakyRelu(be, 0.2));
        }
        ls.add(new Conv2d(be, width, 1, c.baseSize(), 1, 0, false));
        ls.add(new Reshape(be));   // (N, 1, 1, 1) -> (N)
        Network d = new Network("D", "main", new Sequential(be, ls), c.channels(), c.imageSize(), c.imageSize());
        initWeights(be, ls, init);
        return d;
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
