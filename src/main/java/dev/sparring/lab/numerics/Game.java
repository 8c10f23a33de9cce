package dev.sparring.lab.numerics;

/**
 * A two-player zero-sum game on the plane: player x minimises f(x, y), player y maximises it.
 *
 * <p>The convention (docs/lab.md): each player ascends its own utility, -f for x and f for y, so the game field is
 * <pre>
 *   v(x, y) = (-df/dx, df/dy)
 * </pre>
 * and every method moves along v: simultaneous gradient descent is z + h v(z). An equilibrium is a zero of v; it is
 * locally stable for the continuous flow when every eigenvalue of the Jacobian J = v' has a negative real part. The
 * consensus field (Mescheder, Nowozin and Geiger 2017) is w = v - gamma grad L with L = |v|^2 / 2, so grad L = J^T v.
 *
 * <p>A game gives f and its partial derivatives up to third order analytically ({@link Partials}); everything else
 * here follows from them, and the tests hold each against finite differences of the one below it.
 */
public interface Game {
    /** The name {@code --game} takes. */
    String name();

    /** f as a formula, e.g. "f(x, y) = x y". */
    String formula();

    /** What the game shows, one line. */
    String about();

    double f(double x, double y);

    Partials partials(double x, double y);

    /** The equilibrium (a zero of v) the figures and distances refer to. */
    double[] equilibrium();

    /** The settings the command uses where a flag is not given, and the part of the plane the figures show. */
    Defaults defaults();

    /** Default step size, consensus gamma, steps and start, and the window {x, y in [min, max]} the fields are drawn over. */
    record Defaults(double lr, double gamma, int steps, double startX, double startY, double xMin, double xMax, double yMin, double yMax) { }

    /** The game field v = (-df/dx, df/dy). */
    default double[] v(double x, double y) {
        Partials p = partials(x, y);
        return new double[] {-p.fx(), p.fy()};
    }

    /** J = v' = [[-f_xx, -f_xy], [f_xy, f_yy]]. */
    default Mat2 jacobian(double x, double y) { return jacobian(partials(x, y)); }

    /** grad L = J^T v for L = |v|^2 / 2. */
    default double[] gradL(double x, double y) {
        Partials p = partials(x, y);
        double[] v = {-p.fx(), p.fy()};
        return jacobian(p).transpose().apply(v[0], v[1]);
    }

    /**
     * The Hessian of L: J^T J + v_x H_x + v_y H_y, with H_x and H_y the Hessians of v's two components
     * (H_x = -[[f_xxx, f_xxy], [f_xxy, f_xyy]], H_y = [[f_xxy, f_xyy], [f_xyy, f_yyy]]).
     */
    default Mat2 hessianL(double x, double y) {
        Partials p = partials(x, y);
        Mat2 j = jacobian(p);
        double vx = -p.fx(), vy = p.fy();
        Mat2 hx = new Mat2(-p.fxxx(), -p.fxxy(), -p.fxxy(), -p.fxyy());
        Mat2 hy = new Mat2(p.fxxy(), p.fxyy(), p.fxyy(), p.fyyy());
        return j.transpose().times(j).plus(hx.scale(vx)).plus(hy.scale(vy));
    }

    /** The consensus field w = v - gamma grad L. */
    default double[] consensus(double x, double y, double gamma) {
        double[] v = v(x, y), g = gradL(x, y);
        return new double[] {v[0] - gamma * g[0], v[1] - gamma * g[1]};
    }

    /** w' = J - gamma (Hessian of L); at an equilibrium (v = 0) this is J - gamma J^T J. */
    default Mat2 consensusJacobian(double x, double y, double gamma) {
        return jacobian(x, y).plus(hessianL(x, y).scale(-gamma));
    }

    private static Mat2 jacobian(Partials p) { return new Mat2(-p.fxx(), -p.fxy(), p.fxy(), p.fyy()); }
}
