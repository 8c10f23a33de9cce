package dev.sparring.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One generator step's metrics. Sign convention: the critic loss is L_D = -(E_real phi(t) + E_fake psi(t)),
 * which the critic minimises; L_G = E_fake beta(t). sigma* are mean sigmoid(t) of the raw critic outputs, and
 * dLossEqDistance = L_D - L_D*, the distance from the loss's value at equilibrium (p_data = p_G). lrD and lrG are the
 * learning rates this step's critic and generator updates used (the optimizers' float values; see
 * {@link TrainConfig#lrDAt(long)}). penalties holds, by their metrics.jsonl names, each gradient penalty of the run and the
 * mean ‖∇ₓD‖ at its points ("gp", "gp_grad_norm", "r1", ...; {@link GradientPenalties}), from the step's last regularised
 * critic step; empty for a run without penalties or a step without a regularised critic step (lazy regularisation). With
 * --consensus it also holds "consensus_norm_v", ‖v‖² of the joint gradient field ({@link Consensus}).
 */
public record Metrics(long step, double dLoss, double gLoss, double sigmaReal, double sigmaFake, double tReal, double tFake,
                      double gradNormD, double gradNormG, double dLossEqDistance, float lrD, float lrG, Map<String, Double> penalties) {

    public Metrics {
        penalties = Map.copyOf(penalties);
    }

    /** A step's metrics without gradient penalties. */
    public Metrics(long step, double dLoss, double gLoss, double sigmaReal, double sigmaFake, double tReal, double tFake,
                   double gradNormD, double gradNormG, double dLossEqDistance, float lrD, float lrG) {
        this(step, dLoss, gLoss, sigmaReal, sigmaFake, tReal, tFake, gradNormD, gradNormG, dLossEqDistance, lrD, lrG, Map.of());
    }

    // layout of one row of the device-side stats block (floats)
    static final int D_LOSS = 0;        // L_D, sigma(t_real), sigma(t_fake), mean t_real, mean t_fake (criticLoss writes 5)
    static final int G_LOSS = 5;        // L_G, sigma(t_fake) at the generator step (generatorLoss writes 2)
    static final int GRAD_D = 7;        // sum of squares of the critic's gradient
    static final int GRAD_G = 8;        // sum of squares of the generator's gradient
    static final int GP = 9;            // WGAN-GP's penalty and the mean gradient norm at its points (gradientPenalty writes 2)
    static final int R1 = 11;           // R1's, likewise
    static final int R2 = 13;           // R2's, likewise
    static final int CONSENSUS = 15;    // ‖v‖² of consensus optimization's joint gradient field (Consensus)
    static final int SLOTS = 16;
    /** The metrics.jsonl name of {@link #CONSENSUS}, in {@link #penalties()} for a run with --consensus. */
    static final String CONSENSUS_NORM_V = "consensus_norm_v";

    static Metrics fromRow(long step, float[] s, int o, double eqCritic, float lrD, float lrG, Map<String, Double> penalties) {
        return new Metrics(step, s[o + D_LOSS], s[o + G_LOSS], s[o + D_LOSS + 1], s[o + D_LOSS + 2], s[o + D_LOSS + 3],
                s[o + D_LOSS + 4], Math.sqrt(s[o + GRAD_D]), Math.sqrt(s[o + GRAD_G]), s[o + D_LOSS] - eqCritic, lrD, lrG, penalties);
    }

    public boolean finite() { return nonFinite().isEmpty(); }

    /** The metrics that are NaN or infinite, by their metrics.jsonl names with their values ("grad_norm_d NaN"). */
    public java.util.List<String> nonFinite() {
        java.util.List<String> bad = new java.util.ArrayList<>();
        double[] v = {dLoss, gLoss, gradNormD, gradNormG, tReal, tFake};
        String[] names = {"d_loss", "g_loss", "grad_norm_d", "grad_norm_g", "t_real", "t_fake"};
        for (int i = 0; i < v.length; i++) if (!Double.isFinite(v[i])) bad.add(names[i] + " " + v[i]);
        penalties.forEach((name, value) -> { if (!Double.isFinite(value)) bad.add(name + " " + value); });
        return bad;
    }

    /** Field name to value for metrics.jsonl. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("d_loss", dLoss);
        m.put("g_loss", gLoss);
        m.put("d_loss_eq_distance", dLossEqDistance);
        m.put("sigma_real", sigmaReal);
        m.put("sigma_fake", sigmaFake);
        m.put("t_real", tReal);
        m.put("t_fake", tFake);
        m.put("grad_norm_d", gradNormD);
        m.put("grad_norm_g", gradNormG);
        m.put("lr_d", lrD);   // a Float: written as the shortest decimal that identifies it (4.0E-4, not 4.000000189989805E-4)
        m.put("lr_g", lrG);
        for (String name : GradientPenalties.METRICS) if (penalties.containsKey(name)) m.put(name, penalties.get(name));
        if (penalties.containsKey(CONSENSUS_NORM_V)) m.put(CONSENSUS_NORM_V, penalties.get(CONSENSUS_NORM_V));
        return m;
    }
}
