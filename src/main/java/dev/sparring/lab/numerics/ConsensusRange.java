package dev.sparring.lab.numerics;

import java.util.ArrayList;
import java.util.List;

/**
 * For which gamma consensus optimisation with step h converges near a game's equilibrium: where the spectral radius of
 * its update matrix I + h (J - gamma J^T J) is below 1. On the bilinear game that is the interval
 * ((1 - sqrt(1 - h^2)) / h, (1 + sqrt(1 - h^2)) / h): gamma must be large enough to damp the rotation, and small
 * enough for the step.
 */
public final class ConsensusRange {
    /** The gammas scanned: 0, then {@link #SCAN} points evenly spaced in log10 from {@link #LO} to {@link #HI}. */
    static final double LO = 1e-4, HI = 1e4;
    static final int SCAN = 801;

    private ConsensusRange() { }

    /** An interval of gamma in which consensus contracts; {@code hi} is infinite when it still does at {@link #HI}. */
    public record Interval(double lo, double hi) { }

    /** The spectral radius of consensus' update matrix at the equilibrium. */
    public static double radius(Game g, double h, double gamma) {
        double[] eq = g.equilibrium();
        return Method.CONSENSUS.updateMatrix(g, eq[0], eq[1], h, gamma).spectralRadius();
    }

    /** The intervals of gamma in [0, {@link #HI}] where the radius is below 1, each end found by bisection to 1e-12. */
    public static List<Interval> stable(Game g, double h) {
        double[] gammas = new double[SCAN + 1];
        for (int i = 1; i <= SCAN; i++) gammas[i] = Math.pow(10, Math.log10(LO) + (Math.log10(HI) - Math.log10(LO)) * (i - 1) / (SCAN - 1));
        List<Interval> out = new ArrayList<>();
        boolean inside = radius(g, h, 0) < 1;
        double lo = 0;
        for (int i = 1; i <= SCAN; i++) {
            boolean now = radius(g, h, gammas[i]) < 1;
            if (now == inside) continue;
            double edge = bisect(g, h, gammas[i - 1], gammas[i], inside);
            if (now) lo = edge;
            else out.add(new Interval(lo, edge));
            inside = now;
        }
        if (inside) out.add(new Interval(lo, Double.POSITIVE_INFINITY));
        return out;
    }

    /** The gamma in [a, b] where stability changes from {@code stableAtA}. */
    private static double bisect(Game g, double h, double a, double b, boolean stableAtA) {
        for (int k = 0; k < 200 && b - a > 1e-12 * Math.max(1, b); k++) {
            double m = (a + b) / 2;
            if ((radius(g, h, m) < 1) == stableAtA) a = m;
            else b = m;
        }
        return (a + b) / 2;
    }
}
