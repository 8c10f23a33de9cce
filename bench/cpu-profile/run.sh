#!/usr/bin/env bash
# Where the default job's CPU step goes, op by op, and how two builds compare on it, interleaved:
#   bench/cpu-profile/run.sh [ROUNDS] [BASE_JAR]       default 3 rounds; BASE_JAR: another build's target/sparring.jar
# Each round runs, in fresh processes: dev.sparring.bench.CpuOpProfile on this tree's jar (then on BASE_JAR) on one
# thread, where each op's CPU time is its whole cost and load inflates it little; then `sparring bench --device cpu`
# (2 threads, wall time) on each jar. Prints the per-round figures, the medians and the load; the last round's
# per-op tables are kept in bench/results/tmp/cpu-profile/. PyTorch's per-op profile of the same step:
# bench/cpu-profile/pytorch_profile.py (OPENBLAS_NUM_THREADS=1, --threads 1 or 2).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-3}"
base="${2:-}"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
(cd "$root" && ./build -q package -DskipTests)
tmp="$root/bench/results/tmp/cpu-profile"
mkdir -p "$tmp"
cp "$root/target/sparring.jar" "$tmp/new.jar"
jars="new"
if [ -n "$base" ]; then
  [ -f "$base" ] || { echo "cpu-profile: no jar $base" >&2; exit 2; }
  cp "$base" "$tmp/base.jar"
  jars="new base"
fi
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true -XX:+UseSerialGC)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  for j in $jars; do
    # the base jar may predate CpuOpProfile: this tree's jar comes after it on the class path to supply it
    "${java[@]}" -XX:ActiveProcessorCount=1 -Djava.util.concurrent.ForkJoinPool.common.parallelism=0 -cp "$tmp/$j.jar:$tmp/new.jar" \
      dev.sparring.bench.CpuOpProfile 30 60 2>/dev/null > "$tmp/ops-$j.txt"
    echo "round $r $j 1-thread: $(tail -1 "$tmp/ops-$j.txt" | sed 's/.*in ops /cpu ms\/it in ops /') load $(cut -d' ' -f1 /proc/loadavg)"
  done
  for j in $jars; do
    its="$("${java[@]}" -jar "$tmp/$j.jar" bench --device cpu --warmup 20 --iters 60 --repeats 1 --phase-iters 0 2>/dev/null \
      | grep '^{"bench"' | sed 's/.*"it_per_s":\([0-9.]*\).*/\1/')"
    echo "round $r $j 2-thread: it/s $its load $(cut -d' ' -f1 /proc/loadavg)"
  done
done | tee "$tmp/rounds.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$tmp/rounds.txt" <<'PY'
import re, statistics, sys
cpu, its = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"round \d+ (\w+) 1-thread: cpu ms/it in ops ([0-9.]+)", line)
    if m: cpu.setdefault(m[1], []).append(float(m[2]))
    m = re.match(r"round \d+ (\w+) 2-thread: it/s ([0-9.]+)", line)
    if m: its.setdefault(m[1], []).append(float(m[2]))
for j in cpu:
    print(f"{j}: 1-thread CPU ms/it in ops, median {statistics.median(cpu[j]):.1f} {cpu[j]}; 2-thread it/s, median {statistics.median(its.get(j, [0])):.2f} {its.get(j)}")
PY
