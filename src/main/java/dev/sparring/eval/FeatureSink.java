package dev.sparring.eval;

/**
 * Where feature rows go as a feature network produces them, a batch at a time: {@link FeatureMoments} (for the FID)
 * and {@link FeatureReservoir} (for the KID) are both sinks, so a caller can feed one or both from the same batches
 * and never hold all the features at once.
 */
public interface FeatureSink {
    /** The length of one feature row. */
    int features();

    /** Takes {@code n} rows of {@link #features()} floats each, row-major, from {@code rows[offset...]}. */
    void add(float[] rows, int offset, int n);

    /** Takes the first {@code n} rows of {@code rows}. */
    default void add(float[] rows, int n) { add(rows, 0, n); }
}
