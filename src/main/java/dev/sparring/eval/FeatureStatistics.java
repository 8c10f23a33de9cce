package dev.sparring.eval;

import dev.sparring.UserError;

/**
 * The statistics the FID compares: the mean and covariance of F features over N rows, with the feature network that
 * made them and where they came from (a file path, or a description), for messages.
 *
 * @param features F
 * @param count    N, the number of rows; -1 when unknown (a pytorch-fid statistics file does not record it)
 * @param mean     F values
 * @param covariance F × F, row-major
 * @param network  the feature network's name; empty when unknown
 * @param source   where the statistics came from, as messages should name it
 */
public record FeatureStatistics(int features, long count, double[] mean, double[] covariance, String network, String source) {
    /**
     * Relative asymmetry a covariance may have: |Σᵢⱼ − Σⱼᵢ| ≤ this × max |Σₖₖ|. Generous enough for float32 round-off
     * in statistics made elsewhere, tight enough to refuse a matrix that is not a covariance.
     */
    public static final double SYMMETRY_TOLERANCE = 1e-5;

    public FeatureStatistics {
        if (network == null) network = "";
        if (source == null || source.isEmpty()) source = "feature statistics";
    }

    /**
     * Checks that these are usable statistics, throwing a one-line {@link UserError} that names {@link #source} and
     * what is wrong: the sizes, a non-finite value, a negative variance, a covariance that is not symmetric within
     * {@link #SYMMETRY_TOLERANCE}.
     */
    public FeatureStatistics validate() {
        if (features < 1) throw new UserError(source + ": the statistics have " + features + " features; at least 1 is needed");
        if (mean == null || mean.length != features) {
            throw new UserError(source + ": mu has " + (mean == null ? 0 : mean.length) + " values, expected " + features);
        }
        if (covariance == null || covariance.length != (long) features * features) {
            throw new UserError(source + ": sigma has " + (covariance == null ? 0 : covariance.length) + " values, expected "
                    + features + " x " + features);
        }
        for (int i = 0; i < features; i++) {
            if (!Double.isFinite(mean[i])) throw new UserError(source + ": mu[" + i + "] is " + mean[i]);
        }
        double maxDiag = 0;
        for (int i = 0; i < features * features; i++) {
            double v = covariance[i];
            if (!Double.isFinite(v)) throw new UserError(source + ": sigma[" + i / features + "][" + i % features + "] is " + v);
        }
        for (int i = 0; i < features; i++) {
            double d = covariance[i * features + i];
            if (d < 0) throw new UserError(source + ": sigma[" + i + "][" + i + "] = " + d + " is a negative variance: not a covariance matrix");
            maxDiag = Math.max(maxDiag, d);
        }
        double tol = SYMMETRY_TOLERANCE * maxDiag;
        for (int i = 0; i < features; i++) {
            for (int j = i + 1; j < features; j++) {
                double a = covariance[i * features + j], b = covariance[j * features + i];
                if (Math.abs(a - b) > tol) {
                    throw new UserError(source + ": sigma is not symmetric: sigma[" + i + "][" + j + "] = " + a + " but sigma[" + j
                            + "][" + i + "] = " + b + " (allowed difference " + tol + ")");
                }
            }
        }
        return this;
    }
}
