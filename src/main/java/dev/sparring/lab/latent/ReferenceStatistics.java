package dev.sparring.lab.latent;

import dev.sparring.backend.Backend;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Sequential;
import dev.sparring.tensor.Tensor;

/**
 * Batch normalisation with the statistics of one fixed reference batch, so that a generator's image of a latent depends
 * on that latent alone.
 *
 * <p>A DCGAN generator samples with batch statistics, as it trained (and as {@code sparring sample} draws): each image
 * is normalised by the mean and variance of its whole batch, so it changes a little with its batch-mates. A latent walk
 * generated that way is normalised by the walk itself, and a perceptual path length, which divides a tiny image
 * difference by ε², would measure the batch as much as the path. {@link #fix} instead runs a reference batch of
 * latents through the generator once, layer by layer, and stores each batch-norm layer's batch mean and (biased)
 * variance of that pass as its running statistics; the generator is then run in {@link Pass#EVAL}, where
 * {@code y = (x - mean) / sqrt(var + eps) · γ + β} is the training-mode formula with the reference batch's statistics.
 * The reference batch's own images are, to float rounding, what a training-mode pass over that batch draws.
 *
 * <p>This is "virtual batch normalisation" (Salimans et al. 2016) without adding the example itself to the reference
 * batch. It changes the network's running statistics in memory only; nothing is written back.
 */
public final class ReferenceStatistics {
    private ReferenceStatistics() { }

    /**
     * Runs {@code zRef} (R, ...) through {@code g} in eval mode, setting each batch-norm layer's running statistics to
     * the batch statistics of its input on the way, and returns how many layers it set. Afterwards
     * {@code g.forward(z, Pass.EVAL)} normalises every batch by the reference batch's statistics.
     */
    public static int fix(Backend be, Network g, Tensor zRef) {
        int[] count = {0};
        walk(be, g.root(), zRef, count);
        return count[0];
    }

    private static Tensor walk(Backend be, Layer l, Tensor x, int[] count) {
        if (l instanceof Sequential s) {
            for (Layer c : s.layers()) x = walk(be, c, x, count);
            return x;
        }
        if (l instanceof BatchNorm2d bn) {
            float[][] mv = meanAndVariance(be.download(x), x.shape());
            be.copyFromHost(mv[0], bn.runningMean);
            be.copyFromHost(mv[1], bn.runningVar);
            count[0]++;
        }
        return l.forward(x, Pass.EVAL);
    }

    /** Per channel of x (N, C, H, W) or (N, C): the mean and the biased variance over (N, H, W), in double. */
    static float[][] meanAndVariance(float[] x, int[] shape) {
        int n = shape[0], c = shape[1];
        int inner = 1;
        for (int i = 2; i < shape.length; i++) inner *= shape[i];
        float[] mean = new float[c], var = new float[c];
        long m = (long) n * inner;
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int i = 0; i < n; i++) for (int j = (i * c + ch) * inner, e = j + inner; j < e; j++) sum += x[j];
            double mu = sum / m, sq = 0;
            for (int i = 0; i < n; i++) {
                for (int j = (i * c + ch) * inner, e = j + inner; j < e; j++) { double d = x[j] - mu; sq += d * d; }
            }
            mean[ch] = (float) mu;
            var[ch] = (float) (sq / m);
        }
        return new float[][] {mean, var};
    }
}
