package dev.sparring.train;

import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.LossCurvature;
import dev.sparring.gan.loss.GanLoss;

/**
 * A GAN loss as the trainer takes it: its compiled programs ({@link CompiledLoss}, what the backend runs), its spec
 * (for logs and plot titles) and the values that the critic and generator losses take at equilibrium
 * (p_data = p_G), drawn as reference lines on the loss curves. {@link #of} makes one from a {@link GanLoss} (the loss
 * with its formulas and design check); trainer tests make one by hand, independent of the loss compiler.
 */
public record TrainLoss(String spec, CompiledLoss compiled, double equilibriumCriticLoss, double equilibriumGeneratorLoss,
                        LossCurvature curvature) {

    /** A loss without second derivatives (null curvature): enough for every run but consensus optimization's. */
    public TrainLoss(String spec, CompiledLoss compiled, double equilibriumCriticLoss, double equilibriumGeneratorLoss) {
        this(spec, compiled, equilibriumCriticLoss, equilibriumGeneratorLoss, null);
    }

    /** A loss from the workshop: its compiled programs and the equilibrium values its design check computes. */
    public static TrainLoss of(GanLoss loss) {
        LossCurvature curvature;
        try {
            curvature = loss.curvature();
        } catch (RuntimeException e) {   // a formula whose second derivative does not compile: only --consensus needs it
            curvature = null;
        }
        return new TrainLoss(loss.spec(), loss.compiled(), loss.equilibriumCriticLoss(), loss.equilibriumGeneratorLoss(), curvature);
    }
}
