package dev.sparring.cli;

import dev.sparring.lab.sweep.Grid;
import dev.sparring.lab.sweep.RunMetrics;
import dev.sparring.lab.sweep.SweepRow;
import dev.sparring.viz.Figure;
import dev.sparring.viz.LineChart;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * losses.png of {@code sparring sweep}: one panel per run, a row per critic rate and a column per generator rate, each
 * with the run's D and G loss per step, the loss's values at equilibrium (dashed, in the colours of their losses, as in
 * loss_curve.png), the D loss below which the critic is winning (dashed gray) and the step it wins at (a vertical
 * marker). All panels share one y range (the losses' 0.5th to 99.5th percentiles and the reference lines), so that the
 * panels compare at a glance; points outside it are cut at the edge.
 */
final class SweepFigure {
    private SweepFigure() { }

    static final int PANEL_WIDTH = 420, PANEL_HEIGHT = 300;

    static void write(Path png, String heading, int columns, List<SweepRow> rows, List<RunMetrics> metrics, double eqD, double eqG)
            throws IOException {
        double[] range = yRange(metrics, eqD, eqG, rows.isEmpty() ? Double.NaN : rows.getFirst().winThreshold());
        Figure f = new Figure(columns, PANEL_WIDTH, PANEL_HEIGHT).heading(heading)
                .heading("dashed: each loss's value at equilibrium; gray dashed: the D loss below which the critic is winning; "
                        + "vertical: the step the critic wins at");
        for (int i = 0; i < rows.size(); i++) {
            SweepRow r = rows.get(i);
            RunMetrics m = metrics.get(i);
            double[] x = Arrays.stream(m.steps()).asDoubleStream().toArray();
            String state = switch (r.outcome()) {
                case "completed" -> r.winStep() >= 0 ? "critic wins at " + r.winStep() : "";
                default -> r.outcomeText();
            };
            LineChart c = new LineChart(String.format(Locale.ROOT, "lr_d %s, lr_g %s%s", Grid.rate(r.lrD()), Grid.rate(r.lrG()),
                    state.isEmpty() ? "" : ": " + state)).xLabel("generator step").yLabel("loss").size(PANEL_WIDTH, PANEL_HEIGHT);
            c.series("D loss", x, m.dLoss()).series("G loss", x, m.gLoss());
            c.reference("D at eq.", eqD, 0).reference("G at eq.", eqG, 1).reference("D wins below", r.winThreshold());
            if (r.winStep() >= 0) c.marker("wins", r.winStep());
            if (range != null) c.yRange(range[0], range[1]);
            f.add(c);
        }
        f.write(png);
    }

    /** The shared y range: the pooled losses' 0.5th and 99.5th percentiles widened to the reference lines, padded 5 %; null if none. */
    static double[] yRange(List<RunMetrics> metrics, double... references) {
        List<Double> all = new ArrayList<>();
        for (RunMetrics m : metrics) {
            for (double v : m.dLoss()) if (Double.isFinite(v)) all.add(v);
            for (double v : m.gLoss()) if (Double.isFinite(v)) all.add(v);
        }
        if (all.isEmpty()) return null;
        double[] v = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double lo = v[(int) Math.floor(0.005 * (v.length - 1))], hi = v[(int) Math.ceil(0.995 * (v.length - 1))];
        for (double r : references) {
            if (Double.isFinite(r)) {
                lo = Math.min(lo, r);
                hi = Math.max(hi, r);
            }
        }
        double pad = 0.05 * (hi - lo);
        if (!(pad > 0)) return null;
        return new double[] {lo - pad, hi + pad};
    }
}
