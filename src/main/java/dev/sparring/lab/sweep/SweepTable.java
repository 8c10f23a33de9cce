package dev.sparring.lab.sweep;

import dev.sparring.io.AtomicFile;
import dev.sparring.io.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The sweep's table, one row per run, as {@code table.md} (Markdown), {@code table.csv} and inside
 * {@code summary.json} with the sweep's settings. Written atomically after every run, so that a sweep that is stopped
 * keeps the table of the runs it finished.
 */
public final class SweepTable {
    public static final String MARKDOWN = "table.md", CSV = "table.csv", SUMMARY = "summary.json";

    private SweepTable() { }

    /** The Markdown table. */
    public static String markdown(List<SweepRow> rows, CriticWin win) {
        StringBuilder sb = new StringBuilder();
        sb.append("| lr_d | lr_g | outcome | D loss (last ").append(win.window()).append(") | minus L_D* | critic wins at | FID | coverage | time |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (SweepRow r : rows) {
            sb.append("| ").append(Grid.rate(r.lrD())).append(" | ").append(Grid.rate(r.lrG())).append(" | ").append(r.outcomeText())
                    .append(" | ").append(num(r.dLossFinal())).append(" | ").append(signed(r.eqDistance()))
                    .append(" | ").append(winText(r)).append(" | ").append(Double.isNaN(r.fid()) ? "-" : String.format(Locale.ROOT, "%.2f", r.fid()))
                    .append(" | ").append(r.coverageText()).append(" | ").append(String.format(Locale.ROOT, "%.0f s", r.seconds())).append(" |\n");
        }
        return sb.toString();
    }

    private static String winText(SweepRow r) {
        if (Double.isNaN(r.winThreshold())) return "n/a";
        return r.winStep() >= 0 ? "step " + r.winStep() : "never";
    }

    private static String num(double v) { return !Double.isFinite(v) ? "-" : String.format(Locale.ROOT, Math.abs(v) >= 1e5 ? "%.3e" : "%.4f", v); }

    private static String signed(double v) { return !Double.isFinite(v) ? "-" : String.format(Locale.ROOT, Math.abs(v) >= 1e5 ? "%+.3e" : "%+.4f", v); }

    /** The CSV table: a header line, then one line per run (empty fields for absent values). */
    public static String csv(List<SweepRow> rows) {
        StringBuilder sb = new StringBuilder("run,lr_d,lr_g,outcome,steps,total_steps,d_loss_final,d_loss_eq_distance,critic_wins_at,"
                + "fid,kid,coverage,covered,of,coverage_share,seconds\n");
        for (SweepRow r : rows) {
            List<String> f = new ArrayList<>();
            f.add(r.run());
            f.add(Double.toString(r.lrD()));
            f.add(Double.toString(r.lrG()));
            f.add(r.outcome());
            f.add(Long.toString(r.steps()));
            f.add(Long.toString(r.totalSteps()));
            f.add(csvNum(r.dLossFinal()));
            f.add(csvNum(r.eqDistance()));
            f.add(r.winStep() >= 0 ? Long.toString(r.winStep()) : "");
            f.add(csvNum(r.fid()));
            f.add(csvNum(r.kid()));
            f.add(r.coverageKind() == null ? "" : r.coverageKind());
            f.add(r.coverageKind() == null ? "" : Integer.toString(r.covered()));
            f.add(r.coverageKind() == null ? "" : Integer.toString(r.coverable()));
            f.add(r.coverageKind() == null ? "" : csvNum(r.coverageShare()));
            f.add(String.format(Locale.ROOT, "%.1f", r.seconds()));
            sb.append(String.join(",", f)).append('\n');
        }
        return sb.toString();
    }

    private static String csvNum(double v) { return Double.isFinite(v) ? Double.toString(v) : ""; }

    /**
     * Writes table.md, table.csv and summary.json into {@code dir}: the settings ({@code settings}, written first), the
     * critic-win definition with its numbers, whether the sweep was interrupted, and the rows.
     */
    public static void write(Path dir, Map<String, Object> settings, CriticWin win, double dLossEq, double dLossMin,
                             List<SweepRow> rows, boolean interrupted) throws IOException {
        AtomicFile.write(dir.resolve(MARKDOWN), markdown(rows, win).getBytes(StandardCharsets.UTF_8));
        AtomicFile.write(dir.resolve(CSV), csv(rows).getBytes(StandardCharsets.UTF_8));
        Map<String, Object> s = new LinkedHashMap<>(settings);
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("definition", "the critic wins at step s when its D loss stays at or below L_min + margin (L_D* - L_min) "
                + "for window consecutive steps from s; L_min is the D loss of a critic that separates real and fake perfectly");
        w.put("margin", win.margin());
        w.put("window", win.window());
        w.put("d_loss_equilibrium", Double.isFinite(dLossEq) ? dLossEq : null);
        w.put("d_loss_minimum", Double.isFinite(dLossMin) ? dLossMin : null);
        double t = win.threshold(dLossEq, dLossMin);
        w.put("threshold", Double.isFinite(t) ? t : null);
        if (Double.isNaN(t)) {
            w.put("undefined_because", dLossMin == Double.NEGATIVE_INFINITY ? "the loss's D loss has no lower bound" : "the loss has no equilibrium value");
        }
        s.put("critic_wins", w);
        s.put("interrupted", interrupted);
        s.put("runs", rows.stream().map(SweepRow::toMap).toList());
        Json.writeFile(dir.resolve(SUMMARY), s);
    }
}
