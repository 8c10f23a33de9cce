package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.data.Dataset;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.data.Mixture2D;
import dev.sparring.io.Json;
import dev.sparring.optim.Optimizer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Everything that defines a training run. Saved as config.json in the run folder and inside every
 * checkpoint, so that a resumed run is the same run. Made by {@link #builder()} ({@code sparring train}'s defaults)
 * or {@link #toBuilder()}: {@code TrainConfig.builder().data("ring8").steps(5000).build()}.
 *
 * @param data            dataset spec (see {@link dev.sparring.data.Datasets#open}): "mnist", "ring8", "grid25", an IDX file, a folder
 * @param model           DCGAN or MLP (AUTO: the MLP for 2-D data, the DCGAN for images; a {@link Trainer} resolves it)
 * @param imageSize       DCGAN image side: 28, 32 or 64
 * @param channels        image channels (0: the dataset's own)
 * @param upscale         allow images smaller than imageSize to be upscaled
 * @param skipBadImages   leave out the files of an image folder that cannot be used (corrupt, truncated, too small)
 *                        instead of refusing the folder; saved so that a resumed run opens its data the same way
 * @param nz              latent size
 * @param ngf             generator width (DCGAN)
 * @param ndf             critic width (DCGAN)
 * @param hidden          hidden units (MLP)
 * @param depth           hidden layers (MLP)
 * @param loss            loss spec, e.g. "ns", "wgan", "lsgan:a=0,b=1,c=1" or a formula
 * @param optimizer       Adam, RMSProp or SGD
 * @param lrD             critic learning rate (before any decay)
 * @param lrG             generator learning rate (before any decay)
 * @param lrDecayAt       generator steps after which both learning rates are multiplied by lrDecay, strictly increasing,
 *                        each >= 1; empty: constant rates. See {@link #lrDAt(long)} for what "after step S" means
 * @param lrDecay         the factor applied at each of lrDecayAt, in (0, 1]
 * @param beta1           Adam's beta1; RMSProp (no momentum) and SGD (momentum 0.9) do not use it
 * @param beta2           Adam's beta2; RMSProp's alpha (its squared-gradient decay); SGD does not use it
 * @param dSteps          critic steps per generator step (k)
 * @param clip            critic weight clipping c (0: none)
 * @param simultaneous    update G and D from the same batch and parameters at the last critic step
 * @param batch           batch size
 * @param epochs          passes over a finite dataset (ignored when steps > 0)
 * @param steps           generator steps to train (0: use epochs)
 * @param seed            run seed: initial weights, noise, data order
 * @param emaDecay        keep G_ema, an exponential moving average of the generator's weights, with this decay (0: none);
 *                        see {@link #emaDecayAfter(long)}. It only reads G: training is the same with or without it
 * @param emaStart        the generator step up to which G_ema is a copy of G (averaging starts after it)
 * @param sampleEvery     write a fixed-noise sample grid every this many generator steps (0: only at the end)
 * @param logEvery        metrics are read from the device in blocks of this many steps
 * @param checkpointEvery write a checkpoint every this many generator steps (0: only at the end)
 * @param fidEvery        measure the FID of the generator's samples every this many generator steps and at the end of
 *                        the run (0: never); see {@link FidEvaluator}
 * @param fidSamples      samples per FID measurement; the reference statistics take as many images of the training
 *                        data (all of them when it has fewer)
 * @param kid             measure the KID beside each FID
 * @param inceptionWeights with fidEvery: pytorch-fid's Inception-v3 weights as safetensors, whose pool3 features the FID
 *                        then uses (any images); "" for the MNIST classifier's (28 x 28 gray images only)
 * @param gp              WGAN-GP's gradient penalty weight lambda: lambda E(‖∇ₓD(x̂)‖ - 1)² at random interpolates x̂ of the
 *                        real and fake batch (0: none); see {@link GradientPenalties}
 * @param r1              R1's weight gamma: (gamma/2) E‖∇ₓD(x)‖² on the real batch (0: none)
 * @param r2              R2's weight gamma: (gamma/2) E‖∇ₓD(x)‖² on the fake batch (0: none)
 * @param regEvery        the penalties are applied at every regEvery-th critic step, their gradient scaled by regEvery
 *                        (StyleGAN2's lazy regularisation); 1: at every critic step
 * @param conditional     train a class-conditional DCGAN on the data's labels: G takes [z, onehot(y)], the critic is a
 *                        projection discriminator (see {@link dev.sparring.gan.Dcgan}). Left unset on a fresh
 *                        {@link #builder()}, it is true on the bundled digits and false on every other data
 *                        ({@link DigitDefaults#conditional}); a config.json without it (written before it existed) is false
 * @param classes         the number of classes of a conditional run (0: unconditional, or not yet resolved: a
 *                        {@link Trainer} sets it from the data's labels, see {@link #resolvedFor})
 * @param consensus       consensus optimization's gamma: both players step along v + gamma ∇(½‖v‖²) of the joint gradient
 *                        field v, updated simultaneously (0: none); see {@link GameJacobian}
 * @param consensusEstimator how ∇(½‖v‖²) is estimated from a batch: BIASED from the whole batch, UNBIASED as ∇(½ v₁·v₂)
 *                        from two independent half batches
 */
public record TrainConfig(
        String data, Model model, int imageSize, int channels, boolean upscale, boolean skipBadImages, int nz, int ngf, int ndf, int hidden, int depth,
        String loss, Optimizer.Kind optimizer, double lrD, double lrG, List<Long> lrDecayAt, double lrDecay,
        double beta1, double beta2, int dSteps, double clip,
        boolean simultaneous, int batch, int epochs, long steps, long seed, double emaDecay, long emaStart,
        int sampleEvery, int logEvery, int checkpointEvery,
        int fidEvery, int fidSamples, boolean kid, String inceptionWeights,
        double gp, double r1, double r2, int regEvery, boolean conditional, int classes,
        double consensus, ConsensusEstimator consensusEstimator) {

    public TrainConfig {
        require(batch >= 1, "--batch must be >= 1, got " + batch);
        require(dSteps >= 1, "--d-steps must be >= 1, got " + dSteps);
        require(lrD > 0 && lrG > 0, "--lr-d and --lr-g must be > 0");
        lrDecayAt = lrDecayAt == null ? List.of() : List.copyOf(lrDecayAt);
        for (int i = 0; i < lrDecayAt.size(); i++) {
            long s = lrDecayAt.get(i);
            require(s >= 1, "--lr-decay-at steps must be >= 1 (the rates drop after that generator step), got " + s);
            require(i == 0 || s > lrDecayAt.get(i - 1), "--lr-decay-at steps must be strictly increasing, got " + joined(lrDecayAt));
        }
        require(lrDecay > 0 && lrDecay <= 1, "--lr-decay must be in (0, 1] (a factor on the learning rates), got " + lrDecay);
        // the optimizers hold float rates and refuse one that is not finite and > 0 (Optimizer.setLearningRate): every
        // rate of the schedule must be such a float, or the run would stop with an error at the step that first uses it.
        // The rates only fall, so the first must be finite and the last (the same products as lrDAt/lrGAt) above 0.
        double lastD = lrD, lastG = lrG;
        for (int i = 0; i < lrDecayAt.size(); i++) {
            lastD *= lrDecay;
            lastG *= lrDecay;
        }
        require(Float.isFinite((float) lrD) && Float.isFinite((float) lrG),
                "--lr-d and --lr-g must be float32 numbers (below 3.4e38), got " + lrD + ", " + lrG);
        require((float) lastD > 0 && (float) lastG > 0, "the learning rates after " + lrDecayAt.size() + " drop"
                + (lrDecayAt.size() == 1 ? "" : "s") + " by --lr-decay " + lrDecay + " would be " + lastD + " (D) and " + lastG
                + " (G), 0 as float32 numbers: raise --lr-decay or --lr-d/--lr-g, or list fewer --lr-decay-at steps");
        require(beta1 >= 0 && beta1 < 1, "--beta1 must be in [0, 1), got " + beta1);
        require(beta2 >= 0 && beta2 < 1, "--beta2 must be in [0, 1), got " + beta2);
        require(clip >= 0 && clip < Double.POSITIVE_INFINITY, "--clip must be >= 0 and finite, got " + clip);
        require(epochs >= 0 && steps >= 0 && (epochs > 0 || steps > 0), "set --epochs or --steps to a positive number");
        require(emaDecay >= 0 && emaDecay < 1, "--ema-decay must be in [0, 1) (0: no EMA generator), got " + emaDecay);
        require(emaStart >= 0, "--ema-start must be >= 0, got " + emaStart);
        require(logEvery >= 1, "--log-every must be >= 1");
        require(sampleEvery >= 0 && checkpointEvery >= 0, "--sample-every and --checkpoint-every must be >= 0");
        require(fidEvery >= 0, "--fid-every must be >= 0 (0: no FID), got " + fidEvery);
        require(fidSamples >= 2, "--fid-samples must be >= 2 (a covariance needs two samples), got " + fidSamples);
        require(nz >= 1 && ngf >= 1 && ndf >= 1 && hidden >= 1 && depth >= 1, "model sizes must be >= 1");
        require(gp >= 0 && gp < Double.POSITIVE_INFINITY, "--gp must be >= 0 and finite (the gradient penalty's lambda; 0: none), got " + gp);
        require(r1 >= 0 && r1 < Double.POSITIVE_INFINITY, "--r1 must be >= 0 and finite (R1's gamma; 0: none), got " + r1);
        require(r2 >= 0 && r2 < Double.POSITIVE_INFINITY, "--r2 must be >= 0 and finite (R2's gamma; 0: none), got " + r2);
        require(regEvery >= 1, "--reg-every must be >= 1 (the penalties act at every k-th critic step), got " + regEvery);
        require(consensus >= 0 && consensus < Double.POSITIVE_INFINITY,
                "--consensus must be >= 0 and finite (consensus optimization's gamma; 0: none), got " + consensus);
        Objects.requireNonNull(consensusEstimator, "consensusEstimator");
        if (consensus > 0) {
            require(simultaneous, "--consensus needs --updates simultaneous: consensus optimization is defined on the "
                    + "simultaneous update of the joint gradient field, which alternating updates do not follow");
            require(!(gp > 0 || r1 > 0 || r2 > 0), "--consensus with --gp, --r1 or --r2 is not supported: the penalties' "
                    + "gradients are not part of the field v whose Jacobian consensus optimization differentiates");
            require(consensusEstimator != ConsensusEstimator.UNBIASED || batch % 2 == 0,
                    "--consensus-estimator unbiased splits the batch in two halves: --batch must be even, got " + batch);
            require(consensusEstimator != ConsensusEstimator.UNBIASED || dSteps == 1, "--consensus-estimator unbiased draws "
                    + "half batches of real data, which critic steps before the joint step cannot take: give --d-steps 1, got " + dSteps);
        }
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(inceptionWeights, "inceptionWeights");
        Objects.requireNonNull(optimizer, "optimizer");
        require(classes >= 0 && (conditional || classes == 0), "classes must be 0 without --conditional and >= 0 with it, got " + classes);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new UserError(message);
    }

    private static String joined(List<Long> steps) {
        return String.join(",", steps.stream().map(String::valueOf).toList());
    }

    /** The decay of G_ema when none is given (StyleGAN2-ADA's and PyTorch-StudioGAN's order of magnitude; see {@link #emaDecayAfter}). */
    public static final double DEFAULT_EMA_DECAY = 0.999;

    /** The decay factor when none is given: 0.1, as PyTorch's MultiStepLR and StepLR. */
    public static final double DEFAULT_LR_DECAY = 0.1;

    /**
     * The defaults of {@code sparring train}: the class-conditional MNIST DCGAN sized to train an epoch fast on a CPU, at
     * the rates of {@link DigitDefaults}.
     */
    public static TrainConfig defaults() {
        return new TrainConfig("mnist", Model.AUTO, 28, 0, false, false, 64, 32, 32, 128, 3,
                "nsgan", Optimizer.Kind.ADAM, 1.6e-3, 1.6e-3, List.of(), DEFAULT_LR_DECAY, 0.5, 0.999, 1, 0, false, 32, 5, 0, 1,
                DEFAULT_EMA_DECAY, 0, 200, 10, 500, 0, DEFAULT_FID_SAMPLES, true, "", 0, 0, 0, 1, true, 0, 0, ConsensusEstimator.BIASED);
    }

    /** Samples per FID measurement when none is given: as many as the bundled MNIST digits, and sparring fid's --n. */
    public static final int DEFAULT_FID_SAMPLES = 10_000;

    /**
     * A builder for a fresh run, as {@code sparring train} makes one from its flags: a field left unset takes the
     * default for what is set — the {@link #defaults()}, the loss's {@link TrainerDefaults} (optimizer, rates, betas,
     * critic steps, clipping), for the 28 px DCGAN the {@link DigitDefaults} (its Adam rates; on the bundled digits a
     * class-conditional run) and for 2-D data the {@link PointDefaults}. {@code builder().data("ring8").steps(5000)}
     * is the configuration of {@code sparring train --data ring8 --steps 5000}.
     */
    public static Builder builder() { return new Builder(defaults(), new java.util.HashSet<>()); }

    /** A builder that starts from this configuration: {@code cfg.toBuilder().steps(1000).build()}. */
    public Builder toBuilder() { return new Builder(this, null); }

    /**
     * This configuration with its automatic choices made for {@code data}, as a {@link Trainer} makes them (so that
     * config.json and checkpoints say what ran): model AUTO becomes the MLP for 2-D data and the DCGAN for images,
     * channels 0 the images' own, and a conditional run's classes 0 the number of classes of the data's labels
     * ({@link Conditioning#classes}, which refuses data that cannot be trained on conditionally).
     */
    public TrainConfig resolvedFor(Dataset data) {
        Builder b = toBuilder();
        if (model == Model.AUTO) b.model(data instanceof Mixture2D ? Model.MLP : Model.DCGAN);
        if (channels == 0 && data instanceof ImageDataset images) b.channels(images.channels());
        if (conditional) b.classes(Conditioning.classes(data, this));
        return b.build();
    }

    /** The dataset this configuration trains on, opened as it asks; {@code warn} is told what is left out of it. */
    public Dataset openData(Consumer<String> warn) {
        return Datasets.open(data, imageSize, channels, upscale, skipBadImages, warn);
    }

    /**
     * Refuses a rate drop at or after the last step, which would never change a rate: almost surely a mistaken step or
     * total. {@code typed}: the drops were given now (--lr-decay-at), not kept from the run being resumed.
     */
    public void requireDecaysWithin(long totalSteps, boolean typed) {
        for (long s : lrDecayAt) {
            if (s < totalSteps) continue;
            throw new UserError(typed
                    ? "--lr-decay-at " + s + ": the run ends at step " + totalSteps
                            + ", so the rates would never drop there (a step S lowers them from step S+1 on)"
                    : "the run's schedule lowers the rates after step " + s + " but the new total ends it at step " + totalSteps
                            + ", so that drop would never act: give a larger total, or --lr-decay-at without it");
        }
    }

    /** Whether any gradient penalty (WGAN-GP, R1, R2) acts on the critic. */
    public boolean penalized() { return gp > 0 || r1 > 0 || r2 > 0; }

    /** How consensus optimization estimates ∇(½‖v‖²): from the whole batch, or from two independent half batches. */
    public enum ConsensusEstimator {
        BIASED, UNBIASED;

        /** "biased" or "unbiased", as the flag and config.json write it. */
        public static ConsensusEstimator parse(String s) {
            for (ConsensusEstimator e : values()) if (e.name().equalsIgnoreCase(s)) return e;
            throw new UserError("--consensus-estimator must be biased or unbiased, got " + s);
        }

        @Override
        public String toString() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    /** Whether the run uses consensus optimization. */
    public boolean consensusOn() { return consensus > 0; }

    /** Whether the run keeps G_ema, the moving average of the generator's weights. */
    public boolean ema() { return emaDecay > 0; }

    /**
     * The decay of the G_ema update that follows generator step {@code stepsDone} (steps count from 1): 0, a copy of G,
     * up to step emaStart; after it min(emaDecay, (1 + n) / (10 + n)) at its n-th step, the warm-up of TensorFlow's
     * {@code ExponentialMovingAverage(num_updates)}. Without it a short run's average would still hold the weights it
     * started from (0.999^1560 = 21 % of them after the 1,560 steps of the default run); with it the average weighs
     * roughly the last tenth of the steps until the ramp reaches emaDecay (after 9 / (1 - emaDecay) steps: 8,991 at
     * 0.999). A pure function of the step counter, so a resumed run averages as an uninterrupted one.
     */
    public double emaDecayAfter(long stepsDone) {
        if (stepsDone <= emaStart) return 0;
        double n = stepsDone - emaStart;
        return Math.min(emaDecay, (1 + n) / (10 + n));
    }

    /** The network the run trains. */
    public enum Model {
        /** The MLP for 2-D data (ring8, grid25), the DCGAN for images: resolved when a {@link Trainer} opens the data. */
        AUTO,
        DCGAN,
        MLP;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }

        /** The model of a lowercase name, as {@code --model} and config.json name it: dcgan, mlp or auto. */
        public static Model parse(String name) {
            for (Model m : values()) if (m.toString().equals(name)) return m;
            throw new UserError("--model must be dcgan, mlp or auto, got " + name);
        }
    }

    // ---------------------------------------------------------------- the learning-rate schedule

    /**
     * How many decays are in force during generator step {@code stepsDone + 1}: the number of lrDecayAt entries
     * {@code <= stepsDone}. A pure function of the step counter, so a resumed run trains with the same rates.
     */
    public int decaysAfter(long stepsDone) {
        int n = 0;
        while (n < lrDecayAt.size() && lrDecayAt.get(n) <= stepsDone) n++;
        return n;
    }

    /**
     * The critic's learning rate during generator step {@code stepsDone + 1} (steps count from 1, as in metrics.jsonl
     * and checkpoint names), for its k critic updates: lrD times lrDecay once per lrDecayAt entry {@code <= stepsDone}.
     * With lrDecayAt = [3000], steps 1 to 3000 train at lrD and steps 3001 on at lrD * lrDecay, exactly like a run
     * resumed from its step-3000 checkpoint with the lower rate, or PyTorch's MultiStepLR(milestones=[3000]) stepped
     * once per generator iteration.
     */
    public double lrDAt(long stepsDone) { return decayed(lrD, stepsDone); }

    /** The generator's learning rate during generator step {@code stepsDone + 1}; see {@link #lrDAt(long)}. */
    public double lrGAt(long stepsDone) { return decayed(lrG, stepsDone); }

    private double decayed(double lr, long stepsDone) {
        for (int i = decaysAfter(stepsDone); i > 0; i--) lr *= lrDecay;
        return lr;
    }

    /** The schedule in words, e.g. "lr D 0.002, G 0.001, x0.2 after step 3000" ("..., constant" without decay). */
    public String describeLearningRates() {
        String lr = "lr D " + plain(lrD) + ", G " + plain(lrG);
        if (lrDecayAt.isEmpty()) return lr + ", constant";
        return lr + ", x" + plain(lrDecay) + " after step" + (lrDecayAt.size() == 1 ? " " : "s ") + joined(lrDecayAt);
    }

    /**
     * The optimizer and the critic's schedule in words, for the start-up line: "adam (beta1 0.5, beta2 0.999), lr D 0.0002,
     * G 0.0002, constant; 5 critic steps per generator step, weights clipped to [-0.01, 0.01], alternating updates".
     */
    public String describeTraining() {
        String betas = switch (optimizer) {
            case ADAM -> " (beta1 " + plain(beta1) + ", beta2 " + plain(beta2) + ")";
            case RMSPROP -> " (alpha " + plain(beta2) + ")";
            case SGD -> " (momentum 0.9)";
        };
        return optimizer + betas + ", " + describeLearningRates() + "; " + dSteps + " critic step" + (dSteps == 1 ? "" : "s")
                + " per generator step, " + (clip > 0 ? "weights clipped to [-" + plain(clip) + ", " + plain(clip) + "]" : "no weight clipping")
                + ", " + (simultaneous ? "simultaneous" : "alternating") + " updates, batch " + batch + describePenalties()
                + (consensusOn() ? "; consensus optimization gamma " + plain(consensus) + " (" + consensusEstimator + " estimator)" : "");
    }

    /** The gradient penalties in words for {@link #describeTraining}: "; gradient penalty 10, R1 gamma 1 every 16 critic steps" or "". */
    private String describePenalties() {
        if (!penalized()) return "";
        List<String> p = new ArrayList<>();
        if (gp > 0) p.add("gradient penalty " + plain(gp));
        if (r1 > 0) p.add("R1 gamma " + plain(r1));
        if (r2 > 0) p.add("R2 gamma " + plain(r2));
        return "; " + String.join(", ", p) + (regEvery == 1 ? " at every critic step" : " every " + regEvery + " critic steps (gradients x" + regEvery + ")");
    }

    private static String plain(double v) { return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); }

    /** Field name to value as config.json and checkpoints hold them, in declaration order (enums in lowercase). */
    public Map<String, Object> toMap() { return Json.parseObject(Json.write(this), "TrainConfig"); }

    /**
     * Rebuilds a config from its JSON fields ({@link #toMap()}, config.json). A config written before a field existed
     * gets the value that reproduces how such a run trained: no learning-rate decay, beta2 0.999 for Adam, 0.99
     * (RMSProp's alpha) otherwise, the values the optimizers then had fixed, and no skipping of bad images (a folder
     * with one was refused). Fields it does not know are ignored.
     */
    public static TrainConfig fromMap(Map<String, ?> given) {
        Map<String, Object> m = new LinkedHashMap<>(given);
        m.putIfAbsent("skipBadImages", false);
        m.putIfAbsent("lrDecayAt", List.of());
        m.putIfAbsent("lrDecay", DEFAULT_LR_DECAY);
        m.putIfAbsent("emaDecay", 0.0);   // a run from before G_ema kept none
        m.putIfAbsent("emaStart", 0);
        m.putIfAbsent("fidEvery", 0);
        m.putIfAbsent("fidSamples", DEFAULT_FID_SAMPLES);
        m.putIfAbsent("kid", true);
        m.putIfAbsent("inceptionWeights", "");
        m.putIfAbsent("gp", 0.0);   // a run from before the gradient penalties had none
        m.putIfAbsent("r1", 0.0);
        m.putIfAbsent("r2", 0.0);
        m.putIfAbsent("regEvery", 1);
        m.putIfAbsent("conditional", false);
        m.putIfAbsent("classes", 0);
        m.putIfAbsent("consensus", 0.0);   // a run from before consensus optimization had none
        m.putIfAbsent("consensusEstimator", "biased");
        if (!m.containsKey("beta2")) m.put("beta2", "rmsprop".equals(m.get("optimizer")) ? 0.99 : 0.999);
        Fields f = new Fields(m);
        return builder().data(f.string("data")).model(Model.parse(f.string("model"))).imageSize(f.integer("imageSize"))
                .channels(f.integer("channels")).upscale(f.bool("upscale")).skipBadImages(f.bool("skipBadImages"))
                .nz(f.integer("nz")).ngf(f.integer("ngf")).ndf(f.integer("ndf")).hidden(f.integer("hidden")).depth(f.integer("depth"))
                .loss(f.string("loss")).optimizer(Optimizer.Kind.parse(f.string("optimizer"))).lrD(f.number("lrD")).lrG(f.number("lrG"))
                .lrDecayAt(f.steps("lrDecayAt")).lrDecay(f.number("lrDecay")).beta1(f.number("beta1")).beta2(f.number("beta2"))
                .dSteps(f.integer("dSteps")).clip(f.number("clip")).simultaneous(f.bool("simultaneous")).batch(f.integer("batch"))
                .epochs(f.integer("epochs")).steps(f.whole("steps")).seed(f.whole("seed"))
                .emaDecay(f.number("emaDecay")).emaStart(f.whole("emaStart")).sampleEvery(f.integer("sampleEvery"))
                .logEvery(f.integer("logEvery")).checkpointEvery(f.integer("checkpointEvery"))
                .fidEvery(f.integer("fidEvery")).fidSamples(f.integer("fidSamples")).kid(f.bool("kid"))
                .inceptionWeights(f.string("inceptionWeights"))
                .gp(f.number("gp")).r1(f.number("r1")).r2(f.number("r2")).regEvery(f.integer("regEvery"))
                .conditional(f.bool("conditional")).classes(f.integer("classes"))
                .consensus(f.number("consensus")).consensusEstimator(ConsensusEstimator.parse(f.string("consensusEstimator"))).build();
    }

    /**
     * Builds a {@link TrainConfig} field by field, from {@link #builder()} (the defaults) or {@link #toBuilder()}; each
     * setter takes the record component of its name. {@link #build()} checks the whole configuration.
     */
    public static final class Builder {
        private String data, loss;
        private Model model;
        private Optimizer.Kind optimizer;
        private int imageSize, channels, nz, ngf, ndf, hidden, depth, dSteps, batch, epochs, sampleEvery, logEvery, checkpointEvery;
        private int fidEvery, fidSamples;
        private boolean upscale, skipBadImages, simultaneous, kid, conditional;
        private int classes;
        private String inceptionWeights;
        private double gp, r1, r2;
        private int regEvery;
        private double consensus;
        private ConsensusEstimator consensusEstimator;
        private double lrD, lrG, lrDecay, beta1, beta2, clip, emaDecay;
        private long steps, seed, emaStart;
        private List<Long> lrDecayAt;
        /** The fields set on a fresh {@link #builder()}; null for {@link #toBuilder()}, whose every field is set. */
        private final java.util.Set<String> set;

        private Builder(TrainConfig c, java.util.Set<String> set) {
            this.set = set;
            data = c.data; model = c.model; imageSize = c.imageSize; channels = c.channels; upscale = c.upscale;
            skipBadImages = c.skipBadImages; nz = c.nz; ngf = c.ngf; ndf = c.ndf; hidden = c.hidden; depth = c.depth;
            loss = c.loss; optimizer = c.optimizer; lrD = c.lrD; lrG = c.lrG; lrDecayAt = c.lrDecayAt; lrDecay = c.lrDecay;
            beta1 = c.beta1; beta2 = c.beta2; dSteps = c.dSteps; clip = c.clip; simultaneous = c.simultaneous;
            batch = c.batch; epochs = c.epochs; steps = c.steps; seed = c.seed; emaDecay = c.emaDecay; emaStart = c.emaStart;
            sampleEvery = c.sampleEvery;
            logEvery = c.logEvery; checkpointEvery = c.checkpointEvery;
            fidEvery = c.fidEvery; fidSamples = c.fidSamples; kid = c.kid;
            inceptionWeights = c.inceptionWeights;
            gp = c.gp; r1 = c.r1; r2 = c.r2; regEvery = c.regEvery;
            conditional = c.conditional; classes = c.classes;
            consensus = c.consensus; consensusEstimator = c.consensusEstimator;
        }

        public Builder data(String v) { data = v; return mark("data"); }
        public Builder model(Model v) { model = v; return mark("model"); }
        public Builder imageSize(int v) { imageSize = v; return mark("imageSize"); }
        public Builder channels(int v) { channels = v; return mark("channels"); }
        public Builder upscale(boolean v) { upscale = v; return mark("upscale"); }
        public Builder skipBadImages(boolean v) { skipBadImages = v; return mark("skipBadImages"); }
        public Builder nz(int v) { nz = v; return mark("nz"); }
        public Builder ngf(int v) { ngf = v; return mark("ngf"); }
        public Builder ndf(int v) { ndf = v; return mark("ndf"); }
        public Builder hidden(int v) { hidden = v; return mark("hidden"); }
        public Builder depth(int v) { depth = v; return mark("depth"); }
        public Builder loss(String v) { loss = v; return mark("loss"); }
        public Builder optimizer(Optimizer.Kind v) { optimizer = v; return mark("optimizer"); }
        public Builder lrD(double v) { lrD = v; return mark("lrD"); }
        public Builder lrG(double v) { lrG = v; return mark("lrG"); }
        public Builder lrDecayAt(List<Long> v) { lrDecayAt = v; return mark("lrDecayAt"); }
        public Builder lrDecayAt(long... v) { return lrDecayAt(java.util.Arrays.stream(v).boxed().toList()); }
        public Builder lrDecay(double v) { lrDecay = v; return mark("lrDecay"); }
        public Builder beta1(double v) { beta1 = v; return mark("beta1"); }
        public Builder beta2(double v) { beta2 = v; return mark("beta2"); }
        public Builder dSteps(int v) { dSteps = v; return mark("dSteps"); }
        public Builder clip(double v) { clip = v; return mark("clip"); }
        public Builder simultaneous(boolean v) { simultaneous = v; return mark("simultaneous"); }
        public Builder batch(int v) { batch = v; return mark("batch"); }
        public Builder epochs(int v) { epochs = v; return mark("epochs"); }
        public Builder steps(long v) { steps = v; return mark("steps"); }
        public Builder seed(long v) { seed = v; return mark("seed"); }
        public Builder emaDecay(double v) { emaDecay = v; return mark("emaDecay"); }
        public Builder emaStart(long v) { emaStart = v; return mark("emaStart"); }
        public Builder sampleEvery(int v) { sampleEvery = v; return mark("sampleEvery"); }
        public Builder logEvery(int v) { logEvery = v; return mark("logEvery"); }
        public Builder checkpointEvery(int v) { checkpointEvery = v; return mark("checkpointEvery"); }
        public Builder fidEvery(int v) { fidEvery = v; return mark("fidEvery"); }
        public Builder fidSamples(int v) { fidSamples = v; return mark("fidSamples"); }
        public Builder kid(boolean v) { kid = v; return mark("kid"); }
        public Builder inceptionWeights(String v) { inceptionWeights = v; return mark("inceptionWeights"); }
        public Builder gp(double v) { gp = v; return mark("gp"); }
        public Builder r1(double v) { r1 = v; return mark("r1"); }
        public Builder r2(double v) { r2 = v; return mark("r2"); }
        public Builder regEvery(int v) { regEvery = v; return mark("regEvery"); }
        public Builder conditional(boolean v) { conditional = v; return mark("conditional"); }
        public Builder classes(int v) { classes = v; return mark("classes"); }
        public Builder consensus(double v) { consensus = v; return mark("consensus"); }
        public Builder consensusEstimator(ConsensusEstimator v) { consensusEstimator = v; return mark("consensusEstimator"); }

        /**
         * A loss's trainer settings: optimizer, learning rates, beta1, beta2, critic steps, clipping and gradient penalty
         * (what {@code sparring train --loss NAME} uses when no flag overrides them).
         */
        public Builder trainerDefaults(TrainerDefaults d) {
            return optimizer(d.optimizer()).lrD(d.lrD()).lrG(d.lrG()).beta1(d.beta1()).beta2(d.beta2()).dSteps(d.dSteps()).clip(d.clip())
                    .gp(d.gp());
        }

        /** The fields a loss's or 2-D data's defaults fill in when they are left unset. */
        private static final java.util.Set<String> LOSS_AND_POINT_FIELDS = java.util.Set.of("optimizer", "lrD", "lrG", "beta1",
                "beta2", "dSteps", "clip", "gp", "batch", "nz", "hidden", "depth", "lrDecayAt", "lrDecay", "emaDecay");

        private Builder mark(String field) {
            if (set != null) set.add(field);
            return this;
        }

        /**
         * The configuration; a value out of range is a {@link UserError} naming its flag. On a fresh {@link #builder()}
         * the fields left unset take the loss's and the data's defaults first.
         */
        public TrainConfig build() {
            if (set != null && !set.contains("conditional")) conditional = DigitDefaults.conditional(data, model);
            if (set == null || set.containsAll(LOSS_AND_POINT_FIELDS)) return make();
            TrainerDefaults d = TrainerDefaults.of(dev.sparring.gan.loss.GanLoss.parse(loss));
            if (!set.contains("optimizer")) optimizer = d.optimizer();
            TrainerDefaults betas = optimizer == d.optimizer() ? d : TrainerDefaults.forOptimizer(optimizer);
            if (!set.contains("lrD")) lrD = d.lrD();
            if (!set.contains("lrG")) lrG = d.lrG();
            if (!set.contains("beta1")) beta1 = betas.beta1();
            if (!set.contains("beta2")) beta2 = betas.beta2();
            if (!set.contains("dSteps")) dSteps = d.dSteps();
            if (!set.contains("clip")) clip = d.clip();
            if (!set.contains("gp")) gp = d.gp();
            TrainConfig cfg = make();
            return dev.sparring.data.Datasets.isPoints(data) ? PointDefaults.apply(cfg, d, set::contains) : DigitDefaults.apply(cfg, d, set::contains);
        }

        private TrainConfig make() {
            return new TrainConfig(data, model, imageSize, channels, upscale, skipBadImages, nz, ngf, ndf, hidden, depth, loss,
                    optimizer, lrD, lrG, lrDecayAt, lrDecay, beta1, beta2, dSteps, clip, simultaneous, batch, epochs, steps, seed,
                    emaDecay, emaStart, sampleEvery, logEvery, checkpointEvery, fidEvery, fidSamples, kid, inceptionWeights,
                    gp, r1, r2, regEvery, conditional, classes, consensus, consensusEstimator);
        }
    }

    /** A config's JSON fields read by type; a missing field or a value of another type is a {@link UserError}. */
    private record Fields(Map<String, ?> m) {
        private Object get(String name) {
            if (!m.containsKey(name)) throw new UserError("config is missing '" + name + "'");
            return m.get(name);
        }

        private UserError wrong(String name, String want) {
            return new UserError("config field '" + name + "' must be " + want + ", got " + m.get(name));
        }

        String string(String name) {
            if (get(name) instanceof String s) return s;
            throw wrong(name, "a string");
        }

        boolean bool(String name) {
            return switch (get(name)) {
                case Boolean b -> b;
                case String s -> Boolean.parseBoolean(s);
                default -> throw wrong(name, "true or false");
            };
        }

        double number(String name) {
            if (get(name) instanceof Number n) return n.doubleValue();
            throw wrong(name, "a number");
        }

        /** A whole number in long range (a JSON 3.0 or 1e3 is accepted; 2.5 is not). */
        long whole(String name) {
            Long v = wholeNumber(get(name));
            if (v == null) throw wrong(name, "a whole number");
            return v;
        }

        int integer(String name) {
            long v = whole(name);
            if (v != (int) v) throw wrong(name, "a whole number");
            return (int) v;
        }

        /** A JSON array of whole numbers as longs. */
        List<Long> steps(String name) {
            if (!(get(name) instanceof List<?> l)) throw wrong(name, "a list of steps");
            List<Long> out = new ArrayList<>();
            for (Object o : l) {
                Long v = wholeNumber(o);
                if (v == null) throw new UserError("config field '" + name + "' must hold whole numbers, got " + o);
                out.add(v);
            }
            return out;
        }

        private static Long wholeNumber(Object v) {
            return switch (v) {
                case Integer i -> (long) i;
                case Long l -> l;
                case Double d when d == Math.rint(d) && Math.abs(d) < 0x1p63 -> d.longValue();
                case Float f when f == Math.rint(f) && Math.abs(f) < 0x1p63 -> f.longValue();
                case null, default -> null;
            };
        }
    }
}
