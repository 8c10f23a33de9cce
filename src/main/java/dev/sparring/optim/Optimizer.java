package dev.sparring.optim;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import dev.sparring.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An optimizer over all parameters of one network, updated in a single backend call per step (one launch
 * on the GPU). Its state tensors are named "&lt;param&gt;.&lt;slot&gt;" for checkpoints.
 */
public abstract class Optimizer {
    protected final Backend be;
    protected final List<Tensor> params = new ArrayList<>(), grads = new ArrayList<>();
    protected final List<String> names = new ArrayList<>();
    protected float lr;
    protected long step;

    protected Optimizer(Network net, float lr) {
        this.be = net.backend();
        this.lr = lr;
        for (var e : net.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            names.add(e.getKey());
            params.add(p.value());
            grads.add(p.grad());
        }
    }

    /** One update from the accumulated gradients. */
    public final void step() {
        step++;
        update();
    }

    protected abstract void update();

    /** Short name ("adam", "rmsprop", "sgd"). */
    public abstract String name();

    /** State tensors by name, e.g. "main.0.weight.exp_avg". */
    public abstract Map<String, Tensor> state();

    public long stepCount() { return step; }

    public void setStepCount(long step) { this.step = step; }

    public float learningRate() { return lr; }

    /** Sets the learning rate of the following steps (the trainer sets it from its schedule before every step). */
    public void setLearningRate(float lr) {
        if (!(lr > 0) || Float.isInfinite(lr)) throw new UserError("learning rate must be finite and > 0, got " + lr);
        this.lr = lr;
    }

    protected List<Tensor> zerosLike() {
        List<Tensor> l = new ArrayList<>();
        for (Tensor p : params) l.add(be.zeros(p.shape()));
        return l;
    }

    protected Map<String, Tensor> named(String suffix, List<Tensor> ts, Map<String, Tensor> into) {
        for (int i = 0; i < ts.size(); i++) into.put(names.get(i) + "." + suffix, ts.get(i));
        return into;
    }

    protected static Map<String, Tensor> map() { return new LinkedHashMap<>(); }

    /**
     * Builds an optimizer of a kind: adam (betas beta1, beta2; eps 1e-8), rmsprop (alpha beta2, no momentum, eps 1e-8;
     * beta1 unused), sgd (momentum 0.9; beta1, beta2 unused). A GAN loss's usual values are its
     * {@link dev.sparring.train.TrainerDefaults}: Adam(0.5, 0.999), RMSProp alpha 0.99.
     */
    public static Optimizer create(Kind kind, Network net, float lr, float beta1, float beta2) {
        return switch (kind) {
            case ADAM -> new Adam(net, lr, beta1, beta2, 1e-8f, 0f);
            case RMSPROP -> new RmsProp(net, lr, beta2, 1e-8f);
            case SGD -> new Sgd(net, lr, 0.9f);
        };
    }

    /** The optimizers a run trains with, named in lowercase as {@code --optimizer} and config.json name them. */
    public enum Kind {
        ADAM, RMSPROP, SGD;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }

        /** The optimizer of a lowercase name: adam, rmsprop or sgd. */
        public static Kind parse(String name) {
            for (Kind k : values()) if (k.toString().equals(name)) return k;
            throw new UserError("unknown optimizer '" + name + "' (choose adam, rmsprop or sgd)");
        }
    }
}
