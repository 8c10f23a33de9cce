#!/usr/bin/env bash
# What --tensorboard costs the default run: `sparring train --steps 200` with and without it, interleaved, PAIRS times
# (process CPU time and the run's own time_s at step 200), then EventCost.java (the event file's work per step,
# measured apart from training). Writes into OUT (default /tmp/tb-cost); prints a Markdown table.
#   bench/tensorboard/cost.sh [PAIRS] [OUT]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
pairs="${1:-2}"
out="${2:-/tmp/tb-cost}"
mkdir -p "$out"
cd "$here"
./sparring --help >/dev/null   # builds the jar first when it is out of date
. scripts/jdk.sh
sparring_find_jdk
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| run | tensorboard | CPU s (user+sys) | wall s | time_s at step 200 | event file bytes |"
echo "|---|---|---:|---:|---:|---:|"
for i in $(seq 1 "$pairs"); do
  for mode in on off; do
    name="p$i-$mode"
    flag=$([ "$mode" = on ] && echo --tensorboard || echo --no-tensorboard)
    /usr/bin/time -f "%U %S %e" -o "$out/$name.time" ./sparring train --steps 200 --no-progress "$flag" \
      --out "$out" --name "$name" >/dev/null 2>"$out/$name.log"
    read -r user sys wall < "$out/$name.time"
    t=$(tail -1 "$out/$name/metrics.jsonl" | sed 's/.*"time_s":\([0-9.]*\).*/\1/')
    ev=$( (cat "$out/$name"/events.out.tfevents.* 2>/dev/null || true) | wc -c)
    echo "| $i | $mode | $(echo "$user + $sys" | bc) | $wall | $t | $ev |"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA_HOME/bin/java" -cp target/sparring.jar bench/tensorboard/EventCost.java "$out/micro" "$out/p1-on/samples/step_000200.png"
