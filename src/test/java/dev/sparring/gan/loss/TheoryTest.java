package dev.sparring.gan.loss;

import dev.sparring.backend.CompiledLoss;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pointwise theory on a discrete space with known P (real) and Q (fake): with the critic at its pointwise
 * optimum t*(x) = omega(q(x)/p(x)), the critic's objective sum_x p phi(t*) + q psi(t*) equals the divergence
 * each loss states, computed here directly from p and q (to 1e-6; in practice ~1e-12).
 */
class TheoryTest {
    /** Two pairs of distributions on 7 points: a mild one and one with likelihood ratios from 1/60 to 40. */
    private static final double[][][] PAIRS = {
            {{0.10, 0.20, 0.05, 0.25, 0.15, 0.15, 0.10}, {0.15, 0.10, 0.10, 0.20, 0.20, 0.05, 0.20}},
            {{0.30, 0.005, 0.20, 0.01, 0.40, 0.08, 0.005}, {0.005, 0.20, 0.15, 0.40, 0.05, 0.045, 0.15}}};

    private static double sum(double[] p, double[] q, BiFunction<Double, Double, Double> term) {
        double s = 0;
        for (int i = 0; i < p.length; i++) s += term.apply(p[i], q[i]);
        return s;
    }

    static double klPQ(double[] p, double[] q) { return sum(p, q, (a, b) -> a * Math.log(a / b)); }

    static double klQP(double[] p, double[] q) { return sum(p, q, (a, b) -> b * Math.log(b / a)); }

    static double jsd(double[] p, double[] q) {
        return sum(p, q, (a, b) -> 0.5 * a * Math.log(2 * a / (a + b)) + 0.5 * b * Math.log(2 * b / (a + b)));
    }

    static double tv(double[] p, double[] q) { return sum(p, q, (a, b) -> 0.5 * Math.abs(a - b)); }

    static double pearson(double[] p, double[] q) { return sum(p, q, (a, b) -> (a - b) * (a - b) / b); }

    static double neyman(double[] p, double[] q) { return sum(p, q, (a, b) -> (a - b) * (a - b) / a); }

    static double hellinger2(double[] p, double[] q) { return sum(p, q, (a, b) -> (Math.sqrt(a) - Math.sqrt(b)) * (Math.sqrt(a) - Math.sqrt(b))); }

    static double triangular(double[] p, double[] q) { return sum(p, q, (a, b) -> (a - b) * (a - b) / (a + b)); }

    static double harmonic(double[] p, double[] q) { return sum(p, q, (a, b) -> a * b / (a + b)); }

    /** The critic's optimum each built-in states (see GanLosses: divergence). WGAN has none (an IPM). */
    private static Map<String, BiFunction<double[], double[], Double>> stated() {
        Map<String, BiFunction<double[], double[], Double>> m = new LinkedHashMap<>();
        BiFunction<double[], double[], Double> gan = (p, q) -> -Math.log(4) + 2 * jsd(p, q);
        m.put("minimax", gan);
        m.put("nsgan", gan);
        m.put("lsgan", (p, q) -> -1.0 / 8 * (2 - triangular(p, q)));                  // a=0, b=1
        m.put("lsgan:a=-1,b=1,c=0", (p, q) -> -4.0 / 8 * (2 - triangular(p, q)));
        m.put("hinge", (p, q) -> -2 + 2 * tv(p, q));
        for (String sat : List.of("", "-sat")) {
            m.put("fgan-kl" + sat, TheoryTest::klPQ);
            m.put("fgan-rkl" + sat, TheoryTest::klQP);
            m.put("fgan-pearson" + sat, TheoryTest::pearson);
            m.put("fgan-neyman" + sat, TheoryTest::neyman);
            m.put("fgan-hellinger" + sat, TheoryTest::hellinger2);
            m.put("fgan-js" + sat, (p, q) -> 2 * jsd(p, q));
            m.put("fgan-gan" + sat, gan);
            m.put("fgan-tv" + sat, TheoryTest::tv);
        }
        m.put("lr-tv", (p, q) -> 2 * tv(p, q));
        m.put("lr-exp", (p, q) -> -2 + hellinger2(p, q));
        m.put("lr-01", gan);
        m.put("lr-logistic", gan);
        m.put("lr-lsgan", (p, q) -> -harmonic(p, q));                                   // a=1, b=0
        m.put("lr-lsgan:a=2,b=-1", (p, q) -> -9 * harmonic(p, q));
        return m;
    }

    @Test
    void criticObjectiveAtThePointwiseOptimumIsTheStatedDivergence() {
        Map<String, BiFunction<double[], double[], Double>> stated = stated();
        for (String n : GanLosses.names()) {
            if (!n.startsWith("wgan")) assertTrue(stated.containsKey(n), "no stated divergence for " + n);
        }
        for (var e : stated.entrySet()) {
            GanLoss loss = GanLoss.parse(e.getKey());
            CheckReport rep = loss.check();
            assertTrue(rep.passed(), e.getKey() + " fails its check:\n" + rep.text());
            CompiledLoss k = loss.compiled();
            for (double[][] pq : PAIRS) {
                double[] p = pq[0], q = pq[1];
                double objective = 0;
                for (int i = 0; i < p.length; i++) {
                    double r = q[i] / p[i];
                    if (rep.kind() == CheckReport.Kind.REGULAR) {
                        double t = rep.tStar(r);
                        objective += p[i] * k.phi().eval(t) + q[i] * k.psi().eval(t);
                    } else {
                        objective += p[i] * rep.d(r);   // boundary optimum: the supremum over Omega
                    }
                }
                double want = e.getValue().apply(p, q);
                assertEquals(want, objective, 1e-6, e.getKey());
                assertEquals(want, objective, 1e-9 * (1 + Math.abs(want)), e.getKey() + " (tighter)");
            }
        }
    }

    @Test
    void generatorObjectiveAgainstTheOptimalCritic() {
        for (double[][] pq : PAIRS) {
            double[] p = pq[0], q = pq[1];
            // the "r log r" generator: E_Q beta(t*) = KL(Q||P)
            assertEquals(klQP(p, q), generatorObjective("lr-logistic", p, q), 1e-9);
            // the non-saturating generator: E_Q -log D* = KL(Q||P) - KL(Q||M) + log 2
            double klQM = sum(p, q, (a, b) -> b * Math.log(2 * b / (a + b)));
            assertEquals(klQP(p, q) - klQM + Math.log(2), generatorObjective("nsgan", p, q), 1e-9);
            // the saturating minimax generator: E_Q psi(t*) = critic optimum - E_P phi(t*)
            assertEquals(sum(p, q, (a, b) -> b * Math.log(b / (a + b))), generatorObjective("minimax", p, q), 1e-9);
            // f-GAN practical generator against the optimal critic: E_Q[-f'(p/q)]; KL: f'(u) = 1 + log u
            assertEquals(sum(p, q, (a, b) -> -b * (1 + Math.log(a / b))), generatorObjective("fgan-kl", p, q), 1e-9);
        }
    }

    private static double generatorObjective(String name, double[] p, double[] q) {
        GanLoss loss = GanLoss.parse(name);
        double s = 0;
        for (int i = 0; i < p.length; i++) s += q[i] * loss.compiled().beta().eval(loss.check().tStar(q[i] / p[i]));
        return s;
    }

    @Test
    void optimalCriticIsOmegaOfTheLikelihoodRatio() {
        // closed forms of omega(r), r = q/p, in Sparring's orientation
        record Omega(String loss, java.util.function.DoubleUnaryOperator omega) { }
        for (Omega o : List.of(new Omega("minimax", r -> -Math.log(r)), new Omega("lr-exp", r -> -0.5 * Math.log(r)),
                new Omega("fgan-kl", r -> 1 - Math.log(r)), new Omega("fgan-pearson", r -> 2 / r - 2),
                new Omega("fgan-neyman", r -> -2 * Math.log(r)), new Omega("fgan-hellinger", r -> -0.5 * Math.log(r)),
                new Omega("lsgan:a=-1,b=1,c=0", r -> (1 - r) / (1 + r)), new Omega("lr-lsgan:a=1,b=0", r -> 1 / (1 + r)))) {
            CheckReport rep = GanLoss.parse(o.loss).check();
            for (double r : new double[] {1e-4, 0.03, 0.5, 1, 2, 37, 1e4}) {
                double want = o.omega.applyAsDouble(r);
                assertEquals(want, rep.tStar(r), 1e-9 * (1 + Math.abs(want)), o.loss + " omega(" + r + ")");
            }
        }
    }
}
