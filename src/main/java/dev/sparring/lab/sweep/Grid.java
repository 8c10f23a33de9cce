package dev.sparring.lab.sweep;

import dev.sparring.UserError;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;

/**
 * The learning rates a sweep trains: every critic rate with every generator rate, the critic's in the outer loop (a
 * row of the grid figure per critic rate). An empty list means the run's default rate (one value, not named).
 */
public record Grid(List<Double> lrD, List<Double> lrG) {
    public Grid {
        lrD = List.copyOf(lrD);
        lrG = List.copyOf(lrG);
    }

    /** One cell: the rates given (null: the default of sparring train). */
    public record Cell(int row, int column, Double lrD, Double lrG) { }

    public List<Cell> cells() {
        List<Cell> cells = new ArrayList<>();
        List<Double> ds = lrD.isEmpty() ? java.util.Collections.singletonList(null) : lrD;
        List<Double> gs = lrG.isEmpty() ? java.util.Collections.singletonList(null) : lrG;
        for (int r = 0; r < ds.size(); r++) for (int c = 0; c < gs.size(); c++) cells.add(new Cell(r, c, ds.get(r), gs.get(c)));
        return cells;
    }

    public int rows() { return Math.max(1, lrD.size()); }

    public int columns() { return Math.max(1, lrG.size()); }

    /**
     * A list of learning rates as {@code flag} takes it: "1e-4,2e-4,4e-4". Refused in one line: an empty list or
     * item, a value that is not a number, not finite or not above 0, and a rate given twice.
     */
    public static List<Double> parseRates(String text, String flag) {
        if (text == null || text.isBlank()) throw new UserError(flag + ": give one or more learning rates, e.g. " + flag + " 1e-4,2e-4");
        LinkedHashSet<Double> rates = new LinkedHashSet<>();
        for (String item : text.split(",", -1)) {
            String s = item.strip();
            if (s.isEmpty()) throw new UserError(flag + " " + text + ": an empty entry; give rates separated by commas, e.g. " + flag + " 1e-4,2e-4");
            double v;
            try {
                v = Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new UserError(flag + " " + text + ": '" + s + "' is not a number");
            }
            if (!Double.isFinite(v) || v <= 0) throw new UserError(flag + " " + text + ": a learning rate must be a number > 0, got " + s);
            if (!rates.add(v)) throw new UserError(flag + " " + text + ": " + s + " is given twice");
        }
        return List.copyOf(rates);
    }

    /** A rate as run names and tables write it: 2e-3, 1.5e-4, 1e0. */
    public static String rate(double v) {
        String s = String.format(Locale.ROOT, "%.3e", v);
        String[] parts = s.split("e");
        String m = parts[0].replaceAll("0+$", "").replaceAll("\\.$", "");
        return m + "e" + Integer.parseInt(parts[1]);
    }
}
