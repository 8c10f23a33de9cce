package dev.sparring.lab.numerics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * One {@code sparring numerics --game} experiment, without drawing: each method's trajectory from the same start, the
 * Jacobian and every method's update matrix at the equilibrium, the gammas for which consensus converges there, and
 * the stationary points of the consensus field and the critical points of L in the window. {@link #summary()} is
 * summary.json.
 */
public record GameNumerics(Settings settings, List<Trajectory> trajectories, Mat2 jacobian, Map<Method, Mat2> updateMatrices,
                           List<ConsensusRange.Interval> consensusStable, List<StationaryPoints.Point> consensusZeros,
                           List<StationaryPoints.Point> criticalPointsOfL) {

    /** What to run: the game, the methods, step size h, consensus gamma, steps, the start and the window. */
    public record Settings(Game game, List<Method> methods, double lr, double gamma, long steps, double startX, double startY,
                           double xMin, double xMax, double yMin, double yMax) {
        /** The game's own defaults for every method. */
        public static Settings defaults(Game g) {
            Game.Defaults d = g.defaults();
            return new Settings(g, List.of(Method.values()), d.lr(), d.gamma(), d.steps(), d.startX(), d.startY(), d.xMin(), d.xMax(), d.yMin(), d.yMax());
        }
    }

    /** Runs the experiment; {@code progress} hears the steps done over all methods (of methods x steps). */
    public static GameNumerics run(Settings s, LongConsumer progress) {
        Game g = s.game();
        List<Trajectory> paths = new ArrayList<>();
        for (int i = 0; i < s.methods().size(); i++) {
            long before = i * s.steps();
            paths.add(Trajectory.run(g, s.methods().get(i), s.startX(), s.startY(), s.lr(), s.gamma(), s.steps(),
                    progress == null ? null : k -> progress.accept(before + k)));
        }
        double[] eq = g.equilibrium();
        Map<Method, Mat2> update = new LinkedHashMap<>();
        for (Method m : Method.values()) update.put(m, m.updateMatrix(g, eq[0], eq[1], s.lr(), s.gamma()));
        return new GameNumerics(s, paths, g.jacobian(eq[0], eq[1]), update, ConsensusRange.stable(g, s.lr()),
                StationaryPoints.find(g, StationaryPoints.consensus(g, s.gamma()), s.lr(), s.xMin(), s.xMax(), s.yMin(), s.yMax()),
                StationaryPoints.find(g, StationaryPoints.minusGradL(g), s.lr(), s.xMin(), s.xMax(), s.yMin(), s.yMax()));
    }

    /** The spurious zeros of the consensus field (v != 0 there) that attract its Euler steps of size h. */
    public List<StationaryPoints.Point> attractingSpuriousPoints() {
        return consensusZeros.stream().filter(p -> !p.equilibrium() && p.attractsStep()).toList();
    }

    /** summary.json: the settings, then the numbers (docs/lab.md lists the fields). */
    public Map<String, Object> summary() {
        Game g = settings.game();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("game", g.name());
        m.put("f", g.formula());
        m.put("convention", "x minimises f, y maximises f; v = (-df/dx, df/dy); every method steps along +v");
        m.put("lr", settings.lr());
        m.put("gamma", settings.gamma());
        m.put("steps", settings.steps());
        m.put("start", List.of(settings.startX(), settings.startY()));
        m.put("window", List.of(List.of(settings.xMin(), settings.xMax()), List.of(settings.yMin(), settings.yMax())));
        double[] eq = g.equilibrium();
        m.put("equilibrium", List.of(eq[0], eq[1]));
        m.put("jacobian", jacobian.rows());
        m.put("jacobian_eigenvalues", complex(jacobian.eigenvalues()));
        Map<String, Object> methods = new LinkedHashMap<>();
        for (Method k : Method.values()) {
            Map<String, Object> e = new LinkedHashMap<>();
            Mat2 a = updateMatrices.get(k);
            e.put("update_matrix", a.rows());
            e.put("update_eigenvalues", complex(a.eigenvalues()));
            e.put("spectral_radius", a.spectralRadius());
            e.put("locally_convergent", a.spectralRadius() < 1);
            e.put("stability_eigenvalues", complex(k.stabilityEigenvalues(g, eq[0], eq[1], settings.lr(), settings.gamma())));
            for (Trajectory t : trajectories) {
                if (t.method() != k) continue;
                e.put("behaviour", t.behaviour());
                e.put("steps_done", t.done());
                e.put("diverged_at_step", t.divergedAt() < 0 ? null : t.divergedAt());
                e.put("final", List.of(t.last()[0], t.last()[1]));
                e.put("start_distance", t.startDistance());
                e.put("final_distance", t.finalDistance());
                e.put("min_distance", t.minDistance());
                e.put("max_distance", t.maxDistance());
                e.put("last_move", t.lastMove());
                e.put("turns", t.turns());
            }
            methods.put(k.flag(), e);
        }
        m.put("methods", methods);
        List<Object> ranges = new ArrayList<>();
        for (ConsensusRange.Interval i : consensusStable) ranges.add(java.util.Arrays.asList(i.lo(), Double.isInfinite(i.hi()) ? null : i.hi()));
        m.put("consensus_convergent_gamma", ranges);
        m.put("consensus_stationary_points", points(consensusZeros));
        m.put("critical_points_of_L", points(criticalPointsOfL));
        return m;
    }

    private static List<Map<String, Object>> complex(Complex[] c) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Complex z : c) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("re", z.re());
            e.put("im", z.im());
            out.add(e);
        }
        return out;
    }

    private static List<Map<String, Object>> points(List<StationaryPoints.Point> ps) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (StationaryPoints.Point p : ps) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("point", List.of(p.x(), p.y()));
            e.put("kind", p.equilibrium() ? "equilibrium" : "spurious");
            e.put("norm_v", p.normV());
            e.put("eigenvalues", complex(p.eigenvalues()));
            e.put("attracts_flow", p.attractsFlow());
            e.put("attracts_step", p.attractsStep());
            out.add(e);
        }
        return out;
    }
}
