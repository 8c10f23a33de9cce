package dev.sparring.lab.numerics;

import dev.sparring.UserError;

import java.util.List;

/** The games {@code sparring numerics --game} knows (docs/lab.md derives each). */
public final class Games {
    private Games() { }

    /**
     * f(x, y) = x y: v = (-y, x) is a pure rotation (the curl field), J = [[0, -1], [1, 0]] with eigenvalues +-i.
     * Simultaneous GD multiplies the distance to (0, 0) by sqrt(1 + h^2) every step; alternating GD's update matrix has
     * determinant 1 and trace 2 - h^2, so for h &lt; 2 it circles for ever.
     */
    public static final Game BILINEAR = new Game() {
        public String name() { return "bilinear"; }

        public String formula() { return "f(x, y) = x y"; }

        public String about() { return "the bilinear game: v = (-y, x) rotates about the equilibrium (0, 0)"; }

        public double f(double x, double y) { return x * y; }

        public Partials partials(double x, double y) { return new Partials(y, x, 0, 1, 0, 0, 0, 0, 0); }

        public double[] equilibrium() { return new double[] {0, 0}; }

        public Defaults defaults() { return new Defaults(0.1, 0.5, 300, 1, 1, -2, 2, -2, 2); }
    };

    /**
     * The Dirac GAN (Mescheder, Geiger and Nowozin 2018): the data is a point mass at 0, the generator a point mass at
     * theta = x, the discriminator D(t) = psi t with psi = y, and f(x, y) = phi(x y) with the GAN loss
     * phi(t) = -log(1 + e^-t) (the constant phi(0) of the paper's f is left out: it moves nothing). At (0, 0),
     * J = [[0, -phi'(0)], [phi'(0), 0]] with phi'(0) = 1/2: eigenvalues +-i/2, a rotation as in the bilinear game.
     */
    public static final Game DIRAC = new Game() {
        public String name() { return "dirac"; }

        public String formula() { return "f(x, y) = phi(x y), phi(t) = -log(1 + exp(-t))"; }

        public String about() { return "the Dirac GAN: generator theta = x, discriminator D(t) = psi t with psi = y, data at 0"; }

        public double f(double x, double y) { return phi(x * y); }

        public Partials partials(double x, double y) {
            double t = x * y, s = sigmoid(-t), p1 = s, p2 = -s * (1 - s), p3 = s * (1 - s) * (1 - 2 * s);
            return new Partials(y * p1, x * p1,
                    y * y * p2, p1 + t * p2, x * x * p2,
                    y * y * y * p3, 2 * y * p2 + t * y * p3, 2 * x * p2 + t * x * p3, x * x * x * p3);
        }

        public double[] equilibrium() { return new double[] {0, 0}; }

        public Defaults defaults() { return new Defaults(0.2, 1, 1000, 1, 1, -2, 2, -2, 2); }
    };

    /**
     * f(x, y) = x^4/4 - 2x^3/3 + x^2/20 + x y - y^2/2: a saddle at (0, 0) (f_xx = 1/10 &gt; 0 for the minimiser,
     * f_yy = -1 &lt; 0 for the maximiser) and no other zero of v (v = 0 means y = x and x ((x - 1)^2 + 1/10) = 0), but near
     * x = 1 the minimiser's gradient almost vanishes: L = |v|^2 / 2 has a spurious local minimum there, and for gamma
     * above about 1.63 the consensus field v - gamma grad L gets two extra zeros, one of them attracting.
     */
    public static final Game SADDLE = new Game() {
        public String name() { return "saddle"; }

        public String formula() { return "f(x, y) = x^4/4 - 2x^3/3 + x^2/20 + x y - y^2/2"; }

        public String about() { return "a saddle at (0, 0) where |v|^2 has a spurious local minimum near (0.95, 0.90)"; }

        public double f(double x, double y) { return x * x * x * x / 4 - 2 * x * x * x / 3 + x * x / 20 + x * y - y * y / 2; }

        public Partials partials(double x, double y) {
            return new Partials(x * x * x - 2 * x * x + x / 10 + y, x - y,
                    3 * x * x - 4 * x + 0.1, 1, -1,
                    6 * x - 4, 0, 0, 0);
        }

        public double[] equilibrium() { return new double[] {0, 0}; }

        public Defaults defaults() { return new Defaults(0.02, 5, 3000, 1.5, 1.5, -1, 2, -1, 2); }
    };

    public static final List<Game> ALL = List.of(BILINEAR, DIRAC, SADDLE);

    /** The game named {@code name}; a one-line {@link UserError} naming the known ones otherwise. */
    public static Game byName(String name) {
        for (Game g : ALL) if (g.name().equals(name)) return g;
        throw new UserError("--game " + name + ": unknown game; the games are " + String.join(", ", ALL.stream().map(Game::name).toList()));
    }

    /** -log(1 + e^-t), without overflow for large |t|. */
    static double phi(double t) { return t >= 0 ? -Math.log1p(Math.exp(-t)) : t - Math.log1p(Math.exp(t)); }

    static double sigmoid(double t) {
        if (t >= 0) return 1 / (1 + Math.exp(-t));
        double e = Math.exp(t);
        return e / (1 + e);
    }
}
