package dev.sparring.gan.loss;

import dev.sparring.UserError;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * Known f-divergences in the checker's variable r = q/p (fake over real), D_f(Q||P) = E_P f(q/p), each in
 * canonical form f(1) = f'(1) = 0 (an affine term a (r - 1) changes no divergence, since E_P (q/p - 1) = 0),
 * and {@link #identify} that names a canonical f up to a positive factor.
 */
public final class Divergences {
    private Divergences() { }

    /**
     * @param name       the divergence ("JSD")
     * @param definition its definition in p (real) and q (fake)
     * @param f          its generator in r = q/p
     * @param slope      f'(1), subtracted to make the form canonical (the midpoint of the one-sided slopes at a kink)
     */
    public record Known(String name, String definition, DoubleUnaryOperator f, double slope) {
        /** The canonical generator f(r) - f(1) - f'(1) (r - 1). */
        public double canonical(double r) { return f.applyAsDouble(r) - f.applyAsDouble(1) - slope * (r - 1); }
    }

    /** f(r) = scale x known's canonical generator, to within maxDeviation (relative). */
    public record Match(Known known, double scale, double maxDeviation) {
        /**
         * "squared Hellinger = sum (sqrt p - sqrt q)^2", or with a factor "2 x JSD, where JSD = KL(P||M)/2 + ...": the
         * factor stays outside the definition, which "2 x JSD = KL(P||M)/2 + ..." would read as an equation.
         */
        public String describe() {
            String def = known.name() + " = " + known.definition();
            return Math.abs(scale - 1) < 1e-6 ? def : Print.human(scale) + " x " + known.name() + ", where " + def;
        }
    }

    public static final List<Known> KNOWN = List.of(
            new Known("KL(P||Q)", "sum p log(p/q)", r -> -Math.log(r), -1),
            new Known("KL(Q||P)", "sum q log(q/p)", r -> r * Math.log(r), 1),
            new Known("Pearson chi2", "sum (p-q)^2/q", r -> (r - 1) * (r - 1) / r, 0),
            new Known("Neyman chi2", "sum (p-q)^2/p", r -> (r - 1) * (r - 1), 0),
            new Known("squared Hellinger", "sum (sqrt p - sqrt q)^2", r -> (Math.sqrt(r) - 1) * (Math.sqrt(r) - 1), 0),
            new Known("JSD", "KL(P||M)/2 + KL(Q||M)/2, M = (P+Q)/2", r -> 0.5 * (r * Math.log(r) - (1 + r) * Math.log((1 + r) / 2)), 0),
            new Known("TV", "sum |p - q| / 2", r -> 0.5 * Math.abs(r - 1), 0),
            new Known("triangular discrimination", "sum (p-q)^2/(p+q)", r -> (r - 1) * (r - 1) / (r + 1), 0));

    /** Divergence names as used in {@link #KNOWN} by short key, for tests and docs. */
    public static Known known(String prefix) {
        for (Known k : KNOWN) if (k.name().startsWith(prefix)) return k;
        throw new UserError("Divergences.known: no divergence named '" + prefix + "...'");
    }

    /**
     * The known divergence that f (sampled at r) is a positive multiple of, to a relative 1e-6 at every sample;
     * null when none is.
     */
    public static Match identify(double[] r, double[] f) {
        Match best = null;
        int ref = nearest(r, 4.0);
        for (Known k : KNOWN) {
            double kr = k.canonical(r[ref]);
            if (!(Math.abs(kr) > 0) || !Double.isFinite(f[ref])) continue;
            double scale = f[ref] / kr;
            if (!(scale > 0)) continue;
            double worst = 0;
            for (int j = 0; j < r.length; j++) {
                double want = scale * k.canonical(r[j]);
                if (!Double.isFinite(want) || !Double.isFinite(f[j])) continue;
                double dev = Math.abs(f[j] - want) / (Math.abs(want) + Math.abs(f[j]) + 1e-12);
                worst = Math.max(worst, dev);
            }
            if (worst < 1e-6 && (best == null || worst < best.maxDeviation())) best = new Match(k, scale, worst);
        }
        return best;
    }

    private static int nearest(double[] r, double x) {
        int best = 0;
        for (int j = 1; j < r.length; j++) if (Math.abs(r[j] - x) < Math.abs(r[best] - x)) best = j;
        return best;
    }
}
