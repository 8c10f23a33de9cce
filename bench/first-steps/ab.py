#!/usr/bin/env python3
# Interleaved A/B of the first steps of `sparring train` (first_steps.py per run): ROUNDS rounds of every variant in turn,
# fresh processes, then per variant the medians of launch -> step 1 and -> step 10 (s), each of steps 1 to 10 (ms), the
# steady step (ms), the JVM's CPU time and its C2 threads' at step 10 (s), and the largest of steps 1 to 10 over the steady step.
# usage: bench/first-steps/ab.py ROUNDS OUTDIR NAME=LAUNCHER[|SPARRING_JAVA_OPTS] ...   Results: bench/results/first-steps-20261203.md
import json, os, shutil, statistics as st, subprocess, sys
rounds, outdir, variants = int(sys.argv[1]), sys.argv[2], [v.split("=", 1) for v in sys.argv[3:]]
here = os.path.dirname(os.path.abspath(__file__))
res = {n: [] for n, _ in variants}
for r in range(rounds):
    for n, spec in variants:
        launcher, _, opts = spec.partition("|")
        load = os.getloadavg()[0]
        shutil.rmtree(os.path.join(outdir, f"{n}-{r}"), ignore_errors=True)
        out = subprocess.run([sys.executable, os.path.join(here, "first_steps.py"), launcher, outdir, f"{n}-{r}", opts],
                             capture_output=True, text=True).stdout.strip().splitlines()[-1]
        d = json.loads(out); d["load"] = load
        res[n].append(d)
        print(json.dumps(d), flush=True)
med = lambda xs: round(st.median(xs), 3)
print("| variant | runs | load | launch -> step 1 (s) | launch -> step 10 (s) | steps 1 to 10 (ms) | steady (ms) | worst step / steady | JVM CPU at step 10 (s) | C2 CPU at step 10 (s) |")
print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|")
for n, _ in variants:
    ds = [d for d in res[n] if d["rc"] == 0 and len(d["since_launch_s"]) == 10]
    steps = [round(st.median([d["step_ms"][i] for d in ds])) for i in range(10)]
    print(f"| {n} | {len(ds)} | {med([d['load'] for d in ds]):.1f} | {med([d['since_launch_s'][0] for d in ds]):.2f} | "
          f"{med([d['since_launch_s'][9] for d in ds]):.2f} | {', '.join(map(str, steps))} | {med([d['steady_ms'] for d in ds]):.0f} | "
          f"{med([max(d['step_ms']) / d['steady_ms'] for d in ds]):.1f} | {med([d['cpu_s'][9] for d in ds]):.2f} | {med([d['c2_cpu_s'][9] for d in ds]):.2f} |")
