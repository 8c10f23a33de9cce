#!/usr/bin/env python3
# The first steps of `sparring train`: wall time from launch to each of the first 10 metrics lines, their step times, and
# the JVM's CPU time (all threads; its C2 compiler threads) when each line appeared, which load on the machine disturbs less.
# usage: bench/first-steps/first_steps.py LAUNCHER OUTDIR NAME ["SPARRING_JAVA_OPTS"]   (STEPS=40 by default;
# run variants interleaved). Results: bench/results/cpu-step-allocation-20261203.md,
# bench/results/first-steps-aot-20261203.md
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
tick = os.sysconf("SC_CLK_TCK")
def cpu():
    """CPU seconds (user + system) of the JVM (the launcher execs it) so far, all threads, and of its C2 compiler threads."""
    total = c2 = 0.0
    try:
        for tid in os.listdir(f"/proc/{p.pid}/task"):
            with open(f"/proc/{p.pid}/task/{tid}/stat") as f: st = f.read()
            comm = st[st.index("(") + 1:st.rindex(")")]
            fields = st[st.rindex(")") + 2:].split()
            t = (int(fields[11]) + int(fields[12])) / tick
            total += t
            if comm.startswith("C2 Compiler"): c2 += t
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return total, c2
seen, cpus = [], []
while p.poll() is None:
    try:
        with open(mf) as f: n = sum(1 for l in f if l.endswith("\n"))
    except FileNotFoundError: n = 0
    if len(seen) < n and len(seen) < 10: c = cpu()
    while len(seen) < n:
        seen.append(time.time() - t0)
        if len(cpus) < 10: cpus.append(c)
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
       "steady_ms": round(1000 * steady, 1),
       "cpu_s": [round(c[0], 2) for c in cpus], "c2_cpu_s": [round(c[1], 2) for c in cpus], "tail": err.strip().splitlines()[-1:] }
print(json.dumps(out))
