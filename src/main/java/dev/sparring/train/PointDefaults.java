package dev.sparring.train;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.function.Predicate;

/**
 * What a fresh run on 2-D data (ring8, grid25) uses in place of a setting left unset: a flag of {@code sparring train}
 * not typed, or a field not set on {@link TrainConfig#builder()}. The general defaults suit the MNIST DCGAN; on the 2-D
 * mixtures they collapse (ring8 at --steps 5000: one streak beside a mode, no mode covered). A value set always wins,
 * config.json records the values that ran, and a resumed run keeps the configuration it started with: these defaults
 * shape fresh runs only.
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
 *   <li>No G_ema (emaDecay 0): the scatters and their mode coverage show G itself, as when these defaults were
 *   measured.</li>
 *   <li>WGAN-GP's penalty weight {@value #GP} in place of the paper's 10 (for the loss wgan-gp; a --gp typed, or
 *   --gp with another loss, is kept): on ring8 at --steps 5000 (these defaults otherwise) lambda 10 covered 7-8 modes
 *   at seeds 1-5 but left only 50-64 % of the samples high quality (a third or more on arcs between the modes),
 *   lambda 1 8/8 modes with 85-89 % (bench/results/wgan-gp-ring8-20261203.md). With lambda 10, lower final rates
 *   and G_ema stayed below 66 %, and 2e-4 from the start left G unconverged. grid25 takes it too, unmeasured.</li>
 * </ul>
 * bench/results/readme-2d-examples.md records what the README's ring8 and grid25 commands reach with these, and the
 * tuning runs behind them.
 */
public final class PointDefaults {
    private PointDefaults() { }

    public static final int BATCH = 128;
    public static final int NZ = 4;
    public static final int NZ_GRID25 = 2;
    public static final int HIDDEN = 128;
    public static final int HIDDEN_GRID25 = 256;
    public static final int DEPTH = 2;
    public static final int LR_SCALE = 10;
    public static final int DECAY_PERCENT = 60;
    public static final double DECAY = 0.2;
    public static final double GP = 1;

    /**
     * cfg (a fresh run's configuration, the loss's defaults filled in) with the 2-D defaults in place of every field
     * that {@code set} says was not set: batch, nz, hidden, depth, lrD, lrG, lrDecayAt, lrDecay, emaDecay and, for a loss
     * with a gradient penalty of its own (wgan-gp), gp (the names of {@link TrainConfig}'s components). lrDecay alone drops the rates by that factor at the default step, except
     * lrDecay 1: constant rates, and no drop recorded; lrDecayAt alone drops them by {@value #DECAY} there.
     */
    public static TrainConfig apply(TrainConfig cfg, TrainerDefaults loss, Predicate<String> set) {
        TrainConfig.Builder b = cfg.toBuilder();
        if (!set.test("batch")) b.batch(BATCH);
        boolean grid = cfg.data().strip().equalsIgnoreCase("grid25");
        if (!set.test("nz")) b.nz(grid ? NZ_GRID25 : NZ);
        if (!set.test("hidden")) b.hidden(grid ? HIDDEN_GRID25 : HIDDEN);
        if (!set.test("depth")) b.depth(DEPTH);
        if (!set.test("lrD")) b.lrD(sixDigits(loss.lrD() * LR_SCALE));
        if (!set.test("lrG")) b.lrG(sixDigits(loss.lrG() * LR_SCALE));
        if (!set.test("lrDecayAt")) b.lrDecayAt(set.test("lrDecay") && cfg.lrDecay() == 1 ? List.of() : decayAt(cfg.steps()));
        if (!set.test("lrDecay")) b.lrDecay(DECAY);
        if (!set.test("emaDecay")) b.emaDecay(0);
        if (!set.test("gp") && loss.gp() > 0) b.gp(GP);
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
