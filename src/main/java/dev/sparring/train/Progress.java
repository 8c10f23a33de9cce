package dev.sparring.train;

import java.io.PrintStream;

/**
 * A one-line progress bar with ETA on a terminal ({@code \r} redraws, at most 5 per second); without a terminal,
 * or when asked, one plain line every 10 % of the run.
 */
final class Progress {
    private final PrintStream out;
    private final long total, start;
    private final boolean bar;
    private long lastDraw;
    private int lastDecile = -1;
    private boolean drawn;
    private String note = "";

    Progress(PrintStream out, long total, long start, boolean barWanted) {
        this.out = out;
        this.total = total;
        this.start = start;
        this.bar = barWanted && System.console() != null && System.console().isTerminal();
    }

    /** Text shown at the end of every later line, e.g. the mode coverage of the last 2-D sample scatter; "" for none. */
    void note(String text) { this.note = text.isEmpty() ? "" : " | " + text; }

    void update(long step, Metrics m, double elapsedS) {
        long now = System.nanoTime();
        double frac = total == 0 ? 1 : (double) step / total;
        double rate = elapsedS > 0 ? (step - start) / elapsedS : 0;
        double eta = rate > 0 ? (total - step) / rate : Double.NaN;
        String stats = m == null ? "" : String.format(" | D %.4f G %.4f", m.dLoss(), m.gLoss());
        String line = String.format("%s %d/%d %3.0f%%%s | %.1f it/s | ETA %s%s", barText(frac), step, total, 100 * frac, stats, rate, time(eta), note);
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

    void finish() {
        if (bar && drawn) out.println();
        drawn = false;
    }

    private static String barText(double frac) {
        int w = 24, full = (int) Math.round(Math.min(1, frac) * w);
        return "[" + "=".repeat(full) + (full < w ? ">" + " ".repeat(w - full - 1) : "") + "]";
    }

    static String time(double s) {
        if (!Double.isFinite(s)) return "--:--";
        long t = Math.round(s);
        return t >= 3600 ? String.format("%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) : String.format("%d:%02d", t / 60, t % 60);
    }
}
