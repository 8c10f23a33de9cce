#!/usr/bin/env bash
# What a short parallel loop and a whole step cost on this tree's jar and on BASE_JAR, interleaved in fresh processes:
#   bench/cpu-profile/parallel-calls.sh [ROUNDS] [BASE_JAR] [CALLS] [STEPS]    default 5 rounds, 20000 calls an op, 300 steps
# Runs range/ParallelRangeCost.java (Parallel.range alone: 8 chunks of 0, 512, 4096 floats), ParallelCallCost.java (see there: addBias, LeakyReLU, batch norm on the default job's 32 -> 64 layer), then
# StepTimes.java (the default job's steps: min, p10, median) on each jar in turn, at the machine's thread count, and
# prints each round's lines with the load average. Minima and low percentiles are the figures that load disturbs least.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-5}"
base="${2:-}"
calls="${3:-20000}"
steps="${4:-300}"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
(cd "$root" && ./build -q package -DskipTests)
tmp="$root/bench/results/tmp/parallel-calls"
mkdir -p "$tmp"
cp "$root/target/sparring.jar" "$tmp/new.jar"
jars="new"
if [ -n "$base" ]; then
  [ -f "$base" ] || { echo "parallel-calls: no jar $base" >&2; exit 2; }
  cp "$base" "$tmp/base.jar"
  jars="new base"
fi
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC)
for j in $jars; do     # ParallelRangeCost lives in Parallel's package: compiled against each jar, beside it on the class path
  rm -rf "$tmp/range-$j" && mkdir -p "$tmp/range-$j"
  "$JAVA_HOME/bin/javac" -nowarn -d "$tmp/range-$j" -cp "$tmp/$j.jar" "$here/range/ParallelRangeCost.java"
done
for r in $(seq 1 "$rounds"); do
  for j in $jars; do
    echo "round $r $j load $(cut -d' ' -f1 /proc/loadavg)"
    "${java[@]}" -cp "$tmp/$j.jar:$tmp/range-$j" dev.sparring.backend.cpu.ParallelRangeCost 2>/dev/null | sed "s/^/  $j /"
    "${java[@]}" -cp "$tmp/$j.jar" "$here/ParallelCallCost.java" "$calls" 2>/dev/null | sed "s/^/  $j /"
    "${java[@]}" -cp "$tmp/$j.jar" "$here/StepTimes.java" 40 "$steps" 2>/dev/null | sed "s/^/  $j /"
  done
done
