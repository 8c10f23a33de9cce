package dev.sparring.gan;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.nn.Act;
import dev.sparring.nn.Init;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Linear;
import dev.sparring.nn.Network;
import dev.sparring.nn.Reshape;
import dev.sparring.nn.Sequential;
import dev.sparring.random.NoiseStream;

import java.util.ArrayList;
import java.util.List;

/**
 * Small fully connected G and D for 2-D toy data (mixtures of Gaussians):
 * G: z (N, nz) -> [Linear + ReLU] x depth -> Linear(hidden, 2);
 * D: x (N, 2) -> [Linear + LeakyReLU(0.2)] x depth -> Linear(hidden, 1) -> a raw logit (N).
 * Initialised like PyTorch's nn.Linear: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 */
public final class Mlp {
    private Mlp() { }

    public record Config(int nz, int hidden, int depth, int dataDim) {
        public Config {
            if (nz < 1 || hidden < 1 || depth < 1 || dataDim < 1) throw new UserError("MLP sizes must be >= 1");
        }
    }

    public static Network generator(Backend be, Config c, NoiseStream init) {
        List<Layer> ls = new ArrayList<>();
        int in = c.nz();
        for (int i = 0; i < c.depth(); i++) {
            ls.add(new Linear(be, in, c.hidden(), true));
            ls.add(Act.relu(be));
            in = c.hidden();
        }
        ls.add(new Linear(be, in, c.dataDim(), true));
        init(be, ls, init);
        return new Network("G", "main", new Sequential(be, ls), c.nz());
    }

    public static Network discriminator(Backend be, Config c, NoiseStream init) {
        List<Layer> ls = new ArrayList<>();
        int in = c.dataDim();
        for (int i = 0; i < c.depth(); i++) {
            ls.add(new Linear(be, in, c.hidden(), true));
            ls.add(Act.leakyRelu(be, 0.2));
            in = c.hidden();
        }
        ls.add(new Linear(be, in, 1, true));
        ls.add(new Reshape(be));
        init(be, ls, init);
        return new Network("D", "main", new Sequential(be, ls), c.dataDim());
    }

    private static void init(Backend be, List<Layer> layers, NoiseStream rng) {
        for (Layer l : layers) {
            if (l instanceof Linear lin) {
                double bound = 1 / Math.sqrt(lin.in);
                Init.uniform(be, lin.weight.value(), bound, rng);
                Init.uniform(be, lin.bias.value(), bound, rng);
            }
        }
    }
}
