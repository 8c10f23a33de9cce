package dev.sparring.train;

import java.io.PrintStream;

/**
 * A one-line progress bar with ETA on a terminal ({@code \r} redraws, at most 5 per second); without a terminal,
 * or when asked, one plain line every 10 % of the run. Training counts steps; {@code sparring sample}, {@code fid} and
 * {@code classify} count images through the public constructor, with a label ({@code "features of A"}) and a unit
 * ({@code "img/s"}) of their own.
 *
 * <p>The speed and the ETA come from the recent steps (the last {@link #WINDOW_S} seconds), not from the whole run: the
 * first steps are slow while the JIT compiles the hot loops, and an average over them made the first ETA of a
 * two-minute run read 7:23. Until a second reading exists, the ETA shows as --:--.
 */
public final class Progress {
    private final PrintStream out;
    private final long total, start;
    private final boolean bar;
    private final String label, unit;
    private long lastDraw;
    private int lastDecile = -1;
    private boolean drawn;
    private String note = "";
    /** Recent readings (nanoTime, step), oldest first; the first ever reading is kept until a later one is WINDOW_S old. */
    private final java.util.ArrayDeque<long[]> recent = new java.util.ArrayDeque<>();
    static final double WINDOW_S = 30;

    Progress(PrintStream out, long total, long start, boolean barWanted) {
        this(out, total, start, "", "it/s", barWanted);
    }

    /**
     * Progress over {@code total} items counted from 0, each line starting with {@code label} (none when empty) and the
     * speed given in {@code unit}. The bar is drawn when {@code barWanted} and the JVM runs on a terminal, as for
     * training; otherwise a plain line every 10 %.
     */
    public Progress(PrintStream out, long total, String label, String unit, boolean barWanted) {
        this(out, total, 0, label, unit, barWanted);
    }

    private Progress(PrintStream out, long total, long start, String label, String unit, boolean barWanted) {
        this.out = out;
        this.total = total;
        this.start = start;
        this.label = label.isEmpty() ? "" : label + " ";
        this.unit = unit;
        this.bar = barWanted && System.console() != null && System.console().isTerminal();
    }

    /** Shows {@code done} of the total items. */
    public void update(long done) { update(done, null); }

    /** Text shown at the end of every later line, e.g. the mode coverage of the last 2-D sample scatter; "" for none. */
    void note(String text) { this.note = text.isEmpty() ? "" : " | " + text; }

    void update(long step, Metrics m) {
        long now = System.nanoTime();
        double frac = total == 0 ? 1 : (double) step / total;
        double rate = recentRate(now, step);
        double eta = rate > 0 ? (total - step) / rate : Double.NaN;
        String stats = m == null ? "" : String.format(" | D %.4f G %.4f", m.dLoss(), m.gLoss());
        String speed = Double.isFinite(rate) ? String.format("%.1f %s", rate, unit) : "-- " + unit;
        String line = String.format("%s%s %d/%d %3.0f%%%s | %s | ETA %s%s", label, barText(frac), step, total, 100 * frac, stats, speed, time(eta), note);
        if (bar) {
            if (now - lastDraw < 200_000_000L && step != total) return;
            lastDraw = now;
            out.print("\r" + line + "   ");
            out.flush();
            drawn = true;
        } else {
            int decile = (int) Math.floor(frac * 10);
            if (decile == lastDecile) return;
            lastDecile = decile;
            out.println(line);
        }
    }

    /**
     * Steps per second since the newest reading that is at least {@link #WINDOW_S} old (or since the first reading,
     * early in a run); NaN before two readings.
     */
    double recentRate(long nowNs, long step) {
        recent.addLast(new long[] {nowNs, step});
        while (recent.size() > 2 && (nowNs - secondOldest()[0]) / 1e9 >= WINDOW_S) recent.pollFirst();
        if (recent.size() < 2) return Double.NaN;
        long[] first = recent.peekFirst();
        double dt = (nowNs - first[0]) / 1e9;
        return dt > 0 ? (step - first[1]) / dt : Double.NaN;
    }

    private long[] secondOldest() {
        var it = recent.iterator();
        it.next();
        return it.next();
    }

    /** Ends the bar's line (after the last update); plain lines need nothing. */
    public void finish() {
        if (bar && drawn) out.println();
        drawn = false;
    }

    private static String barText(double frac) {
        int w = 24, full = (int) Math.round(Math.min(1, frac) * w);
        return "[" + "=".repeat(full) + (full < w ? ">" + " ".repeat(w - full - 1) : "") + "]";
    }

    /** Seconds as m:ss or h:mm:ss; --:-- when not finite. */
    public static String time(double s) {
        if (!Double.isFinite(s)) return "--:--";
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%d:%02d", t / 60, t % 60);
    }
}
