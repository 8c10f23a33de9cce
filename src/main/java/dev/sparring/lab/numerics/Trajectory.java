package dev.sparring.lab.numerics;

import java.util.Arrays;
import java.util.function.LongConsumer;

/**
 * One method's iterates from a start, with what the figures and summary.json say about them. At most
 * {@link #MAX_KEPT} + 1 points are kept (every {@code stride}-th step and the last), so any number of steps fits in
 * memory; the distances are taken at every step.
 *
 * @param x, y           the kept iterates, z_0 first (the start) and the last one computed last
 * @param steps          the kept points' step numbers
 * @param done           the steps taken: all that were asked, or fewer when the iterates left the finite numbers
 * @param divergedAt     the step whose iterate was not finite or beyond {@link #ESCAPE} from the equilibrium; -1 if none
 * @param startDistance  |z_0 - z*|, from the game's equilibrium z*
 * @param finalDistance  |z_done - z*|
 * @param minDistance, maxDistance over all iterates
 * @param lastMove       |z_done - z_{done-1}|: 0 at a fixed point of the method
 * @param turns          the angle the iterates swept about z*, in turns (positive counter-clockwise)
 */
public record Trajectory(Method method, double[] x, double[] y, long[] steps, long done, long divergedAt,
                         double startDistance, double finalDistance, double minDistance, double maxDistance,
                         double lastMove, double turns) {
    /** The most points kept for the figures. */
    public static final int MAX_KEPT = 20_000;
    /** Iterates farther than this from the equilibrium count as diverged, and the run stops. */
    public static final double ESCAPE = 1e8;

    /**
     * Runs {@code method} for {@code steps} steps of size h from (x0, y0); {@code progress} hears the steps done now
     * and then (every 65,536 steps and at the end).
     */
    public static Trajectory run(Game game, Method method, double x0, double y0, double h, double gamma, long steps, LongConsumer progress) {
        if (steps < 1) throw new IllegalArgumentException("Trajectory.run: steps must be >= 1, got " + steps);
        long stride = Math.max(1, (steps + MAX_KEPT - 1) / MAX_KEPT);
        int cap = (int) (steps / stride) + 2;
        double[] xs = new double[cap], ys = new double[cap];
        long[] at = new long[cap];
        double[] eq = game.equilibrium();
        int kept = 0;
        xs[kept] = x0;
        ys[kept] = y0;
        at[kept++] = 0;
        double x = x0, y = y0, start = Math.hypot(x0 - eq[0], y0 - eq[1]);
        double min = start, max = start, move = 0, angle = Math.atan2(y0 - eq[1], x0 - eq[0]), swept = 0;
        long done = 0, diverged = -1;
        for (long k = 1; k <= steps; k++) {
            double[] z = method.step(game, x, y, h, gamma);
            double dist = Math.hypot(z[0] - eq[0], z[1] - eq[1]);
            if (!(dist <= ESCAPE)) {   // NaN too
                diverged = k;
                break;
            }
            move = Math.hypot(z[0] - x, z[1] - y);
            double a = Math.atan2(z[1] - eq[1], z[0] - eq[0]), da = a - angle;
            swept += da > Math.PI ? da - 2 * Math.PI : da < -Math.PI ? da + 2 * Math.PI : da;
            angle = a;
            x = z[0];
            y = z[1];
            min = Math.min(min, dist);
            max = Math.max(max, dist);
            done = k;
            if (k % stride == 0 || k == steps) {
                xs[kept] = x;
                ys[kept] = y;
                at[kept++] = k;
            }
            if ((k & 0xFFFF) == 0 && progress != null) progress.accept(k);
        }
        if (at[kept - 1] != done) {   // stopped early: keep the last finite iterate
            xs[kept] = x;
            ys[kept] = y;
            at[kept++] = done;
        }
        if (progress != null) progress.accept(steps);
        return new Trajectory(method, Arrays.copyOf(xs, kept), Arrays.copyOf(ys, kept), Arrays.copyOf(at, kept), done, diverged,
                start, Math.hypot(x - eq[0], y - eq[1]), min, max, move, swept / (2 * Math.PI));
    }

    /** The last iterate. */
    public double[] last() { return new double[] {x[x.length - 1], y[y.length - 1]}; }

    /**
     * What the iterates did, in words: "diverges at step k", "converges" (to within 1 % of the start distance, or
     * 1e-9), "stalls at (x, y)" (no longer moving, away from the equilibrium), "grows" (ends at least twice as far
     * out), or "stays bounded".
     */
    public String behaviour() {
        if (divergedAt >= 0) return "diverges at step " + divergedAt;
        double[] z = last();
        if (finalDistance <= Math.max(0.01 * startDistance, 1e-9)) return "converges";
        if (lastMove <= 1e-7 * Math.max(1, Math.hypot(z[0], z[1]))) {
            return String.format(java.util.Locale.ROOT, "stalls at (%.3f, %.3f)", z[0], z[1]);
        }
        if (finalDistance >= 2 * startDistance) return String.format(java.util.Locale.ROOT, "grows (distance x%.3g)", finalDistance / startDistance);
        return "stays bounded";
    }
}
