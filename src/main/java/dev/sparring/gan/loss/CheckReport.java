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
        boolean ok = passed();
        sb.append("verdict: ").append(ok ? "PASS" : "FAIL");
        if (!ok) {
            Condition bad = failure();
            sb.append(bad != null ? " (" + bad.name() + ")" : " (incomplete)");
        } else {
            sb.append(" (").append(switch (kind) {
                case REGULAR -> "interior optimum t* = omega(r)";
                case BOUNDARY -> "optimum on the edge of Omega";
                case IPM -> "integral probability metric: needs a Lipschitz critic";
                case UNDETERMINED -> "?";
            }).append(')');
        }
        sb.append("\n");
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

    /** Six decimals, without a "-0.000000". */
    private static String fixed(double v) {
        return String.format(Locale.ROOT, "%.6f", Math.abs(v) < 5e-7 ? 0.0 : v);
    }

    // ------------------------------------------------------------------ plot

    /**
     * Draws d(r) and f(r), omega(r), and (for a separate generator loss) r beta(omega(r)) against r on a log axis,
     * side by side, to a PNG (written atomically).
     */
    public void writePlot(Path png) throws IOException {
        List<LineChart> charts = new ArrayList<>();
        LineChart dc = new LineChart("d(r) = max_t phi(t) + r psi(t)").xLabel("r = q/p").yLabel("value").logX(true);
        if (d != null) {
            dc.series("d(r)", r, d);
            dc.series("f(r) (canonical)", r, f);
            if (Double.isFinite(dAt1)) dc.reference("d(1) = " + human(dAt1), dAt1);
        }
        charts.add(dc);
        LineChart oc = new LineChart("omega(r): optimal critic output").xLabel("r = q/p").yLabel("t*").logX(true);
        if (tStar != null) {
            oc.series("omega(r)", r, tStar);
            if (Double.isFinite(tEq)) oc.reference("t* at p = q: " + human(tEq), tEq, 0);
        } else if (kind == Kind.BOUNDARY && Double.isFinite(omegaLo) && Double.isFinite(omegaHi)) {
            double[] edge = new double[r.length];   // (m) the maximiser: the upper edge where q < p, the lower where q > p
            for (int j = 0; j < r.length; j++) edge[j] = r[j] < 1 ? omegaHi : r[j] > 1 ? omegaLo : Double.NaN;
            oc.series("omega(r): edge of Omega", r, edge);
        } else if (kind == Kind.BOUNDARY) {
            oc.message("optimum on the edge of Omega " + rangeText());
        } else if (kind == Kind.IPM) {
            oc.message("no pointwise optimum (IPM)");
        }
        charts.add(oc);
        if (g != null) {
            LineChart gc = new LineChart("generator: r beta(omega(r))").xLabel("r = q/p").yLabel("value").logX(true);
            gc.series("r beta(omega(r))", r, g);
            if (Double.isFinite(generatorEq)) gc.reference("beta(omega(1)) = " + human(generatorEq), generatorEq);
            charts.add(gc);
        }
        if (d == null && tStar == null) {
            Condition bad = failure();
            dc.message(bad != null ? "FAIL (" + bad.name() + ")" : "no data");
        }
        LineChart.writePanels(png, charts.size(), charts, 560, 420);
    }
}
