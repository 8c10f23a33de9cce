package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Layers applied in order; children are named "0", "1", ... as in PyTorch's nn.Sequential. */
public final class Sequential extends Layer {
    private final List<Layer> layers;

    public Sequential(Backend be, List<Layer> layers) {
        super(be);
        this.layers = List.copyOf(layers);
    }

    public List<Layer> layers() { return layers; }

    @Override
    public int[] outputShape(int[] s) {
        for (Layer l : layers) s = l.outputShape(s);
        return s;
    }

    @Override
    public Tensor forward(Tensor x, Pass pass) {
        for (Layer l : layers) x = l.forward(x, pass);
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
        for (int i = 0; i < layers.size(); i++) layers.get(i).collect(prefix + i + ".", params, buffers, counterOwners);
    }
}
