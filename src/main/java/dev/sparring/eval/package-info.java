/**
 * The evaluation metrics of GAN samples, computed from feature vectors (a feature network's outputs, e.g. Inception's
 * 2048 pooled features): the Fréchet distance (FID) and the kernel distance (KID). docs/metrics.md explains them and
 * their numerics.
 *
 * <ul>
 *   <li>{@link dev.sparring.eval.FeatureSink}: where feature rows go, a batch at a time. Two sinks:
 *       {@link dev.sparring.eval.FeatureMoments} (float64 streaming mean and covariance, for the FID) and
 *       {@link dev.sparring.eval.FeatureReservoir} (a seeded uniform sample of at most C rows, for the KID).</li>
 *   <li>{@link dev.sparring.eval.FeatureStatistics}: mean, covariance, N, feature network, source; validated.</li>
 *   <li>{@link dev.sparring.eval.FrechetDistance#between}: d² and its parts, through EJML's symmetric
 *       decompositions.</li>
 *   <li>{@link dev.sparring.eval.KernelInceptionDistance#compute}: mean and std of the unbiased MMD² over subsets.</li>
 *   <li>{@link dev.sparring.eval.StatisticsFile}: pytorch-fid's {@code .npz} statistics (mu, sigma, plus our n and
 *       network), on {@link dev.sparring.eval.Npz} and {@link dev.sparring.eval.NpyArray}.</li>
 *   <li>{@link dev.sparring.eval.DeviceMoments}: the moments kept on a backend (a GPU's feature rows never leave it);
 *       {@link dev.sparring.eval.FrechetDistance#between(dev.sparring.backend.Backend, FeatureStatistics,
 *       FeatureStatistics, dev.sparring.linalg.SqrtTrace.Method)} the distance with the square-root trace on it.</li>
 *   <li>The float64 numerics themselves live in {@code dev.sparring.linalg} (RowDots, ScatterMoments, SqrtTrace,
 *       NewtonSchulz), shared with the CPU backend, whose FID ops are their twins.</li>
 *   <li>{@link dev.sparring.eval.ImageNpz}: images as one uint8 (N, H, W, C) array in a {@code .npz}, written and
 *       read a batch at a time ({@code sparring sample --out x.npz}, {@code sparring fid x.npz ...}).</li>
 * </ul>
 *
 * Bad input (files, statistics, feature rows with NaN) is reported as a one-line {@link dev.sparring.UserError}.
 */
package dev.sparring.eval;
