package dev.sparring.gan.loss;

import dev.sparring.viz.LineChart;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import static dev.sparring.gan.loss.Print.human;

/**
 * The verdict of {@link DesignCheck} on one loss: the conditions with what was seen, the divergence the critic's
 * optimum equals, the equilibrium values at p = q, and the curves d(r), f(r), omega(r), r beta(omega(r)).
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

    private final GanLoss loss;
    private final DesignCheck check;
    final List<Condition> conditions = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    Kind kind = Kind.UNDETERMINED;
    int orientation;                                   // -1: real samples score high (Sparring); +1: fake samples
    double omegaLo = Double.NaN, omegaHi = Double.NaN; // the critic's range Omega
    double omegaInverseLo = Double.NaN, omegaInverseHi = Double.NaN, omegaInverseConstant = Double.NaN;
    double[] r, tStar, d, f, g;                        // (m) on DesignCheck.rGrid(); tStar, g null when undefined
    double[] boundaryPhi;                              // (2) min, max of phi on Omega for a BOUNDARY design
    double dAt1 = Double.NaN, dSlopeAt1 = Double.NaN;
    double tEq = Double.NaN, criticEq = Double.NaN, generatorEq = Double.NaN, generatorScale = Double.NaN;
    Divergences.Match divergence;

    CheckReport(GanLoss loss, DesignCheck check) {
        this.loss = loss;
        this.check = check;
    }

    boolean pass(String name, String detail) {
        conditions.add(new Condition(name, true, detail));
        return true;
    }

    boolean fail(String name, String detail) {
        conditions.add(new Condition(name, false, detail));
        return false;
    }

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

    public List<Condition> conditions() { return Collections.unmodifiableList(conditions); }

    /** Remarks that do not fail the design (orientation, IPM, boundary optimum, an affine generator loss). */
    public List<String> notes() { return Collections.unmodifiableList(notes); }

    public Kind kind() { return kind; }

    /** -1 when the critic scores real samples high (Sparring's orientation), +1 when fake ones, 0 if unknown. */
    public int orientation() { return orientation; }

    /** The critic's range Omega = {t : phi' psi' &lt; 0} as [lo, hi] (infinite ends: unbounded). */
    public double[] omega() { return new double[] {omegaLo, omegaHi}; }

    /** Omega as text: "(-2, inf)". */
    public String rangeText() {
        if (Double.isNaN(omegaLo)) return "undetermined (the check failed before finding it)";
        return "(" + human(omegaLo) + ", " + human(omegaHi) + ")";
    }

    /** The divergence f(r) was recognised as (null if none of {@link Divergences#KNOWN}). */
    public Divergences.Match divergence() { return divergence; }

    /** t* = omega(1), the optimal critic output at p = q (NaN unless the design is REGULAR). */
    public double equilibriumT() { return tEq; }

    /** L_D* = -(phi(t*) + psi(t*)) at p = q; NaN when the design failed. */
    public double criticLossAtEquilibrium() { return passed() ? criticEq : Double.NaN; }

    /** L_G* = beta(t*) at p = q; NaN when undetermined (linear designs) or when the design failed. */
    public double generatorLossAtEquilibrium() { return passed() ? generatorEq : Double.NaN; }

    /** t* = omega(r), computed afresh (NaN unless REGULAR). */
    public double tStar(double r) { return check.tStar(r); }

    /** d(r) = max_t phi(t) + r psi(t), computed afresh (NaN for an IPM or a failed design). */
    public double d(double r) { return check.d(r); }

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

    /** Six decimals, without a "-0.000000". */
    private static String fixed(double v) {
        return String.format(Locale.ROOT, "%.6f", Math.abs(v) < 5e-7 ? 0.0 : v);
    }

    // ------------------------------------------------------------------ plot

    /**
     * Draws the design to a PNG (written atomically), under a heading with the loss, the verdict and the divergence
     * (or the failure): phi, psi, beta against t with Omega's edges, and where the check got that far f(r) with d(r),
     * omega(r), and for a separate generator loss r beta(omega(r)) with its tangent at r = 1, against r on a log
     * axis. The r panels scale y to r in [0.1, 10], so that f's minimum at r = 1 shows; the curves leave the panel
     * beyond. A panel is drawn only when there is something to draw.
     */
    public void writePlot(Path png) throws IOException {
        List<LineChart> charts = new ArrayList<>();
        charts.add(functionsChart());
        if (d != null) charts.add(divergenceChart());
        LineChart oc = optimumChart();
        if (oc != null) charts.add(oc);
        if (g != null) charts.add(generatorChart());
        LineChart.writePanels(png, charts.size() <= 3 ? charts.size() : 2, charts, 560, 420, plotHeading());
    }

    /** The plot's heading: the loss and the verdict, then the divergence or what failed. */
    List<String> plotHeading() {
        List<String> heading = new ArrayList<>();
        heading.add(loss.spec() + "   " + verdict());
        String why = explanation();
        if (!why.isEmpty()) heading.add(why);
        return heading;
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
    private String explanation() {
        Condition bad = failure();
        if (bad != null) return bad.name() + ": " + bad.detail();
        if (kind == Kind.IPM) return "an integral probability metric: no pointwise optimum; the critic must be Lipschitz";
        if (divergence != null) return "the critic's optimum: d(1) + D_f(Q||P), D_f(Q||P) = " + divergence.describe();
        return "";
    }

    /** phi, psi and beta on a range of t around the optimal outputs, or Omega, with Omega's finite edges marked. */
    private LineChart functionsChart() {
        double lo, hi;
        if (kind == Kind.REGULAR && tStar != null) {
            double a = check.tStar(0.1), b = check.tStar(10);
            lo = Math.min(a, b);
            hi = Math.max(a, b);
        } else if (Double.isFinite(omegaLo) && Double.isFinite(omegaHi)) {
            lo = omegaLo;
            hi = omegaHi;
        } else if (Double.isFinite(omegaLo) || Double.isFinite(omegaHi)) {
            double e = Double.isFinite(omegaLo) ? omegaLo : omegaHi;
            lo = Math.min(e, -2);
            hi = Math.max(e, 2);
        } else {
            lo = -2;
            hi = 2;
        }
        double pad = 0.5 * Math.max(hi - lo, 1e-9 * (1 + Math.abs(lo)));
        lo -= pad;
        hi += pad;
        int n = 401;
        double[] t = new double[n], ph = new double[n], ps = new double[n], be = new double[n];  // (n)
        for (int i = 0; i < n; i++) {
            t[i] = lo + (hi - lo) * i / (n - 1);
            ph[i] = check.phi(t[i]);
            ps[i] = check.psi(t[i]);
            be[i] = check.beta(t[i]);
        }
        boolean saturating = loss.beta().text().equals(loss.psi().text());
        LineChart c = new LineChart("the loss: phi, psi, beta against t").xLabel("critic output t").yLabel("value").legendOutside(true);
        c.series("phi(t) (real samples)", t, ph);
        c.series(saturating ? "psi(t) = beta(t) (fake samples)" : "psi(t) (fake samples)", t, ps);
        if (!saturating) c.series("beta(t) (generator)", t, be);
        if (Double.isFinite(omegaLo)) c.marker("Omega from " + human(omegaLo), omegaLo);
        if (Double.isFinite(omegaHi)) c.marker("Omega to " + human(omegaHi), omegaHi);
        return c;
    }

    /** f(r) with d(r), y scaled to r in [0.1, 10] so that f's minimum f(1) = 0 shows. */
    private LineChart divergenceChart() {
        LineChart c = new LineChart("divergence: f(r) and d(r) = max_t phi(t) + r psi(t)").xLabel("r = q/p (fake over real)")
                .yLabel("value").logX(true).legendOutside(true);
        c.series("f(r) = d(r) - d(1) - d'(1)(r - 1), f(1) = 0", r, f);
        c.series("d(r)", r, d);
        if (Double.isFinite(dAt1)) c.reference("d(1) = " + human(dAt1) + " = -L_D*", dAt1, 1);
        c.marker("r = 1 (p = q)", 1);
        yWindow(c, f, d);
        return c;
    }

    /** omega(r), or the edge of Omega for a boundary optimum; null when there is no curve (an IPM, edges at +-inf). */
    private LineChart optimumChart() {
        LineChart c = new LineChart("omega(r): the optimal critic output").xLabel("r = q/p (fake over real)").yLabel("t*")
                .logX(true).legendOutside(true);
        if (tStar != null) {
            c.series("t* = omega(r)", r, tStar);
            if (Double.isFinite(tEq)) c.reference("t* at p = q: " + human(tEq), tEq, 0);
        } else if (kind == Kind.BOUNDARY && Double.isFinite(omegaLo) && Double.isFinite(omegaHi)) {
            double[] edge = new double[r.length];   // (m) the maximiser: the upper edge where q < p, the lower where q > p
            for (int j = 0; j < r.length; j++) edge[j] = r[j] < 1 ? omegaHi : r[j] > 1 ? omegaLo : Double.NaN;
            c.series("t*: the edge of Omega (any t at r = 1)", r, edge);
        } else {
            return null;
        }
        c.marker("r = 1", 1);
        return c;
    }

    /** r beta(omega(r)) against its tangent at r = 1: the generator passes where the curve stays above it. */
    private LineChart generatorChart() {
        int one = DesignCheck.rOneIndex();
        double slope = (g[one + 1] - g[one - 1]) / (r[one + 1] - r[one - 1]);
        double[] tangent = new double[r.length];
        for (int j = 0; j < r.length; j++) tangent[j] = g[one] + slope * (r[j] - 1);
        LineChart c = new LineChart("generator: g(r) = r beta(omega(r))").xLabel("r = q/p (fake over real)").yLabel("value")
                .logX(true).legendOutside(true);
        c.series("g(r) = r beta(omega(r))", r, g);
        c.series("tangent at r = 1", r, tangent);
        c.marker("r = 1", 1);
        yWindow(c, g, tangent);
        return c;
    }

    /** Fixes the y range of an r chart to what the curves span for r in [0.1, 10], padded. */
    private void yWindow(LineChart c, double[]... ys) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] y : ys) {
            for (int j = 0; j < r.length; j++) {
                if (r[j] < 0.1 - 1e-12 || r[j] > 10 + 1e-12 || !Double.isFinite(y[j])) continue;
                lo = Math.min(lo, y[j]);
                hi = Math.max(hi, y[j]);
            }
        }
        if (!(hi > lo)) return;
        double pad = 0.08 * (hi - lo);
        c.yRange(lo - pad, hi + pad);
    }
}
