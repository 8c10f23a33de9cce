#!/usr/bin/env python3
"""Summary of a GPU session (bench/gpu/session.sh) as markdown: stages, tests, the driver self-test, the sanitizers,
throughput, phases, training.

    python3 bench/gpu/summarize.py WORK_DIR

WORK_DIR holds what session.sh wrote: header.txt, facts.txt, stages.tsv, bench.jsonl (sparring bench and dcgan_bench.py JSON lines),
junit/<group>/TEST-junit-jupiter.xml, selftest/driver.txt (driver_selftest --cuda-only), sanitizer/<tool>.txt
(compute-sanitizer's reports) and runs/mnist-cuda/metrics.jsonl. Missing parts are left out. Standard library only.
"""
import collections
import glob
import json
import os
import re
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


def selftest(work):
    """driver_selftest --cuda-only against the machine's driver: its last line, the count of each kind of line, and
    every failed check (each one a place where the simulator's reading of CUDA and the driver disagree, or a wrong
    expectation)."""
    path = os.path.join(work, "selftest", "driver.txt")
    if not os.path.exists(path):
        return []
    lines = [line.rstrip("\n") for line in open(path, errors="replace")]
    count = collections.Counter(line.split(" ", 1)[0] for line in lines if line.startswith(("PASS ", "FAIL ", "SKIP ")))
    last = next((line for line in reversed(lines) if re.match(r"(PASS|FAIL): \d+ checks", line)), None)
    out = ["## Driver self-test on this driver (CUDA's rules only)", "",
           f"- {last or 'no final line: it was cut short or did not start (see log.txt)'}",
           f"- lines: {count['PASS']} PASS, {count['FAIL']} FAIL, {count['SKIP']} SKIP (simulator only)"]
    fails = [line for line in lines if line.startswith("FAIL ")]
    out += [f"- {line}" for line in fails[:30]]
    if len(fails) > 30:
        out.append(f"- ... and {len(fails) - 30} more FAIL lines in reports.tar.gz (selftest/driver.txt)")
    return out + [""]


def our_kernels():
    """The entry points of kernels/*.cu (extern "C" __global__), to tell our kernels from the libraries' in reports."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "kernels")
    names = set()
    for path in glob.glob(os.path.join(root, "*.cu")):
        for line in open(path, errors="replace"):
            m = re.match(r'extern "C" __global__ void (\w+)\(', line)
            if m:
                names.add(m.group(1))
    return names


def sanitizer_log(path):
    """A compute-sanitizer report: its summary lines, its messages by kind (addresses, offsets and hazard counts left
    out) and the kernels that its messages name, with counts."""
    summaries, kinds, kernels = [], collections.Counter(), collections.Counter()
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        top = re.match(r"^=+ (\S.*)$", line)                 # a message; its details are indented
        if top:
            text = top.group(1)
            if re.match(r"(ERROR|RACECHECK|LEAK) SUMMARY", text):
                summaries.append(text)
            elif not text.startswith("COMPUTE-SANITIZER"):
                kind = re.sub(r"\+0x[0-9a-fA-F]+|\s*\[\d+ hazards?\]", "", text)
                kinds[re.sub(r"0x[0-9a-fA-F]+", "0x...", kind)] += 1
        for m in re.finditer(r"\bat (?:0x[0-9a-fA-F]+ in )?(?:void )?([A-Za-z_][\w:]*)(?=[(<+ ]|$)", line):
            if top or re.match(r"^=+\s+at ", line):
                kernels[m.group(1)] += 1
    return summaries, kinds, kernels


def sanitizers(work):
    paths = sorted(glob.glob(os.path.join(work, "sanitizer", "*.txt")))
    if not paths:
        return []
    ours = our_kernels()
    out = ["## compute-sanitizer on the parity tests", "",
           "Stage exit status 86: the tool reported errors; 1: a test failed under it (the tests' own reports are the "
           "test groups sanitize-TOOL above). Kernels: ours are those of kernels/*.cu, the others cuDNN's and cuBLAS's.", "",
           "| tool | summary | messages (count) | kernels named |", "|---|---|---|---|"]
    for path in paths:
        tool = os.path.splitext(os.path.basename(path))[0]
        summaries, kinds, kernels = sanitizer_log(path)
        summary = "; ".join(summaries) or "no summary: cut short, or it never started (see log.txt)"
        messages = "<br>".join(f"{k[:200]} ({n})" for k, n in kinds.most_common(8)).replace("|", "/")
        if len(kinds) > 8:
            messages += f"<br>... {len(kinds) - 8} more kinds"
        named = [f"**{k}** ({n})" if k in ours else f"{k} ({n})" for k, n in kernels.most_common(12)]
        out.append(f"| {tool} | {summary} | {messages} | {', '.join(named).replace('|', '/')} |")
    return out + ["", "Kernels in bold are ours. Whole reports: reports.tar.gz (sanitizer/TOOL.txt).", ""]


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
    print("\n".join(header(work) + stages(work) + tests(work) + selftest(work) + sanitizers(work) + benches(work)
                    + training(work)))


if __name__ == "__main__":
    main()
