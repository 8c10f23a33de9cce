#!/usr/bin/env bash
# The README's 2-D examples, run as written for several seeds: ./sparring train --data ring8 --steps 5000 and
# ./sparring train --data grid25 --steps 10000 (each with --seed S, plus --device cpu, --no-progress, --out and --name,
# which change nothing in the training). Writes a markdown table of the final mode coverage of every run (the line
# "samples at step N: ..." the run prints, from the last line of its coverage.jsonl) and copies each run's final
# scatter plot next to it.
#   bench/readme-2d/run.sh                       seeds 1 2 3 -> bench/results/readme-2d-examples.md (+ .../readme-2d-examples/*.png)
#   bench/readme-2d/run.sh --seeds "1 2 3 4 5" --name readme-2d-examples --out bench/results
# The bar (issue "Trust", item 7): ring8 >= 7 of 8 modes with >= 70 % high-quality samples, grid25 >= 20 of 25 modes.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$here")")"
seeds="1 2 3"
out="$root/bench/results"
name="readme-2d-examples"
command="bench/readme-2d/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    *) echo "usage: $0 [--seeds \"1 2 3\"] [--out DIR] [--name BASE]" >&2; exit 2 ;;
  esac
done
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
cd "$root"
"$root/build" -q package -DskipTests
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/$name"
examples=("--data ring8 --steps 5000" "--data grid25 --steps 10000")

commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench/readme-2d || echo ' + uncommitted changes')"
cpu="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) CPUs visible)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
t_all=$(date +%s)
rows=()
settings=()
for ex in "${examples[@]}"; do
  data="$(echo "$ex" | sed 's/.*--data \([^ ]*\).*/\1/')"
  for s in $seeds; do
    run="$data-seed$s"
    t0=$(date +%s.%N)
    nice ./sparring train $ex --seed "$s" --device cpu --no-progress --out "$work" --name "$run" > "$work/$run.log" 2>&1 \
      || { cat "$work/$run.log" >&2; exit 1; }
    t1=$(date +%s.%N)
    last="$(tail -n 1 "$work/$run/coverage.jsonl")"
    field() { echo "$last" | sed "s/.*\"$1\":\([^,}]*\).*/\1/"; }
    covered="$(field modes_covered)"; modes="$(field modes)"; hq="$(field hq_share)"; step="$(field step)"
    hqpct="$(awk -v h="$hq" 'BEGIN { printf "%.1f", 100 * h }')"
    if [ "$data" = ring8 ]; then
      ok="$(awk -v c="$covered" -v h="$hq" 'BEGIN { print (c >= 7 && h >= 0.70) ? "yes" : "no" }')"
    else
      ok="$(awk -v c="$covered" 'BEGIN { print (c >= 20) ? "yes" : "no" }')"
    fi
    cp "$work/$run/samples/$(printf 'step_%06d.png' "$step")" "$out/$name/$run.png"
    # the configuration that ran, from its config.json (one "key": value per line)
    c() { tr -d '\n ' < "$work/$run/config.json" | sed "s/.*\"$1\":\([^,}]*\).*/\1/"; }
    line="$(c model) $(c depth) x $(c hidden), nz $(c nz), batch $(c batch), loss $(c loss), $(c optimizer) beta1 $(c beta1), lr D $(c lrD) / G $(c lrG), x$(c lrDecay) after step(s) $(c lrDecayAt), $(c steps) steps"
    [ "$s" = "$(echo $seeds | cut -d' ' -f1)" ] && settings+=("- $data settings (config.json): $(echo "$line" | tr -d '"[]')")
    wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')"
    rows+=("| \`./sparring train $ex --seed $s\` | $covered/$modes | $hqpct % | $ok | $wall | [$run.png]($name/$run.png) |")
    echo "$run: $covered/$modes modes, $hqpct % HQ, ${wall} s" >&2
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
{
  echo "# The README's 2-D examples"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $commit"
  echo "- machine: $cpu; JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1 || true)"
  echo "- load average (1, 5, 15 min) before: $load_before; after: $load_after (the machine is shared: wall times are indicative only)"
  echo "- command: \`$command\` (total $(( $(date +%s) - t_all )) s)"
  echo "- each run: the README command as written, with \`--seed S --device cpu --no-progress --out DIR --name NAME\`, which change nothing in the training; every other setting is a default (2-D data defaults: \`./sparring train --help\`)"
  printf '%s\n' "${settings[@]}"
  echo "- metrics: the run's final line, over the 1000 fixed-noise samples of its last scatter plot: a sample is high quality (HQ) within 3 sigma of its nearest mode, a mode is covered when it holds at least a quarter of its fair share of HQ samples"
  echo "- bar: ring8 >= 7/8 modes with >= 70 % HQ; grid25 >= 20/25 modes"
  echo
  echo "| run | modes covered | HQ share | meets the bar | wall time (s) | final samples |"
  echo "|---|---:|---:|---|---:|---|"
  printf '%s\n' "${rows[@]}"
} > "$out/$name.md"
echo "wrote $out/$name.md" >&2
