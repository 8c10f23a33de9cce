package dev.sparring.lab.features;

import dev.sparring.backend.Backend;
import dev.sparring.nn.Act;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Projection;
import dev.sparring.nn.Sequential;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * The outputs of a DCGAN critic's convolution blocks, read on the forward pass: each block is a {@link Conv2d},
 * optionally a {@link BatchNorm2d}, and the activation after it ({@link Act}, LeakyReLU 0.2), and its tap is the
 * activation's output (post-activation), flattened per image (C·H·W values). The last convolution, which maps the
 * last block to the critic's score and has no activation, is not a block: its output is the score ({@link #forward}
 * returns it beside the taps).
 *
 * <p>The taps walk the critic's body layer by layer, as its own forward would, by default in {@link Pass#EVAL}: batch
 * norm normalises with the checkpoint's running statistics (the moving averages over the training batches, real and
 * fake alike), so an image's features depend on that image alone and real and fake images are normalised the same way.
 * In training each batch was normalised by its own statistics, real and fake batches apart; a training pass over a
 * batch of real or of fake images only ({@link #forward(Tensor, Tensor, Pass)}) shows the critic as it saw them there. For a projection critic (a conditional run) the body is
 * its φ, which takes no labels; the score D(x, y) = ψ(φ(x)) + ⟨E[y], φ(x)⟩ does, so the labels are set before the
 * score's forward.
 */
public final class CriticTaps {
    /** One tap: its name ("block 1"), the state names of its layers ("main.0 conv + main.1 act"), its per-image shape. */
    public record Tap(String name, String layers, int[] shape) {
        public int size() {
            int s = 1;
            for (int d : shape) s *= d;
            return s;
        }

        /** "64 x 14 x 14". */
        public String shapeText() {
            StringBuilder b = new StringBuilder();
            for (int d : shape) b.append(b.isEmpty() ? "" : " x ").append(d);
            return b.toString();
        }
    }

    private final Network critic;
    private final Backend be;
    private final List<Layer> body;
    private final List<String> names;
    private final List<Integer> tapAfter = new ArrayList<>();   // index into body of each tap's activation
    private final List<Tap> taps = new ArrayList<>();

    /** The taps of a DCGAN critic ({@code gan.Dcgan.discriminator}: a Sequential, or a Projection over one). */
    public CriticTaps(Network critic) {
        this.critic = critic;
        this.be = critic.backend();
        Layer root = critic.root() instanceof Projection p ? p.features() : critic.root();
        if (!(root instanceof Sequential s)) throw new IllegalArgumentException("CriticTaps: " + critic.name() + " is not a DCGAN critic (no Sequential body)");
        this.body = s.layers();
        this.names = s.names();
        int[] shape = withBatch(critic.inputShape());
        int conv = -1;
        StringBuilder parts = new StringBuilder();
        for (int i = 0; i < body.size(); i++) {
            Layer l = body.get(i);
            shape = l.outputShape(shape);
            if (l instanceof Conv2d) {
                conv = i;
                parts.setLength(0);
            }
            if (conv >= 0) parts.append(parts.isEmpty() ? "" : " + ").append("main.").append(names.get(i)).append(' ').append(kind(l));
            if (l instanceof Act && conv >= 0) {
                tapAfter.add(i);
                taps.add(new Tap("block " + (taps.size() + 1), parts.toString(), java.util.Arrays.copyOfRange(shape, 1, shape.length)));
                conv = -1;
            }
        }
        if (taps.isEmpty()) throw new IllegalArgumentException("CriticTaps: " + critic.name() + " has no convolution followed by an activation");
    }

    private static int[] withBatch(int[] item) {
        int[] s = new int[item.length + 1];
        s[0] = 1;
        System.arraycopy(item, 0, s, 1, item.length);
        return s;
    }

    private static String kind(Layer l) {
        return l instanceof Conv2d ? "conv" : l instanceof BatchNorm2d ? "batch norm" : l instanceof Act a ? a.kind.name().toLowerCase(java.util.Locale.ROOT) : l.getClass().getSimpleName();
    }

    public List<Tap> taps() { return List.copyOf(taps); }

    /** A batch's taps (one (N, size) host array per tap, in order) and the critic's scores (N). */
    public record Outputs(float[][] taps, float[] scores) { }

    /** {@link #forward(Tensor, Tensor, Pass)} in {@link Pass#EVAL}: batch norm with the running statistics. */
    public Outputs forward(Tensor x, Tensor onehot) { return forward(x, onehot, Pass.EVAL); }

    /**
     * Runs x (N, C, H, W) through the critic in {@code pass}: the taps from a walk of the body, then the scores from the
     * critic's own forward ({@code onehot} (N, K) the labels of a projection critic, else null). A training pass
     * normalises the batch by its own statistics, as the critic did in training (and moves the running statistics in
     * memory, as training does).
     */
    public Outputs forward(Tensor x, Tensor onehot, Pass pass) {
        float[][] out = new float[taps.size()][];
        Tensor h = x;
        int t = 0;
        for (int i = 0; i < body.size() && t < taps.size(); i++) {
            h = body.get(i).forward(h, pass);
            if (tapAfter.get(t) == i) out[t++] = be.download(h);
        }
        if (critic.root() instanceof Projection p) {
            if (onehot == null) throw new IllegalArgumentException("CriticTaps: a projection critic needs the images' labels");
            p.labels(pass, onehot);
        } else if (onehot != null) {
            throw new IllegalArgumentException("CriticTaps: an unconditional critic takes no labels");
        }
        float[] scores = be.download(critic.forward(x, pass));
        return new Outputs(out, scores);
    }
}
