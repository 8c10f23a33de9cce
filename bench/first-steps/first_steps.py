#!/usr/bin/env python3
# The first steps of `sparring train`: wall time from launch to each of the first 10 metrics lines, and their step times.
# usage: bench/first-steps/first_steps.py LAUNCHER OUTDIR NAME ["SPARRING_JAVA_OPTS"]   (STEPS=40 by default;
# run variants interleaved). Results: bench/results/cpu-step-allocation-20261203.md
"""Runs `sparring train` once and reports, for the first K steps, the wall time from launch to each step's metrics
line appearing, and each step's time from time_s. usage: firststeps.py LAUNCHER OUTDIR NAME [extra env JAVA_OPTS] """
import json, os, subprocess, sys, time, resource
launcher, outdir, name = sys.argv[1], sys.argv[2], sys.argv[3]
opts = sys.argv[4] if len(sys.argv) > 4 else ""
steps = int(os.environ.get("STEPS", "40"))
env = dict(os.environ)
if opts: env["SPARRING_JAVA_OPTS"] = opts
args = [launcher, "train", "--steps", str(steps), "--log-every", "1", "--no-progress", "--sample-every", "0",
        "--checkpoint-every", "0", "--no-tensorboard", "--out", outdir, "--name", name]
t0 = time.time()
p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
mf = os.path.join(outdir, name, "metrics.jsonl")
seen = []
while p.poll() is None:
    try:
        with open(mf) as f: n = sum(1 for l in f if l.endswith("\n"))
    except FileNotFoundError: n = 0
    while len(seen) < n: seen.append(time.time() - t0)
    time.sleep(0.002)
err = p.stderr.read().decode()
wall = time.time() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
lines = [json.loads(l) for l in open(mf)]
ts = [l["time_s"] for l in lines]
dt = [ts[0]] + [ts[i] - ts[i-1] for i in range(1, len(ts))]
steady = sorted(dt[-20:])[10]
out = {"name": name, "opts": opts, "rc": p.returncode, "wall_s": round(wall, 3), "rss_mib": rss // 1024,
       "since_launch_s": [round(x, 3) for x in seen[:10]], "step_ms": [round(1000 * x) for x in dt[:10]],
       "steady_ms": round(1000 * steady, 1), "tail": err.strip().splitlines()[-1:] }
print(json.dumps(out))
