package dev.sparring.cli;

import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainerDefaults;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.function.Predicate;

/**
 * What {@code sparring train} uses for 2-D data (ring8, grid25) in place of a flag the user left unset. The flags'
 * own defaults suit the MNIST DCGAN; on the 2-D mixtures they collapse (ring8 at --steps 5000: one streak beside a
 * mode, no mode covered). A flag the user types always wins, config.json records the values that ran, and a resumed
 * run keeps the configuration it started with: these defaults shape fresh runs only.
 *
 * <ul>
 *   <li>MLP G and D with {@value #DEPTH} hidden layers, batch {@value #BATCH}; {@value #HIDDEN} units and latent size
 *   {@value #NZ} on ring8, {@value #HIDDEN_GRID25} units and latent size {@value #NZ_GRID25} on grid25. With a latent
 *   size of 4 or more, G on grid25 spread over the square and settled on its edges and corners (seed 1, these
 *   defaults otherwise: 16 of 25 modes with 4, 21 with 2; at 5000 steps with the critic's rate twice G's: 5 with 4
 *   or 16, 10 with 2); with 2 it folds its plane onto the grid. On the ring, latent size 2 left seed 4 on 3 of 8 modes,
 *   4 covered 7 or 8 at seeds 1-8. 256 units on grid25: with 128, one of seeds 1-5 kept 12 of 25 modes (the others
 *   21-25), with 256 all five 21-25; the ring needs no more than 128, and trains twice as fast with it.</li>
 *   <li>Learning rates: the loss's own ({@link TrainerDefaults}) times {@value #LR_SCALE} for both networks (Adam
 *   losses: 2e-3), multiplied by {@value #DECAY} after {@value #DECAY_PERCENT} % of the steps (--steps 5000: after
 *   step 3000). The fast phase spreads G over the modes, the slow one pulls its clusters onto the centres; at the
 *   constant loss defaults G's clusters stay wide or the run collapses (bench/results/ring-losses.md). Equal rates
 *   rather than the critic at twice the generator's: on grid25 seed 3 (128 units) the latter kept 12 of 25 modes,
 *   equal rates all 25.</li>
 * </ul>
 * bench/results/readme-2d-examples.md records what the README's ring8 and grid25 commands reach with these, and the
 * tuning runs behind them.
 */
final class PointDefaults {
    private PointDefaults() { }

    static final int BATCH = 128;
    static final int NZ = 4;
    static final int NZ_GRID25 = 2;
    static final int HIDDEN = 128;
    static final int HIDDEN_GRID25 = 256;
    static final int DEPTH = 2;
    static final int LR_SCALE = 10;
    static final int DECAY_PERCENT = 60;
    static final double DECAY = 0.2;

    /**
     * cfg (a fresh run's configuration from the flags, loss defaults filled in) with the 2-D defaults in place of every
     * flag that {@code typed} says was not given. {@code --lr-decay} alone drops the rates by that factor at the default
     * step, except {@code --lr-decay 1}: constant rates, and no drop recorded; {@code --lr-decay-at} alone drops them by
     * {@value #DECAY} there.
     */
    static TrainConfig apply(TrainConfig cfg, TrainerDefaults loss, Predicate<String> typed) {
        TrainConfig.Builder b = cfg.toBuilder();
        if (!typed.test("--batch")) b.batch(BATCH);
        boolean grid = cfg.data().strip().equalsIgnoreCase("grid25");
        if (!typed.test("--nz")) b.nz(grid ? NZ_GRID25 : NZ);
        if (!typed.test("--hidden")) b.hidden(grid ? HIDDEN_GRID25 : HIDDEN);
        if (!typed.test("--depth")) b.depth(DEPTH);
        if (!typed.test("--lr-d")) b.lrD(sixDigits(loss.lrD() * LR_SCALE));
        if (!typed.test("--lr-g")) b.lrG(sixDigits(loss.lrG() * LR_SCALE));
        if (!typed.test("--lr-decay-at")) b.lrDecayAt(typed.test("--lr-decay") && cfg.lrDecay() == 1 ? List.of() : decayAt(cfg.steps()));
        if (!typed.test("--lr-decay")) b.lrDecay(DECAY);
        return b.build();
    }

    /**
     * The default rate drop of a run of {@code steps} generator steps: after step round(steps * {@value #DECAY_PERCENT}
     * / 100), or none when that is not one of steps 1 to steps - 1.
     */
    static List<Long> decayAt(long steps) {
        long at = Math.round(steps * (DECAY_PERCENT / 100.0));
        return at >= 1 && at < steps ? List.of(at) : List.of();
    }

    /** v to 6 significant digits: 2e-4 * 10 is 0.002, not 0.0020000000000000005. */
    private static double sixDigits(double v) { return new BigDecimal(v).round(new MathContext(6)).doubleValue(); }
}
