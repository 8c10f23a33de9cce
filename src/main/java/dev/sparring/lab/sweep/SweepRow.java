package dev.sparring.lab.sweep;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One run of a sweep, as its table shows it.
 *
 * @param run            the run folder's name (inside the sweep folder)
 * @param lrD            the critic's learning rate the run trained with (config.json)
 * @param lrG            the generator's
 * @param outcome        completed, diverged (a non-finite metric stopped it), interrupted (Ctrl-C) or failed (an error
 *                       stopped it; {@code note} says which)
 * @param note           the run's last message for a run that did not complete, else ""
 * @param steps          the last step in metrics.jsonl
 * @param totalSteps     the steps the run was to train
 * @param dLossFinal     the mean D loss over the last {@code window} finite steps
 * @param dLossEq        L_D*, the D loss at equilibrium
 * @param winStep        the step the critic wins at ({@link CriticWin}); -1: it never does (or cannot, see {@code winThreshold})
 * @param winThreshold   the D loss at or below which the critic is winning; NaN when the loss has no lower bound
 * @param fid            the last FID measured (NaN: none), at {@code fidStep}
 * @param coverageKind   "modes" (2-D data, coverage.jsonl), "digits" (the MNIST classifier's confident samples) or null
 * @param covered        modes or digits covered, of {@code coverable}
 * @param coverageShare  2-D data: the high-quality share; digits: the confident share (0 to 1)
 * @param seconds        the run's wall time, its final measurements included
 */
public record SweepRow(String run, double lrD, double lrG, String outcome, String note, long steps, long totalSteps,
                       double dLossFinal, double dLossEq, long winStep, double winThreshold, double fid, double kid, long fidStep,
                       String coverageKind, int covered, int coverable, double coverageShare, double seconds) {

    /** The D loss's final distance from its equilibrium value, L_D(final) - L_D*. */
    public double eqDistance() { return dLossFinal - dLossEq; }

    /** The row as summary.json holds it (non-finite numbers as null, absent values as null). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("run", run);
        m.put("lr_d", lrD);
        m.put("lr_g", lrG);
        m.put("outcome", outcome);
        if (!note.isEmpty()) m.put("note", note);
        m.put("steps", steps);
        m.put("total_steps", totalSteps);
        m.put("d_loss_final", finite(dLossFinal));
        m.put("d_loss_eq_distance", finite(eqDistance()));
        m.put("critic_wins_at", winStep >= 0 ? winStep : null);
        m.put("fid", finite(fid));
        if (!Double.isNaN(fid)) {
            m.put("kid", finite(kid));
            m.put("fid_step", fidStep);
        }
        if (coverageKind != null) {
            m.put("coverage", coverageKind);
            m.put("covered", covered);
            m.put("of", coverable);
            m.put(coverageKind.equals("modes") ? "hq_share" : "confident_share", finite(coverageShare));
        }
        m.put("seconds", Math.round(seconds * 10) / 10.0);
        return m;
    }

    private static Object finite(double v) { return Double.isFinite(v) ? v : null; }

    /** "8/8 modes, HQ 88.6 %", "10/10 digits, 91.2 % confident", or "-". */
    public String coverageText() {
        if (coverageKind == null) return "-";
        return String.format(Locale.ROOT, "%d/%d %s, %.1f %% %s", covered, coverable, coverageKind, 100 * coverageShare,
                coverageKind.equals("modes") ? "HQ" : "confident");
    }

    /** "completed", "diverged at 120", "interrupted at 40 of 300". */
    public String outcomeText() {
        return switch (outcome) {
            case "completed" -> "completed";
            case "interrupted" -> "interrupted at " + steps + " of " + totalSteps;
            case "diverged" -> "diverged at " + steps;
            default -> outcome;
        };
    }
}
