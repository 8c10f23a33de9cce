package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.io.Json;
import dev.sparring.io.SafeTensors;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import dev.sparring.optim.Optimizer;
import dev.sparring.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A training checkpoint in safetensors: everything a run needs to continue bit-identically.
 *
 * <p>Tensors: {@code G.<name>} and {@code D.<name>} hold each network's PyTorch state_dict (parameters,
 * running_mean/var, and num_batches_tracked as an I64 scalar), so {@code G.*} with the prefix removed loads into
 * PyTorch's DCGAN example; {@code G_ema.<name>} (a run that keeps one, {@link TrainConfig#ema()}) holds the moving
 * average of G's weights under the same names, with G's running statistics and counters; {@code optG.<param>.<state>} and {@code optD.…} hold optimizer state (exp_avg,
 * exp_avg_sq, square_avg, momentum_buffer). Metadata (strings): format, config (JSON), step, real_batches,
 * data_counter, z_counter (and label_counter, a conditional run's fake-label stream), optG_step, optD_step, loss, backend. Writes are atomic (temp file + rename).
 */
public final class Checkpoint {
    public static final String FORMAT = "sparring-checkpoint/1";

    /** The prefix of G_ema's tensors. */
    public static final String EMA_PREFIX = "G_ema.";

    private Checkpoint() { }

    public static void save(Trainer t, Path file) throws IOException {
        Backend be = t.backend();
        SafeTensors.Writer w = SafeTensors.writer();
        putNetwork(w, be, "G.", t.generator());
        if (t.emaGenerator() != null) putNetwork(w, be, EMA_PREFIX, t.emaGenerator());
        putNetwork(w, be, "D.", t.critic());
        putOptimizer(w, be, "optG.", t.generatorOptimizer());
        putOptimizer(w, be, "optD.", t.criticOptimizer());
        w.putMetadata("format", FORMAT);
        w.putMetadata("config", Json.write(t.config()));
        w.putMetadata("step", Long.toString(t.stepCount()));
        w.putMetadata("real_batches", Long.toString(t.realBatches().consumed()));
        w.putMetadata("data_counter", Long.toString(t.realBatches().streamCounter()));
        w.putMetadata("z_counter", Long.toString(t.latentStream().counter()));
        if (t.labelStream() != null) w.putMetadata("label_counter", Long.toString(t.labelStream().counter()));
        w.putMetadata("optG_step", Long.toString(t.generatorOptimizer().stepCount()));
        w.putMetadata("optD_step", Long.toString(t.criticOptimizer().stepCount()));
        w.putMetadata("loss", t.loss().spec());
        w.putMetadata("backend", be.name());
        w.write(file);
    }

    private static void putNetwork(SafeTensors.Writer w, Backend be, String prefix, Network net) {
        for (Map.Entry<String, Parameter> e : net.namedParameters().entrySet()) {
            put(w, be, prefix + e.getKey(), e.getValue().value());
        }
        for (Map.Entry<String, Tensor> e : net.namedBuffers().entrySet()) put(w, be, prefix + e.getKey(), e.getValue());
        for (Map.Entry<String, Long> e : net.counters().entrySet()) w.putI64(prefix + e.getKey(), new long[]{e.getValue()});
    }

    private static void putOptimizer(SafeTensors.Writer w, Backend be, String prefix, Optimizer opt) {
        for (Map.Entry<String, Tensor> e : opt.state().entrySet()) put(w, be, prefix + e.getKey(), e.getValue());
    }

    private static void put(SafeTensors.Writer w, Backend be, String name, Tensor t) {
        w.putF32(name, be.download(t), t.shape());
    }

    /** Reads the run configuration stored in a checkpoint. */
    public static TrainConfig config(SafeTensorsFile f) throws IOException {
        String format = f.metadata().get("format");
        if (!FORMAT.equals(format)) {
            throw new IOException(f.path() + ": not a Sparring checkpoint (metadata format is " + format + ", expected " + FORMAT + ")");
        }
        String json = require(f, "config");
        try {
            return TrainConfig.fromMap(Json.parseObject(json, f.path() + " (config)"));
        } catch (RuntimeException e) {
            throw new IOException(f.path() + ": invalid config in checkpoint: " + e.getMessage(), e);
        }
    }

    /** The generator step a checkpoint was written at (the steps its run had trained). */
    public static long step(SafeTensorsFile f) throws IOException { return longMeta(f, "step"); }

    /** Restores weights, statistics, optimizer state and loop position into a trainer built from the same config. */
    public static void restore(Trainer t, SafeTensorsFile f) throws IOException {
        Backend be = t.backend();
        loadNetwork(f, be, "G.", t.generator());
        if (t.emaGenerator() != null) loadNetwork(f, be, EMA_PREFIX, t.emaGenerator());
        loadNetwork(f, be, "D.", t.critic());
        loadOptimizer(f, be, "optG.", t.generatorOptimizer());
        loadOptimizer(f, be, "optD.", t.criticOptimizer());
        t.generatorOptimizer().setStepCount(longMeta(f, "optG_step"));
        t.criticOptimizer().setStepCount(longMeta(f, "optD_step"));
        t.latentStream().setCounter(longMeta(f, "z_counter"));
        if (t.labelStream() != null) t.labelStream().setCounter(longMeta(f, "label_counter"));
        t.realBatches().restore(longMeta(f, "real_batches"), longMeta(f, "data_counter"));
        t.restorePosition(longMeta(f, "step"));
    }

    /**
     * Whether a checkpoint holds G_ema with every tensor of {@code g}'s state (checkpoints of runs without EMA, and
     * those written before it existed, hold none).
     */
    public static boolean hasEma(SafeTensorsFile f, Network g) {
        for (String name : g.namedParameters().keySet()) if (!f.contains(EMA_PREFIX + name)) return false;
        for (String name : g.namedBuffers().keySet()) if (!f.contains(EMA_PREFIX + name)) return false;
        for (String name : g.counters().keySet()) if (!f.contains(EMA_PREFIX + name)) return false;
        return true;
    }

    /** Loads only a network's state (for {@code sparring sample}); {@code be} is the network's backend. */
    public static void loadNetwork(SafeTensorsFile f, Backend be, String prefix, Network net) throws IOException {
        if (be != net.backend()) throw new IllegalArgumentException("loadNetwork: the network lives on " + net.backend().name() + ", not " + be.name());
        net.loadState(f, prefix);
    }

    private static void loadOptimizer(SafeTensorsFile f, Backend be, String prefix, Optimizer opt) throws IOException {
        for (Map.Entry<String, Tensor> e : opt.state().entrySet()) load(f, be, prefix + e.getKey(), e.getValue());
    }

    private static void load(SafeTensorsFile f, Backend be, String name, Tensor into) throws IOException {
        if (!f.contains(name)) throw missing(f, name);
        try {
            be.copyFromHost(f.getF32(name, into.shape()), into);
        } catch (RuntimeException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new IOException(m.startsWith(f.path().toString()) ? m : f.path() + ": tensor " + name + ": " + m, e);
        }
    }

    private static IOException missing(SafeTensorsFile f, String name) {
        return new IOException(f.path() + ": checkpoint has no tensor '" + name + "' (was it written for a different model?)");
    }

    private static String require(SafeTensorsFile f, String key) throws IOException {
        String v = f.metadata().get(key);
        if (v == null) throw new IOException(f.path() + ": checkpoint metadata lacks '" + key + "'");
        return v;
    }

    private static long longMeta(SafeTensorsFile f, String key) throws IOException {
        String v = require(f, key);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IOException(f.path() + ": checkpoint metadata '" + key + "' is not an integer: " + v);
        }
    }
}
