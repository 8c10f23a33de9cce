package dev.sparring.train;

import dev.sparring.gan.loss.GanLoss;
import dev.sparring.gan.loss.Print;
import dev.sparring.optim.Optimizer;

import java.util.Locale;

/**
 * The training settings a loss is meant to be trained with ({@link #of}); {@code sparring train} uses them for the flags
 * left unset, and {@link TrainConfig.Builder#trainerDefaults} sets them.
 *
 * @param optimizer Adam or RMSProp
 * @param lrD       critic learning rate
 * @param lrG       generator learning rate
 * @param beta1     Adam's first-moment decay (0.5 for GANs, Radford et al. 2016); RMSProp's momentum (0)
 * @param beta2     Adam's second-moment decay; RMSProp's squared-gradient decay (alpha = 0.99, as PyTorch)
 * @param dSteps    critic steps per generator step
 * @param clip      critic weight clipping bound c (weights kept in [-c, c] after each step); 0 = no clipping
 * @param gp        WGAN-GP's gradient penalty weight lambda ({@link TrainConfig#gp()}); 0 = none
 */
public record TrainerDefaults(Optimizer.Kind optimizer, double lrD, double lrG, double beta1, double beta2, int dSteps, double clip,
                              double gp) {

    /** Settings without a gradient penalty. */
    public TrainerDefaults(Optimizer.Kind optimizer, double lrD, double lrG, double beta1, double beta2, int dSteps, double clip) {
        this(optimizer, lrD, lrG, beta1, beta2, dSteps, clip, 0);
    }

    /** Adam(0.5, 0.999), lr 2e-4 for both networks, one critic step, no clipping (DCGAN, Radford et al. 2016). */
    public static final TrainerDefaults ADAM = new TrainerDefaults(Optimizer.Kind.ADAM, 2e-4, 2e-4, 0.5, 0.999, 1, 0);

    /** RMSProp, lr 5e-5, five critic steps, clipping at 0.01 (WGAN, Arjovsky et al. 2017, Algorithm 1). */
    public static final TrainerDefaults WGAN = new TrainerDefaults(Optimizer.Kind.RMSPROP, 5e-5, 5e-5, 0, 0.99, 5, 0.01);

    /**
     * Adam(0, 0.9), lr 1e-4 for both networks, five critic steps, no clipping, gradient penalty lambda = 10 (WGAN-GP,
     * Gulrajani et al. 2017, Algorithm 1).
     */
    public static final TrainerDefaults WGAN_GP = new TrainerDefaults(Optimizer.Kind.ADAM, 1e-4, 1e-4, 0, 0.9, 5, 0, 10);

    /**
     * WGAN-GP's settings for the loss wgan-gp, WGAN's for another loss whose critic must be Lipschitz
     * ({@link GanLoss#lipschitzCritic()}), else DCGAN's.
     */
    public static TrainerDefaults of(GanLoss loss) {
        return loss.name().equals("wgan-gp") ? WGAN_GP : loss.lipschitzCritic() ? WGAN : ADAM;
    }

    /** The settings an optimizer is usually trained with here (its betas): RMSProp WGAN's, the others DCGAN's. */
    public static TrainerDefaults forOptimizer(Optimizer.Kind optimizer) { return optimizer == Optimizer.Kind.RMSPROP ? WGAN : ADAM; }

    public TrainerDefaults {
        if (optimizer != Optimizer.Kind.ADAM && optimizer != Optimizer.Kind.RMSPROP) {
            throw new IllegalArgumentException("TrainerDefaults: optimizer must be adam or rmsprop, got '" + optimizer + "'");
        }
        if (!(lrD > 0) || !(lrG > 0)) throw new IllegalArgumentException("TrainerDefaults: learning rates must be > 0, got " + lrD + ", " + lrG);
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("TrainerDefaults: beta1, beta2 must lie in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (dSteps < 1) throw new IllegalArgumentException("TrainerDefaults: dSteps must be >= 1, got " + dSteps);
        if (!(clip >= 0)) throw new IllegalArgumentException("TrainerDefaults: clip must be >= 0 (0 = none), got " + clip);
        if (!(gp >= 0)) throw new IllegalArgumentException("TrainerDefaults: gp must be >= 0 (0 = none), got " + gp);
    }

    /** One line, as printed by {@code sparring loss list}. */
    public String describe() {
        String opt = optimizer == Optimizer.Kind.ADAM
                ? String.format(Locale.ROOT, "Adam(beta1=%s, beta2=%s)", Print.human(beta1), Print.human(beta2))
                : String.format(Locale.ROOT, "RMSProp(alpha=%s)", Print.human(beta2));
        String lr = lrD == lrG ? "lr " + Print.human(lrD) : "lr D " + Print.human(lrD) + ", G " + Print.human(lrG);
        return opt + ", " + lr + ", " + dSteps + " critic step" + (dSteps == 1 ? "" : "s")
                + (clip > 0 ? ", clip " + Print.human(clip) : ", no clipping") + (gp > 0 ? ", gradient penalty " + Print.human(gp) : "");
    }
}
