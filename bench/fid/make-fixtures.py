#!/usr/bin/env python3
"""Writes the FID / KID / statistics-file fixtures of dev.sparring.eval's tests (src/test/resources/dev/sparring/eval).

    python3 bench/fid/make-fixtures.py            # numpy, scipy and mpmath; about a minute

Every fixture is an .npz that dev.sparring.eval.Npz reads, so the tests also exercise the reader on files numpy wrote.

FID fixtures (fid-*.npz): two sets of statistics (mu1, sigma1, mu2, sigma2, made with np.mean and np.cov from random
float64 features) and three values of the distance:
  fid_pytorch_fid  pytorch-fid's calculate_frechet_distance, reproduced below (scipy.linalg.sqrtm of sigma1 @ sigma2,
                   retried with eps = 1e-6 added to both diagonals when the result is not finite; the real part);
  fid_mpmath       the same formula evaluated with mpmath at 40 significant digits through symmetric eigendecompositions
                   (Σ1 = V Λ Vᵀ, negative eigenvalues of Σ1 and of A = Σ1^½ Σ2 Σ1^½ set to 0), an independent check;
  fid_reference    the value the tests compare with, and `reference` says which of the two it is: mpmath always (scipy's
                   sqrtm of a nearly singular product is not trustworthy: scipy >= 1.11 returned wrong FIDs on such
                   statistics, scipy issue 19415 / clean-fid issue 53), with the relative gap to pytorch-fid's value
                   recorded as rel_gap_pytorch_fid.
KID fixture (kid.npz): float32 features, the subset indices drawn as torch-fidelity draws them
(np.random.RandomState(seed).choice(n, m, replace=False), first then second set, per subset), and the KID mean and std:
  kid_*_reference  torch-fidelity's formula (mmd2 'unbiased', polynomial kernel degree 3, gamma 1/F, coef0 1) with every
                   dot product and sum exact (math.fsum over the exact float64 products of the float32 features);
  kid_*_numpy64    the formula as torch-fidelity writes it, numpy float64;
  kid_*_float32    the formula as torch-fidelity runs it (its features are float32, so are its matmuls).
Moments fixture (moments.npz): float32 features with a large mean and a small spread, and their np.mean / np.cov in
float64 (two-pass).
Statistics-file variants (stats-*.npz): one set of statistics written by numpy in each layout a reader meets.
"""
import io
import math
import os
import sys
import time
import warnings
import zipfile

import mpmath
import numpy as np
import scipy
import scipy.linalg as linalg

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "test", "resources", "dev", "sparring", "eval")
VERSIONS = f"numpy {np.__version__}, scipy {scipy.__version__}, mpmath {mpmath.__version__}, python {sys.version.split()[0]}"


def pytorch_fid_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    """pytorch-fid's calculate_frechet_distance (fid_score.py), its steps kept; returns (value, notes)."""
    notes = []
    diff = mu1 - mu2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")              # scipy >= 1.16 deprecates disp; pytorch-fid still passes it
        covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
        if not np.isfinite(covmean).all():
            notes.append(f"singular product: eps {eps} added to the diagonals")
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            notes.append("imaginary component %g (pytorch-fid raises ValueError here)" % np.max(np.abs(covmean.imag)))
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean), notes


def mpmath_distance(mu1, sigma1, mu2, sigma2, dps=40):
    """d² with tr (Σ1Σ2)^½ = Σ √max(λ, 0), λ the eigenvalues of Σ1^½ Σ2 Σ1^½, at dps digits."""
    mpmath.mp.dps = dps
    f = len(mu1)
    s1 = mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in 0.5 * (sigma1 + sigma1.T)])
    s2 = mpmath.matrix([[mpmath.mpf(float(v)) for v in row] for row in 0.5 * (sigma2 + sigma2.T)])
    lam, v = mpmath.eigsy(s1)
    root = mpmath.matrix(f, f)
    for i in range(f):
        root[i, i] = mpmath.sqrt(lam[i]) if lam[i] > 0 else mpmath.mpf(0)
    half = v * root * v.T
    a = half * s2 * half
    a = (a + a.T) / 2
    ev = mpmath.eigsy(a, eigvals_only=True)
    tr_sqrt = mpmath.fsum(mpmath.sqrt(e) for e in ev if e > 0)
    mean_term = mpmath.fsum((mpmath.mpf(float(x)) - mpmath.mpf(float(y))) ** 2 for x, y in zip(mu1, mu2))
    tr1 = mpmath.fsum(s1[i, i] for i in range(f))
    tr2 = mpmath.fsum(s2[i, i] for i in range(f))
    d = mean_term + tr1 + tr2 - 2 * tr_sqrt
    return float(d), float(tr_sqrt), sum(1 for e in lam if e < 0), sum(1 for e in ev if e < 0)


def features(rng, n, f, latent, scale, offset):
    """n rows of f correlated features: a random linear map of `latent` Gaussians, plus an offset."""
    w = rng.standard_normal((latent, f)) * scale
    return rng.standard_normal((n, latent)) @ w + offset


def fid_fixture(name, x1, x2, what):
    t = time.time()
    mu1, mu2 = np.mean(x1, axis=0), np.mean(x2, axis=0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    fid_pt, notes = pytorch_fid_distance(mu1, s1, mu2, s2)
    fid_mp, tr_sqrt, neg1, neg_a = mpmath_distance(mu1, s1, mu2, s2)
    gap = abs(fid_pt - fid_mp) / abs(fid_mp)
    ev1 = np.linalg.eigvalsh(s1)
    ev2 = np.linalg.eigvalsh(s2)
    note = "; ".join(notes) if notes else "none"
    np.savez(os.path.join(OUT, name + ".npz"), mu1=mu1, sigma1=s1, mu2=mu2, sigma2=s2,
             n1=np.int64(len(x1)), n2=np.int64(len(x2)),
             fid_reference=np.float64(fid_mp), reference=np.str_("mpmath"),
             fid_mpmath=np.float64(fid_mp), trace_sqrt_mpmath=np.float64(tr_sqrt),
             fid_pytorch_fid=np.float64(fid_pt), rel_gap_pytorch_fid=np.float64(gap),
             pytorch_fid_notes=np.str_(note), description=np.str_(what), versions=np.str_(VERSIONS))
    print(f"{name}: F={x1.shape[1]} N={len(x1)},{len(x2)}  eig(Σ1) {ev1.min():.3g}..{ev1.max():.3g}  eig(Σ2) {ev2.min():.3g}..{ev2.max():.3g}")
    print(f"    mpmath {fid_mp!r}  pytorch-fid {fid_pt!r}  rel gap {gap:.3g}  (negative eigenvalues clamped: Σ1 {neg1}, A {neg_a};"
          f" pytorch-fid: {note})  {time.time() - t:.1f} s")


def mmd2_terms(k_xx, k_xy, k_yy):
    """torch-fidelity's mmd2(..., mmd_est='unbiased')."""
    m = k_xx.shape[0]
    diag_x, diag_y = np.diagonal(k_xx), np.diagonal(k_yy)
    kt_xx_sum = (k_xx.sum(axis=1) - diag_x).sum()
    kt_yy_sum = (k_yy.sum(axis=1) - diag_y).sum()
    k_xy_sum = k_xy.sum(axis=0).sum()
    return (kt_xx_sum + kt_yy_sum) / (m * (m - 1)) - 2 * k_xy_sum / (m * m)


def polynomial_kernel(x, y):
    """torch-fidelity's polynomial_kernel(degree=3, gamma=None -> 1/F, coef0=1)."""
    return (np.matmul(x, y.T) * (1.0 / x.shape[1]) + 1) ** 3


def exact_mmd2(x, y):
    """The same MMD² with each dot product and each sum exact (fsum); x, y float32 -> exact float64 products."""
    m, f = x.shape
    xd, yd = x.astype(np.float64), y.astype(np.float64)

    def kern(a, b):
        return (math.fsum((a * b).tolist()) / f + 1) ** 3

    sxx = math.fsum(kern(xd[i], xd[j]) for i in range(m) for j in range(m) if i != j)
    syy = math.fsum(kern(yd[i], yd[j]) for i in range(m) for j in range(m) if i != j)
    sxy = math.fsum(kern(xd[i], yd[j]) for i in range(m) for j in range(m))
    return (sxx + syy) / (m * (m - 1)) - 2 * sxy / (m * m)


def kid_fixture():
    t = time.time()
    rng = np.random.default_rng(20261210)
    f, n1, n2, subsets, m, seed = 32, 300, 260, 10, 100, 2026
    x1 = np.maximum(features(rng, n1, f, 12, 0.4, 0.3), 0).astype(np.float32)   # post-ReLU, as Inception's pool features
    x2 = np.maximum(features(rng, n2, f, 12, 0.45, 0.35), 0).astype(np.float32)
    state = np.random.RandomState(seed)
    idx1, idx2 = [], []
    for _ in range(subsets):
        idx1.append(state.choice(n1, m, replace=False))
        idx2.append(state.choice(n2, m, replace=False))
    exact, np64, np32 = [], [], []
    for a, b in zip(idx1, idx2):
        s1, s2 = x1[a], x2[b]
        exact.append(exact_mmd2(s1, s2))
        d1, d2 = s1.astype(np.float64), s2.astype(np.float64)
        np64.append(mmd2_terms(polynomial_kernel(d1, d1), polynomial_kernel(d1, d2), polynomial_kernel(d2, d2)))
        np32.append(mmd2_terms(polynomial_kernel(s1, s1), polynomial_kernel(s1, s2), polynomial_kernel(s2, s2)))
    exact, np64, np32 = np.array(exact), np.array(np64), np.array(np32, dtype=np.float64)
    np.savez(os.path.join(OUT, "kid.npz"), features1=x1, features2=x2,
             subsets1=np.array(idx1, dtype=np.int64), subsets2=np.array(idx2, dtype=np.int64), seed=np.int64(seed),
             mmd2_reference=exact, kid_mean_reference=np.float64(exact.mean()), kid_std_reference=np.float64(exact.std()),
             kid_mean_numpy64=np.float64(np64.mean()), kid_std_numpy64=np.float64(np64.std()),
             kid_mean_float32=np.float64(np32.mean()), kid_std_float32=np.float64(np32.std()),
             versions=np.str_(VERSIONS))
    print(f"kid: F={f} N={n1},{n2} {subsets} subsets of {m}: mean {exact.mean()!r} std {exact.std()!r}")
    print(f"    numpy float64 rel gap mean {abs(np64.mean() - exact.mean()) / abs(exact.mean()):.3g} std {abs(np64.std() - exact.std()) / exact.std():.3g};"
          f" float32 (as torch-fidelity) mean {abs(np32.mean() - exact.mean()) / abs(exact.mean()):.3g} std {abs(np32.std() - exact.std()) / exact.std():.3g}"
          f"  {time.time() - t:.1f} s")


def moments_fixture():
    rng = np.random.default_rng(7)
    f, n = 16, 1000
    w = rng.standard_normal((f, f)) * 1e-2
    x = (rng.standard_normal((n, f)) @ w + 1.0e4 + rng.uniform(-50, 50, size=f)).astype(np.float32)
    xd = x.astype(np.float64)
    np.savez(os.path.join(OUT, "moments.npz"), features=x, mu=np.mean(xd, axis=0), sigma=np.cov(xd, rowvar=False),
             versions=np.str_(VERSIONS))
    print(f"moments: F={f} N={n}, mean ~1e4, standard deviations {np.sqrt(np.diag(np.cov(xd, rowvar=False))).min():.2g}.."
          f"{np.sqrt(np.diag(np.cov(xd, rowvar=False))).max():.2g}")


def npy_bytes(arr, version=None):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version, allow_pickle=False)
    return buf.getvalue()


def write_zip(path, entries, compression):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in entries.items():
            z.writestr(name + ".npy", data)


def stats_variants():
    rng = np.random.default_rng(11)
    x = features(rng, 200, 16, 16, 1.0, 2.0)
    mu, sigma = np.mean(x, axis=0), np.cov(x, rowvar=False)
    np.savez(os.path.join(OUT, "stats-savez.npz"), mu=mu, sigma=sigma)                          # v1.0, <f8, C, stored
    np.savez_compressed(os.path.join(OUT, "stats-compressed.npz"), mu=mu, sigma=sigma)           # deflated
    stored = zipfile.ZIP_STORED
    write_zip(os.path.join(OUT, "stats-v2.npz"), {"mu": npy_bytes(mu, (2, 0)), "sigma": npy_bytes(sigma, (2, 0))}, stored)
    write_zip(os.path.join(OUT, "stats-v3.npz"), {"mu": npy_bytes(mu, (3, 0)), "sigma": npy_bytes(sigma, (3, 0))}, stored)
    write_zip(os.path.join(OUT, "stats-big-endian.npz"),
              {"mu": npy_bytes(mu.astype(">f8")), "sigma": npy_bytes(sigma.astype(">f8"))}, stored)
    # a symmetric sigma reads the same in either order, so `check` (arange(24).reshape(2, 3, 4), stored column-major)
    # shows whether the reader puts Fortran-order elements back in C order
    write_zip(os.path.join(OUT, "stats-fortran.npz"),
              {"mu": npy_bytes(mu), "sigma": npy_bytes(np.asfortranarray(sigma)),
               "check": npy_bytes(np.asfortranarray(np.arange(24, dtype="<f8").reshape(2, 3, 4)))}, stored)
    write_zip(os.path.join(OUT, "stats-float32.npz"),
              {"mu": npy_bytes(mu.astype("<f4")), "sigma": npy_bytes(sigma.astype("<f4"))}, zipfile.ZIP_DEFLATED)
    print("stats-*: F=16, savez, savez_compressed, .npy 2.0, 3.0, >f8, Fortran order (with a check array), <f4 deflated")


def main():
    os.makedirs(OUT, exist_ok=True)
    print(VERSIONS)
    rng = np.random.default_rng(20261209)
    f = 32
    fid_fixture("fid-full-rank", features(rng, 400, f, f, 1.0, 0.5), features(rng, 350, f, f, 1.1, 0.8),
                "full rank: N > F, well-conditioned covariances")
    f = 48
    fid_fixture("fid-rank-deficient", features(rng, 30, f, f, 1.0, 0.0), features(rng, 40, f, f, 0.9, 0.2),
                "rank-deficient: N < F, covariances of rank N - 1 (their other eigenvalues are round-off, some negative)")
    f = 40
    base1 = features(rng, 500, f, f, 1.0, 3.0)
    base1[:, -4:] = base1[:, :4] @ rng.standard_normal((4, 4)) + 1e-5 * rng.standard_normal((500, 4))
    base2 = features(rng, 450, f, f, 1.2, 3.1)
    base2[:, -3:] = base2[:, 4:7] @ rng.standard_normal((3, 3)) + 1e-5 * rng.standard_normal((450, 3))
    fid_fixture("fid-near-singular", base1, base2,
                "near-singular: N > F, but 4 (resp. 3) features are linear in others up to 1e-5 noise (eigenvalues ~1e-10, condition ~1e12)")
    kid_fixture()
    moments_fixture()
    stats_variants()
    total = sum(os.path.getsize(os.path.join(OUT, p)) for p in os.listdir(OUT) if p.endswith(".npz"))
    print(f"fixtures: {total / 1024:.0f} KiB in {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
