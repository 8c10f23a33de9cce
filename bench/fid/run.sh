#!/usr/bin/env bash
# The FID on the CPU: Sparring (FrechetDistance, AUTO and EIGEN) against pytorch-fid's formula (scipy.linalg.sqrtm)
# on the same two F = 2048 statistics files, interleaved (scipy, auto, eigen, scipy, auto, eigen, ...), each run a
# fresh process timing only the computation; medians and ratios go to bench/results/fid-cpu-<date>.md, with the
# matrix products (RowDots against EJML's), one 50-row-batch moments run and one KID subset as side figures.
#   bench/fid/run.sh [ROUNDS] [F] [N]      defaults 5 rounds, F = 2048, statistics of N = 6000 rows
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$bench/../.." && pwd)"
rounds="${1:-5}"; f="${2:-2048}"; n="${3:-6000}"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
(cd "$root" && ./build -q package -DskipTests)
tmp="$root/bench/results/tmp/fid"
mkdir -p "$tmp"
[ -f "$tmp/stats-$f-a.npz" ] && [ -f "$tmp/stats-$f-b.npz" ] || python3 "$bench/make-stats.py" "$tmp" "$f" "$n"
a="$tmp/stats-$f-a.npz"; b="$tmp/stats-$f-b.npz"
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$root/target/sparring.jar" dev.sparring.bench.FidBench)
log="$tmp/run-$(date -u +%Y%m%d-%H%M%S).log"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# rounds=$rounds F=$f" > "$log"
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds" >&2
  echo "run scipy $r $(python3 "$bench/scipy_fid.py" "$a" "$b" | grep '^RESULT')" >> "$log"
  echo "run auto $r $("${java[@]}" fid "$a" "$b" auto 2>/dev/null | grep '^RESULT')" >> "$log"
  echo "run eigen $r $("${java[@]}" fid "$a" "$b" eigen 2>/dev/null | grep '^RESULT')" >> "$log"
done
echo "side $("${java[@]}" products "$f" 3 2>/dev/null | grep '^RESULT' | tr '\n' ' ')" >> "$log"
echo "side $("${java[@]}" moments "$f" 10000 2>/dev/null | grep '^RESULT')" >> "$log"
echo "side $("${java[@]}" kid "$f" 1000 2>/dev/null | grep '^RESULT')" >> "$log"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
out="$root/bench/results/fid-cpu-$(date -u +%Y%m%d-%H%M).md"
commit="$(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- src || echo ' + uncommitted changes')"
python3 "$bench/summarize.py" "$log" "$out" "$commit" "$load_before" "$load_after" "bench/fid/run.sh $*" "$("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
echo "wrote $out" >&2
