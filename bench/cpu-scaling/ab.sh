#!/usr/bin/env bash
# The default job's step at the machine's thread count, this tree's jar against BASE_JAR, interleaved in fresh JVMs:
#   bench/cpu-scaling/ab.sh ROUNDS BASE_JAR [NEW_JAR] [STEPS]        (default: target/sparring.jar, 200 steps)
# Each round: a probe of the two cores (bench/cpu-scaling/FmaProbe.java: 512-bit FMAs on 1 thread, then on 2; on a
# machine whose second core is busy or shared the ratio falls below 2), then StepTimes (bench/cpu-profile) on each jar
# in turn (the order alternates by round), each under /usr/bin/time for the process's user + sys CPU seconds. Prints
# one line per run with the 1-minute load: "round R JAR load L min P10 MEDIAN ms user U sys S wall W".
# IDLE_WAIT=S (seconds, default 0): before each round, wait up to S seconds for a second in which the machine's CPUs
# were at least 90 % idle (vmstat), so that rounds start when other people's jobs pause; the idle % seen is printed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-8}"; base="${2:?base jar}"; new="${3:-$root/target/sparring.jar}"; steps="${4:-200}"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
wait_idle() {
  local end=$(( $(date +%s) + ${IDLE_WAIT:-0} )) idle
  while :; do
    idle="$(vmstat 1 2 | tail -1 | awk '{print $15}')"
    if [ "$idle" -ge 90 ] || [ "$(date +%s)" -ge "$end" ]; then echo "$idle"; return; fi
  done
}
for r in $(seq 1 "$rounds"); do
  [ "${IDLE_WAIT:-0}" -gt 0 ] && echo "round $r idle $(wait_idle) %"
  echo "round $r probe $("${java[@]}" "$here/FmaProbe.java" 2>/dev/null)"
  order="new base"; [ $((r % 2)) = 0 ] && order="base new"
  for j in $order; do
    jar="$new"; [ "$j" = base ] && jar="$base"
    load="$(cut -d' ' -f1 /proc/loadavg)"
    /usr/bin/time -f "%U %S %e" -o "$tmp/time" "${java[@]}" -cp "$jar" "$root/bench/cpu-profile/StepTimes.java" 40 "$steps" 2>/dev/null > "$tmp/out"
    read -r u s e < "$tmp/time"
    echo "round $r $j load $load $(grep '^step ms' "$tmp/out" | sed 's/step ms: //; s/ ([0-9]* steps)//') user $u sys $s wall $e | $(grep '^last metrics' "$tmp/out" | cut -c1-60)"
  done
done
