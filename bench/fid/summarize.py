#!/usr/bin/env python3
"""Turns bench/fid/run.sh's log into the results table (medians, ratios).   summarize.py LOG OUT COMMIT LOAD0 LOAD1 CMD JDK"""
import os
import platform
import statistics
import sys

import numpy as np
import scipy

log, out, commit, load0, load1, cmd, jdk = sys.argv[1:8]
runs, side = [], []
for line in open(log):
    parts = line.split()
    if parts and parts[0] == "run":
        kv = dict(p.split("=", 1) for p in parts[3:] if "=" in p)
        runs.append((parts[1], int(parts[2]), kv))
    elif parts and parts[0] == "side":
        side.append(dict(p.split("=", 1) for p in parts[1:] if "=" in p and p != "RESULT"))
        side[-1]["_line"] = " ".join(parts[1:])


def med(tool, key):
    return statistics.median(float(kv[key]) for t, _, kv in runs if t == tool)


def paired(tool, key):
    """The median over rounds of scipy's time / the tool's time in the same round."""
    by_round = {}
    for t, r, kv in runs:
        by_round.setdefault(r, {})[t] = float(kv[key])
    return statistics.median(v["scipy"] / v[tool] for v in by_round.values() if "scipy" in v and tool in v)


cpu = "unknown"
try:
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
except (OSError, StopIteration):
    pass
tools = [("scipy", "pytorch-fid's formula: scipy.linalg.sqrtm(sigma1 @ sigma2)"),
         ("auto", "Sparring FrechetDistance AUTO (Cholesky factor + eigenvalues of Lᵀ Σ₂ L)"),
         ("eigen", "Sparring FrechetDistance EIGEN (eigendecomposition of Σ₁ + eigenvalues of Λ½ Vᵀ Σ₂ V Λ½)")]
fid = {t: float(next(kv["fid"] for tt, _, kv in runs if tt == t)) for t, _ in tools}
rounds = max(r for _, r, _ in runs)
lines = ["# FID on the CPU: Sparring against scipy's sqrtm (pytorch-fid's formula)", ""]
lines += [
    f"* command: `{cmd}`; commit {commit}",
    f"* machine: {cpu}, {os.cpu_count()} cores visible, load average {load0} before, {load1} after (shared machine)",
    f"* {jdk}; python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}",
    f"* statistics: two pytorch-fid .npz files from bench/fid/make-stats.py (np.mean / np.cov of N rows of ReLU'd"
    f" random features), {rounds} rounds, each run a fresh process in the order scipy, auto, eigen; times exclude"
    " reading the files and include the JVM's JIT warm-up. wall = elapsed, cpu = process CPU time (all threads).",
    "",
    "Ratios are scipy / tool: of the medians, and (in brackets) the median of the per-round ratios.",
    "",
    "| tool | median wall s | median cpu s | wall ratio | cpu ratio | FID | rel. diff. from scipy |",
    "|---|---|---|---|---|---|---|",
]
for t, desc in tools:
    w, c = med(t, "wall"), med(t, "cpu")
    lines.append(f"| {desc} | {w:.2f} | {c:.2f} | {med('scipy', 'wall') / w:.2f} ({paired(t, 'wall'):.2f}) |"
                 f" {med('scipy', 'cpu') / c:.2f} ({paired(t, 'cpu'):.2f}) |"
                 f" {fid[t]!r} | {abs(fid[t] - fid['scipy']) / abs(fid['scipy']):.2g} |")
lines += ["", "Every run:", "", "| round | tool | wall s | cpu s | FID |", "|---|---|---|---|---|"]
for t, r, kv in runs:
    lines.append(f"| {r} | {t} | {kv['wall']} | {kv['cpu']} | {kv['fid']} |")
lines += ["", "Side figures (one process each, after the rounds):", ""]
for s in side:
    lines.append(f"* `{s['_line']}`")
lines.append("")
open(out, "w").write("\n".join(lines))
print("\n".join(lines[:16]))
