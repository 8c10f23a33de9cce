#!/usr/bin/env python3
"""Summarises a bench/cpu-vs-pytorch/run.sh log into a markdown report (see run.sh)."""
import json, os
import statistics
import sys
from collections import defaultdict

WORKLOADS = {"default": "default job: 28 px gray, nz 64, ngf = ndf = 32, batch 32",
             "64b32": "64 px RGB, nz 100, ngf = ndf = 64, batch 32",
             "64b64": "64 px RGB, nz 100, ngf = ndf = 64, batch 64"}


def main():
    log, out, commit, load_before, load_after, command, jdk, torch_v, threads = sys.argv[1:10]
    blas = sys.argv[10] if len(sys.argv) > 10 else "unknown"
    sp = defaultdict(dict)      # workload -> round -> (it/s, rss KiB)
    pt = defaultdict(dict)      # workload -> round -> (best it/s, config, rss KiB, first iter s)
    gemm = defaultdict(lambda: defaultdict(dict))   # shape -> side -> round -> gflops
    for line in open(log):
        f = line.split(" ", 5)
        if f[0] == "run":
            w, side, r, kib, j = f[1], f[2], int(f[3]), int(f[4]), json.loads(f[5])
            if side == "sparring":
                sp[w][r] = (j["it_per_s"], kib)
            elif j.get("status") == "ok":
                best = pt[w].get(r)
                if best is None or j["it_per_s"] > best[0]:
                    pt[w][r] = (j["it_per_s"], j["config"], kib, j["first_iter_s"])
        elif f[0] == "sgemm" and line.split()[3] == "RESULT":   # SgemmTiming also names its micro-kernel (KERNEL)
            side, r = f[1], int(f[2])
            kv = dict(p.split("=") for p in line.split()[4:])
            gemm[kv["shape"]][side][r] = float(kv["gflops"])
    rows = ["| workload | Sparring it/s | PyTorch it/s (best config) | Sparring / PyTorch (median of rounds) | per-round ratios | "
            "peak RSS Sparring / PyTorch (MiB) |", "|---|---:|---:|---:|---|---:|"]
    for w, rs in sp.items():
        s_med = statistics.median(v[0] for v in rs.values())
        s_rss = statistics.median(v[1] for v in rs.values()) / 1024
        if pt.get(w):
            common = sorted(set(rs) & set(pt[w]))
            ratios = [rs[r][0] / pt[w][r][0] for r in common]
            p_med = statistics.median(v[0] for v in pt[w].values())
            p_rss = statistics.median(v[2] for v in pt[w].values()) / 1024
            cfgs = sorted({v[1] for v in pt[w].values()})
            rows.append(f"| {WORKLOADS.get(w, w)} | {s_med:.2f} | {p_med:.2f} ({', '.join(cfgs)}) | "
                        f"**{statistics.median(ratios):.2f}** | {', '.join(f'{x:.2f}' for x in ratios)} | "
                        f"{s_rss:.0f} / {p_rss:.0f} ({s_rss / p_rss:.2f}x) |")
        else:
            rows.append(f"| {WORKLOADS.get(w, w)} | {s_med:.2f} | (no PyTorch) | | | {s_rss:.0f} / |")
    grows = ["| sgemm M x N x K | Sparring GFLOP/s | OpenBLAS GFLOP/s | Sparring / OpenBLAS (median of rounds) |",
             "|---|---:|---:|---:|"]
    for shape, sides in gemm.items():
        s, o = sides.get("sparring", {}), sides.get("openblas", {})
        common = sorted(set(s) & set(o))
        if not common:
            continue
        grows.append(f"| {shape} | {statistics.median(s.values()):.1f} | {statistics.median(o.values()):.1f} | "
                     f"**{statistics.median(s[r] / o[r] for r in common):.2f}** |")
    info = {}
    for l in open("/proc/cpuinfo"):
        k, _, v = l.partition(":")
        info.setdefault(k.strip(), v.strip())
    cpu = info.get("model name", "unknown CPU")
    if "cpu family" in info:   # the model name alone ("AMD EPYC") does not tell one generation from another
        cpu += f" (family {info['cpu family']}, model {info.get('model', '?')})"
    busy = os.environ.get("BUSY", "0")
    rounds = max((r for rs in sp.values() for r in rs), default=0)
    busy_note = (f"\n- **{busy} busy process(es)** (a Python loop each) ran beside both sides throughout, as on a machine "
                 f"doing other work" if busy not in ("", "0") else "")
    with open(out, "w") as o:
        o.write(f"""# Sparring against PyTorch on the CPU, side by side

- machine: {cpu}, {threads} threads for each side
- load average (1, 5, 15 min) before: {load_before}; after: {load_after}{busy_note}
- JDK: {jdk}; PyTorch {torch_v} (oneDNN), OPENBLAS_NUM_THREADS=1, D frozen during the G step, contiguous and
  channels_last (the faster per round); the system BLAS under PyTorch's transposed convolutions: {blas}
- command: `{command}`; code: {commit}
- {rounds} rounds, each: every workload in Sparring then in PyTorch (fresh processes), then the sgemm shapes in Sparring then
  numpy; steady-state it/s after the warm-up (one timed block per process); ratios > 1: Sparring faster
- peak RSS: the whole process (the JVM with its default heap; the Python interpreter with PyTorch)

{chr(10).join(rows)}

{chr(10).join(grows)}
""")


if __name__ == "__main__":
    main()
