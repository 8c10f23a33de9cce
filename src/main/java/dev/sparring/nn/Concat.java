package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Branches applied to the same input, their outputs concatenated along channels: the Inception block
 * ({@code torch.cat([branch(x) for branch in branches], 1)}). Each branch is a layer, usually a {@link Sequential}
 * whose children carry the names PyTorch gives the block's attributes; the branches themselves are unnamed, so that
 * their state is named as the block's own: in Mixed_5b, the branch built as
 * {@code Sequential.builder(be).add("branch5x5_1", ...).add("branch5x5_2", ...)} puts its first weight at
 * {@code Mixed_5b.branch5x5_1.conv.weight}.
 *
 * <p>Backward splits dy by channels, runs each branch's backward and sums their input gradients, in branch order.
 */
public final class Concat extends Layer {
    private final List<Layer> branches;
    private final int[][] channels = new int[Pass.SLOTS][];               // each branch's output channels, per slot
    private final Tensor[] x = new Tensor[Pass.SLOTS];                    // cached input per slot
    private final Tensor[][] dys = new Tensor[Pass.SLOTS][];              // per slot: each branch's part of dy

    public Concat(Backend be, List<Layer> branches) {
        super(be);
        if (branches.isEmpty()) throw new IllegalArgumentException("Concat needs at least one branch");
        this.branches = List.copyOf(branches);
        for (int s = 0; s < Pass.SLOTS; s++) dys[s] = new Tensor[branches.size()];
    }

    public List<Layer> branches() { return branches; }

    @Override
    public int[] outputShape(int[] s) {
        int[] out = null;
        for (Layer b : branches) {
            int[] o = b.outputShape(s);
            if (out == null) out = o.clone();
            else if (o.length != out.length || o[0] != out[0] || o.length < 2 || !Arrays.equals(o, 2, o.length, out, 2, out.length)) {
                throw new IllegalArgumentException("Concat: branch outputs " + Arrays.toString(out) + " and "
                        + Arrays.toString(o) + " differ past the channels");
            } else out[1] += o[1];
        }
        return out;
    }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        int slot = pass.slot();
        Tensor y = output(pass, outputShape(x.shape()));
        int[] cs = new int[branches.size()];
        for (int i = 0, c0 = 0; i < branches.size(); i++) {
            Tensor yi = branches.get(i).forward(x, pass);
            cs[i] = yi.dim(1);
            be.copyChannels(y, c0, yi, 0, cs[i]);
            c0 += cs[i];
        }
        channels[slot] = cs;
        this.x[slot] = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        int slot = pass.slot();
        requireCached(x[slot], pass, "Concat");
        Tensor dx = inputGrad ? inputGrad(pass, x[slot].shape()) : null;
        int[] shape = dy.shape();
        for (int i = 0, c0 = 0; i < branches.size(); i++) {
            shape[1] = channels[slot][i];
            Tensor dyi = dys[slot][i] = ensure(dys[slot][i], shape);
            be.copyChannels(dyi, 0, dy, c0, shape[1]);
            c0 += shape[1];
            Tensor dxi = branches.get(i).backward(dyi, pass, inputGrad, paramGrads);
            if (!inputGrad) continue;
            if (i == 0) be.copy(dxi, dx);
            else be.axpy(1f, dxi, dx);
        }
        return dx;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        for (Layer b : branches) all.addAll(b.parameters());
        return all;
    }

    /** The branches' state under this layer's own prefix (the branches are unnamed). */
    @Override
    public void collect(String prefix, Map<String, Parameter> params, Map<String, Tensor> buffers, Map<String, Layer> counterOwners) {
        for (Layer b : branches) b.collect(prefix, params, buffers, counterOwners);
    }
}
