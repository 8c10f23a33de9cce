package dev.sparring.gan.loss;

import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.ScalarProgram;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The design checker: accepts every built-in, rejects the documented broken designs with the failing condition. */
class DesignCheckTest {

    /** The broken designs of docs/losses.md and the condition each must fail. */
    static final List<String[]> BROKEN = List.of(
            new String[] {"phi=softplus(-t); psi=softplus(t)", "range"},
            new String[] {"phi=-exp(-t); psi=exp(t)", "range"},
            new String[] {"phi=-(t - 1)^2/2; psi=(t + 1)^2/2", "range"},
            new String[] {"phi=-(t - 0.01)^2; psi=(t - 0.01)^2/2", "rho"},
            new String[] {"phi=-t^2; psi=-t^2", "range"},
            new String[] {"phi=-exp(-t) + 4*sigmoid(t - 3); psi=-t", "omega^-1"},
            new String[] {"phi=t; psi=-softplus(t)", "optimum"},
            new String[] {"phi=t; psi=-2*t", "optimum"},
            new String[] {"lsgan:a=0,b=1,c=0.25", "generator"},
            new String[] {"phi=-softplus(-t); psi=-softplus(t); beta=t", "generator"},
            new String[] {"out=tanh(t); phi=t; psi=-t; beta=exp(-t)", "generator"},
            new String[] {"phi=log(t); psi=log(1 - t)", "defined"});

    @Test
    void everyBuiltinPasses() {
        for (String n : GanLosses.names()) {
            CheckReport r = GanLosses.get(n).check();
            assertTrue(r.passed(), n + ":\n" + r.text());
            assertEquals(-1, r.orientation(), n + " must score real samples high (Sparring's orientation)");
            CheckReport.Kind want = switch (n) {
                case "wgan", "wgan-gp" -> CheckReport.Kind.IPM;
                case "hinge", "fgan-tv", "fgan-tv-sat", "lr-tv" -> CheckReport.Kind.BOUNDARY;
                default -> CheckReport.Kind.REGULAR;
            };
            assertEquals(want, r.kind(), n);
            if (want != CheckReport.Kind.IPM) assertNotNull(r.divergence(), n + " divergence not recognised");
        }
        assertEquals("Pearson chi2 = sum (p-q)^2/q", GanLosses.get("fgan-pearson").check().divergence().describe());
        assertEquals(2.0, GanLosses.get("minimax").check().divergence().scale(), 1e-9);
        assertTrue(GanLosses.get("minimax").check().divergence().known().name().startsWith("JSD"));
        double[] omega = GanLosses.get("fgan-pearson").check().omega();
        assertEquals(-2, omega[0], 1e-9);
        assertEquals(Double.POSITIVE_INFINITY, omega[1]);
        double[] hinge = GanLosses.get("hinge").check().omega();
        assertEquals(-1, hinge[0], 1e-9);
        assertEquals(1, hinge[1], 1e-9);
    }

    @Test
    void brokenDesignsFailWithTheirCondition() {
        for (String[] b : BROKEN) {
            CheckReport r = GanLoss.parse(b[0]).check();
            assertFalse(r.passed(), b[0] + " passed:\n" + r.text());
            assertEquals(b[1], r.failure().name(), b[0] + ":\n" + r.text());
            assertTrue(r.text().contains("verdict: FAIL (" + b[1] + ")"), r.text());
            assertTrue(Double.isNaN(GanLoss.parse(b[0]).equilibriumCriticLoss()), b[0]);
        }
    }

    @Test
    void failuresNameThePointAndTheValue() {
        CheckReport bump = GanLoss.parse("phi=-exp(-t) + 4*sigmoid(t - 3); psi=-t").check();
        assertTrue(bump.failure().detail().matches(".*omega\\^-1\\(1\\.\\d+\\) = 0\\.78\\d+ and omega\\^-1\\(1\\.\\d+\\) = 0\\.78\\d+.*"),
                bump.failure().detail());
        CheckReport rho = GanLoss.parse("phi=-(t - 0.01)^2; psi=(t - 0.01)^2/2").check();
        assertTrue(rho.failure().detail().contains("rho = psi' changes sign"), rho.failure().detail());
        CheckReport nan = GanLoss.parse("phi=log(t); psi=log(1 - t)").check();
        assertTrue(nan.failure().detail().startsWith("phi(-10000) = NaN"), nan.failure().detail());
        CheckReport gen = GanLoss.parse("phi=-softplus(-t); psi=-softplus(t); beta=t").check();
        assertTrue(gen.failure().detail().contains("dips below its tangent at r = 1: g(1e-4) = "), gen.failure().detail());
    }

    /**
     * beta'/psi' = e^(-2t) for the Hellinger f-GAN and the README's example: no constant, though in float64 it
     * runs from 0 to inf. The generator must be analysed as a separate loss (convex r beta(omega(r)) = r^1.5 - r
     * or r^1.5), and a design whose separate beta is bad must fail instead of passing as "beta = inf psi".
     */
    @Test
    void aGeneratorRatioThatLeavesFloatRangeIsNoConstant() {
        for (String spec : new String[] {"fgan-hellinger", "phi=-exp(t); psi=-exp(-t); beta=exp(t)"}) {
            CheckReport r = GanLoss.parse(spec).check();
            assertTrue(r.passed(), spec + ":\n" + r.text());
            String gen = r.conditions().getLast().detail();
            assertTrue(gen.startsWith("separate beta: g(r) = r beta(omega(r)) is convex"), spec + ": " + gen);
        }
        CheckReport bad = GanLoss.parse("phi=-exp(-t); psi=-exp(t); beta=exp(-t/2)*(exp(-t/2) - 4)").check();
        assertEquals("generator", bad.failure() == null ? "passed" : bad.failure().name(), bad.text());
        assertTrue(bad.failure().detail().contains("dips below its tangent at r = 1"), bad.failure().detail());
        CheckReport scaled = GanLoss.parse("phi=-exp(-t); psi=-exp(t); beta=-3*exp(t)").check();
        assertTrue(scaled.conditions().getLast().detail().startsWith("beta = 3 psi + const"), scaled.text());
    }

    /** A factor multiplies the divergence, not its definition: "2 x JSD, where JSD = ...", never "2 x JSD = ...". */
    @Test
    void divergenceLabelsAreTrueEquations() {
        assertEquals("2 x JSD, where JSD = KL(P||M)/2 + KL(Q||M)/2, M = (P+Q)/2", GanLosses.get("minimax").check().divergence().describe());
        assertEquals("0.125 x triangular discrimination, where triangular discrimination = sum (p-q)^2/(p+q)",
                GanLosses.get("lsgan").check().divergence().describe());
        assertEquals("squared Hellinger = sum (sqrt p - sqrt q)^2", GanLosses.get("fgan-hellinger").check().divergence().describe());
        for (String n : GanLosses.names()) {
            Divergences.Match m = GanLosses.get(n).check().divergence();
            if (m == null) continue;
            String label = m.describe();
            assertTrue(!label.contains(" x ") || label.matches("\\S+ x ([^=]+), where \\1 = .*"), n + ": " + label);
        }
    }

    /** Failures name the defect itself, not a symptom of the grid or of float64. */
    @Test
    void failuresNameTheRealDefect() {
        // phi' = psi' = -2t: the critic's optimum is t = 0 for every r, so d is affine and f = 0 (not "monotone, no optimum")
        CheckReport same = GanLoss.parse("phi=-t^2; psi=-t^2").check();
        assertEquals("range", same.failure().name(), same.text());
        assertTrue(same.failure().detail().contains("peaks at t = 0 for every likelihood ratio r"), same.failure().detail());
        assertTrue(same.failure().detail().contains("d(r) = phi(0) + r psi(0) is affine in r, f = 0"), same.failure().detail());
        assertFalse(same.failure().detail().contains("no optimum"), same.failure().detail());
        CheckReport up = GanLoss.parse("phi=t; psi=t; beta=t").check();
        assertTrue(up.failure().detail().contains("rises with t, so the critic drives t to +inf and has no optimum"), up.failure().detail());
        CheckReport bowl = GanLoss.parse("phi=t^2; psi=t^2").check();
        assertTrue(bowl.failure().detail().contains("falls to a minimum at t = 0 and rises on both sides"), bowl.failure().detail());

        // omega^-1 = 1 + e^-t rounds to 1 beyond t = 23.5: that is its limit, not a flat stretch; the defect is that
        // phi + r psi = t - r softplus(t) is unbounded for r < 1
        for (String spec : new String[] {"phi=t; psi=-softplus(t)", "phi=-t; psi=-softplus(-t)"}) {
            CheckReport r = GanLoss.parse(spec).check();
            assertEquals("optimum", r.failure().name(), r.text());
            String end = spec.startsWith("phi=t") ? "+inf" : "-inf";
            assertTrue(r.failure().detail().contains("it is unbounded above as t -> " + end), r.failure().detail());
            assertTrue(r.failure().detail().contains("wherever q/p < 1 the critic's objective E_P phi + E_Q psi is unbounded above"),
                    r.failure().detail());
        }
        // a real flat stretch of omega^-1, ending abruptly at t = 1, still fails
        CheckReport flat = GanLoss.parse("phi=t; psi=-t - relu(t - 1)").check();
        assertEquals("omega^-1", flat.failure().name(), flat.text());
        assertTrue(flat.failure().detail().matches("omega\\^-1 = -phi'/psi' is constant \\(= 1\\) on \\[-\\d+\\.?\\d*, 1\\] but not on all.*"),
                flat.failure().detail());
    }

    /** Claims that rest on the grids say so. */
    @Test
    void passesSayWhatTheGridsChecked() {
        CheckReport r = GanLosses.get("lsgan").check();
        String text = r.text();
        assertTrue(text.contains("Omega = {t : phi'(t) psi'(t) < 0} = (0, 1) on the t-grid (edges refined by bisection)"), text);
        assertTrue(text.contains("maximum of phi(t) + r psi(t) over the t-grid (unique as far as the grid resolves it)"), text);
        assertTrue(text.contains("is convex at the 161 checked ratios (d'(r) = psi(omega(r)) nondecreasing)"), text);
        assertTrue(text.contains("g(r) = r beta(omega(r)) is convex at the 161 checked ratios"), text);
    }

    /**
     * An Omega narrower than the grid's step (1/64 on [-64, 64], more than 1 in the log-spaced tail) is still
     * found and sampled: LSGAN with Omega = (a, b) passes with f = (b - a)^2/8 x triangular discrimination.
     */
    @Test
    void narrowRangesAreSampledDensely() {
        double[][] ranges = {{0, 0.01}, {0, 0.02}, {0, 0.03}, {-1e-3, 1e-3}, {100, 100.01}, {0, 1e-6}};
        for (double[] ab : ranges) {
            String spec = "lsgan:a=" + ab[0] + ",b=" + ab[1] + ",c=" + ab[1];
            CheckReport r = GanLoss.parse(spec).check();
            assertTrue(r.passed(), spec + ":\n" + r.text());
            assertEquals(CheckReport.Kind.REGULAR, r.kind(), spec);
            assertEquals(ab[0], r.omega()[0], 1e-9 * (ab[1] - ab[0]), spec);
            assertEquals(ab[1], r.omega()[1], 1e-9 * (ab[1] - ab[0]), spec);
            double scale = (ab[1] - ab[0]) * (ab[1] - ab[0]) / 8;
            assertTrue(r.divergence().known().name().startsWith("triangular"), spec + ": " + r.divergence().describe());
            assertEquals(scale, r.divergence().scale(), 1e-6 * scale, spec);
        }
    }

    @Test
    void brokenExamplesAreTheDocumentedOnes() throws IOException {
        Path doc = Path.of("docs/losses.md");
        String text = Files.readString(doc);
        for (String[] b : BROKEN) assertTrue(text.contains(b[0]), "docs/losses.md does not show the broken example " + b[0]);
    }

    @Test
    void constantsAddedToPhiAndPsiChangeNothingButTheLevel() {
        for (String n : GanLosses.names()) {
            GanLoss l = GanLosses.get(n);
            GanLoss shifted = GanLoss.formula("phi=" + l.phi().text() + " - 3; psi=" + l.psi().text() + " + 5; beta=" + l.beta().text());
            CheckReport a = l.check(), b = shifted.check();
            assertTrue(b.passed(), n + " + constants:\n" + b.text());
            assertEquals(a.kind(), b.kind(), n);
            if (a.divergence() != null) {
                assertEquals(a.divergence().known(), b.divergence().known(), n);
                assertEquals(a.divergence().scale(), b.divergence().scale(), 1e-6 * a.divergence().scale(), n);
            }
            assertEquals(l.equilibriumCriticLoss() - 2, shifted.equilibriumCriticLoss(), 1e-9, n);
        }
    }

    @Test
    void theMirroredOrientationPassesWithANote() {
        for (String n : GanLosses.names()) {
            GanLoss l = GanLosses.get(n);
            Expr minusT = Simplify.neg(Expr.T);
            GanLoss mirrored = GanLoss.formula("phi=" + l.phi().substitute(minusT).text() + "; psi=" + l.psi().substitute(minusT).text()
                    + "; beta=" + l.beta().substitute(minusT).text());
            CheckReport a = l.check(), b = mirrored.check();
            assertTrue(b.passed(), n + " mirrored:\n" + b.text());
            assertEquals(1, b.orientation(), n);
            assertTrue(b.notes().stream().anyMatch(s -> s.contains("fake samples high")), n);
            assertEquals(l.equilibriumCriticLoss(), mirrored.equilibriumCriticLoss(), 1e-9, n);
            assertEquals(l.equilibriumGeneratorLoss(), mirrored.equilibriumGeneratorLoss(), 1e-9, n);
            if (a.kind() == CheckReport.Kind.REGULAR) assertEquals(-a.tStar(3.0), b.tStar(3.0), 1e-9 * (1 + Math.abs(a.tStar(3.0))), n);
        }
    }

    /** Textbook forms in the formula language against the built-ins: all six programs agree to 1e-12 in float64. */
    @Test
    void formulaLossesAgreeWithTheEquivalentBuiltins() {
        String[][] pairs = {
                {"minimax", "out=sigmoid(t); phi=log(t); psi=log(1 - t); beta=log(1 - t)"},
                {"nsgan", "phi=log(sigmoid(t)); psi=log(1 - sigmoid(t)); beta=-log(sigmoid(t))"},
                {"nsgan", "phi=-log(1 + exp(-t)); psi=-log(1 + exp(t)); beta=log(1 + exp(-t))"},
                {"wgan", "phi=t; psi=-t; beta=-t"},
                {"lsgan", "phi=-0.5*(t - 1)^2; psi=-0.5*t^2; beta=0.5*(t - 1)^2"},
                {"lsgan:a=-1,b=1,c=0", "phi=-(t-b)^2/2; psi=-(t-a)^2/2; beta=(t-c)^2/2; a=-1; b=1; c=0"},
                {"hinge", "phi=min(0, t - 1); psi=min(0, -t - 1); beta=-t"},
                {"fgan-kl", "out=t; phi=t; psi=-exp(t - 1); beta=-t"},
                {"fgan-rkl", "out=-exp(-t); phi=t; psi=-(-1 - log(-t)); beta=-t"},
                {"fgan-pearson", "phi=t; psi=-(t^2/4 + t); beta=-t"},
                {"fgan-neyman", "out=1 - exp(-t); phi=t; psi=-(2 - 2*sqrt(1 - t)); beta=-t"},
                {"fgan-hellinger", "out=1 - exp(-t); phi=t; psi=-(t/(1 - t)); beta=-t"},
                {"fgan-hellinger-sat", "out=1 - exp(-t); phi=t; psi=-(t/(1 - t))"},
                {"fgan-js", "out=log(2) - log(1 + exp(-t)); phi=t; psi=log(2 - exp(t)); beta=-t"},
                {"fgan-gan", "out=-log(1 + exp(-t)); phi=t; psi=log(1 - exp(t)); beta=-t"},
                {"fgan-tv", "out=tanh(t)/2; phi=t; psi=-t; beta=-t"},
                {"lr-tv", "out=tanh(t); phi=t; psi=-t"},
                {"lr-exp", "phi=-exp(-t); psi=-exp(t)"},
                {"lr-logistic", "phi=log(sigmoid(t)); psi=log(sigmoid(-t)); beta=-t"},
                {"lr-lsgan", "phi=-(t - 1)^2; psi=-t^2; beta=(t - 1)^2"}};
        for (String[] p : pairs) {
            ScalarProgram[] b = programs(GanLoss.parse(p[0]).compiled()), f = programs(GanLoss.parse(p[1]).compiled());
            for (double t = -5; t <= 5; t += 0.0625) {
                if (Math.abs(t) == 1) continue;  // the hinge's kinks: the two forms pick different one-sided slopes
                for (int i = 0; i < 6; i++) {
                    double want = b[i].eval(t), got = f[i].eval(t);
                    assertEquals(want, got, 1e-12 * (1 + Math.abs(want)), p[0] + " vs \"" + p[1] + "\" function " + i + " at " + t);
                }
            }
            // the simplifier found the stable forms: equal at the extremes too (infinities included)
            for (double t : new double[] {-1e4, -100, 100, 1e4}) {
                for (int i = 0; i < 6; i++) {
                    double want = b[i].eval(t), got = f[i].eval(t);
                    if (Double.isInfinite(want)) assertEquals(want, got, p[1] + " at " + t);
                    else assertEquals(want, got, 1e-12 * (1 + Math.abs(want)), p[1] + " function " + i + " at " + t + ": " + f[i]);
                }
            }
        }
    }

    private static ScalarProgram[] programs(CompiledLoss k) {
        return new ScalarProgram[] {k.phi(), k.dphi(), k.psi(), k.dpsi(), k.beta(), k.dbeta()};
    }

    @Test
    void reportText() {
        String text = GanLosses.get("minimax").check().text();
        assertTrue(text.contains("verdict: PASS"), text);
        assertTrue(text.contains("L_D* = -(phi(t*) + psi(t*)) = 1.386294  (= 2 ln 2)"), text);
        assertTrue(text.contains("L_G* = beta(t*) = -0.693147"), text);
        assertTrue(text.contains("f(r) = d(r) - d(1) - d'(1)(r - 1), D_f(Q||P) = 2 x JSD, where JSD = "), text);
        assertTrue(text.matches("(?s).*\\n\\s+0\\.5\\s+0\\.6931472\\s+.*"), "table row for r = 0.5, t* = -log 0.5:\n" + text);
    }

    /** The report is a value: what it hands out are copies, and the curves lie on the checked ratios. */
    @Test
    void reportIsImmutable() {
        CheckReport r = GanLosses.get("nsgan").check();
        CheckReport.Curves c = r.curves();
        double f1 = c.f()[0];
        c.f()[0] = 99;
        c.r()[0] = 99;
        assertEquals(f1, r.curves().f()[0]);
        assertEquals(DesignCheck.R_MIN, r.curves().r()[0]);
        assertEquals(c.r().length, c.d().length);
        assertEquals(1.0, r.curves().r()[DesignCheck.rOneIndex()]);
        assertNotNull(c.g(), "nsgan's beta is analysed on its own: g(r) = r beta(omega(r))");
        assertNull(GanLosses.get("minimax").check().curves().g(), "minimax: beta = psi, no g(r)");
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> r.conditions().add(null));
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, () -> r.notes().add("x"));
        assertNull(GanLoss.parse(BROKEN.getFirst()[0]).check().curves(), "a design that fails before the optimum has no curves");
    }
}
