package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Layers applied in order. Children are named "0", "1", ... as in PyTorch's nn.Sequential, or by the names given
 * ({@link #builder}), as the attributes of a PyTorch module are: a child named "conv" puts its weight at
 * "conv.weight". An unnamed child (a null name) adds its state under this layer's own prefix, as if it were this
 * layer's: for a stateless step (a pooling, which PyTorch calls as a function) or a group of layers that PyTorch
 * keeps as attributes of the enclosing module (the branches of an Inception block, see {@link Concat}).
 */
public final class Sequential extends Layer {
    private final List<Layer> layers;
    private final List<String> names;   // per layer; null: unnamed

    /** Children named "0", "1", ... */
    public Sequential(Backend be, List<Layer> layers) {
        this(be, layers, indexNames(layers.size()));
    }

    /** Children with these names (a null name: unnamed, see the class comment); names must differ. */
    public Sequential(Backend be, List<Layer> layers, List<String> names) {
        super(be);
        if (layers.size() != names.size()) throw new IllegalArgumentException("Sequential: " + layers.size() + " layers but " + names.size() + " names");
        Set<String> seen = new HashSet<>();
        for (String n : names) {
            if (n != null && (n.isEmpty() || n.contains(".") || !seen.add(n))) {
                throw new IllegalArgumentException("Sequential: child name '" + n + "' is empty, has a dot or is used twice");
            }
        }
        this.layers = List.copyOf(layers);
        this.names = Collections.unmodifiableList(new ArrayList<>(names));
    }

    private static List<String> indexNames(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(Integer.toString(i));
        return l;
    }

    /** Builds a Sequential child by child, each named or not. */
    public static Builder builder(Backend be) { return new Builder(be); }

    public static final class Builder {
        private final Backend be;
        private final List<Layer> layers = new ArrayList<>();
        private final List<String> names = new ArrayList<>();

        private Builder(Backend be) { this.be = be; }

        /** A child whose state is named "name.weight", ... */
        public Builder add(String name, Layer layer) {
            layers.add(layer);
            names.add(name);
            return this;
        }

        /** An unnamed child: its state (if any) is named as this Sequential's own. */
        public Builder add(Layer layer) { return add(null, layer); }

        public Sequential build() { return new Sequential(be, layers, names); }
    }

    public List<Layer> layers() { return layers; }

    /** The children's names, null for an unnamed one. */
    public List<String> names() { return names; }

    @Override
    public int[] outputShape(int[] s) {
        for (Layer l : layers) s = l.outputShape(s);
        return s;
    }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        for (int i = 0; i < layers.size(); i++) x = layers.get(i).forward(x, pass);
        return x;
    }

    /** Backward in reverse order; inner layers always pass an input gradient down. */
    @Override
    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        for (int i = layers.size() - 1; i >= 0; i--) {
            dy = layers.get(i).backward(dy, pass, i > 0 || inputGrad, paramGrads);
        }
        return dy;
    }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> all = new ArrayList<>();
        for (Layer l : layers) all.addAll(l.parameters());
        return all;
    }

    @Override
    public void collect(String prefix, Map<String, Parameter> params, Map<String, Tensor> buffers, Map<String, Layer> counterOwners) {
        for (int i = 0; i < layers.size(); i++) {
            String name = names.get(i);
            layers.get(i).collect(name == null ? prefix : prefix + name + ".", params, buffers, counterOwners);
        }
    }
}
