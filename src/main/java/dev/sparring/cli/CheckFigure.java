package dev.sparring.cli;

import dev.sparring.gan.loss.CheckReport;
import dev.sparring.viz.Figure;
import dev.sparring.viz.LineChart;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.sparring.gan.loss.CheckReport.Kind;

/**
 * The figure of {@code sparring loss check --png}: a loss design drawn under a heading with the loss, the verdict and
 * the divergence (or the failure): phi, psi, beta against t with Omega's edges, and where the check got that far
 * f(r) with d(r), omega(r), and for a separate generator loss r beta(omega(r)) with its tangent at r = 1, against r
 * on a log axis. The r panels scale y to r in [0.1, 10], so that f's minimum at r = 1 shows; the curves leave the
 * panel beyond. A panel is drawn only when there is something to draw.
 */
final class CheckFigure {
    static final int PANEL_WIDTH = 560, PANEL_HEIGHT = 420;

    private CheckFigure() { }

    /** Writes the figure of {@code report} to a PNG, atomically, creating its folder. */
    static void write(CheckReport report, Path png) throws IOException {
        Path dir = png.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        figure(report).write(png);
    }

    /** The figure: one row of up to three panels, two rows of two for four. */
    static Figure figure(CheckReport report) {
        List<LineChart> charts = new ArrayList<>();
        charts.add(functionsChart(report));
        CheckReport.Curves c = report.curves();
        if (c != null && c.d() != null) charts.add(divergenceChart(report, c));
        LineChart oc = c == null ? null : optimumChart(report, c);
        if (oc != null) charts.add(oc);
        if (c != null && c.g() != null) charts.add(generatorChart(c));
        Figure f = new Figure(charts.size() <= 3 ? charts.size() : 2, PANEL_WIDTH, PANEL_HEIGHT);
        heading(report).forEach(f::heading);
        charts.forEach(f::add);
        return f;
    }

    /** The heading: the loss and the verdict, then the divergence or what failed. */
    static List<String> heading(CheckReport report) {
        List<String> heading = new ArrayList<>();
        heading.add(report.loss().spec() + "   " + report.verdict());
        String why = report.explanation();
        if (!why.isEmpty()) heading.add(why);
        return heading;
    }

    /** phi, psi and beta on a range of t around the optimal outputs, or Omega, with Omega's finite edges marked. */
    private static LineChart functionsChart(CheckReport report) {
        double omegaLo = report.omega()[0], omegaHi = report.omega()[1];
        double lo, hi;
        if (report.kind() == Kind.REGULAR && report.curves() != null && report.curves().tStar() != null) {
            double a = report.tStar(0.1), b = report.tStar(10);
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
            ph[i] = report.phi(t[i]);
            ps[i] = report.psi(t[i]);
            be[i] = report.beta(t[i]);
        }
        boolean saturating = report.loss().beta().text().equals(report.loss().psi().text());
        LineChart c = new LineChart("the loss: phi, psi, beta against t").xLabel("critic output t").yLabel("value");
        c.series("phi(t) (real samples)", t, ph);
        c.series(saturating ? "psi(t) = beta(t) (fake samples)" : "psi(t) (fake samples)", t, ps);
        if (!saturating) c.series("beta(t) (generator)", t, be);
        if (Double.isFinite(omegaLo)) c.marker("Omega from " + human(omegaLo), omegaLo);
        if (Double.isFinite(omegaHi)) c.marker("Omega to " + human(omegaHi), omegaHi);
        return c;
    }

    /** f(r) with d(r), y scaled to r in [0.1, 10] so that f's minimum f(1) = 0 shows. */
    private static LineChart divergenceChart(CheckReport report, CheckReport.Curves c) {
        LineChart chart = new LineChart("divergence: f(r) and d(r) = max_t phi(t) + r psi(t)").xLabel("r = q/p (fake over real)")
                .yLabel("value").logX(true);
        chart.series("f(r) = d(r) - d(1) - d'(1)(r - 1), f(1) = 0", c.r(), c.f());
        chart.series("d(r)", c.r(), c.d());
        double d1 = report.dAtOne();
        if (Double.isFinite(d1)) chart.reference("d(1) = " + human(d1) + " = -L_D*", d1, 1);
        chart.marker("r = 1 (p = q)", 1);
        yWindow(chart, c.r(), c.f(), c.d());
        return chart;
    }

    /** omega(r), or the edge of Omega for a boundary optimum; null when there is no curve (an IPM, edges at +-inf). */
    private static LineChart optimumChart(CheckReport report, CheckReport.Curves c) {
        double omegaLo = report.omega()[0], omegaHi = report.omega()[1];
        double[] r = c.r();
        LineChart chart = new LineChart("omega(r): the optimal critic output").xLabel("r = q/p (fake over real)").yLabel("t*")
                .logX(true);
        if (c.tStar() != null) {
            chart.series("t* = omega(r)", r, c.tStar());
            double tEq = report.equilibriumT();
            if (Double.isFinite(tEq)) chart.reference("t* at p = q: " + human(tEq), tEq, 0);
        } else if (report.kind() == Kind.BOUNDARY && Double.isFinite(omegaLo) && Double.isFinite(omegaHi)) {
            double[] edge = new double[r.length];   // (m) the maximiser: the upper edge where q < p, the lower where q > p
            for (int j = 0; j < r.length; j++) edge[j] = r[j] < 1 ? omegaHi : r[j] > 1 ? omegaLo : Double.NaN;
            chart.series("t*: the edge of Omega (any t at r = 1)", r, edge);
        } else {
            return null;
        }
        chart.marker("r = 1", 1);
        return chart;
    }

    /** r beta(omega(r)) against its tangent at r = 1: the generator passes where the curve stays above it. */
    private static LineChart generatorChart(CheckReport.Curves c) {
        double[] r = c.r(), g = c.g();
        int one = java.util.Arrays.binarySearch(r, 1.0);
        double slope = (g[one + 1] - g[one - 1]) / (r[one + 1] - r[one - 1]);
        double[] tangent = new double[r.length];
        for (int j = 0; j < r.length; j++) tangent[j] = g[one] + slope * (r[j] - 1);
        LineChart chart = new LineChart("generator: g(r) = r beta(omega(r))").xLabel("r = q/p (fake over real)").yLabel("value")
                .logX(true);
        chart.series("g(r) = r beta(omega(r))", r, g);
        chart.series("tangent at r = 1", r, tangent);
        chart.marker("r = 1", 1);
        yWindow(chart, r, g, tangent);
        return chart;
    }

    /** Fixes the y range of an r chart to what the curves span for r in [0.1, 10], padded. */
    private static void yWindow(LineChart chart, double[] r, double[]... ys) {
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
        chart.yRange(lo - pad, hi + pad);
    }

    private static String human(double v) { return CheckReport.number(v); }
}
