#!/usr/bin/env bash
# What a short parallel loop costs on this tree's jar and on BASE_JAR, interleaved in fresh processes:
#   bench/cpu-profile/parallel-calls.sh [ROUNDS] [BASE_JAR] [CALLS]      default 5 rounds, 20000 calls an op
# Runs ParallelCallCost.java (see there: addBias, LeakyReLU, batch norm on the default job's 32 -> 64 layer) on each
# jar in turn, at the machine's thread count, and prints each round's lines with the load average.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-5}"
base="${2:-}"
calls="${3:-20000}"
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
for r in $(seq 1 "$rounds"); do
  for j in $jars; do
    echo "round $r $j load $(cut -d' ' -f1 /proc/loadavg)"
    "${java[@]}" -cp "$tmp/$j.jar" "$here/ParallelCallCost.java" "$calls" 2>/dev/null | sed "s/^/  $j /"
  done
done
