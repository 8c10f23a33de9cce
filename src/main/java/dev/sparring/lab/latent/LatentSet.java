package dev.sparring.lab.latent;

import dev.sparring.UserError;
import dev.sparring.eval.NpyArray;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A named set of latent vectors read from a {@code .npy} file, as {@code sparring sample --save-z FILE.npy} writes them:
 * float32 (or float64) of shape (N, nz), or (N, nz, 1, 1); row i is the latent of sample i, the i-th image of the
 * sample grid (left to right, then top to bottom). {@code --z NAME=FILE} takes every row, {@code --z NAME=FILE:ROWS}
 * the rows listed, as {@code 3,7,12} or ranges {@code 0-7} (0-based, in any mix: {@code 1,4-6}).
 *
 * @param name the name an expression uses
 * @param file the file
 * @param rows the chosen rows' indices in the file
 * @param nz   the latent size
 * @param z    the chosen rows, (rows.length, nz) row-major
 */
public record LatentSet(String name, Path file, int[] rows, int nz, float[] z) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern ROWS = Pattern.compile("[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*");

    /** Reads {@code NAME=FILE[:ROWS]} as given to {@code --z}; every mistake is a one-line UserError naming --z. */
    public static LatentSet read(String spec) throws IOException {
        int eq = spec.indexOf('=');
        if (eq < 0) throw new UserError("--z " + spec + ": write NAME=FILE.npy or NAME=FILE.npy:ROWS (e.g. a=smile.npy:3,7,12)");
        String name = spec.substring(0, eq).strip(), rest = spec.substring(eq + 1).strip();
        if (!NAME.matcher(name).matches()) {
            throw new UserError("--z " + spec + ": '" + name + "' is not a name: a letter or _ then letters, digits or _ (digits alone are classes)");
        }
        String rowText = null;
        int colon = rest.lastIndexOf(':');
        if (colon >= 0 && ROWS.matcher(rest.substring(colon + 1).replace(" ", "")).matches()) {
            rowText = rest.substring(colon + 1).replace(" ", "");
            rest = rest.substring(0, colon);
        }
        if (rest.isEmpty()) throw new UserError("--z " + spec + ": no file after '='");
        Path file = Path.of(rest);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UserError("--z " + spec + ": " + file + " does not exist");
        }
        NpyArray a;
        try {
            a = NpyArray.parse(bytes, file.toString());
        } catch (RuntimeException e) {
            throw new UserError("--z " + spec + ": " + file + " is not a .npy array (" + e.getMessage() + ")");
        }
        long[] s = a.shape();
        boolean flat = s.length == 2 || (s.length == 4 && s[2] == 1 && s[3] == 1);
        if (!flat || s[0] < 1 || s[1] < 1 || !(a.descr().equals("<f4") || a.descr().equals("<f8"))) {
            throw new UserError("--z " + spec + ": " + file + " holds " + a.descr() + " " + a.shapeText() + "; latents are float32 or float64 of shape "
                    + "(N, nz), as sparring sample --save-z writes them");
        }
        int n = Math.toIntExact(s[0]), nz = Math.toIntExact(s[1]);
        float[] all = a.toFloats(file.toString());
        int[] rows = rowText == null ? allRows(n) : parseRows(rowText, n, spec);
        float[] z = new float[rows.length * nz];
        for (int i = 0; i < rows.length; i++) System.arraycopy(all, rows[i] * nz, z, i * nz, nz);
        return new LatentSet(name, file, rows, nz, z);
    }

    /** The mean of the chosen rows, in double. */
    public double[] mean() {
        double[] m = new double[nz];
        for (int i = 0; i < rows.length; i++) for (int j = 0; j < nz; j++) m[j] += z[i * nz + j];
        for (int j = 0; j < nz; j++) m[j] /= rows.length;
        return m;
    }

    public int size() { return rows.length; }

    private static int[] allRows(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    static int[] parseRows(String text, int n, String spec) {
        List<Integer> out = new ArrayList<>();
        for (String part : text.split(",")) {
            int dash = part.indexOf('-');
            long lo, hi;
            try {
                lo = Long.parseLong(dash < 0 ? part : part.substring(0, dash));
                hi = dash < 0 ? lo : Long.parseLong(part.substring(dash + 1));
            } catch (NumberFormatException e) {
                throw new UserError("--z " + spec + ": row '" + part + "' is not a number");
            }
            if (hi < lo) throw new UserError("--z " + spec + ": rows " + part + " run backwards; write LOW-HIGH");
            if (hi >= n) throw new UserError("--z " + spec + ": row " + hi + " is beyond the file's " + n + " rows (0 to " + (n - 1) + ")");
            for (long r = lo; r <= hi; r++) out.add((int) r);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
