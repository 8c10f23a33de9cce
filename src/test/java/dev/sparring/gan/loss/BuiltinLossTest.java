package dev.sparring.gan.loss;

import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.ScalarProgram;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every built-in against closed forms written here independently of the formula language (values and
 * derivatives at chosen points, finite differences, stability at |t| up to 1e4 in double and float), its
 * specification syntax, trainer defaults and equilibrium values.
 */
class BuiltinLossTest {
    private static final double LN2 = Math.log(2);

    private static double sp(double x) { return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))); }

    private static double sig(double x) { return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)); }

    private static double sech2(double x) {
        double c = Math.cosh(x);
        return 1 / (c * c);
    }

    /** phi, phi', psi, psi', beta, beta' of a loss, in closed form. */
    private record Closed(DoubleUnaryOperator phi, DoubleUnaryOperator dphi, DoubleUnaryOperator psi, DoubleUnaryOperator dpsi,
                          DoubleUnaryOperator beta, DoubleUnaryOperator dbeta) {
        Closed sat() { return new Closed(phi, dphi, psi, dpsi, psi, dpsi); }

        Closed withBeta(DoubleUnaryOperator b, DoubleUnaryOperator db) { return new Closed(phi, dphi, psi, dpsi, b, db); }

        DoubleUnaryOperator[] all() { return new DoubleUnaryOperator[] {phi, dphi, psi, dpsi, beta, dbeta}; }
    }

    private static final String[] FN = {"phi", "phi'", "psi", "psi'", "beta", "beta'"};

    private static Map<String, Closed> closedForms() {
        Map<String, Closed> m = new HashMap<>();
        Closed logistic = new Closed(t -> -sp(-t), t -> sig(-t), t -> -sp(t), t -> -sig(t), null, null).sat();
        m.put("minimax", logistic);
        m.put("nsgan", logistic.withBeta(t -> sp(-t), t -> -sig(-t)));
        m.put("wgan", new Closed(t -> t, t -> 1, t -> -t, t -> -1, t -> -t, t -> -1));
        m.put("wgan-gp", new Closed(t -> t, t -> 1, t -> -t, t -> -1, t -> -t, t -> -1));
        m.put("lsgan", new Closed(t -> -(t - 1) * (t - 1) / 2, t -> -(t - 1), t -> -t * t / 2, t -> -t,
                t -> (t - 1) * (t - 1) / 2, t -> t - 1));
        m.put("hinge", new Closed(t -> Math.min(0, t - 1), t -> t < 1 ? 1 : 0, t -> Math.min(0, -1 - t), t -> t > -1 ? -1 : 0,
                t -> -t, t -> -1));
        Map<String, Closed> f = new HashMap<>();
        f.put("kl", new Closed(t -> t, t -> 1, t -> -Math.exp(t - 1), t -> -Math.exp(t - 1), t -> -t, t -> -1));
        f.put("rkl", new Closed(t -> -Math.exp(-t), t -> Math.exp(-t), t -> 1 - t, t -> -1, t -> Math.exp(-t), t -> -Math.exp(-t)));
        f.put("pearson", new Closed(t -> t, t -> 1, t -> -t * t / 4 - t, t -> -t / 2 - 1, t -> -t, t -> -1));
        f.put("neyman", new Closed(t -> -Math.expm1(-t), t -> Math.exp(-t), t -> 2 * Math.expm1(-t / 2), t -> -Math.exp(-t / 2),
                t -> Math.expm1(-t), t -> -Math.exp(-t)));
        f.put("hellinger", new Closed(t -> -Math.expm1(-t), t -> Math.exp(-t), t -> -Math.expm1(t), t -> -Math.exp(t),
                t -> Math.expm1(-t), t -> -Math.exp(-t)));
        f.put("js", new Closed(t -> LN2 - sp(-t), t -> sig(-t), t -> LN2 - sp(t), t -> -sig(t), t -> sp(-t) - LN2, t -> -sig(-t)));
        f.put("gan", logistic.withBeta(t -> sp(-t), t -> -sig(-t)));
        f.put("tv", new Closed(t -> Math.tanh(t) / 2, t -> sech2(t) / 2, t -> -Math.tanh(t) / 2, t -> -sech2(t) / 2,
                t -> -Math.tanh(t) / 2, t -> -sech2(t) / 2));
        for (var e : f.entrySet()) {
            m.put("fgan-" + e.getKey(), e.getValue());
            m.put("fgan-" + e.getKey() + "-sat", e.getValue().sat());
        }
        m.put("lr-tv", new Closed(Math::tanh, BuiltinLossTest::sech2, t -> -Math.tanh(t), t -> -sech2(t), null, null).sat());
        m.put("lr-exp", new Closed(t -> -Math.exp(-t), t -> Math.exp(-t), t -> -Math.exp(t), t -> -Math.exp(t), null, null).sat());
        m.put("lr-01", logistic);
        m.put("lr-logistic", logistic.withBeta(t -> -t, t -> -1));
        m.put("lr-lsgan", new Closed(t -> -(t - 1) * (t - 1), t -> -2 * (t - 1), t -> -t * t, t -> -2 * t,
                t -> (t - 1) * (t - 1), t -> 2 * (t - 1)));
        return m;
    }

    private static ScalarProgram[] programs(CompiledLoss k) {
        return new ScalarProgram[] {k.phi(), k.dphi(), k.psi(), k.dpsi(), k.beta(), k.dbeta()};
    }

    @Test
    void everyBuiltinHasAClosedForm() {
        assertEquals(GanLosses.names().size(), closedForms().size(), "closed forms for " + closedForms().keySet());
        for (String n : GanLosses.names()) assertNotNull(closedForms().get(n), n);
    }

    @Test
    void valuesAndDerivativesMatchClosedForms() {
        Map<String, Closed> closed = closedForms();
        for (String name : GanLosses.names()) {
            ScalarProgram[] p = programs(GanLosses.get(name).compiled());
            DoubleUnaryOperator[] c = closed.get(name).all();
            for (double t : new double[] {-3, -0.5, 0, 0.7, 2.5}) {
                for (int i = 0; i < 6; i++) {
                    double want = c[i].applyAsDouble(t), got = p[i].eval(t);
                    assertEquals(want, got, 1e-12 * (1 + Math.abs(want)), name + " " + FN[i] + "(" + t + ") = " + p[i]);
                }
            }
        }
    }

    @Test
    void derivativesMatchFiniteDifferences() {
        for (String name : GanLosses.names()) {
            ScalarProgram[] p = programs(GanLosses.get(name).compiled());
            for (double t : new double[] {-3, -0.5, 0.3, 0.7, 2.5}) {  // away from the hinge's kinks at +-1
                double h = 1e-6;
                for (int i = 0; i < 6; i += 2) {
                    double fd = (p[i].eval(t + h) - p[i].eval(t - h)) / (2 * h);
                    assertEquals(fd, p[i + 1].eval(t), 1e-6 * (1 + Math.abs(fd)), name + " " + FN[i + 1] + "(" + t + ") vs finite difference");
                }
            }
        }
    }

    /**
     * |t| up to 1e4: never NaN; finite exactly where the closed form is finite, in double and after rounding to
     * float (the kernel's output type), evaluated at a float-rounded t.
     */
    @Test
    void stableAtLargeOutputsInDoubleAndFloat() {
        Map<String, Closed> closed = closedForms();
        for (String name : GanLosses.names()) {
            ScalarProgram[] p = programs(GanLosses.get(name).compiled());
            DoubleUnaryOperator[] c = closed.get(name).all();
            for (double t : new double[] {-1e4, -100, 0, 100, 1e4}) {
                double tf = (float) t;
                for (int i = 0; i < 6; i++) {
                    double want = c[i].applyAsDouble(tf), got = p[i].eval(tf);
                    String where = name + " " + FN[i] + "(" + t + ") = " + got + " [" + p[i] + "], closed form " + want;
                    assertFalse(Double.isNaN(got), where);
                    if (Double.isInfinite(want)) assertEquals(want, got, where);
                    else assertEquals(want, got, 1e-12 * (1 + Math.abs(want)), where);
                    assertEquals(Float.isFinite((float) want), Float.isFinite((float) got), "float: " + where);
                }
            }
        }
    }

    @Test
    void everyLossIsFiniteInFloatWhereItsValueFitsAFloat() {
        // the backends store float: phi, psi, beta and their derivatives must not be NaN anywhere, and not inf
        // where the mathematical value fits a float (checked on a sweep between the points above)
        Map<String, Closed> closed = closedForms();
        for (String name : GanLosses.names()) {
            ScalarProgram[] p = programs(GanLosses.get(name).compiled());
            DoubleUnaryOperator[] c = closed.get(name).all();
            for (double t = -1e4; t <= 1e4; t += 37.25) {
                for (int i = 0; i < 6; i++) {
                    float got = (float) p[i].eval(t), want = (float) c[i].applyAsDouble(t);
                    if (Float.isNaN(got) || (Float.isFinite(want) && !Float.isFinite(got))) {
                        fail(name + " " + FN[i] + "(" + t + ") = " + got + " in float, closed form " + want);
                    }
                }
            }
        }
    }

    /**
     * "Never NaN" holds per function (docs/losses.md): L_D = -(mean phi(t_real) + mean psi(t_fake)) adds two of them,
     * and for the Neyman f-GAN phi = -expm1(-t) overflows to -inf below t = -709.78 while psi = 2 expm1(-t/2) overflows
     * to +inf below t = -2 (709.78 - log 2) = -1418.18.
     */
    @Test
    void neymanCriticLossIsNaNWhereBothOfItsTermsOverflow() {
        CompiledLoss k = GanLosses.get("fgan-neyman").compiled();
        assertTrue(Double.isFinite(k.phi().eval(-709.78)));
        assertEquals(Double.NEGATIVE_INFINITY, k.phi().eval(-709.79));
        assertTrue(Double.isFinite(k.psi().eval(-1418.17)));
        assertEquals(Double.POSITIVE_INFINITY, k.psi().eval(-1418.19));
        assertEquals(Double.POSITIVE_INFINITY, -(k.phi().eval(-709.79) + k.psi().eval(-1418.17)), "one overflow: inf, not NaN");
        assertTrue(Double.isNaN(-(k.phi().eval(-709.79) + k.psi().eval(-1418.19))), "both: NaN");
    }

    @Test
    void specificationSyntax() {
        GanLoss positional = GanLoss.parse("lsgan:-1,1,0"), keyed = GanLoss.parse(" LSGAN : a=-1, b=1, c=0 ");
        assertEquals("lsgan:a=-1,b=1,c=0", positional.spec());
        assertEquals(positional.compiled().phi(), keyed.compiled().phi());
        assertEquals(positional.compiled().dbeta(), keyed.compiled().dbeta());
        GanLoss partial = GanLoss.parse("lsgan:c=0");
        assertEquals(Map.of("a", 0.0, "b", 1.0, "c", 0.0), partial.params());
        assertEquals(LN2, GanLoss.parse("lsgan:a=log(2)").params().get("a"), 0);
        for (String n : GanLosses.names()) {
            GanLoss l = GanLosses.get(n), back = GanLoss.parse(l.spec());
            assertEquals(l.spec(), back.spec());
            for (int i = 0; i < 6; i++) assertEquals(programs(l.compiled())[i], programs(back.compiled())[i], n + " " + FN[i]);
        }

        GanLoss formula = GanLoss.parse("phi=-exp(-t); psi=-exp(t); beta=exp(-t)");
        assertEquals("formula", formula.name());
        assertEquals(Math.exp(-2), formula.compiled().beta().eval(2), 1e-15);
        GanLoss noBeta = GanLoss.formula("-softplus(-t)", "-softplus(t)", null);
        assertEquals(noBeta.compiled().psi(), noBeta.compiled().beta(), "beta defaults to psi");

        record Bad(String spec, int column, String says) { }
        for (Bad b : List.of(new Bad("lsgan:a=0,b=0", 7, "a != b"), new Bad("lsgan:d=1", 7, "no parameter 'd'"),
                new Bad("lsgan:a=0,1", 11, "positional parameter after a named one"), new Bad("minimax:1", 9, "takes 0 parameters"),
                new Bad("lsgan:1,2,3,4", 13, "takes 3 parameters"), new Bad("lsgna", 1, "unknown loss 'lsgna'"),
                new Bad("lsgan:a=t", 9, "must be a number"), new Bad("lsgan:a=", 9, "found the end"), new Bad("", 1, "empty loss"))) {
            FormulaException e = assertThrows(FormulaException.class, () -> GanLoss.parse(b.spec), b.spec);
            assertEquals(b.column, e.column(), b.spec + ": " + e.getMessage());
            assertTrue(e.reason().contains(b.says), b.spec + ": " + e.reason());
        }
    }

    @Test
    void onlyWganLossesAndIpmFormulasNeedALipschitzCritic() {
        for (String n : GanLosses.names()) assertEquals(n.startsWith("wgan"), GanLosses.get(n).lipschitzCritic(), n);
        // a formula loss: exactly when the checker classifies it as an IPM design
        assertTrue(GanLoss.parse("phi=2*t; psi=-2*t").lipschitzCritic());
        assertFalse(GanLoss.parse("phi=-exp(-t); psi=-exp(t)").lipschitzCritic());
    }

    @Test
    void equilibriumValues() {
        double nan = Double.NaN;
        Object[][] expect = {
                {"minimax", 2 * LN2, -LN2}, {"nsgan", 2 * LN2, LN2}, {"wgan", 0.0, nan}, {"wgan-gp", 0.0, nan}, {"lsgan", 0.25, 0.125}, {"hinge", 2.0, nan},
                {"fgan-kl", 0.0, -1.0}, {"fgan-kl-sat", 0.0, -1.0}, {"fgan-rkl", 0.0, 1.0}, {"fgan-rkl-sat", 0.0, 1.0},
                {"fgan-pearson", 0.0, 0.0}, {"fgan-pearson-sat", 0.0, 0.0}, {"fgan-neyman", 0.0, 0.0}, {"fgan-neyman-sat", 0.0, 0.0},
                {"fgan-hellinger", 0.0, 0.0}, {"fgan-hellinger-sat", 0.0, 0.0}, {"fgan-js", 0.0, 0.0}, {"fgan-js-sat", 0.0, 0.0},
                {"fgan-gan", 2 * LN2, LN2}, {"fgan-gan-sat", 2 * LN2, -LN2}, {"fgan-tv", 0.0, nan}, {"fgan-tv-sat", 0.0, nan},
                {"lr-tv", 0.0, nan}, {"lr-exp", 2.0, -1.0}, {"lr-01", 2 * LN2, -LN2}, {"lr-logistic", 2 * LN2, 0.0},
                {"lr-lsgan", 0.5, 0.25}};
        assertEquals(GanLosses.names().size(), expect.length);
        for (Object[] e : expect) {
            GanLoss l = GanLosses.get((String) e[0]);
            assertEquals((double) e[1], l.equilibriumCriticLoss(), 1e-9, e[0] + " L_D*");
            assertEquals((double) e[2], l.equilibriumGeneratorLoss(), 1e-9, e[0] + " L_G*");
        }
        // Mao et al.'s chi2 configuration, and the parameters moving the equilibrium as (b-a)^2/4 and (b-c)^2/8
        GanLoss ls = GanLoss.parse("lsgan:a=-1,b=1,c=0");
        assertEquals(1.0, ls.equilibriumCriticLoss(), 1e-9);
        assertEquals(0.0, ls.equilibriumGeneratorLoss(), 1e-9);
    }

    @Test
    void minimumCriticLosses() {
        // -(sup phi + sup psi): the D loss of a critic that separates real from fake perfectly
        double ninf = Double.NEGATIVE_INFINITY;
        Object[][] expect = {
                {"minimax", 0.0}, {"nsgan", 0.0}, {"wgan", ninf}, {"wgan-gp", ninf}, {"lsgan", 0.0}, {"hinge", 0.0},
                {"fgan-kl", ninf}, {"fgan-kl-sat", ninf}, {"fgan-rkl", ninf}, {"fgan-rkl-sat", ninf},
                {"fgan-pearson", ninf}, {"fgan-pearson-sat", ninf}, {"fgan-neyman", ninf}, {"fgan-neyman-sat", ninf},
                {"fgan-hellinger", -2.0}, {"fgan-hellinger-sat", -2.0}, {"fgan-js", -2 * LN2}, {"fgan-js-sat", -2 * LN2},
                {"fgan-gan", 0.0}, {"fgan-gan-sat", 0.0}, {"fgan-tv", -1.0}, {"fgan-tv-sat", -1.0},
                {"lr-tv", -2.0}, {"lr-exp", 0.0}, {"lr-01", 0.0}, {"lr-logistic", 0.0}, {"lr-lsgan", 0.0}};
        assertEquals(GanLosses.names().size(), expect.length);
        for (Object[] e : expect) assertEquals((double) e[1], GanLosses.get((String) e[0]).minimumCriticLoss(), 1e-9, (String) e[0]);
        // an optimum between grid points (targets 0.7 and -0.3), and bounded functions that approach their bound slowly
        assertEquals(0.0, GanLoss.parse("lsgan:a=-0.3,b=0.7,c=0.7").minimumCriticLoss(), 1e-12);
        assertEquals(0.0, CheckReport.supremum(t -> -1 / (1 + t * t)) - 0.0, 1e-7);
        assertEquals(Double.POSITIVE_INFINITY, CheckReport.supremum(t -> Math.log1p(Math.abs(t))));
        assertEquals(1.0, CheckReport.supremum(t -> 1 - 1 / Math.sqrt(1 + Math.abs(t))), 0.011);
    }
}
