#!/usr/bin/env python3
"""Writes two pytorch-fid statistics files of F features for bench/fid/run.sh: mu and sigma (np.mean, np.cov) of
N rows of non-negative features (a ReLU of a random linear map of Gaussians, like Inception's pooled features), the
second set drawn from slightly different parameters.   make-stats.py OUT_DIR [F] [N]"""
import os
import sys

import numpy as np

out = sys.argv[1]
f = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
n = int(sys.argv[3]) if len(sys.argv) > 3 else 6000
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(2048)
for name, scale, shift in (("a", 1.0, 0.0), ("b", 1.1, 0.05)):
    w = rng.standard_normal((f, f)) * (scale / np.sqrt(f))
    x = np.maximum(rng.standard_normal((n, f)) @ w + shift + 0.2, 0)
    np.savez(os.path.join(out, f"stats-{f}-{name}.npz"), mu=np.mean(x, axis=0), sigma=np.cov(x, rowvar=False))
print(f"wrote {out}/stats-{f}-a.npz and -b.npz: F={f}, N={n}")
