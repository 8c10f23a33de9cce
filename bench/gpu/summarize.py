#!/usr/bin/env python3
"""Summary of a GPU session (bench/gpu/session.sh) as markdown: stages, tests, throughput, phases, training.

    python3 bench/gpu/summarize.py WORK_DIR

WORK_DIR holds what session.sh wrote: header.txt, facts.txt, stages.tsv, bench.jsonl (sparring bench and dcgan_bench.py JSON lines),
junit/<group>/TEST-junit-jupiter.xml and runs/mnist-cuda/metrics.jsonl. Missing parts are left out. Standard library
only.
"""
import glob
import json
import os
import sys
import xml.etree.ElementTree as ET


def header(work):
    """Where and when: header.txt (session.sh writes date, commit and mode) and facts.txt (the env stage's GPU,
    driver and PyTorch/CUDA/cuDNN lines), so that the summary can be recorded in bench/results/ as it is."""
    out = ["# GPU session", ""]
    for name in ("header.txt", "facts.txt"):
        path = os.path.join(work, name)
        if os.path.exists(path):
            out += [f"- {line.strip()}" for line in open(path) if line.strip()]
    return out + [""]


def stages(work):
    path = os.path.join(work, "stages.tsv")
    if not os.path.exists(path):
        return []
    rows = [line.rstrip("\n").split("\t") for line in open(path)][1:]
    out = ["## Stages", "", "| stage | status | s |", "|---|---|---:|"]
    out += [f"| {r[0]} | {r[1]} | {r[2]} |" for r in rows if len(r) == 3]
    return out + [""]


def tests(work):
    out = []
    for path in sorted(glob.glob(os.path.join(work, "junit", "*", "TEST-junit-jupiter.xml"))):
        group = os.path.basename(os.path.dirname(path))
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as e:
            out.append(f"| {group} | unreadable report: {e} | | | |")
            continue
        n = int(root.get("tests", 0))
        failed = int(root.get("failures", 0)) + int(root.get("errors", 0))
        skipped = int(root.get("skipped", 0))
        problems = []
        for case in root.iter("testcase"):
            for kind in ("failure", "error"):
                el = case.find(kind)
                if el is not None:
                    msg = (el.get("message") or el.text or "").strip().splitlines()
                    problems.append(f"{case.get('classname', '').split('.')[-1]}.{case.get('name')}: {msg[0][:300] if msg else kind}")
        out.append(f"| {group} | {n} | {n - failed - skipped} | {failed} | {skipped} |")
        out += [f"|  | FAILED {p.replace('|', '/')} | | | |" for p in problems[:12]]
    if not out:
        return []
    return ["## Tests", "", "| group | tests | passed | failed | skipped |", "|---|---:|---:|---:|---:|"] + out + [""]


def benches(work):
    path = os.path.join(work, "bench.jsonl")
    if not os.path.exists(path):
        return []
    rows = []
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    out = ["## Throughput", "", "| run | size | ms/it | it/s | img/s | conv GFLOP/s | notes |", "|---|---|---:|---:|---:|---:|---|"]
    strict = None
    for r in rows:
        if r.get("bench") == "pytorch-dcgan" and r.get("config") == "strict" and r.get("status") == "ok":
            strict = r
    phases = None
    for r in rows:
        size = f"{r.get('image_size', '?')}px b{r.get('batch', '?')} ngf{r.get('ngf', '?')}"
        if r.get("bench") == "sparring-train":
            name = "sparring " + ("(TF32)" if "TF32" in r.get("description", "") else "float32")
            if "batch norm by our kernels" in r.get("description", ""):
                name += ", our batch norm"
            if r.get("cuda_graph"):
                name += f", CUDA graph ({r.get('graph_operations')} ops)"
            notes = f"check {r.get('check')}" + (f" (max diff {r.get('check_max_diff'):.2g})" if r.get("check") != "skipped" else "")
            if phases is None and r.get("phases_ms"):
                phases = r
        else:
            name = f"torch {r.get('config')}"
            notes = "" if r.get("status") == "ok" else "FAILED: " + str(r.get("error", ""))[:150].replace("|", "/")
            if r.get("compile_s"):
                notes += f"compile {r['compile_s']:.0f}s"
        if r.get("status", "ok") != "ok" or "ms_per_it" not in r:
            out.append(f"| {name} | {size} | | | | | {notes} |")
            continue
        if strict and r is not strict and r.get("batch") == strict.get("batch") and r.get("ngf") == strict.get("ngf"):
            notes += f"; {r['ms_per_it'] / strict['ms_per_it']:.2f}x torch strict's time"
        out.append(f"| {name} | {size} | {r['ms_per_it']:.3f} | {r['it_per_s']:.2f} | {r['img_per_s']:.0f} | "
                   f"{r.get('conv_gflop_per_s', 0):.0f} | {notes.strip('; ')} |")
    out.append("")
    if phases:
        total = sum(phases["phases_ms"].values())
        out += [f"## Sparring phases ({phases.get('description', '')}; synchronized after each)", "",
                "| phase | ms/it | share |", "|---|---:|---:|"]
        out += [f"| {k} | {v:.3f} | {100 * v / total:.1f}% |" for k, v in phases["phases_ms"].items()]
        out += [f"| sum | {total:.3f} | (timed without syncs: {phases['ms_per_it']:.3f}) |", ""]
    return out


def training(work):
    path = os.path.join(work, "runs", "mnist-cuda", "metrics.jsonl")
    if not os.path.exists(path):
        return []
    lines = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    if not lines:
        return ["## Training (MNIST, CUDA)", "", "metrics.jsonl is empty", ""]
    last = lines[-1]
    keys = ["step", "d_loss", "g_loss", "sigma_real", "sigma_fake", "grad_norm_d", "grad_norm_g"]
    return ["## Training (MNIST, CUDA)", "", "| " + " | ".join(keys) + " |", "|" + "---:|" * len(keys),
            "| " + " | ".join(f"{last.get(k, ''):.4g}" if isinstance(last.get(k), float) else str(last.get(k, "")) for k in keys) + " |", ""]


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: summarize.py WORK_DIR")
    work = sys.argv[1]
    print("\n".join(header(work) + stages(work) + tests(work) + benches(work) + training(work)))


if __name__ == "__main__":
    main()
