package dev.sparring.train;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything that defines a training run. Saved as config.json in the run folder and inside every
 * checkpoint, so that a resumed run is the same run.
 *
 * @param data            dataset spec (see {@link dev.sparring.data.Datasets#open}): "mnist", "ring8", "grid25", an IDX file, a folder
 * @param model           "dcgan" or "mlp" ("auto": mlp for 2-D data, dcgan for images)
 * @param imageSize       DCGAN image side: 28, 32 or 64
 * @param channels        image channels (0: the dataset's own)
 * @param upscale         allow images smaller than imageSize to be upscaled
 * @param nz              latent size
 * @param ngf             generator width (DCGAN)
 * @param ndf             critic width (DCGAN)
 * @param hidden          hidden units (MLP)
 * @param depth           hidden layers (MLP)
 * @param loss            loss spec, e.g. "ns", "wgan", "lsgan:a=0,b=1,c=1" or a formula
 * @param optimizer       "adam", "rmsprop" or "sgd"
 * @param lrD             critic learning rate
 * @param lrG             generator learning rate
 * @param beta1           Adam beta1
 * @param dSteps          critic steps per generator step (k)
 * @param clip            critic weight clipping c (0: none)
 * @param simultaneous    update G and D from the same batch and parameters at the last critic step
 * @param batch           batch size
 * @param epochs          passes over a finite dataset (ignored when steps > 0)
 * @param steps           generator steps to train (0: use epochs)
 * @param seed            run seed: initial weights, noise, data order
 * @param sampleEvery     write a fixed-noise sample grid every this many generator steps (0: only at the end)
 * @param logEvery        metrics are read from the device in blocks of this many steps
 * @param checkpointEvery write a checkpoint every this many generator steps (0: only at the end)
 */
public record TrainConfig(
        String data, String model, int imageSize, int channels, boolean upscale, int nz, int ngf, int ndf, int hidden, int depth,
        String loss, String optimizer, double lrD, double lrG, double beta1, int dSteps, double clip,
        boolean simultaneous, int batch, int epochs, long steps, long seed,
        int sampleEvery, int logEvery, int checkpointEvery) {

    public TrainConfig {
        require(batch >= 1, "--batch must be >= 1, got " + batch);
        require(dSteps >= 1, "--d-steps must be >= 1, got " + dSteps);
        require(lrD > 0 && lrG > 0, "--lr-d and --lr-g must be > 0");
        require(clip >= 0, "--clip must be >= 0, got " + clip);
        require(epochs >= 0 && steps >= 0 && (epochs > 0 || steps > 0), "set --epochs or --steps to a positive number");
        require(logEvery >= 1, "--log-every must be >= 1");
        require(sampleEvery >= 0 && checkpointEvery >= 0, "--sample-every and --checkpoint-every must be >= 0");
        require(nz >= 1 && ngf >= 1 && ndf >= 1 && hidden >= 1 && depth >= 1, "model sizes must be >= 1");
        require(model.equals("dcgan") || model.equals("mlp") || model.equals("auto"), "--model must be dcgan, mlp or auto, got " + model);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    /** The defaults of {@code sparring train}: the MNIST DCGAN sized to train an epoch fast on a CPU. */
    public static TrainConfig defaults() {
        return new TrainConfig("mnist", "auto", 28, 0, false, 64, 32, 32, 128, 3,
                "nsgan", "adam", 2e-4, 2e-4, 0.5, 1, 0, false, 32, 5, 0, 1,
                200, 10, 500);
    }

    /** Field name to value, in declaration order (for config.json and checkpoints). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        try {
            for (RecordComponent rc : TrainConfig.class.getRecordComponents()) m.put(rc.getName(), rc.getAccessor().invoke(this));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
        return m;
    }

    /** A copy with one field changed, by name: {@code cfg.with("steps", 100)}. */
    public TrainConfig with(String field, Object value) {
        Map<String, Object> m = toMap();
        if (!m.containsKey(field)) throw new IllegalArgumentException("TrainConfig has no field '" + field + "'");
        m.put(field, value);
        return fromMap(m);
    }

    /** Rebuilds a config from {@link #toMap()}'s output (numbers may come back as Long or Double from JSON). */
    public static TrainConfig fromMap(Map<String, ?> m) {
        RecordComponent[] rcs = TrainConfig.class.getRecordComponents();
        Object[] args = new Object[rcs.length];
        Class<?>[] types = new Class<?>[rcs.length];
        for (int i = 0; i < rcs.length; i++) {
            String n = rcs[i].getName();
            types[i] = rcs[i].getType();
            if (!m.containsKey(n)) throw new IllegalArgumentException("config is missing '" + n + "'");
            Object v = m.get(n);
            args[i] = switch (types[i].getName()) {
                case "int" -> ((Number) v).intValue();
                case "long" -> ((Number) v).longValue();
                case "double" -> ((Number) v).doubleValue();
                case "boolean" -> v instanceof String str ? Boolean.parseBoolean(str) : (Boolean) v;
                default -> (String) v;
            };
        }
        try {
            return TrainConfig.class.getDeclaredConstructor(types).newInstance(args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
