package dev.sparring.eval;

import dev.sparring.UserError;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FID statistics files: pytorch-fid's {@code .npz} layout, {@code mu} (F,) and {@code sigma} (F, F) float64, which
 * pytorch-fid, clean-fid and numpy read directly. Sparring's own files add two arrays that those tools ignore:
 * {@code n}, the number of feature rows (an int64 scalar), and {@code network}, the feature network's name (a unicode
 * string scalar, {@code <U}); {@code numpy.load} reads both without {@code allow_pickle}.
 *
 * <p>{@link #read} takes any pytorch-fid file (float64 or float32, either byte order, C or Fortran order, stored or
 * deflated, .npy format 1.0, 2.0 or 3.0) and checks it: a one-line {@link UserError} names the file and what is
 * wrong — not a zip, no {@code mu} or {@code sigma}, wrong shapes, sizes that disagree, NaN or infinite values,
 * a negative variance, an asymmetric sigma.
 */
public final class StatisticsFile {
    private StatisticsFile() { }

    public static final String MU = "mu", SIGMA = "sigma", N = "n", NETWORK = "network";

    /** Reads and validates a statistics file; count is -1 and network "" when the file does not record them. */
    public static FeatureStatistics read(Path file) {
        String where = file.toString();
        Map<String, NpyArray> arrays = Npz.read(file);
        NpyArray mu = arrays.get(MU), sigma = arrays.get(SIGMA);
        if (mu == null || sigma == null) {
            throw new UserError(where + ": no " + (mu == null ? MU : SIGMA) + " array (a statistics file holds mu and sigma; found: "
                    + (arrays.isEmpty() ? "no arrays" : String.join(", ", arrays.keySet())) + ")");
        }
        if (mu.shape().length != 1 || mu.shape()[0] < 1) {
            throw new UserError(where + ": mu has shape " + mu.shapeText() + ", expected (F,) with F >= 1");
        }
        long f = mu.shape()[0];
        if (sigma.shape().length != 2 || sigma.shape()[0] != sigma.shape()[1]) {
            throw new UserError(where + ": sigma has shape " + sigma.shapeText() + ", expected a square (F, F)");
        }
        if (sigma.shape()[0] != f) {
            throw new UserError(where + ": mu has " + f + " features but sigma is " + sigma.shapeText() + "; they must match");
        }
        if (f > 46340) throw new UserError(where + ": " + f + " features is more than this reader takes");
        if (mu.descr().charAt(1) != 'f' || sigma.descr().charAt(1) != 'f') {
            throw new UserError(where + ": mu and sigma must be floating point, found " + mu.descr() + " and " + sigma.descr());
        }
        long count = -1;
        NpyArray n = arrays.get(N);
        if (n != null) {
            long[] v = n.toLongs(where + ": " + N);
            if (v.length != 1 || v[0] < 0) throw new UserError(where + ": n must be one non-negative integer");
            count = v[0];
        }
        String network = "";
        NpyArray net = arrays.get(NETWORK);
        if (net != null) network = net.string(where + ": " + NETWORK);
        FeatureStatistics s = new FeatureStatistics((int) f, count, mu.toDoubles(where + ": mu"), sigma.toDoubles(where + ": sigma"),
                network, where);
        return s.validate();
    }

    /** Writes {@code stats} (validated first) as mu, sigma, and n and network where known; replaces the file atomically. */
    public static void write(Path file, FeatureStatistics stats) throws IOException {
        stats.validate();
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        int f = stats.features();
        arrays.put(MU, NpyArray.ofDoubles(stats.mean(), f));
        arrays.put(SIGMA, NpyArray.ofDoubles(stats.covariance(), f, f));
        if (stats.count() >= 0) arrays.put(N, NpyArray.ofLongs(new long[] {stats.count()}));
        if (!stats.network().isEmpty()) arrays.put(NETWORK, NpyArray.ofString(stats.network()));
        Npz.write(file, arrays);
    }
}
