package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.nn.DoubleBackward;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.nn.Projection;
import dev.sparring.random.NoiseStream;
import dev.sparring.random.Philox;
import dev.sparring.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Penalties on the critic's input gradient, added to a critic step's parameter gradients after the loss's (both sum
 * into the same buffers before the optimizer step), through {@link DoubleBackward}:
 * <ul>
 *   <li>WGAN-GP ({@link TrainConfig#gp()} = λ): λ E(‖∇ₓD(x̂)‖ - 1)² at x̂ = ε x_real + (1 - ε) x_fake, ε ~ U(0, 1) per
 *   sample (Gulrajani et al. 2017, Algorithm 1);</li>
 *   <li>R1 ({@link TrainConfig#r1()} = γ): (γ/2) E‖∇ₓD(x_real)‖², and R2 ({@link TrainConfig#r2()}) the same on the fake
 *   batch (Mescheder et al. 2018).</li>
 * </ul>
 * ∇ₓD is the gradient of Σ_n D(x)_n with respect to the batch, as PyTorch's {@code autograd.grad(D(x).sum(), x)}: with
 * batch norm in training mode it includes the coupling through the batch statistics. R1 and R2 use the critic's forward
 * of the loss (slots REAL and FAKE, so no batch norm statistic moves twice); WGAN-GP runs a forward of its own on x̂ in
 * slot FAKE, after R2 is done with it. A class-conditional critic ({@link Projection}) is differentiated with the labels
 * of each batch: R1 at the real images with their labels, R2 at the fakes with the labels they were drawn for, and
 * WGAN-GP at x̂ with the real batch's labels, as PyTorch-StudioGAN does.
 *
 * <p>Lazy regularisation (StyleGAN2, {@link TrainConfig#regEvery()} = k): the penalties act at critic steps 0, k, 2k, ...
 * of the run (counted over all critic steps, k per generator step's {@code dSteps}) with their gradients scaled by k.
 * Which steps act, and ε (Philox words of the stream derived from the seed and "gp-interpolates", at block
 * criticStep x ceil(B/4)), are functions of the step position, so a resumed run draws the same. A run without penalties
 * makes none of these calls and trains exactly as before they existed.
 *
 * <p>Each penalty writes into the step's metrics row its value P and the mean ‖∇ₓD‖ at its points ({@link #METRICS}).
 */
final class GradientPenalties implements AutoCloseable {
    /** The metrics.jsonl names, in the order of {@link Metrics#GP}, {@link Metrics#R1}, {@link Metrics#R2}: value, mean norm. */
    static final List<String> METRICS = List.of("gp", "gp_grad_norm", "r1", "r1_grad_norm", "r2", "r2_grad_norm");

    private final Backend be;
    private final TrainConfig cfg;
    private final DoubleBackward real, fake;      // through D in slots REAL and FAKE
    private final Projection projection;          // a conditional critic's head, given labels; null: unconditional
    private final long epsSeed;
    private final Tensor ones, eps, xHat, gradG;  // ones, eps: (B); xHat, gradG: the critic's input shape (B, ...)

    /** The penalties {@code cfg} asks for on critic {@code d}, or null when it asks for none. */
    static GradientPenalties of(TrainConfig cfg, Network d, Backend be) {
        return cfg.penalized() ? new GradientPenalties(cfg, d, be) : null;
    }

    private GradientPenalties(TrainConfig cfg, Network d, Backend be) {
        this.be = be;
        this.cfg = cfg;
        this.real = new DoubleBackward(d.root(), Pass.REAL);
        this.fake = new DoubleBackward(d.root(), Pass.FAKE);
        this.projection = d.root() instanceof Projection p ? p : null;
        this.epsSeed = NoiseStream.derive(cfg.seed(), "gp-interpolates").seed();
        int[] shape = new int[d.inputShape().length + 1];
        shape[0] = cfg.batch();
        System.arraycopy(d.inputShape(), 0, shape, 1, shape.length - 1);
        this.ones = be.zeros(cfg.batch());
        be.fill(ones, 1f);
        this.eps = be.zeros(cfg.batch());
        this.xHat = cfg.gp() > 0 ? be.zeros(shape) : null;
        this.gradG = be.zeros(shape);
    }

    /** Whether critic step {@code criticStep} (0-based over the run) is regularised. */
    static boolean actsAt(TrainConfig cfg, long criticStep) { return criticStep % cfg.regEvery() == 0; }

    /** Whether generator step {@code stepIndex} (0-based) holds a regularised critic step (its metrics then show the penalties). */
    static boolean actsDuring(TrainConfig cfg, long stepIndex) {
        long first = stepIndex * cfg.dSteps(), k = cfg.regEvery();
        return (first + k - 1) / k * k < first + cfg.dSteps();
    }

    /**
     * Whether every generator step makes the same calls (a CUDA step graph replays one): true unless lazy
     * regularisation skips the penalties in some generator steps and not in others.
     */
    boolean sameEveryStep() { return cfg.dSteps() % cfg.regEvery() == 0; }

    /**
     * Adds the penalties' parameter gradients into D's gradient buffers at a regularised critic step, after the loss's
     * backward of xReal (slot REAL) and xFake (slot FAKE); writes their metrics into {@code stats} at {@code row}.
     */
    void apply(Tensor xReal, Tensor xFake, Tensor stats, int row, long criticStep) {
        if (!actsAt(cfg, criticStep)) return;
        float scale = cfg.regEvery();
        if (cfg.r1() > 0) {
            be.gradientPenalty(gradG, real.inputGradient(ones), 0, (float) (cfg.r1() / 2), scale, stats, row + Metrics.R1);
            real.backward(gradG);
        }
        if (cfg.r2() > 0) {
            be.gradientPenalty(gradG, fake.inputGradient(ones), 0, (float) (cfg.r2() / 2), scale, stats, row + Metrics.R2);
            fake.backward(gradG);
        }
        if (cfg.gp() > 0) {
            // a conditional critic sees x̂ with the real batch's labels (PyTorch-StudioGAN's cal_grad_penalty), in slot
            // FAKE, whose fake labels the generator step reads again: they are given back after
            Tensor fakeLabels = projection == null ? null : projection.labels(Pass.FAKE);
            if (projection != null) projection.labels(Pass.FAKE, projection.labels(Pass.REAL));
            be.interpolate(xHat, eps, xReal, xFake, epsSeed, criticStep * Philox.blocks(cfg.batch()));
            be.gradientPenalty(gradG, fake.inputGradient(xHat, ones), 1, (float) cfg.gp(), scale, stats, row + Metrics.GP);
            fake.backward(gradG);
            if (projection != null) projection.labels(Pass.FAKE, fakeLabels);
        }
    }

    /** The penalties' metrics of generator step {@code stepIndex} (0-based) from its stats row at {@code o}; see {@link Metrics}. */
    static Map<String, Double> metrics(TrainConfig cfg, long stepIndex, float[] s, int o) {
        Map<String, Double> m = new LinkedHashMap<>();
        if (!cfg.penalized() || !actsDuring(cfg, stepIndex)) return m;
        double[] weights = {cfg.gp(), cfg.r1(), cfg.r2()};
        int[] slots = {Metrics.GP, Metrics.R1, Metrics.R2};
        for (int i = 0; i < 3; i++) {
            if (weights[i] <= 0) continue;
            m.put(METRICS.get(2 * i), (double) s[o + slots[i]]);
            m.put(METRICS.get(2 * i + 1), (double) s[o + slots[i] + 1]);
        }
        return m;
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {ones, eps, xHat, gradG}) if (t != null) t.close();
    }
}
