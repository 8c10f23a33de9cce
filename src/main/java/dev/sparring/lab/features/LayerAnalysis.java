package dev.sparring.lab.features;

import dev.sparring.linalg.GramPca;

import java.util.function.IntConsumer;

/**
 * What {@code sparring critic-features} computes of one layer's feature rows (real and fake images): a 2-D PCA, a 2-D
 * exact t-SNE with its trustworthiness, and the separability of real from fake (a cross-validated linear probe). The
 * rows' Gram matrix is made once ({@link GramPca#gram}); the PCA, the t-SNE's distances and each fold's PCA come from it.
 *
 * @param pca             (N, 2) the rows' scores on the first two principal axes (0 where the rows span fewer)
 * @param explained       the share of the total variance along each of the two axes
 * @param tsne            the t-SNE embedding (N, 2) and its KL divergence
 * @param trustworthiness the t-SNE's trustworthiness at {@link #NEIGHBOURS} neighbours
 * @param probe           the linear probe's held-out accuracy
 */
public record LayerAnalysis(double[] pca, double[] explained, Tsne.Result tsne, double trustworthiness, LinearProbe.Result probe) {
    /** Neighbours for the trustworthiness (scikit-learn's default). */
    public static final int NEIGHBOURS = 5;

    /**
     * Analyses n rows of d features (row-major, n x d) labelled {@code real}, the probe on at most {@code components}
     * principal components; {@code tsneProgress} (may be null) is told each t-SNE iteration. {@code perplexity} must be at
     * most {@link Tsne#maxPerplexity}(n).
     */
    public static LayerAnalysis of(float[] rows, int n, int d, boolean[] real, double perplexity, int components, long seed, IntConsumer tsneProgress) {
        double[][] g = GramPca.gram(rows, n, d);
        GramPca pca = GramPca.fit(g, 2);
        double[] xy = new double[2 * n];
        for (int i = 0; i < n; i++) {
            double[] s = pca.scores(i);
            for (int c = 0; c < s.length; c++) xy[2 * i + c] = s[c];
        }
        double[] explained = new double[2];
        for (int c = 0; c < pca.components(); c++) explained[c] = pca.explained(c);
        double[][] d2 = GramPca.squaredDistances(g);
        Tsne.Result tsne = Tsne.embed(d2, perplexity, seed, tsneProgress);
        double trust = Tsne.trustworthiness(d2, tsne.y(), n, NEIGHBOURS);
        LinearProbe.Result probe = LinearProbe.crossValidate(g, real, LinearProbe.FOLDS, components, seed);
        return new LayerAnalysis(xy, explained, tsne, trust, probe);
    }

    /** The probe alone, for rows too few in features to draw (the critic's score, one number per image). */
    public static LinearProbe.Result probe(float[] rows, int n, int d, boolean[] real, long seed) {
        return LinearProbe.crossValidate(GramPca.gram(rows, n, d), real, LinearProbe.FOLDS, LinearProbe.COMPONENTS, seed);
    }
}
