#!/usr/bin/env python3
"""Summarises a bench/cpu-vs-pytorch/sgemm.sh log into a markdown report (see sgemm.sh)."""
import json
import statistics
import sys
from collections import defaultdict


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    log, out, commit, load_before, load_after, command, jdk, threads, base, base_name, clock, numpy_v = sys.argv[1:13]
    gemm = defaultdict(lambda: defaultdict(dict))   # shape -> side -> round -> gflops
    job = defaultdict(dict)                         # side -> round -> it/s
    kernels = defaultdict(set)                      # side -> micro-kernel names printed
    for line in open(log):
        f = line.split()
        if line.startswith("#") or len(f) < 4:
            continue
        if f[0] == "sgemm" and f[3] == "KERNEL":
            kernels[f[1]].add(" ".join(f[4:]))
        elif f[0] == "sgemm" and f[3] == "RESULT":
            kv = dict(p.split("=") for p in f[4:])
            gemm[kv["shape"]][f[1]][int(f[2])] = float(kv["gflops"])
        elif f[0] == "job":
            job[f[1]][int(f[2])] = json.loads(line.split(" ", 3)[3])["it_per_s"]
    sides = ["sparring", "openblas"] + ([base_name] if base else [])
    head = "| sgemm M x N x K | Sparring GFLOP/s | OpenBLAS GFLOP/s | Sparring / OpenBLAS (median of rounds) | per-round ratios |"
    sep = "|---|---:|---:|---:|---|"
    if base:
        head += f" {base_name} GFLOP/s | Sparring / {base_name} |"
        sep += "---:|---:|"
    rows = [head, sep]
    for shape, by in gemm.items():
        s, o, b = by.get("sparring", {}), by.get("openblas", {}), by.get(base_name, {})
        common = sorted(set(s) & set(o))
        ratios = [s[r] / o[r] for r in common]
        row = (f"| {shape} | {med(list(s.values())):.1f} | {med(list(o.values())):.1f} | **{med(ratios):.2f}** | "
               f"{', '.join(f'{x:.2f}' for x in ratios)} |")
        if base:
            cb = sorted(set(s) & set(b))
            row += f" {med(list(b.values())):.1f} | {med([s[r] / b[r] for r in cb]):.2f} |"
        rows.append(row)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
    isa = ", ".join(x for x in ("avx2", "fma", "avx512f") if x in flags)
    rounds = max((r for by in gemm.values() for rs in by.values() for r in rs), default=0)
    with open(out, "w") as o:
        o.write("# Sparring's CPU sgemm against numpy's OpenBLAS, interleaved"
                + (" (CPU time, one thread each)" if clock == "cpu" else "") + "\n\n")
        o.write(f"- machine: {cpu} ({isa}), {threads} thread{'' if threads == '1' else 's'} for each side\n")
        o.write(f"- load average (1, 5, 15 min) before: {load_before}; after: {load_after}\n")
        kern = "; ".join(k + ": " + ", ".join(sorted(v)) for k, v in kernels.items()) or "not printed"
        o.write(f"- JDK: {jdk}; micro-kernel: {kern} (older builds do not print it)\n")
        o.write(f"- command: `{command}`{f' with BASE_JAR={base} ({base_name})' if base else ''}; code: {commit}\n")
        o.write(f"- {rounds} rounds, each: every shape in Sparring, then in {numpy_v} (OPENBLAS_NUM_THREADS={threads})"
                f"{f', then in {base_name}' if base else ''}, fresh processes; GFLOP/s = 2MNK / the median of 15 "
                "products after a second of warm-up, "
                + ("timed by the process's CPU time (one thread: -XX:ActiveProcessorCount=1, OPENBLAS_NUM_THREADS=1)"
                   if clock == "cpu" else "timed by the wall clock")
                + "; ratios > 1: Sparring faster\n\n")
        o.write("\n".join(rows) + "\n")
        if job:
            s, b = job.get("sparring", {}), job.get(base_name, {})
            common = sorted(set(s) & set(b))
            ratios = [s[r] / b[r] for r in common]
            o.write(f"\nThe default training job (`sparring bench --device cpu`, 28 px, batch 32; 20 warm-up and 60 timed "
                    f"steps, one process each, {len(common)} interleaved rounds):\n\n")
            o.write(f"| build | it/s (median) | per round |\n|---|---:|---|\n")
            o.write(f"| Sparring ({commit}) | {med(list(s.values())):.2f} | {', '.join(f'{s[r]:.2f}' for r in sorted(s))} |\n")
            o.write(f"| {base_name} | {med(list(b.values())):.2f} | {', '.join(f'{b[r]:.2f}' for r in sorted(b))} |\n")
            o.write(f"\nSparring / {base_name}: **{med(ratios):.2f}** (median of the per-round ratios "
                    f"{', '.join(f'{x:.2f}' for x in ratios)})\n")


if __name__ == "__main__":
    main()
