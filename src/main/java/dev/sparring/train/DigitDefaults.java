package dev.sparring.train;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.function.Predicate;

/**
 * What a fresh run of the 28 px DCGAN (the MNIST default: {@code sparring train} without flags, or any 28 x 28 image
 * data) uses in place of a learning rate left unset, when it trains with the loss's own Adam: the loss's rates
 * ({@link TrainerDefaults}, 2e-4) times {@value #LR_SCALE} for both networks. 2e-4 is the DCGAN paper's rate for batch
 * 128 on 64 px images; on this small network at batch 32 it leaves the default run of 1,560 steps with 42 % confident
 * samples and an FID of 15, where rates 8x as fast reach 57 % and 7.5 at the same cost
 * (bench/results/default-run-tuning-20261203-ema.md and -rates.md: nsgan on seeds 1 and 2, hinge on seed 1). A rate set
 * always wins; 32 and 64 px images, RMSProp losses (wgan) and another optimizer than the loss's keep the loss's rates,
 * which nothing here measured; a resumed run keeps the configuration it started with.
 *
 * <p>A fresh run on the bundled digits ({@code --data mnist}, the default) is also class-conditional unless
 * {@code conditional} is set ({@link #conditional}): at the same cost the conditional DCGAN gives 93.6 % of samples
 * classified with confidence &ge; 0.9 and an FID of 1.8 to 2.3 on seeds 1 and 2, each digit's share fixed at 10 % by the
 * balanced labels, where the unconditional one plateaued at 56 to 64 % (FID 7.4) however its rates, EMA and loss were
 * tuned (bench/results/default-run-conditional-20261203.md, default-run-tuning-20261203-rates.md).
 */
public final class DigitDefaults {
    private DigitDefaults() { }

    /** The image side these defaults apply to. */
    public static final int IMAGE_SIZE = 28;
    public static final int LR_SCALE = 8;

    /**
     * cfg (a fresh image run's configuration, the loss's defaults filled in) with lrD and lrG at {@value #LR_SCALE}x the
     * loss's where {@code set} says they were not set, when the run is the {@value #IMAGE_SIZE} px DCGAN and trains with
     * the loss's Adam; else cfg.
     */
    public static TrainConfig apply(TrainConfig cfg, TrainerDefaults loss, Predicate<String> set) {
        boolean applies = cfg.model() != TrainConfig.Model.MLP && cfg.imageSize() == IMAGE_SIZE
                && loss.optimizer() == dev.sparring.optim.Optimizer.Kind.ADAM && cfg.optimizer() == loss.optimizer();
        if (!applies || (set.test("lrD") && set.test("lrG"))) return cfg;
        TrainConfig.Builder b = cfg.toBuilder();
        if (!set.test("lrD")) b.lrD(sixDigits(loss.lrD() * LR_SCALE));
        if (!set.test("lrG")) b.lrG(sixDigits(loss.lrG() * LR_SCALE));
        return b.build();
    }

    /** The data spec of the bundled digits, on which the conditional default was measured. */
    public static final String BUNDLED = "mnist";

    /**
     * Whether a fresh run that leaves {@code conditional} unset is class-conditional: on the bundled digits with the
     * DCGAN (model AUTO or DCGAN), the only data the conditional default was measured on. Every other data source (an IDX
     * file with labels, a folder with class subfolders) stays unconditional unless asked: nothing measured how its
     * classes, balance or image count train conditionally, and it may have no labels at all.
     */
    public static boolean conditional(String data, TrainConfig.Model model) {
        return BUNDLED.equals(data) && model != TrainConfig.Model.MLP;
    }

    /** v to 6 significant digits: 2e-4 * 8 is 0.0016, not 0.0016000000000000001. */
    private static double sixDigits(double v) { return new BigDecimal(v).round(new MathContext(6)).doubleValue(); }
}
