package dev.sparring.lab.features;

import dev.sparring.linalg.GramPca;
import dev.sparring.random.NoiseStream;

import java.util.ArrayList;
import java.util.List;

/**
 * How linearly separable two sets of feature rows are (real and fake images, as a critic layer sees them): the held-out
 * accuracy of a logistic regression, by stratified k-fold cross-validation, so that every row is predicted once by a
 * probe that never saw it.
 *
 * <p>Per fold, on the training rows only: PCA ({@link GramPca}, from the Gram matrix of all rows) to at most
 * {@link #COMPONENTS} components, each scaled to unit variance (standardised), then an L2-penalised logistic regression,
 * scikit-learn's {@code LogisticRegression()} objective with C = 1: minimise ½|w|² + C Σ log(1 + exp(-s_i (w·x_i + b)))
 * (s_i = ±1, the intercept b not penalised), by Newton's method. The held-out rows are projected onto the training
 * rows' axes with the training scale and classified by the sign of w·x + b. Folds are drawn from the seed: each class's
 * rows shuffled (Fisher–Yates on the stream (seed, "probe-folds")) and dealt to the folds in turn.
 */
public final class LinearProbe {
    public static final int FOLDS = 4;
    /** PCA components the probe is fitted on (fewer when the training rows span fewer). */
    public static final int COMPONENTS = 50;
    /** scikit-learn's default inverse regularisation strength. */
    public static final double C = 1;
    static final int NEWTON_STEPS = 100;

    private LinearProbe() { }

    /**
     * The cross-validated result: {@code accuracy} = correct / n over all held-out predictions, each fold's own
     * accuracy, and the components the folds' probes used (the smallest over the folds).
     */
    public record Result(double accuracy, int correct, int n, double[] foldAccuracy, int components) {
        /** The binomial standard error of the accuracy, √(a (1 - a) / n). */
        public double standardError() { return Math.sqrt(accuracy * (1 - accuracy) / n); }
    }

    /**
     * Cross-validates a probe on the rows of the Gram matrix {@code gram} (n x n, {@link GramPca#gram}) labelled
     * {@code positive} (real: true) in {@code folds} folds; each class needs at least {@code folds} rows.
     */
    public static Result crossValidate(double[][] gram, boolean[] positive, int folds, int components, long seed) {
        int n = gram.length;
        if (positive.length != n) throw new IllegalArgumentException("LinearProbe: " + positive.length + " labels for " + n + " rows");
        int[] fold = folds(positive, folds, seed);
        int correct = 0, minComponents = Integer.MAX_VALUE;
        double[] foldAccuracy = new double[folds];
        for (int f = 0; f < folds; f++) {
            List<Integer> train = new ArrayList<>(), test = new ArrayList<>();
            for (int i = 0; i < n; i++) (fold[i] == f ? test : train).add(i);
            int[] tr = train.stream().mapToInt(Integer::intValue).toArray();
            GramPca pca = GramPca.fit(gram, tr, components);
            int k = pca.components();
            minComponents = Math.min(minComponents, k);
            double[] scale = new double[k];
            for (int c = 0; c < k; c++) scale[c] = 1 / Math.sqrt(pca.variance(c));
            double[][] x = new double[tr.length][];
            boolean[] y = new boolean[tr.length];
            for (int i = 0; i < tr.length; i++) {
                x[i] = standardised(pca.scores(tr[i]), scale);
                y[i] = positive[tr[i]];
            }
            double[] w = fit(x, y, C);
            int right = 0;
            for (int i : test) if ((decision(w, standardised(pca.scores(i), scale)) > 0) == positive[i]) right++;
            foldAccuracy[f] = (double) right / test.size();
            correct += right;
        }
        return new Result((double) correct / n, correct, n, foldAccuracy, minComponents);
    }

    /** The fold of each row: each class's rows in a seeded random order, dealt to folds 0, 1, ..., folds - 1 in turn. */
    static int[] folds(boolean[] positive, int folds, long seed) {
        int n = positive.length;
        int[] fold = new int[n];
        NoiseStream rng = NoiseStream.derive(seed, "probe-folds");
        for (boolean cls : new boolean[] {true, false}) {
            List<Integer> rows = new ArrayList<>();
            for (int i = 0; i < n; i++) if (positive[i] == cls) rows.add(i);
            if (rows.size() < folds) throw new IllegalArgumentException("LinearProbe: " + rows.size() + " rows of a class for " + folds + " folds");
            for (int i = rows.size() - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                Integer t = rows.get(i);
                rows.set(i, rows.get(j));
                rows.set(j, t);
            }
            for (int r = 0; r < rows.size(); r++) fold[rows.get(r)] = r % folds;
        }
        return fold;
    }

    private static double[] standardised(double[] s, double[] scale) {
        double[] x = new double[scale.length];
        for (int c = 0; c < scale.length; c++) x[c] = s[c] * scale[c];
        return x;
    }

    /** w·x + b, w = coef[0 .. k-1], b = coef[k]. */
    static double decision(double[] coef, double[] x) {
        double z = coef[x.length];
        for (int c = 0; c < x.length; c++) z += coef[c] * x[c];
        return z;
    }

    /**
     * The logistic regression of {@code y} (true: class 1) on the rows x (m x k): the minimiser of
     * ½|w|² + c Σ log(1 + exp(-s_i (w·x_i + b))), as {w_0 .. w_{k-1}, b}, by Newton's method with step halving, until
     * the largest gradient entry is below 1e-10 (at most {@value #NEWTON_STEPS} steps).
     */
    public static double[] fit(double[][] x, boolean[] y, double c) {
        int m = x.length, k = x[0].length, p = k + 1;
        double[] coef = new double[p];
        double loss = objective(coef, x, y, c);
        for (int step = 0; step < NEWTON_STEPS; step++) {
            double[] grad = new double[p];
            double[][] h = new double[p][p];
            for (int j = 0; j < k; j++) {
                grad[j] = coef[j];
                h[j][j] = 1;
            }
            h[k][k] = 1e-12;                                         // b is not penalised; keeps H invertible
            for (int i = 0; i < m; i++) {
                double sigma = sigmoid(decision(coef, x[i]));
                double r = c * (sigma - (y[i] ? 1 : 0)), curv = c * sigma * (1 - sigma);
                for (int a = 0; a < p; a++) {
                    double xa = a < k ? x[i][a] : 1;
                    grad[a] += r * xa;
                    for (int b = 0; b <= a; b++) h[a][b] += curv * xa * (b < k ? x[i][b] : 1);
                }
            }
            double largest = 0;
            for (double gv : grad) largest = Math.max(largest, Math.abs(gv));
            if (largest < 1e-10) break;
            for (int a = 0; a < p; a++) for (int b = a + 1; b < p; b++) h[a][b] = h[b][a];
            double[] delta = choleskySolve(h, grad);
            for (double t = 1; t > 1e-8; t /= 2) {
                double[] next = coef.clone();
                for (int a = 0; a < p; a++) next[a] -= t * delta[a];
                double l = objective(next, x, y, c);
                if (l <= loss) {
                    coef = next;
                    loss = l;
                    break;
                }
            }
        }
        return coef;
    }

    private static double objective(double[] coef, double[][] x, boolean[] y, double c) {
        int k = x[0].length;
        double l = 0;
        for (int j = 0; j < k; j++) l += 0.5 * coef[j] * coef[j];
        for (int i = 0; i < x.length; i++) {
            double z = decision(coef, x[i]) * (y[i] ? 1 : -1);
            l += c * (z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z)));   // log(1 + e^-z), stable
        }
        return l;
    }

    private static double sigmoid(double z) { return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)); }

    /** Solves H d = g for a symmetric positive definite H (small: the probe's k + 1 unknowns). */
    private static double[] choleskySolve(double[][] h, double[] g) {
        int p = g.length;
        double[][] l = new double[p][p];
        for (int i = 0; i < p; i++) {
            for (int j = 0; j <= i; j++) {
                double s = h[i][j];
                for (int t = 0; t < j; t++) s -= l[i][t] * l[j][t];
                l[i][j] = i == j ? Math.sqrt(Math.max(s, 1e-300)) : s / l[j][j];
            }
        }
        double[] z = new double[p], d = new double[p];
        for (int i = 0; i < p; i++) {
            double s = g[i];
            for (int t = 0; t < i; t++) s -= l[i][t] * z[t];
            z[i] = s / l[i][i];
        }
        for (int i = p - 1; i >= 0; i--) {
            double s = z[i];
            for (int t = i + 1; t < p; t++) s -= l[t][i] * d[t];
            d[i] = s / l[i][i];
        }
        return d;
    }
}
