package dev.sparring.cli;

import dev.sparring.lab.numerics.Complex;
import dev.sparring.lab.numerics.Game;
import dev.sparring.lab.numerics.GameNumerics;
import dev.sparring.lab.numerics.Method;
import dev.sparring.lab.numerics.StationaryPoints;
import dev.sparring.lab.numerics.Trajectory;
import dev.sparring.viz.FieldPlot;
import dev.sparring.viz.Figure;
import dev.sparring.viz.LineChart;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * The figures of {@code sparring numerics --game}: field.png (v, -grad L and v - gamma grad L), trajectories.png (each
 * method from the same start over v), distance.png (each method's distance to the equilibrium per step) and
 * eigenvalues.png (what each method's local stability is read from, with the disc |1 + h lambda| &lt; 1).
 */
final class NumericsFigures {
    /** Arrows per side of a field panel. */
    static final int ARROWS = 17;
    static final String[] FILES = {"field.png", "trajectories.png", "distance.png", "eigenvalues.png"};

    private NumericsFigures() { }

    /** Writes the four figures into {@code dir}. */
    static void write(GameNumerics r, Path dir) throws IOException {
        GameNumerics.Settings s = r.settings();
        Game g = s.game();
        String heading = g.name() + ":  " + g.formula();
        String settings = String.format(Locale.ROOT, "step h = %s, gamma = %s, %d steps from (%s, %s); x minimises f, y maximises it, v = (-df/dx, df/dy)",
                num(s.lr()), num(s.gamma()), s.steps(), num(s.startX()), num(s.startY()));
        double[] eq = g.equilibrium();

        // field.png
        FieldPlot v = field("game field v", s.xMin(), s.xMax(), s.yMin(), s.yMax(), g::v);
        FieldPlot l = field("consensus field -grad L, L = |v|^2/2", s.xMin(), s.xMax(), s.yMin(), s.yMax(), (x, y) -> {
            double[] d = g.gradL(x, y);
            return new double[] {-d[0], -d[1]};
        });
        FieldPlot w = field("v - gamma grad L, gamma = " + num(s.gamma()), s.xMin(), s.xMax(), s.yMin(), s.yMax(), (x, y) -> g.consensus(x, y, s.gamma()));
        v.points("equilibrium", -1, FieldPlot.Marker.CROSS, new double[] {eq[0]}, new double[] {eq[1]});
        stationary(l, r.criticalPointsOfL(), "spurious minimum of L", "other critical point of L");
        stationary(w, r.consensusZeros(), "spurious, attracting", "spurious, not attracting");
        new Figure(3, 500, 560).heading(heading).heading("arrows show directions (all one length); " + settings)
                .add(v).add(l).add(w).write(dir.resolve(FILES[0]));

        // trajectories.png
        double[] win = pathWindow(r);
        FieldPlot t = field("trajectories over v", win[0], win[1], win[2], win[3], g::v).size(720, 720);
        for (Trajectory p : r.trajectories()) t.path(p.method().title() + ": " + p.behaviour(), color(p.method()), p.x(), p.y());
        t.points("start", -1, FieldPlot.Marker.DOT, new double[] {s.startX()}, new double[] {s.startY()});
        t.points("equilibrium", -1, FieldPlot.Marker.CROSS, new double[] {eq[0]}, new double[] {eq[1]});
        List<double[]> trap = r.attractingSpuriousPoints().stream().map(z -> new double[] {z.x(), z.y()}).toList();
        if (!trap.isEmpty()) t.points("spurious zero of v - gamma grad L", 3, FieldPlot.Marker.DOT, col(trap, 0), col(trap, 1));
        new Figure(1, 720, 760).heading(heading).heading(settings).add(t).write(dir.resolve(FILES[1]));

        // distance.png
        LineChart d = new LineChart("distance to the equilibrium").xLabel("step").yLabel("log10 |z - z*|").size(900, 520);
        for (Trajectory p : r.trajectories()) {
            double[] k = new double[p.x().length], y = new double[p.x().length];
            for (int i = 0; i < k.length; i++) {
                k[i] = p.steps()[i];
                y[i] = Math.log10(Math.hypot(p.x()[i] - eq[0], p.y()[i] - eq[1]));   // -inf at the equilibrium: a break
            }
            d.series(p.method().title(), k, y);
        }
        new Figure(1, 900, 520).heading(heading).heading(settings).add(d).write(dir.resolve(FILES[2]));

        // eigenvalues.png
        new Figure(2, 560, 620).heading(heading + ":  stability at the equilibrium")
                .heading("a method converges near the equilibrium iff all its points lie inside the disc |1 + h lambda| < 1 (h = " + num(s.lr())
                        + "); simultaneous GD: eigenvalues of J; consensus: of J - gamma J^T J; alternating GD: (mu - 1)/h for the eigenvalues mu of its update matrix")
                .add(eigen(r, false)).add(eigen(r, true)).write(dir.resolve(FILES[3]));
    }

    static int color(Method m) { return m.ordinal(); }

    /** Arrows of {@code f} on an {@link #ARROWS}-per-side grid over the window. */
    static FieldPlot field(String title, double x0, double x1, double y0, double y1, BiFunction<Double, Double, double[]> f) {
        int n = ARROWS * ARROWS;
        double[] x = new double[n], y = new double[n], u = new double[n], v = new double[n];
        for (int i = 0; i < ARROWS; i++) {
            for (int j = 0; j < ARROWS; j++) {
                int k = i * ARROWS + j;
                x[k] = x0 + (x1 - x0) * (i + 0.5) / ARROWS;
                y[k] = y0 + (y1 - y0) * (j + 0.5) / ARROWS;
                double[] a = f.apply(x[k], y[k]);
                u[k] = a[0];
                v[k] = a[1];
            }
        }
        double cell = Math.min(x1 - x0, y1 - y0) / ARROWS;
        return new FieldPlot(title, x0, x1, y0, y1).labels("x (minimises f)", "y (maximises f)").arrows(null, x, y, u, v, 0.75 * cell, true);
    }

    /** The equilibria (black crosses) and spurious zeros (red: dots where they attract the method's steps, rings otherwise). */
    private static void stationary(FieldPlot p, List<StationaryPoints.Point> zeros, String attracting, String other) {
        List<double[]> eq = new ArrayList<>(), good = new ArrayList<>(), bad = new ArrayList<>();
        for (StationaryPoints.Point z : zeros) (z.equilibrium() ? eq : z.attractsFlow() ? good : bad).add(new double[] {z.x(), z.y()});
        p.points("equilibrium", -1, FieldPlot.Marker.CROSS, col(eq, 0), col(eq, 1));
        if (!good.isEmpty()) p.points(attracting, 3, FieldPlot.Marker.DOT, col(good, 0), col(good, 1));
        if (!bad.isEmpty()) p.points(other, 3, FieldPlot.Marker.RING, col(bad, 0), col(bad, 1));
    }

    private static double[] col(List<double[]> pts, int k) { return pts.stream().mapToDouble(p -> p[k]).toArray(); }

    /** The game's window widened to the finite path points, at most 4 times its size about its centre. */
    static double[] pathWindow(GameNumerics r) {
        GameNumerics.Settings s = r.settings();
        double cx = (s.xMin() + s.xMax()) / 2, cy = (s.yMin() + s.yMax()) / 2, hx = (s.xMax() - s.xMin()) / 2, hy = (s.yMax() - s.yMin()) / 2;
        double[] w = {s.xMin(), s.xMax(), s.yMin(), s.yMax()};
        for (Trajectory t : r.trajectories()) {
            for (int i = 0; i < t.x().length; i++) {
                w[0] = Math.min(w[0], Math.max(cx - 4 * hx, t.x()[i]));
                w[1] = Math.max(w[1], Math.min(cx + 4 * hx, t.x()[i]));
                w[2] = Math.min(w[2], Math.max(cy - 4 * hy, t.y()[i]));
                w[3] = Math.max(w[3], Math.min(cy + 4 * hy, t.y()[i]));
            }
        }
        return w;
    }

    /** The complex plane: the disc |1 + h lambda| &lt; 1 and each method's points; whole, or zoomed on the points. */
    private static FieldPlot eigen(GameNumerics r, boolean zoom) {
        GameNumerics.Settings s = r.settings();
        double h = s.lr();
        double[] eq = s.game().equilibrium();
        List<Method> methods = s.methods();
        Complex[][] pts = new Complex[methods.size()][];
        double far = 0;
        for (int i = 0; i < pts.length; i++) {
            pts[i] = methods.get(i).stabilityEigenvalues(s.game(), eq[0], eq[1], h, s.gamma());
            for (Complex c : pts[i]) if (Double.isFinite(c.abs())) far = Math.max(far, c.abs());
        }
        double x0, x1, y0, y1;
        if (zoom) {
            double half = Math.max(far, 1e-3) * 1.3;
            x0 = -half; x1 = half; y0 = -half; y1 = half;
        } else {
            double m = Math.max(2 / h, far) * 0.1;
            x0 = Math.min(-2 / h, -far) - m; x1 = Math.max(far, 0) + m; y0 = -Math.max(1 / h, far) - m; y1 = Math.max(1 / h, far) + m;
        }
        FieldPlot p = new FieldPlot(zoom ? "near 0" : "the whole disc", x0, x1, y0, y1).labels("Re lambda", "Im lambda").zeroLines()
                .disc("|1 + h lambda| < 1", 7, -1 / h, 0, 1 / h);
        FieldPlot.Marker[] marks = {FieldPlot.Marker.RING, FieldPlot.Marker.CROSS, FieldPlot.Marker.DOT};
        for (int i = 0; i < pts.length; i++) {
            Method m = methods.get(i);
            String what = switch (m) {
                case SIMGD -> "eig J";
                case ALTGD -> "(mu - 1)/h";
                case CONSENSUS -> "eig(J - gamma J^T J)";
            };
            double[] re = new double[pts[i].length], im = new double[pts[i].length];
            for (int k = 0; k < re.length; k++) {
                re[k] = pts[i][k].re();
                im[k] = pts[i][k].im();
            }
            p.points(m.title() + ": " + what, color(m), marks[m.ordinal()], re, im);
        }
        return p;
    }

    /** A number for a heading: as given ("0.1", "5", "1e-05"). */
    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);
    }
}
