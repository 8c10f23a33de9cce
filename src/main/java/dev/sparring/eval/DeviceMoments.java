package dev.sparring.eval;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.linalg.ScatterMoments;
import dev.sparring.tensor.DType;
import dev.sparring.tensor.Tensor;

/**
 * {@link FeatureMoments} kept on a backend: feature rows that a network computed there (a GPU's tensors) are folded
 * into float64 moments there ({@link Backend#featureMoments}), with the same numerics, and never copied to the host;
 * only the final mean and scatter are ({@link #statistics}). Not thread-safe; close it to free the two tensors.
 */
public final class DeviceMoments implements AutoCloseable {
    private final Backend be;
    private final int f;
    private final Tensor mean, m2;      // (F), (F, F) F64 on the backend
    private long count;

    public DeviceMoments(Backend be, int features) {
        if (features < 1) throw new IllegalArgumentException("DeviceMoments: features must be >= 1, got " + features);
        this.be = be;
        this.f = features;
        this.mean = be.zeros(DType.F64, features);
        this.m2 = be.zeros(DType.F64, features, features);
    }

    /** Folds the first {@code n} rows of {@code rows} ((≥ n, F) F32 on the backend) in. */
    public void add(Tensor rows, int n) {
        if (rows.rank() != 2 || rows.dim(1) != f || n < 0 || n > rows.dim(0)) {
            throw new IllegalArgumentException("DeviceMoments.add: " + n + " rows of " + rows + " (F = " + f + ")");
        }
        be.featureMoments(mean, m2, count, rows, n);
        count += n;
    }

    /** Rows taken so far. */
    public long count() { return count; }

    /**
     * The mean and covariance (N − 1) read back from the backend, checked ({@link FeatureStatistics#validate}: a NaN
     * feature, which a GPU cannot refuse as it comes, is reported here).
     */
    public FeatureStatistics statistics(String network, String source) {
        if (count < 2) throw new UserError("a covariance needs at least 2 feature rows, got " + count);
        FeatureStatistics s = new FeatureStatistics(f, count, be.downloadDoubles(mean),
                ScatterMoments.covariance(f, count, be.downloadDoubles(m2)), network, source);
        for (double v : s.mean()) {
            if (!Double.isFinite(v)) {
                throw new UserError(source + ": a feature row held a non-finite value: the images given to the feature network held NaN or infinite values");
            }
        }
        return s.validate();
    }

    @Override
    public void close() {
        mean.close();
        m2.close();
    }
}
