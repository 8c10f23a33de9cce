package dev.sparring.nn;

import dev.sparring.backend.Backend;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A named network: a root layer registered under a prefix, so that its state carries the names of a PyTorch
 * state_dict ("main.0.weight", "main.1.running_mean", ...).
 */
public final class Network {
    private final String name;
    private final Layer root;
    private final int[] inputShape;   // per-sample input shape
    private final Map<String, Parameter> params = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Map<String, Layer> counterOwners = new LinkedHashMap<>();
    private final List<Tensor> values, grads;        // the parameters' values and gradients, in registration order
    private final String[] counterNames, counterLocal;   // each counter's full name and its name in its layer
    private final Layer[] counterLayers;

    public Network(String name, String prefix, Layer root, int... inputShape) {
        this.name = name;
        this.root = root;
        this.inputShape = inputShape.clone();
        root.collect(prefix.isEmpty() ? "" : prefix + ".", params, buffers, counterOwners);
        List<Tensor> v = new ArrayList<>(), g = new ArrayList<>();
        for (Parameter p : params.values()) {
            v.add(p.value());
            g.add(p.grad());
        }
        this.values = Collections.unmodifiableList(v);
        this.grads = Collections.unmodifiableList(g);
        this.counterNames = counterOwners.keySet().toArray(new String[0]);
        this.counterLocal = new String[counterNames.length];
        this.counterLayers = new Layer[counterNames.length];
        for (int i = 0; i < counterNames.length; i++) {
            counterLocal[i] = counterNames[i].substring(counterNames[i].lastIndexOf('.') + 1);
            counterLayers[i] = counterOwners.get(counterNames[i]);
        }
    }

    public String name() { return name; }

    public Layer root() { return root; }

    public Backend backend() { return root.backend(); }

    public int[] inputShape() { return inputShape.clone(); }

    public int[] outputShape(int batch) {
        int[] s = new int[inputShape.length + 1];
        s[0] = batch;
        System.arraycopy(inputShape, 0, s, 1, inputShape.length);
        return root.outputShape(s);
    }

    public Tensor forward(Tensor x, Pass pass) { return root.forward(x, pass); }

    public Tensor backward(Tensor dy, Pass pass, boolean inputGrad, boolean paramGrads) {
        return root.backward(dy, pass, inputGrad, paramGrads);
    }

    /** Named parameters in registration order. */
    public Map<String, Parameter> namedParameters() { return Collections.unmodifiableMap(params); }

    /** Named non-trainable buffers (running statistics). */
    public Map<String, Tensor> namedBuffers() { return Collections.unmodifiableMap(buffers); }

    /** Host-side counters (num_batches_tracked) by name. */
    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (var e : counterOwners.entrySet()) {
            String local = e.getKey().substring(e.getKey().lastIndexOf('.') + 1);
            m.put(e.getKey(), e.getValue().counters().get(local));
        }
        return m;
    }

    public void setCounter(String name, long value) {
        Layer owner = counterOwners.get(name);
        if (owner == null) throw new IllegalArgumentException(this.name + " has no counter " + name);
        owner.setCounter(name.substring(name.lastIndexOf('.') + 1), value);
    }

    /** The parameters' values in registration order (one unmodifiable list, made once). */
    public List<Tensor> values() { return values; }

    /** The parameters' gradients in registration order (one unmodifiable list, made once). */
    public List<Tensor> grads() { return grads; }

    public void zeroGrad() {
        for (int i = 0; i < grads.size(); i++) backend().fill(grads.get(i), 0f);
    }

    /**
     * Sets every counter to the value of the counter of the same name in {@code src}, a network of the same
     * architecture (G_ema from G after each step), without building the {@link #counters()} map.
     */
    public void copyCountersFrom(Network src) {
        if (!Arrays.equals(counterNames, src.counterNames)) {
            throw new IllegalArgumentException(name + " and " + src.name + " have different counters");
        }
        for (int i = 0; i < counterNames.length; i++) counterLayers[i].setCounter(counterLocal[i], src.counterLayers[i].counter(counterLocal[i]));
    }

    public long parameterCount() {
        long n = 0;
        for (Parameter p : params.values()) n += p.value().size();
        return n;
    }

    /**
     * Loads this network's state (parameters, buffers, counters) from the tensors {@code prefix + name} of a safetensors
     * file, checking each shape: a checkpoint's {@code G.}/{@code D.} part, or a feature network's weights ("").
     */
    public void loadState(SafeTensorsFile f, String prefix) throws IOException {
        for (Map.Entry<String, Parameter> e : params.entrySet()) load(f, prefix + e.getKey(), e.getValue().value());
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) load(f, prefix + e.getKey(), e.getValue());
        for (String c : counterOwners.keySet()) {
            String key = prefix + c;
            if (!f.contains(key)) throw missing(f, key);
            long[] v = f.getI64(key);
            if (v.length != 1) throw new IOException(f.path() + ": " + key + " should hold one value, has " + v.length);
            setCounter(c, v[0]);
        }
    }

    private void load(SafeTensorsFile f, String key, Tensor into) throws IOException {
        if (!f.contains(key)) throw missing(f, key);
        try {
            backend().copyFromHost(f.getF32(key, into.shape()), into);
        } catch (RuntimeException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new IOException(m.startsWith(f.path().toString()) ? m : f.path() + ": tensor " + key + ": " + m, e);
        }
    }

    private static IOException missing(SafeTensorsFile f, String key) {
        return new IOException(f.path() + ": no tensor '" + key + "' (was it written for a different model?)");
    }
}
