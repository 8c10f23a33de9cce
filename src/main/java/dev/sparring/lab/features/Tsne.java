package dev.sparring.lab.features;

import dev.sparring.random.NoiseStream;
import dev.sparring.random.Philox;

import java.util.function.IntConsumer;

/**
 * Exact t-SNE (van der Maaten &amp; Hinton 2008, "Visualizing Data using t-SNE"), as van der Maaten's {@code tsne.m} and
 * scikit-learn's {@code TSNE(method="exact")} compute it, for a few hundred points: every pair is used at every
 * iteration (O(N²) per iteration; 512 points take about a millisecond each).
 *
 * <ol>
 *   <li>Conditional probabilities: for each point i a Gaussian over the squared input distances,
 *       p(j|i) = exp(-β_i d_ij) / Σ_k exp(-β_i d_ik), with β_i found by bisection so that the entropy of p(·|i) is
 *       log(perplexity) (nats) to within 1e-5 (at most 100 halvings), as scikit-learn's {@code _binary_search_perplexity}.</li>
 *   <li>Joint probabilities p_ij = (p(j|i) + p(i|j)) / 2N, at least 2.2e-16.</li>
 *   <li>Gradient descent on KL(P ‖ Q), q_ij ∝ (1 + |y_i - y_j|²)⁻¹, from y ~ N(0, 1e-4²) (Philox, seeded):
 *       dC/dy_i = 4 Σ_j (p_ij - q_ij)(y_i - y_j)(1 + |y_i - y_j|²)⁻¹. The first {@link #EXAGGERATION_STEPS} iterations
 *       multiply P by {@link #EXAGGERATION} (early exaggeration) with momentum 0.5, the rest use P with momentum 0.8;
 *       each coordinate's step has a gain (Jacobs' delta-bar-delta: +0.2 when the gradient's sign differs from the
 *       last update's, ×0.8 when it agrees, at least 0.01). These are scikit-learn's numbers (exaggeration 12 for 250
 *       iterations, 1000 iterations, learning rate max(N / 12 / 4, 50)); tsne.m's are 4, 100 and 500.</li>
 * </ol>
 */
public final class Tsne {
    public static final double EXAGGERATION = 12;
    public static final int EXAGGERATION_STEPS = 250;
    public static final int ITERATIONS = 1000;
    static final double MOMENTUM_EARLY = 0.5, MOMENTUM_LATE = 0.8, MIN_GAIN = 0.01, INIT_STD = 1e-4;
    static final double ENTROPY_TOLERANCE = 1e-5;
    static final int SEARCH_STEPS = 100;
    static final double EPSILON = Math.ulp(1.0);

    private Tsne() { }

    /** An embedding and its final KL divergence (with P as given, no exaggeration). */
    public record Result(double[] y, int n, double kl, double[] klHistory) {
        public double x(int i) { return y[2 * i]; }

        public double yy(int i) { return y[2 * i + 1]; }
    }

    /** The largest perplexity this class accepts for n points: (n - 1) / 3, as bhtsne (each point needs 3·perplexity neighbours). */
    public static double maxPerplexity(int n) { return (n - 1) / 3.0; }

    /**
     * The conditional probabilities p(j|i) (n x n, row i sums to 1, p(i|i) = 0) of the squared distances {@code d2}
     * (n x n, symmetric, zero diagonal), each row's Gaussian width set so that its entropy is log(perplexity).
     */
    public static double[][] conditional(double[][] d2, double perplexity) {
        int n = d2.length;
        if (!(perplexity > 0) || perplexity > maxPerplexity(n)) {
            throw new IllegalArgumentException("Tsne: perplexity " + perplexity + " out of (0, " + maxPerplexity(n) + "] for " + n + " points");
        }
        double target = Math.log(perplexity);
        double[][] p = new double[n][n];
        for (int i = 0; i < n; i++) {
            double beta = 1, lo = Double.NEGATIVE_INFINITY, hi = Double.POSITIVE_INFINITY;
            double[] row = p[i];
            for (int step = 0; step < SEARCH_STEPS; step++) {
                double sum = 0, weighted = 0;
                for (int j = 0; j < n; j++) {
                    row[j] = j == i ? 0 : Math.exp(-d2[i][j] * beta);
                    sum += row[j];
                }
                if (sum == 0) sum = 1e-8;                         // scikit-learn's EPSILON_DBL guard
                for (int j = 0; j < n; j++) {
                    row[j] /= sum;
                    weighted += d2[i][j] * row[j];
                }
                double entropy = Math.log(sum) + beta * weighted;
                double diff = entropy - target;
                if (Math.abs(diff) <= ENTROPY_TOLERANCE) break;
                if (diff > 0) {                                    // too flat: narrow the Gaussian
                    lo = beta;
                    beta = hi == Double.POSITIVE_INFINITY ? beta * 2 : (beta + hi) / 2;
                } else {
                    hi = beta;
                    beta = lo == Double.NEGATIVE_INFINITY ? beta / 2 : (beta + lo) / 2;
                }
            }
        }
        return p;
    }

    /**
     * The joint probabilities of {@link #conditional}: p(j|i) + p(i|j) divided by their sum (2n), at least the double
     * epsilon 2.2e-16 off the diagonal (0 on it), as scikit-learn's {@code _joint_probabilities}.
     */
    public static double[][] joint(double[][] d2, double perplexity) {
        double[][] c = conditional(d2, perplexity);
        int n = c.length;
        double sum = 0;
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) sum += c[i][j] + c[j][i];
        double[][] p = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) if (i != j) p[i][j] = Math.max((c[i][j] + c[j][i]) / sum, EPSILON);
        }
        return p;
    }

    /** Embeds n points given by their squared distances in 2-D with the defaults (1000 iterations). */
    public static Result embed(double[][] d2, double perplexity, long seed, IntConsumer progress) {
        return descend(joint(d2, perplexity), ITERATIONS, seed, progress);
    }

    /**
     * Gradient descent on KL(P ‖ Q) for {@code iterations} steps from a seeded N(0, 1e-4²) start; {@code progress}
     * (may be null) is told each finished iteration. {@code klHistory} holds KL(P ‖ Q) every 50 iterations and at the
     * end, with P as given (also during exaggeration).
     */
    public static Result descend(double[][] p, int iterations, long seed, IntConsumer progress) {
        int n = p.length;
        if (n < 2) throw new IllegalArgumentException("Tsne: need at least 2 points, got " + n);
        double[] y = new double[2 * n], update = new double[2 * n], gains = new double[2 * n], grad = new double[2 * n];
        java.util.Arrays.fill(gains, 1);
        NoiseStream rng = NoiseStream.derive(seed, "tsne-init");
        float[] start = new float[2 * n];
        Philox.normals(rng.seed(), rng.take(start.length), start, 0, start.length);
        for (int k = 0; k < 2 * n; k++) y[k] = INIT_STD * start[k];
        double rate = Math.max(n / EXAGGERATION / 4, 50);
        double[] num = new double[n * n];                        // (1 + |y_i - y_j|²)⁻¹, the unnormalised Q
        java.util.List<Double> history = new java.util.ArrayList<>();
        for (int it = 0; it < iterations; it++) {
            boolean early = it < EXAGGERATION_STEPS;
            double exaggeration = early ? EXAGGERATION : 1, momentum = early ? MOMENTUM_EARLY : MOMENTUM_LATE;
            double z = kernel(y, n, num);
            java.util.Arrays.fill(grad, 0);
            for (int i = 0; i < n; i++) {
                double gx = 0, gy = 0;
                for (int j = 0; j < n; j++) {
                    if (i == j) continue;
                    double q = num[i * n + j];
                    double f = (exaggeration * p[i][j] - q / z) * q;
                    gx += f * (y[2 * i] - y[2 * j]);
                    gy += f * (y[2 * i + 1] - y[2 * j + 1]);
                }
                grad[2 * i] = 4 * gx;
                grad[2 * i + 1] = 4 * gy;
            }
            for (int k = 0; k < 2 * n; k++) {
                boolean steady = grad[k] * update[k] < 0;          // the descent direction -grad goes on where the last step went
                gains[k] = Math.max(steady ? gains[k] + 0.2 : gains[k] * 0.8, MIN_GAIN);
                update[k] = momentum * update[k] - rate * gains[k] * grad[k];
                y[k] += update[k];
            }
            if (it % 50 == 0) history.add(kl(p, y, n));
            if (progress != null) progress.accept(it + 1);
        }
        double kl = kl(p, y, n);
        history.add(kl);
        return new Result(y, n, kl, history.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Fills num with (1 + |y_i - y_j|²)⁻¹ (0 on the diagonal) and returns their sum Z. */
    private static double kernel(double[] y, int n, double[] num) {
        double z = 0;
        for (int i = 0; i < n; i++) {
            num[i * n + i] = 0;
            for (int j = i + 1; j < n; j++) {
                double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
                double q = 1 / (1 + dx * dx + dy * dy);
                num[i * n + j] = num[j * n + i] = q;
                z += 2 * q;
            }
        }
        return z;
    }

    /** KL(P ‖ Q) = Σ p_ij log(p_ij / q_ij) of an embedding y (n x 2) with Student-t q. */
    public static double kl(double[][] p, double[] y, int n) {
        double[] num = new double[n * n];
        double z = kernel(y, n, num), kl = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i == j || p[i][j] <= 0) continue;
                double q = Math.max(num[i * n + j] / z, 1e-300);
                kl += p[i][j] * Math.log(p[i][j] / q);
            }
        }
        return kl;
    }

    /**
     * Trustworthiness T(k) of an embedding (Venna &amp; Kaski 2001, scikit-learn's {@code manifold.trustworthiness}): 1
     * minus a normalised penalty for each point that is among i's k nearest neighbours in the embedding but not in
     * the input, by how far down i's input ranking it is. 1: every embedding neighbourhood is an input neighbourhood.
     * {@code d2} are the input's squared distances, y (n x 2) the embedding; k &lt; n / 2.
     */
    public static double trustworthiness(double[][] d2, double[] y, int n, int k) {
        if (k < 1 || k >= n / 2.0) throw new IllegalArgumentException("trustworthiness: k must be in [1, n/2), got " + k + " for " + n + " points");
        double penalty = 0;
        Integer[] order = new Integer[n];
        int[] rank = new int[n];
        for (int i = 0; i < n; i++) {
            final int fi = i;
            for (int j = 0; j < n; j++) order[j] = j;
            // input ranks: i itself first (rank 0), ties broken by index as numpy's stable argsort
            java.util.Arrays.sort(order, (a, b) -> a == fi ? -1 : b == fi ? 1 : Double.compare(d2[fi][a], d2[fi][b]));
            for (int r = 0; r < n; r++) rank[order[r]] = r;
            for (int j = 0; j < n; j++) order[j] = j;
            java.util.Arrays.sort(order, (a, b) -> a == fi ? -1 : b == fi ? 1 : Double.compare(dist2(y, fi, a), dist2(y, fi, b)));
            for (int r = 1; r <= k; r++) penalty += Math.max(0, rank[order[r]] - k);
        }
        return 1 - penalty * (2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)));
    }

    private static double dist2(double[] y, int i, int j) {
        double dx = y[2 * i] - y[2 * j], dy = y[2 * i + 1] - y[2 * j + 1];
        return dx * dx + dy * dy;
    }
}
