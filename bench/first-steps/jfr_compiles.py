#!/usr/bin/env python3
# Where the JIT's time goes in the first steps of `sparring train`: runs it once under JFR (every compilation, 1 ms
# execution samples), then ranks the C2 compiles up to step N by duration (method, count, code size, start relative to
# step 1's metrics line, OSR or not), and for each of the first steps counts the main thread's samples by the first
# dev.sparring frame, marking those with the Vector API's Java fallback on the stack (a kernel not yet C2-compiled).
# usage: bench/first-steps/jfr_compiles.py LAUNCHER OUTDIR NAME [N=10] [STEPS_SHOWN=3]
# JFR's durations are wall time of the compiler thread (load stretches them). Results:
# bench/results/first-steps-c2-20261203.md
import collections, datetime, json, os, subprocess, sys, time
launcher, outdir, name = sys.argv[1], sys.argv[2], sys.argv[3]
N = int(sys.argv[4]) if len(sys.argv) > 4 else 10
SHOWN = int(sys.argv[5]) if len(sys.argv) > 5 else 3
jfr = os.path.join(outdir, name + ".jfr")
java_home = os.environ.get("JAVA_HOME", "")
JFR = os.path.join(java_home, "bin", "jfr") if java_home else "jfr"
env = dict(os.environ)
env["SPARRING_JAVA_OPTS"] = (f"-XX:StartFlightRecording=filename={jfr},settings=profile,jdk.Compilation#threshold=0ms,"
                             "jdk.ExecutionSample#period=1ms -Xlog:jfr*=off " + env.get("SPARRING_JAVA_OPTS", ""))
args = [launcher, "train", "--steps", str(max(20, N + 5)), "--log-every", "1", "--no-progress", "--sample-every", "0",
        "--checkpoint-every", "0", "--no-tensorboard", "--out", outdir, "--name", name]
p = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
mf = os.path.join(outdir, name, "metrics.jsonl")
seen = []                                             # wall clock when each metrics line appeared
while p.poll() is None:
    try:
        with open(mf) as f: n = sum(1 for l in f if l.endswith("\n"))
    except FileNotFoundError: n = 0
    while len(seen) < n: seen.append(time.time())
    time.sleep(0.002)
if p.returncode != 0: sys.exit(f"train failed: {p.stderr.read().decode()[-500:]}")
step_s = [json.loads(l)["time_s"] for l in open(mf)]

def ts(s):                                            # 2026-12-03T21:11:34.572657760Z
    main, frac = s.rstrip("Z").split(".")
    return datetime.datetime.strptime(main, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp() + float("0." + frac)
def dur(s):                                           # PT0.248350948S (or PT1M2.5S)
    s = s[2:-1]; m = 0.0
    if "M" in s: mm, s = s.split("M"); m = 60 * float(mm)
    return m + float(s)
def mname(m): return m["type"]["name"].replace("/", ".") + "::" + m["name"]
def events(kind, depth=64):
    out = subprocess.run([JFR, "print", "--json", "--stack-depth", str(depth), "--events", kind, jfr], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["recording"]["events"]

t1, tN = seen[0], seen[N - 1]
start1 = t1 - step_s[0]                               # when step 1 started
c2 = collections.defaultdict(lambda: [0.0, 0, 0, []]); tot = collections.Counter()
for e in events("jdk.Compilation", 1):
    v = e["values"]; s = ts(v["startTime"]); d = dur(v["duration"])
    if s > tN: continue
    tot[v["compiler"]] += d
    if v["compiler"] != "c2": continue
    if s < start1: tot["c2 before step 1"] += d
    r = c2[mname(v["method"])]; r[0] += d; r[1] += 1; r[2] = max(r[2], v.get("codeSize", 0))
    r[3].append(f"{'osr' if v.get('isOsr') else 'std'}{s - t1:+.2f}s/{d * 1000:.0f}ms")
print(f"{name}: step 1 {step_s[0]:.3f} s; compile time (s) to step {N}: " + ", ".join(f"{k} {x:.2f}" for k, x in tot.items()))
print(f"{'C2 ms':>7} {'n':>3} {'code':>6}  method   [kind, start relative to step 1's line, duration]")
for m, r in sorted(c2.items(), key=lambda kv: -kv[1][0])[:30]:
    print(f"{r[0] * 1000:7.0f} {r[1]:3d} {r[2]:6d}  {m}  {' '.join(r[3][:4])}")
samples = [e["values"] for e in events("jdk.ExecutionSample") if e["values"]["sampledThread"]["javaName"] == "main"]
bounds = [(start1, t1)] + [(seen[i - 1], seen[i]) for i in range(1, SHOWN)]
for k, (a, b) in enumerate(bounds):
    c = collections.Counter(); fb = n = 0
    for v in samples:
        if not a <= ts(v["startTime"]) < b: continue
        fr = v["stackTrace"]["frames"]
        i = next((j for j, f in enumerate(fr) if f["method"]["type"]["name"].startswith("dev/sparring")), None)
        if i is None: c["(outside dev.sparring) " + mname(fr[0]["method"])] += 1; n += 1; continue
        vec = any(f["method"]["type"]["name"].startswith(("jdk/incubator/vector", "jdk/internal/vm/vector")) for f in fr[:i])
        c[mname(fr[i]["method"]) + " [" + fr[i]["type"] + "]" + (" FALLBACK" if vec else "")] += 1; n += 1; fb += vec
    print(f"step {k + 1}: {b - a:.3f} s, main-thread samples {n}, with the Vector API fallback on the stack {fb}")
    for key, x in c.most_common(10): print(f"   {x:5d} {key}")
