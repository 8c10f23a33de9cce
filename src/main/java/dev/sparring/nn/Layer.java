package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A layer with an explicit forward and backward, in the manner of llm.c and Caffe: buffers are set up once
 * per shape and reused; backward reads what forward cached for the same {@link Pass#slot()}.
 *
 * <p>Gradient contract: {@code backward} returns dx (written, or null when {@code inputGrad} is false) and,
 * when {@code paramGrads} is true, adds its parameter gradients into {@link Parameter#grad()} (+=).
 * Returned tensors are owned by the layer and valid until the next call for the same slot.
 */
public abstract class Layer {
    protected final Backend be;
    /** Per-slot output and input-gradient buffers, reallocated only when the shape changes. */
    private final Tensor[] outputs = new Tensor[Pass.SLOTS];
    private final Tensor[] inputGrads = new Tensor[Pass.SLOTS];
    /** Per-slot buffers of {@link #doubleBackward}: gradient with respect to dy, and second-order part for x. */
    private final Tensor[] gradDys = new Tensor[Pass.SLOTS], gradXs = new Tensor[Pass.SLOTS];

    protected Layer(Backend be) { this.be = be; }

    public abstract Tensor forward(Tensor x, Pass pass);

    public abstract Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads);

    /**
     * Second-order pass (see {@link DoubleBackward}): the backward of this layer's {@code backward(dy)} with input
     * gradient on and parameter gradients off, for the slot's cached forward. {@code gradDx} is the gradient of a
     * scalar P with respect to the dx that backward returned, {@code dy} the upstream gradient backward was given.
     * Adds into {@link Parameter#grad()} P's gradient through backward's use of the parameters, and returns P's
     * gradient with respect to dy and with respect to this layer's input x through backward's use of x (null
     * where backward does not use x). Returned tensors are owned by the layer, valid until the next call for the slot.
     */
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no double backward (" + DoubleBackward.HAVE + " have)");
    }

    /**
     * The second-order pass of a backward that also computed parameter gradients: as {@link #doubleBackward(Tensor,
     * Tensor, Pass)}, where P also depends on the parameter gradients that backward added, with {@code gradDParams}
     * = dP/d(dθ), one per {@link #parameters()} in order (null or empty: P does not depend on them). {@code gradDx}
     * must be given (zeros where P does not depend on dx). Consensus optimization ({@code train.GameJacobian}) uses
     * it; layers without parameters inherit the first-order-only pass.
     */
    public DoubleBackward.Grads doubleBackward(Tensor gradDx, Tensor dy, Pass pass, List<Tensor> gradDParams) {
        if (gradDParams == null || gradDParams.isEmpty()) return doubleBackward(gradDx, dy, pass);
        throw new UnsupportedOperationException(getClass().getSimpleName() + " has no double backward through its parameter gradients");
    }

    /** Output shape for an input shape (batch dimension included). */
    public abstract int[] outputShape(int[] inputShape);

    /** Trainable parameters, named as in a PyTorch state_dict relative to this layer ("weight", "bias"). */
    public List<Parameter> parameters() { return List.of(); }

    /** Non-trainable state saved in checkpoints ("running_mean", "running_var"). */
    public Map<String, Tensor> buffers() { return Map.of(); }

    /** Host-side counters saved in checkpoints (BatchNorm's num_batches_tracked). */
    public Map<String, Long> counters() { return Map.of(); }

    /** The value of one of {@link #counters()}. */
    public long counter(String name) {
        Long v = counters().get(name);
        if (v == null) throw new IllegalArgumentException(getClass().getSimpleName() + " has no counter " + name);
        return v;
    }

    public void setCounter(String name, long value) {
        throw new IllegalArgumentException(getClass().getSimpleName() + " has no counter " + name);
    }

    /**
     * Parameters and buffers of this layer and its children with PyTorch-style dotted names. A name that is already
     * taken (two unnamed children with the same state, see {@link Sequential}) is an error, not an overwrite.
     */
    public void collect(String prefix, Map<String, Parameter> params, Map<String, Tensor> buffers, Map<String, Layer> counterOwners) {
        for (Parameter p : parameters()) unique(params.putIfAbsent(prefix + p.name(), p), prefix + p.name());
        for (var e : buffers().entrySet()) unique(buffers.putIfAbsent(prefix + e.getKey(), e.getValue()), prefix + e.getKey());
        for (String c : counters().keySet()) unique(counterOwners.putIfAbsent(prefix + c, this), prefix + c);
    }

    private static void unique(Object previous, String name) {
        if (previous != null) throw new IllegalArgumentException("two tensors of a network are named " + name + ": name the layers apart");
    }

    public Backend backend() { return be; }

    protected final Tensor output(Pass pass, int... shape) {
        return outputs[pass.slot()] = ensure(outputs[pass.slot()], shape);
    }

    protected final Tensor inputGrad(Pass pass, int... shape) {
        return inputGrads[pass.slot()] = ensure(inputGrads[pass.slot()], shape);
    }

    /** Buffer for {@link #doubleBackward}'s gradient with respect to dy. */
    protected final Tensor gradDy(Pass pass, int... shape) {
        return gradDys[pass.slot()] = ensure(gradDys[pass.slot()], shape);
    }

    /** Buffer for {@link #doubleBackward}'s gradient with respect to x. */
    protected final Tensor gradX(Pass pass, int... shape) {
        return gradXs[pass.slot()] = ensure(gradXs[pass.slot()], shape);
    }

    /** The output buffer of x's shape: {@link #output} without making a shape array when the buffer is kept. */
    protected final Tensor outputLike(Pass pass, Tensor x) {
        return outputs[pass.slot()] = like(outputs[pass.slot()], x);
    }

    /** The output buffer (n, c, h, w): {@link #output} without making a shape array when the buffer is kept. */
    protected final Tensor output(Pass pass, int n, int c, int h, int w) {
        Tensor y = outputs[pass.slot()];
        if (y != null && y.rank() == 4 && y.dim(0) == n && y.dim(1) == c && y.dim(2) == h && y.dim(3) == w) return y;
        return outputs[pass.slot()] = ensure(y, n, c, h, w);
    }

    /** The output buffer (n, c): {@link #output} without making a shape array when the buffer is kept. */
    protected final Tensor output(Pass pass, int n, int c) {
        return outputs[pass.slot()] = ensure(outputs[pass.slot()], n, c);
    }

    /** The input-gradient buffer of x's shape (see {@link #outputLike}). */
    protected final Tensor inputGradLike(Pass pass, Tensor x) {
        return inputGrads[pass.slot()] = like(inputGrads[pass.slot()], x);
    }

    /** {@link #gradDy} of dy's shape (see {@link #outputLike}). */
    protected final Tensor gradDyLike(Pass pass, Tensor dy) {
        return gradDys[pass.slot()] = like(gradDys[pass.slot()], dy);
    }

    /** {@link #gradX} of x's shape (see {@link #outputLike}). */
    protected final Tensor gradXLike(Pass pass, Tensor x) {
        return gradXs[pass.slot()] = like(gradXs[pass.slot()], x);
    }

    /** t if it has the shape of {@code shapeOf}, else a new zero tensor of that shape (closing t). */
    protected final Tensor like(Tensor t, Tensor shapeOf) {
        return t != null && t.sameShape(shapeOf) ? t : ensure(t, shapeOf.shape());
    }

    /** {@link #ensure(Tensor, int...)} for a matrix (rows, cols), without making a shape array when t is kept. */
    protected final Tensor ensure(Tensor t, int rows, int cols) {
        if (t != null && t.rank() == 2 && t.dim(0) == rows && t.dim(1) == cols) return t;
        return ensure(t, new int[] {rows, cols});
    }

    /** Returns t if it has this shape, else a new zero tensor (closing t). */
    protected final Tensor ensure(Tensor t, int... shape) {
        if (t != null && t.sameShape(shape)) return t;
        if (t != null) t.close();
        return be.zeros(shape);
    }

    /**
     * Views of tensors a layer is given, the last two per slot (a slot's backward may alternate between two upstream
     * gradients, as the critic's fake slot does between the critic's and the generator's loss), made again only when
     * the base tensor or the shape changes: a step that sees the same buffers as the last ones makes none (a view holds
     * no memory of its own).
     */
    protected final class Views {
        private final Tensor[] bases = new Tensor[2 * Pass.SLOTS], views = new Tensor[2 * Pass.SLOTS];
        private final int[] older = new int[Pass.SLOTS];   // per slot: which of its two entries to replace next

        /** base seen as (rows, cols). */
        public Tensor of(Pass pass, Tensor base, int rows, int cols) {
            int s = pass.slot();
            for (int i = 2 * s; i < 2 * s + 2; i++) {
                Tensor v = views[i];
                if (bases[i] == base && v.rank() == 2 && v.dim(0) == rows && v.dim(1) == cols) return v;
            }
            return keep(s, base, be.view(base, rows, cols));
        }

        /** base seen with this shape (an array the caller keeps: it is compared, not copied, when the view is kept). */
        public Tensor of(Pass pass, Tensor base, int[] shape) {
            int s = pass.slot();
            for (int i = 2 * s; i < 2 * s + 2; i++) if (bases[i] == base && views[i].sameShape(shape)) return views[i];
            return keep(s, base, be.view(base, shape));
        }

        private Tensor keep(int slot, Tensor base, Tensor view) {
            int i = 2 * slot + older[slot];
            older[slot] ^= 1;
            bases[i] = base;
            return views[i] = view;
        }
    }

    protected static void requireCached(Tensor x, Pass pass, String layer) {
        if (x == null) throw new IllegalStateException(layer + ".backward for slot " + pass.slot() + " without a forward");
    }

    protected static IllegalArgumentException badInput(String layer, Tensor x, String expected) {
        return new IllegalArgumentException(layer + ": input " + Arrays.toString(x.shape()) + ", expected " + expected);
    }

    /** Convenience: a parameter and its zero gradient. */
    protected final Parameter param(String name, int... shape) {
        return new Parameter(name, be.zeros(shape), be.zeros(shape));
    }

    static Map<String, Tensor> ordered(Object... kv) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Tensor) kv[i + 1]);
        return m;
    }
}
