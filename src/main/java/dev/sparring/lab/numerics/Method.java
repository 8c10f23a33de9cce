package dev.sparring.lab.numerics;

import dev.sparring.UserError;

import java.util.Arrays;
import java.util.Locale;

/**
 * The three ways of playing a game that {@code sparring numerics --method} compares, each one step of size h from
 * z = (x, y) along the game field v ({@link Game}):
 * <ul>
 *   <li>{@link #SIMGD}: both players at once, z' = z + h v(z);</li>
 *   <li>{@link #ALTGD}: the maximiser y first, then the minimiser x against the new y (the critic steps before the
 *       generator, as in Sparring's trainer): y' = y + h v_y(x, y), x' = x + h v_x(x, y');</li>
 *   <li>{@link #CONSENSUS}: both at once along w = v - gamma grad L, z' = z + h w(z).</li>
 * </ul>
 * {@link #updateMatrix} is the Jacobian of the step map; at an equilibrium it decides local convergence: the method
 * contracts there iff its spectral radius is below 1.
 */
public enum Method {
    SIMGD("simgd", "simultaneous GD"),
    ALTGD("altgd", "alternating GD"),
    CONSENSUS("consensus", "consensus");

    private final String flag, title;

    Method(String flag, String title) {
        this.flag = flag;
        this.title = title;
    }

    /** The name {@code --method} takes. */
    public String flag() { return flag; }

    /** The name the figures use. */
    public String title() { return title; }

    /** One step of size h from (x, y); gamma is used by {@link #CONSENSUS} only. */
    public double[] step(Game g, double x, double y, double h, double gamma) {
        return switch (this) {
            case SIMGD -> {
                double[] v = g.v(x, y);
                yield new double[] {x + h * v[0], y + h * v[1]};
            }
            case ALTGD -> {
                double y1 = y + h * g.v(x, y)[1];
                yield new double[] {x + h * g.v(x, y1)[0], y1};
            }
            case CONSENSUS -> {
                double[] w = g.consensus(x, y, gamma);
                yield new double[] {x + h * w[0], y + h * w[1]};
            }
        };
    }

    /**
     * The Jacobian of {@link #step} at (x, y): I + h J for simultaneous GD, I + h w' for consensus, and for alternating
     * GD, with J = [[a, b], [c, d]] at (x, y) and [[a', b'], ...] at (x, y'),
     * <pre>
     *   [[1 + h a' + h^2 b' c,  h b' (1 + h d)],
     *    [h c,                  1 + h d       ]]
     * </pre>
     * At an equilibrium (y' = y) its determinant is (1 + h a)(1 + h d) and its trace 2 + h (a + d) + h^2 b c: on the
     * bilinear game 1 and 2 - h^2, so for h &lt; 2 both eigenvalues lie on the unit circle.
     */
    public Mat2 updateMatrix(Game g, double x, double y, double h, double gamma) {
        return switch (this) {
            case SIMGD -> Mat2.IDENTITY.plus(g.jacobian(x, y).scale(h));
            case CONSENSUS -> Mat2.IDENTITY.plus(g.consensusJacobian(x, y, gamma).scale(h));
            case ALTGD -> {
                Mat2 j = g.jacobian(x, y);
                double y1 = y + h * g.v(x, y)[1];
                Mat2 j1 = g.jacobian(x, y1);
                double c = j.c(), d = j.d();
                yield new Mat2(1 + h * j1.a() + h * h * j1.b() * c, h * j1.b() * (1 + h * d), h * c, 1 + h * d);
            }
        };
    }

    /**
     * The eigenvalues this method's stability is read from, drawn in the complex plane with the disc |1 + h lambda| &lt; 1:
     * those of J for simultaneous GD and of w' = J - gamma J^T J for consensus (each method is an Euler step along its
     * field, so the disc is exactly its stability region); for alternating GD, whose update matrix A is not a function
     * of J's eigenvalues, (mu - 1) / h for each eigenvalue mu of A, which lies in the same disc iff |mu| &lt; 1.
     */
    public Complex[] stabilityEigenvalues(Game g, double x, double y, double h, double gamma) {
        return switch (this) {
            case SIMGD -> g.jacobian(x, y).eigenvalues();
            case CONSENSUS -> g.consensusJacobian(x, y, gamma).eigenvalues();
            case ALTGD -> Arrays.stream(updateMatrix(g, x, y, h, gamma).eigenvalues())
                    .map(mu -> new Complex((mu.re() - 1) / h, mu.im() / h)).toArray(Complex[]::new);
        };
    }

    /** The method {@code --method} names; a one-line {@link UserError} naming the known ones otherwise. */
    public static Method byFlag(String flag) {
        for (Method m : values()) if (m.flag.equals(flag.strip().toLowerCase(Locale.ROOT))) return m;
        throw new UserError("--method " + flag + ": unknown method; the methods are simgd, altgd, consensus");
    }
}
