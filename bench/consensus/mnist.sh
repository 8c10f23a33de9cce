#!/usr/bin/env bash
# Consensus optimization on MNIST with the default class-conditional 28 px DCGAN (issue "Second-order training", items 3
# and 5): simultaneous updates without consensus, and with --consensus GAMMA (biased estimator) for each of --gammas, at
# one budget (--steps, default 300 generator steps) and one seed, everything else the defaults. Then, for each run,
# `sparring fid mnist RUN` (the MNIST classifier's features, 10,000 samples against the 10,000 bundled digits) and
# `sparring classify --checkpoint RUN`, of G_ema and of G (--no-ema: at a few hundred steps G_ema, a 0.999 average,
# still weighs the first steps' generators). The table also gives each run's training wall time per generator step; the two runs go one after
# the other, so on a shared machine their ratio is indicative only (bench/penalty/cost.sh's interleaving is the way to
# time a step).
#   bench/consensus/mnist.sh                        -> bench/results/consensus-mnist-<date>.md (+ .../consensus-mnist-<date>/*.png)
#   bench/consensus/mnist.sh --steps 100 --gammas "0.1 1" --out /tmp/m.md
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$here")")"
steps=300
seed=1
gammas="0.01 0.1"
out="$root/bench/results/consensus-mnist-$(date -u +%Y%m%d-%H%M).md"
command="bench/consensus/mnist.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --gammas) gammas="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--steps N] [--seed S] [--gammas "G1 G2"] [--out FILE.md]" >&2; exit 2 ;;
  esac
done
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
cd "$root"
"$root/build" -q package -DskipTests
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src kernels || echo ' + uncommitted changes')"
# every run uses this build, even if the sources change while the script runs
jar="$(mktemp -d)/sparring.jar"
cp target/sparring.jar "$jar"
sp() { nice -n 10 "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -Djava.awt.headless=true -XX:+UseSerialGC -jar "$jar" "$@"; }
work="$(mktemp -d)"
trap 'rm -rf "$work" "$(dirname "$jar")"' EXIT
pngs="${out%.md}"
mkdir -p "$pngs"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
t_all=$(date +%s)
rows=()
details=()
for m in simultaneous $gammas; do
  extra=()
  if [ "$m" = simultaneous ]; then run="$m-seed$seed"; else run="consensus$m-seed$seed"; extra=(--consensus "$m"); m="consensus $m"; fi
  t0=$(date +%s)
  sp train --updates simultaneous "${extra[@]}" --steps "$steps" --seed "$seed" --device cpu --no-progress \
    --out "$work" --name "$run" > "$work/$run.log" 2>&1 || { cat "$work/$run.log" >&2; exit 1; }
  t1=$(date +%s)
  for g in ema g; do
    no=(); [ $g = g ] && no=(--no-ema)
    sp fid mnist "$work/$run" "${no[@]}" --device cpu --no-progress > "$work/$run.$g.fid" 2>&1 || { cat "$work/$run.$g.fid" >&2; exit 1; }
    sp classify --checkpoint "$work/$run" "${no[@]}" --device cpu --no-progress > "$work/$run.$g.classify" 2>&1 \
      || { cat "$work/$run.$g.classify" >&2; exit 1; }
  done
  m3() { echo "$(grep "$1" "$work/$run.ema.$2" | awk "{ print \$$3 }") / $(grep "$1" "$work/$run.g.$2" | awk "{ print \$$3 }")"; }
  fid="$(m3 '^FID ' fid 2)"
  conf="$(m3 '^confident' classify '(NF - 1)')"
  score="$(m3 '^inception score' classify '(NF - 1)')"
  last="$(tail -n 1 "$work/$run/metrics.jsonl")"
  step="$(echo "$last" | sed 's/.*"step":\([0-9]*\).*/\1/')"
  normv="$(echo "$last" | grep -o '"consensus_norm_v":[^,}]*' | cut -d: -f2 || true)"
  c() { tr -d '\n ' < "$work/$run/config.json" | sed "s/.*\"$1\":\([^,}]*\).*/\1/"; }
  settings="$(c optimizer) beta1 $(c beta1) beta2 $(c beta2), lr D $(c lrD) / G $(c lrG), conditional $(c conditional), consensus $(c consensus), batch $(c batch), EMA $(c emaDecay)"
  final="$(ls "$work/$run/samples/" | grep '^step_' | sort | tail -n 1)"
  cp "$work/$run/samples/$final" "$pngs/$run.png"
  per_step="$(awk -v t=$((t1 - t0)) -v s="$step" 'BEGIN { printf "%.2f", t / s }')"
  rows+=("| $m | $(echo "$settings" | tr -d '"') | $step | $((t1 - t0)) | $per_step | $fid | $conf | $score | ${normv:--} | [$run.png]($(basename "$pngs")/$run.png) |")
  for g in ema g; do
    details+=("### $m, $([ $g = ema ] && echo G_ema || echo 'G (--no-ema)')" "" "\`sparring fid mnist RUN\`:" "" '```' "$(grep -v -e WARNING -e ' ETA ' "$work/$run.$g.fid")" '```' "" \
      "\`sparring classify --checkpoint RUN\`:" "" '```' "$(grep -v -e WARNING -e ' ETA ' "$work/$run.$g.classify")" '```' "")
  done
  echo "$run: $step steps, FID $fid, $((t1 - t0)) s" >&2
done
{
  echo "# Consensus optimization on MNIST (class-conditional 28 px DCGAN)"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $commit"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) CPUs visible); JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)"
  echo "- load average (1, 5, 15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: wall times are indicative only)"
  echo "- command: \`$command\` (total $(( $(date +%s) - t_all )) s); each run \`sparring train --updates simultaneous [--consensus GAMMA] --steps $steps --seed $seed\` with \`--device cpu --no-progress --out DIR --name NAME\`, everything else the defaults (the class-conditional 28 px DCGAN on the bundled 10,000 digits, batch 32, G_ema)"
  echo "- FID: \`sparring fid mnist RUN\` (the MNIST classifier's 64 features; 10,000 samples, latent seed 0, against the 10,000 digits; lower is better); classify: \`sparring classify --checkpoint RUN\` (10,000 samples); each as G_ema / G (\`--no-ema\`); ‖v‖²: the last step's consensus_norm_v; final samples: the run's last grid (G_ema)"
  echo
  echo "| updates | settings (config.json) | generator steps | training wall time (s) | s per step | FID (mnist features), G_ema / G | confident (p >= 0.9), G_ema / G | classifier score (1 to 10), G_ema / G | ‖v‖² | final samples |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  printf '%s\n' "${details[@]}"
} > "$out"
echo "wrote $out" >&2
