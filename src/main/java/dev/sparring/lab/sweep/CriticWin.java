package dev.sparring.lab.sweep;

import dev.sparring.UserError;

/**
 * When the critic "wins": its loss stays near the lowest value the loss allows, the value of a critic that tells every
 * real sample from every fake one, for {@code window} consecutive generator steps.
 *
 * <p>Losses put that value in different places (0 for nsgan, lsgan and hinge, -2 ln 2 for the f-GAN Jensen-Shannon
 * loss) and their equilibrium L_D* (p_data = p_G, the critic cannot tell) elsewhere again (2 ln 2, 0.25, 2, 0), so the
 * margin is a share of the distance between the two: the critic wins at step s when
 * <pre>
 *   L_D(t) &lt;= L_min + margin (L_D* - L_min)   for every step t = s, s + 1, ..., s + window - 1
 * </pre>
 * and the win is reported at s, the first step of the first such window. With the defaults (margin 0.05, window 50)
 * an nsgan critic wins once its loss stays at or below 0.069 (5 % of 2 ln 2) for 50 steps. A loss without a lower
 * bound on L_D (wgan, wgan-gp, most f-GANs: L_min = -infinity) has no such point and no win ({@link #threshold}
 * gives NaN): the critic can always lower its loss further, and only a Lipschitz constraint stops it.
 *
 * @param margin the share of L_D* - L_min above L_min that still counts as winning, in (0, 1)
 * @param window the consecutive steps the critic must stay there, at least 1
 */
public record CriticWin(double margin, int window) {
    public static final double DEFAULT_MARGIN = 0.05;
    public static final int DEFAULT_WINDOW = 50;

    public CriticWin {
        if (!(margin > 0 && margin < 1)) throw new UserError("--win-margin must lie in (0, 1), got " + margin);
        if (window < 1) throw new UserError("--win-window must be >= 1, got " + window);
    }

    /**
     * The D loss at or below which the critic is winning: L_min + margin (L_D* - L_min); NaN where that is undefined
     * (L_min = -infinity or NaN, L_D* NaN, or L_D* not above L_min).
     */
    public double threshold(double equilibrium, double minimum) {
        if (!Double.isFinite(equilibrium) || !Double.isFinite(minimum) || !(equilibrium > minimum)) return Double.NaN;
        return minimum + margin * (equilibrium - minimum);
    }

    /**
     * The first step of the first {@link #window} consecutive steps (steps[i + 1] = steps[i] + 1) whose D loss is at
     * or below {@code threshold}; -1 when there is none, or the threshold is NaN. A non-finite loss breaks a window.
     */
    public long firstWin(long[] steps, double[] dLoss, double threshold) {
        if (steps.length != dLoss.length) throw new IllegalArgumentException(steps.length + " steps, " + dLoss.length + " losses");
        if (Double.isNaN(threshold)) return -1;
        int run = 0;
        for (int i = 0; i < steps.length; i++) {
            boolean next = i > 0 && steps[i] == steps[i - 1] + 1;
            if (!(dLoss[i] <= threshold)) {
                run = 0;
                continue;
            }
            run = next && run > 0 ? run + 1 : 1;
            if (run >= window) return steps[i - window + 1];
        }
        return -1;
    }
}
