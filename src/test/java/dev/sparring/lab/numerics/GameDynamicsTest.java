package dev.sparring.lab.numerics;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What "The Numerics of GANs" says, on the games of {@link Games}: simultaneous GD spirals out on the bilinear game,
 * alternating GD circles, consensus converges once gamma is large enough, and a too-large gamma creates spurious
 * stationary points on a game with a saddle.
 */
class GameDynamicsTest {
    static final Game BILINEAR = Games.BILINEAR, SADDLE = Games.SADDLE;

    @Test
    void simultaneousGdSpiralsOutOnTheBilinearGame() {
        double h = 0.1;
        Trajectory t = Trajectory.run(BILINEAR, Method.SIMGD, 1, 0.5, h, 0, 400, null);
        double r0 = Math.hypot(1, 0.5);
        for (int k = 1; k < t.x().length; k++) {   // every step multiplies the radius by sqrt(1 + h^2), exactly
            double r = Math.hypot(t.x()[k], t.y()[k]);
            assertEquals(r0 * Math.pow(1 + h * h, t.steps()[k] / 2.0), r, 1e-12 * r, "radius at step " + t.steps()[k]);
        }
        assertEquals(Math.pow(1 + h * h, 200), t.finalDistance() / t.startDistance(), 1e-10);
        assertTrue(t.turns() > 400 * h / (2 * Math.PI) * 0.99, "it turns counter-clockwise as it grows: " + t.turns());
        assertTrue(t.behaviour().startsWith("grows"), t.behaviour());
        assertEquals(Math.sqrt(1 + h * h), Method.SIMGD.updateMatrix(BILINEAR, 0, 0, h, 0).spectralRadius(), 1e-15);
    }

    @Test
    void alternatingGdCirclesOnTheBilinearGame() {
        for (double h : new double[] {0.01, 0.1, 1, 1.9}) {   // det 1, trace 2 - h^2: both eigenvalues on the unit circle
            for (Complex mu : Method.ALTGD.updateMatrix(BILINEAR, 0, 0, h, 0).eigenvalues()) assertEquals(1, mu.abs(), 1e-12, "h " + h);
        }
        Trajectory t = Trajectory.run(BILINEAR, Method.ALTGD, 1, 0.5, 0.1, 0, 10_000, null);
        double r0 = t.startDistance();
        assertTrue(t.minDistance() > 0.9 * r0 && t.maxDistance() < 1.1 * r0,
                "bounded: the radius stays within 10 % of its start, " + t.minDistance() + " to " + t.maxDistance());
        assertTrue(t.turns() > 150, "and goes round and round: " + t.turns() + " turns");
        assertEquals("stays bounded", t.behaviour());
        // the same step size sends simultaneous GD beyond 1e8 (x e^0.005 a step) within 3700 steps
        Trajectory sim = Trajectory.run(BILINEAR, Method.SIMGD, 1, 0.5, 0.1, 0, 10_000, null);
        assertTrue(sim.divergedAt() > 3600 && sim.divergedAt() < 3700, sim.behaviour());
    }

    @Test
    void consensusConvergesOnTheBilinearGameOnceGammaIsLargeEnough() {
        double h = 0.1, threshold = (1 - Math.sqrt(1 - h * h)) / h, upper = (1 + Math.sqrt(1 - h * h)) / h;   // 0.0501, 19.95
        List<ConsensusRange.Interval> stable = ConsensusRange.stable(BILINEAR, h);
        assertEquals(1, stable.size(), stable.toString());
        assertEquals(threshold, stable.getFirst().lo(), 1e-10);
        assertEquals(upper, stable.getFirst().hi(), 1e-9);

        Trajectory above = Trajectory.run(BILINEAR, Method.CONSENSUS, 1, 0.5, h, 2 * threshold, 5000, null);
        Trajectory below = Trajectory.run(BILINEAR, Method.CONSENSUS, 1, 0.5, h, threshold / 2, 5000, null);
        assertTrue(above.finalDistance() < 1e-6 * above.startDistance(), "gamma " + 2 * threshold + ": " + above.finalDistance());
        assertEquals("converges", above.behaviour());
        assertTrue(below.finalDistance() > 2 * below.startDistance(), "gamma " + threshold / 2 + ": " + below.finalDistance());
        assertTrue(ConsensusRange.radius(BILINEAR, h, threshold / 2) > 1 && ConsensusRange.radius(BILINEAR, h, 2 * threshold) < 1);
        // and the Dirac GAN alike: its rotation is J = [[0, -1/2], [1/2, 0]], so J^T J = I/4
        Game dirac = Games.DIRAC;
        double lo = ConsensusRange.stable(dirac, h).getFirst().lo();
        assertEquals(4 / h * (1 - Math.sqrt(1 - h * h / 4)), lo, 1e-10, "stable iff |1 + h(-gamma/4 +- i/2)| < 1");
        assertEquals("converges", Trajectory.run(dirac, Method.CONSENSUS, 1, 1, h, 2 * lo, 20_000, null).behaviour());
        assertTrue(Trajectory.run(dirac, Method.CONSENSUS, 0.1, 0.1, h, lo / 4, 20_000, null).finalDistance() > Math.hypot(0.1, 0.1));
    }

    @Test
    void aTooLargeGammaCreatesAttractingSpuriousStationaryPointsOnTheSaddleGame() {
        double h = 0.02;
        // v itself vanishes only at the saddle, and so does w for small gamma
        for (double gamma : new double[] {0, 0.5, 1.6}) {
            List<StationaryPoints.Point> zeros = StationaryPoints.find(SADDLE, StationaryPoints.consensus(SADDLE, gamma), h, -1, 2, -1, 2);
            assertEquals(1, zeros.size(), "gamma " + gamma + ": " + zeros);
            assertTrue(zeros.getFirst().equilibrium() && zeros.getFirst().attractsStep(), zeros.toString());
        }
        // above gamma = 1.6297 (where they are born together at (2/3, 0.6128)) two more appear: a saddle point of w, and an attracting one where v != 0
        for (double gamma : new double[] {1.8, 5, 20}) {
            List<StationaryPoints.Point> zeros = StationaryPoints.find(SADDLE, StationaryPoints.consensus(SADDLE, gamma), h, -1, 2, -1, 2);
            assertEquals(3, zeros.size(), "gamma " + gamma + ": " + zeros);
            List<StationaryPoints.Point> spurious = zeros.stream().filter(p -> !p.equilibrium()).toList();
            assertEquals(2, spurious.size());
            assertEquals(1, spurious.stream().filter(StationaryPoints.Point::attractsFlow).count(), spurious.toString());
            for (StationaryPoints.Point p : spurious) {
                assertTrue(p.normV() > 0.05, "a spurious zero of w is not a zero of v: |v| = " + p.normV());
                double[] w = SADDLE.consensus(p.x(), p.y(), gamma);
                assertEquals(0, Math.hypot(w[0], w[1]), 1e-12, "but it is one of w");
            }
        }
        // as gamma grows, the attracting one moves to L's spurious local minimum
        List<StationaryPoints.Point> crit = StationaryPoints.find(SADDLE, StationaryPoints.minusGradL(SADDLE), h, -1, 2, -1, 2);
        StationaryPoints.Point min = crit.stream().filter(p -> !p.equilibrium() && p.attractsFlow()).findFirst().orElseThrow();
        StationaryPoints.Point at1000 = StationaryPoints.find(SADDLE, StationaryPoints.consensus(SADDLE, 1000), 1e-4, -1, 2, -1, 2).stream()
                .filter(p -> !p.equilibrium() && p.attractsFlow()).findFirst().orElseThrow();
        assertEquals(min.x(), at1000.x(), 2e-3);
        assertEquals(min.y(), at1000.y(), 2e-3);

        // from the same start, consensus with gamma 5 stalls there; with gamma 0.5 it reaches the saddle, as GD does
        Trajectory stuck = Trajectory.run(SADDLE, Method.CONSENSUS, 1.5, 1.5, h, 5, 3000, null);
        double[] z = stuck.last();
        assertEquals(0.9249, z[0], 1e-3);
        assertEquals(0.8805, z[1], 1e-3);
        assertTrue(stuck.behaviour().startsWith("stalls at (0.925, 0.880)"), stuck.behaviour());
        assertEquals("converges", Trajectory.run(SADDLE, Method.CONSENSUS, 1.5, 1.5, h, 0.5, 3000, null).behaviour());
        assertEquals("converges", Trajectory.run(SADDLE, Method.SIMGD, 1.5, 1.5, h, 0, 3000, null).behaviour());
        assertFalse(GameNumerics.run(GameNumerics.Settings.defaults(SADDLE), null).attractingSpuriousPoints().isEmpty());
    }

    @Test
    void aRunThatLeavesTheNumbersStopsAndSaysWhen() {
        Trajectory t = Trajectory.run(BILINEAR, Method.SIMGD, 1, 1, 1.5, 0, 1000, null);   // x sqrt(3.25) a step
        assertTrue(t.divergedAt() > 0 && t.done() == t.divergedAt() - 1, t.divergedAt() + " " + t.done());
        assertEquals("diverges at step " + t.divergedAt(), t.behaviour());
        assertTrue(Double.isFinite(t.finalDistance()) && t.finalDistance() <= Trajectory.ESCAPE);
        assertEquals(t.done(), t.steps()[t.steps().length - 1], "the last finite iterate is kept");
    }

    @Test
    void longRunsKeepAtMostMaxKeptPoints() {
        Trajectory t = Trajectory.run(BILINEAR, Method.ALTGD, 1, 0, 0.01, 0, 1_000_003, null);
        assertTrue(t.x().length <= Trajectory.MAX_KEPT + 2, "" + t.x().length);
        assertEquals(1_000_003, t.steps()[t.steps().length - 1]);
        assertEquals(0, t.steps()[0]);
    }
}
