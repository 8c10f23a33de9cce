package dev.sparring.lab.numerics;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The zeros of a field in a window of the plane, found by Newton's method from a grid of starts: the stationary points
 * of the consensus field w = v - gamma grad L (gamma = 0: of v itself), and the critical points of L = |v|^2 / 2.
 * Each zero is told apart as a true equilibrium of the game (v = 0) or a spurious one (v != 0), and classified by the
 * eigenvalues of the field's Jacobian there.
 */
public final class StationaryPoints {
    /** Newton starts per side of the window. */
    public static final int GRID = 25;
    private static final int ITERATIONS = 60;

    private StationaryPoints() { }

    /**
     * A zero of the field.
     *
     * @param normV       |v| there: 0 (to rounding) at an equilibrium of the game
     * @param eigenvalues of the field's Jacobian there
     * @param attractsFlow every eigenvalue has a negative real part: the continuous flow along the field converges here
     * @param attractsStep the Euler step of size h along the field converges here: |1 + h lambda| &lt; 1 for every eigenvalue
     */
    public record Point(double x, double y, double normV, Complex[] eigenvalues, boolean attractsFlow, boolean attractsStep) {
        /** A zero of v, not only of the field: the game's own equilibrium. */
        public boolean equilibrium() { return normV <= 1e-8; }
    }

    /** A field on the plane and its Jacobian. */
    public interface Field {
        double[] at(double x, double y);

        Mat2 jacobian(double x, double y);
    }

    /** The consensus field v - gamma grad L of a game (v itself for gamma = 0). */
    public static Field consensus(Game g, double gamma) {
        return new Field() {
            public double[] at(double x, double y) { return g.consensus(x, y, gamma); }

            public Mat2 jacobian(double x, double y) { return g.consensusJacobian(x, y, gamma); }
        };
    }

    /** -grad L, whose zeros are L's critical points (the limit of the consensus field's as gamma grows). */
    public static Field minusGradL(Game g) {
        return new Field() {
            public double[] at(double x, double y) {
                double[] d = g.gradL(x, y);
                return new double[] {-d[0], -d[1]};
            }

            public Mat2 jacobian(double x, double y) { return g.hessianL(x, y).scale(-1); }
        };
    }

    /**
     * The zeros of {@code field} in [xMin, xMax] x [yMin, yMax], nearest the game's equilibrium first. Newton runs from
     * a {@link #GRID} x {@link #GRID} grid of starts; a start counts when Newton's steps shrink below 1e-12 of the
     * window and it ends inside the window. Zeros closer than 1e-6 of the window are one.
     */
    public static List<Point> find(Game g, Field field, double h, double xMin, double xMax, double yMin, double yMax) {
        double scale = Math.max(xMax - xMin, yMax - yMin);
        List<double[]> found = new ArrayList<>();
        for (int i = 0; i < GRID; i++) {
            for (int j = 0; j < GRID; j++) {
                double[] z = newton(field, xMin + (xMax - xMin) * i / (GRID - 1), yMin + (yMax - yMin) * j / (GRID - 1), scale);
                if (z == null || z[0] < xMin || z[0] > xMax || z[1] < yMin || z[1] > yMax) continue;
                boolean known = false;
                for (double[] f : found) known |= Math.hypot(f[0] - z[0], f[1] - z[1]) <= 1e-6 * scale;
                if (!known) found.add(z);
            }
        }
        double[] eq = g.equilibrium();
        found.sort(Comparator.comparingDouble(z -> Math.hypot(z[0] - eq[0], z[1] - eq[1])));
        List<Point> out = new ArrayList<>();
        for (double[] z : found) {
            Complex[] e = field.jacobian(z[0], z[1]).eigenvalues();
            boolean flow = true, step = true;
            for (Complex l : e) {
                flow &= l.re() < 0;
                step &= Math.hypot(1 + h * l.re(), h * l.im()) < 1;
            }
            double[] v = g.v(z[0], z[1]);
            out.add(new Point(z[0], z[1], Math.hypot(v[0], v[1]), e, flow, step));
        }
        return out;
    }

    /** Newton's method from (x, y); null when it does not settle (singular Jacobian, no convergence, left far away). */
    static double[] newton(Field field, double x, double y, double scale) {
        for (int k = 0; k < ITERATIONS; k++) {
            double[] f = field.at(x, y);
            double[] d = field.jacobian(x, y).solve(-f[0], -f[1]);
            if (d == null || !Double.isFinite(d[0]) || !Double.isFinite(d[1])) return null;
            double len = Math.hypot(d[0], d[1]);
            if (len > scale) {   // a wild step from a near-singular Jacobian: shorten it to the window's size
                d[0] *= scale / len;
                d[1] *= scale / len;
            }
            x += d[0];
            y += d[1];
            if (Math.abs(x) > 100 * scale || Math.abs(y) > 100 * scale) return null;
            if (len <= 1e-12 * scale) return new double[] {x, y};
        }
        return null;
    }
}
