package dev.sparring.gan.loss;

import java.util.List;
import java.util.Locale;

import static dev.sparring.gan.loss.Print.human;

/**
 * The verdict of {@link DesignCheck} on one loss: the conditions with what was seen, the divergence the critic's
 * optimum equals, the equilibrium values at p = q, and the curves d(r), f(r), omega(r), r beta(omega(r)).
 * Immutable; {@link #text()} is what {@code sparring loss check} prints, and the CLI draws it for {@code --png}.
 */
public final class CheckReport {
    /**
     * REGULAR: a unique interior optimum t* = omega(r); BOUNDARY: phi' = -psi' with phi bounded, the optimum on
     * the edge of Omega (TV-type); IPM: phi' = -psi' with phi unbounded (needs a Lipschitz critic);
     * UNDETERMINED: the analysis stopped on a failed condition.
     */
    public enum Kind { REGULAR, BOUNDARY, IPM, UNDETERMINED }

    /** One checked condition. */
    public record Condition(String name, boolean passed, String detail) { }

    /**
     * The curves of the analysis on the likelihood ratios r = q/p it checked ({@link DesignCheck#rGrid()}, 20 per
     * decade over [1e-4, 1e4], r = 1 included): t* = omega(r) (null unless REGULAR), d(r), f(r), and the generator's
     * g(r) = r beta(omega(r)) (null unless a separate beta was analysed). Each call returns fresh copies.
     */
    public record Curves(double[] r, double[] tStar, double[] d, double[] f, double[] g) { }

    private final GanLoss loss;
    private final DesignCheck check;                   // its queries (t*, d) read nothing that changes after the check
    private final List<Condition> conditions;
    private final List<String> notes;
    private final Kind kind;
    private final int orientation;                     // -1: real samples score high (Sparring); +1: fake samples
    private final double omegaLo, omegaHi;             // the critic's range Omega
    private final double[] r, tStar, d, f, g;          // (m) on DesignCheck.rGrid(); null where the check did not get there
    private final double[] boundaryPhi;                // (2) min, max of phi on Omega for a BOUNDARY design
    private final double dAt1, dSlopeAt1;
    private final double tEq, criticEq, generatorEq;
    private final Divergences.Match divergence;

    CheckReport(GanLoss loss, DesignCheck check, DesignCheck.Findings found) {
        this.loss = loss;
        this.check = check;
        conditions = List.copyOf(found.conditions);
        notes = List.copyOf(found.notes);
        kind = found.kind;
        orientation = found.orientation;
        omegaLo = found.omegaLo;
        omegaHi = found.omegaHi;
        r = copy(found.r);
        tStar = copy(found.tStar);
        d = copy(found.d);
        f = copy(found.f);
        g = copy(found.g);
        boundaryPhi = copy(found.boundaryPhi);
        dAt1 = found.dAt1;
        dSlopeAt1 = found.dSlopeAt1;
        tEq = found.tEq;
        criticEq = found.criticEq;
        generatorEq = found.generatorEq;
        divergence = found.divergence;
    }

    private static double[] copy(double[] a) { return a == null ? null : a.clone(); }

    // ------------------------------------------------------------------ results

    /** True when every condition passed. */
    public boolean passed() {
        if (conditions.isEmpty()) return false;
        for (Condition c : conditions) if (!c.passed()) return false;
        return conditions.stream().anyMatch(c -> c.name().equals("generator"));
    }

    /** The first failed condition, or null. */
    public Condition failure() {
        for (Condition c : conditions) if (!c.passed()) return c;
        return null;
    }

    public List<Condition> conditions() { return conditions; }

    /** Remarks that do not fail the design (orientation, IPM, boundary optimum, an affine generator loss). */
    public List<String> notes() { return notes; }

    /** The loss that was checked. */
    public GanLoss loss() { return loss; }

    public Kind kind() { return kind; }

    /** -1 when the critic scores real samples high (Sparring's orientation), +1 when fake ones, 0 if unknown. */
    public int orientation() { return orientation; }

    /** The critic's range Omega = {t : phi' psi' &lt; 0} as [lo, hi] (infinite ends: unbounded). */
    public double[] omega() { return new double[] {omegaLo, omegaHi}; }

    /** Omega as text: "(-2, inf)". */
    public String rangeText() { return rangeText(omegaLo, omegaHi); }

    static String rangeText(double lo, double hi) {
        if (Double.isNaN(lo)) return "undetermined (the check failed before finding it)";
        return "(" + human(lo) + ", " + human(hi) + ")";
    }

    /** The divergence f(r) was recognised as (null if none of {@link Divergences#KNOWN}). */
    public Divergences.Match divergence() { return divergence; }

    /** t* = omega(1), the optimal critic output at p = q (NaN unless the design is REGULAR). */
    public double equilibriumT() { return tEq; }

    /** L_D* = -(phi(t*) + psi(t*)) at p = q; NaN when the design failed. */
    public double criticLossAtEquilibrium() { return passed() ? criticEq : Double.NaN; }

    /**
     * The lowest critic loss any critic reaches: inf L_D = -(sup_t phi(t) + sup_t psi(t)), a critic that gives every
     * real sample the best phi and every fake one the best psi (it tells them apart perfectly). 0 for the minimax and
     * non-saturating GAN, LSGAN and hinge; minus infinity where phi or psi has no upper bound (WGAN, most f-GANs): such
     * a critic can always lower its loss further. The suprema are taken numerically over t in [-1e4, 1e4] (0 and
     * 20 points per decade of |t| from 1e-4); a function still rising at |t| = 1e4 by at least half of its rise over
     * the decade before counts as unbounded. NaN when the design failed.
     */
    public double criticLossInfimum() {
        if (!passed()) return Double.NaN;
        return -(supremum(check::phi) + supremum(check::psi));
    }

    /**
     * sup_t f(t) on the grid of {@link #criticLossInfimum}, refined by a golden-section search between the neighbours
     * of the best grid point (an LSGAN target of 0.7 lies between two grid points); +infinity when f is +infinite on
     * the grid or still rising at its ends.
     */
    static double supremum(java.util.function.DoubleUnaryOperator f) {
        double[] t = new double[161 * 2 + 1];   // ascending: -1e4 ... -1e-4, 0, 1e-4 ... 1e4
        for (int k = -80; k <= 80; k++) {
            double a = Math.pow(10, k / 20.0);
            t[80 - k] = -a;
            t[242 + k] = a;
        }
        double best = Double.NEGATIVE_INFINITY;
        int at = -1;
        for (int i = 0; i < t.length; i++) {
            double v = f.applyAsDouble(t[i]);
            if (v == Double.POSITIVE_INFINITY) return v;
            if (Double.isFinite(v) && v > best) {
                best = v;
                at = i;
            }
        }
        for (double s : new double[] {1, -1}) {
            double a = f.applyAsDouble(s * 1e2), b = f.applyAsDouble(s * 1e3), c = f.applyAsDouble(s * 1e4);
            if (!Double.isFinite(a) || !Double.isFinite(b) || !Double.isFinite(c)) continue;
            double late = c - b, early = b - a;
            if (late > 1e-9 * (1 + Math.abs(c)) && late > 0.5 * early) return Double.POSITIVE_INFINITY;
        }
        if (at < 0) return best;
        double lo = t[Math.max(0, at - 1)], hi = t[Math.min(t.length - 1, at + 1)], g = (Math.sqrt(5) - 1) / 2;
        for (int it = 0; it < 100 && hi - lo > 1e-12 * (1 + Math.abs(lo)); it++) {
            double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
            double f1 = f.applyAsDouble(x1), f2 = f.applyAsDouble(x2);
            if (Double.isFinite(f1) && f1 > best) best = f1;
            if (Double.isFinite(f2) && f2 > best) best = f2;
            if (!(f1 < f2)) hi = x2;
            else lo = x1;
        }
        return best;
    }

    /** L_G* = beta(t*) at p = q; NaN when undetermined (linear designs) or when the design failed. */
    public double generatorLossAtEquilibrium() { return passed() ? generatorEq : Double.NaN; }

    /** t* = omega(r), computed afresh (NaN unless REGULAR). */
    public double tStar(double r) { return check.tStar(r); }

    /** d(r) = max_t phi(t) + r psi(t), computed afresh (NaN for an IPM or a failed design). */
    public double d(double r) { return check.d(r); }

    /** d(1), the critic's optimum at p = q (= -L_D*); NaN where the check did not get there. */
    public double dAtOne() { return dAt1; }

    /** The curves on the checked ratios, or null when the check stopped before the optimum. */
    public Curves curves() {
        return r == null ? null : new Curves(r.clone(), copy(tStar), copy(d), copy(f), copy(g));
    }

    /** The loss's functions, in float64 on the programs the kernel runs. */
    public double phi(double t) { return check.phi(t); }

    public double psi(double t) { return check.psi(t); }

    public double beta(double t) { return check.beta(t); }

    /** The canonical divergence generator f(r) = d(r) - d(1) - d'(1)(r - 1). */
    public double f(double r) {
        if (kind == Kind.BOUNDARY) return 0.5 * (boundaryPhi[1] - boundaryPhi[0]) * Math.abs(r - 1);
        return d(r) - dAt1 - dSlopeAt1 * (r - 1);
    }

    // ------------------------------------------------------------------ text

    /** The full report as printed by {@code sparring loss check}. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("loss ").append(loss.spec());
        if (!loss.name().equals("formula")) sb.append(": ").append(loss.description().split("\\. ", 2)[0]);
        sb.append('\n');
        for (String s : check.formulas()) sb.append("  ").append(s).append('\n');
        sb.append("  convention: the critic maximises E_real phi(t) + E_fake psi(t); the generator minimises E_fake beta(t)\n\n");
        sb.append("conditions (r = q/p, fake over real; rho = psi'; omega^-1 = -phi'/psi')\n");
        for (Condition c : conditions) {
            sb.append(c.passed() ? "  [pass] " : "  [FAIL] ").append(String.format(Locale.ROOT, "%-10s", c.name())).append(c.detail()).append('\n');
        }
        for (String n : notes) sb.append("  note: ").append(n).append('\n');
        sb.append("verdict: ").append(verdict()).append('\n');
        if (d != null && kind != Kind.IPM) {
            sb.append("\ndivergence: the critic's optimum E_P phi + E_Q psi = d(1) + D_f(Q||P), d(1) = ").append(human(dAt1)).append('\n');
            sb.append("  f(r) = d(r) - d(1) - d'(1)(r - 1)");
            sb.append(divergence != null ? ", D_f(Q||P) = " + divergence.describe() + String.format(Locale.ROOT, "  (max rel. deviation %.1e)", divergence.maxDeviation())
                    : "  (not one of the known divergences)").append('\n');
            sb.append(String.format(Locale.ROOT, "  %10s  %14s  %14s  %14s%n", "r", kind == Kind.REGULAR ? "t* = omega(r)" : "t*", "d(r)", "f(r)"));
            for (double x : DesignCheck.TABLE_R) {
                String ts = kind == Kind.REGULAR ? human(DesignCheck.snap(check.tStar(x))) : (x < 1 ? "edge " + human(omegaHi) : x > 1 ? "edge " + human(omegaLo) : "any");
                sb.append(String.format(Locale.ROOT, "  %10s  %14s  %14s  %14s%n", human(x), ts, human(d(x)), human(f(x))));
            }
        }
        if (!Double.isNaN(criticEq)) {
            sb.append("\nequilibrium (p = q, r = 1)").append(Double.isNaN(tEq) ? "" : ": t* = " + human(tEq)).append('\n');
            sb.append("  critic loss    L_D* = -(phi(t*) + psi(t*)) = ").append(fixed(criticEq));
            if (Math.abs(criticEq - 2 * Math.log(2)) < 1e-9) sb.append("  (= 2 ln 2)");
            sb.append('\n');
            sb.append("  generator loss L_G* = beta(t*) = ")
                    .append(Double.isNaN(generatorEq) ? "undetermined (every t is optimal for the critic at p = q)" : fixed(generatorEq))
                    .append('\n');
            sb.append("  (the trainer draws these as reference lines; with an optimal critic L_D* - L_D estimates D_f(Q||P))\n");
        }
        return sb.toString();
    }

    /** "PASS (interior optimum t* = omega(r))" or "FAIL (range)". */
    public String verdict() {
        if (!passed()) {
            Condition bad = failure();
            return "FAIL" + (bad != null ? " (" + bad.name() + ")" : " (incomplete)");
        }
        return "PASS (" + switch (kind) {
            case REGULAR -> "interior optimum t* = omega(r)";
            case BOUNDARY -> "optimum on the edge of Omega";
            case IPM -> "integral probability metric: needs a Lipschitz critic";
            case UNDETERMINED -> "?";
        } + ")";
    }

    /** A number as the report writes it: 2e-4, 0.01, 5, 1.386294. */
    public static String number(double v) { return human(v); }

    /** Six decimals, without a "-0.000000". */
    private static String fixed(double v) {
        return String.format(Locale.ROOT, "%.6f", Math.abs(v) < 5e-7 ? 0.0 : v);
    }

    /**
     * The verdict in one line with what it rests on: "PASS (interior optimum t* = omega(r)); the critic's optimum:
     * d(1) + D_f(Q||P), D_f(Q||P) = ..." or "FAIL (range): phi' and psi' never have opposite signs ...".
     */
    public String summary() {
        String why = explanation();
        return verdict() + (why.isEmpty() ? "" : passed() ? "; " + why : ": " + failure().detail());
    }

    /** What failed and why, or the divergence of a passing design; empty when there is nothing to add. */
    public String explanation() {
        Condition bad = failure();
        if (bad != null) return bad.name() + ": " + bad.detail();
        if (kind == Kind.IPM) return "an integral probability metric: no pointwise optimum; the critic must be Lipschitz";
        if (divergence != null) return "the critic's optimum: d(1) + D_f(Q||P), D_f(Q||P) = " + divergence.describe();
        return "";
    }
}
