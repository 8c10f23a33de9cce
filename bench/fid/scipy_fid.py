#!/usr/bin/env python3
"""pytorch-fid's FID of two statistics files (its calculate_frechet_distance: scipy.linalg.sqrtm of sigma1 @ sigma2,
with the eps retry), timed for bench/fid/run.sh. Prints: RESULT wall=S cpu=S fid=V (file reading excluded)."""
import sys
import time
import warnings

import numpy as np
from scipy import linalg


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                  # scipy >= 1.16 deprecates disp, which pytorch-fid passes
        covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
        if not np.isfinite(covmean).all():
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError("Imaginary component {}".format(np.max(np.abs(covmean.imag))))
        covmean = covmean.real
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)


with np.load(sys.argv[1]) as f:
    m1, s1 = f["mu"][:], f["sigma"][:]
with np.load(sys.argv[2]) as f:
    m2, s2 = f["mu"][:], f["sigma"][:]
w, c = time.perf_counter(), time.process_time()
fid = calculate_frechet_distance(m1, s1, m2, s2)
print(f"RESULT wall={time.perf_counter() - w:.3f} cpu={time.process_time() - c:.3f} fid={float(fid)!r}")
