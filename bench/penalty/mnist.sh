#!/usr/bin/env bash
# WGAN-GP against WGAN with weight clipping on MNIST with the default 28 px DCGAN (issue "Second-order training",
# item 5): the same seed and number of steps (--epochs, default the default run's 5: with 5 critic steps each, 310
# generator steps on the bundled 10,000 digits), each loss with its own defaults (wgan: RMSProp 5e-5, clip 0.01;
# wgan-gp: Adam(0, 0.9) at 8 x 1e-4 on this network, lambda 10); both keep G_ema (the default). Then, for each run,
# `sparring fid mnist RUN` (the MNIST classifier's features, 10,000 samples against the 10,000 bundled digits) and
# `sparring classify --checkpoint RUN`.
#   bench/penalty/mnist.sh                       -> bench/results/wgan-gp-mnist-<date>.md (+ .../wgan-gp-mnist-<date>/*.png)
#   bench/penalty/mnist.sh --epochs 1 --out /tmp/m.md
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$here")")"
epochs=5
seed=1
out="$root/bench/results/wgan-gp-mnist-$(date -u +%Y%m%d-%H%M).md"
command="bench/penalty/mnist.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --epochs) epochs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--epochs N] [--seed S] [--out FILE.md]" >&2; exit 2 ;;
  esac
done
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
cd "$root"
"$root/build" -q package -DskipTests
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
pngs="${out%.md}"
mkdir -p "$pngs"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
t_all=$(date +%s)
rows=()
details=()
for m in wgan-gp wgan; do
  run="$m-seed$seed"
  t0=$(date +%s)
  nice -n 10 ./sparring train --loss "$m" --epochs "$epochs" --seed "$seed" --no-conditional --device cpu --no-progress \
    --out "$work" --name "$run" > "$work/$run.log" 2>&1 || { cat "$work/$run.log" >&2; exit 1; }
  t1=$(date +%s)
  nice -n 10 ./sparring fid mnist "$work/$run" --device cpu --no-progress > "$work/$run.fid" 2>&1 || { cat "$work/$run.fid" >&2; exit 1; }
  nice -n 10 ./sparring classify --checkpoint "$work/$run" --device cpu --no-progress > "$work/$run.classify" 2>&1 \
    || { cat "$work/$run.classify" >&2; exit 1; }
  fid="$(grep '^FID ' "$work/$run.fid" | awk '{ print $2 }')"
  conf="$(grep '^confident' "$work/$run.classify" | awk '{ print $(NF - 1) }')"
  score="$(grep '^inception score' "$work/$run.classify" | awk '{ print $(NF - 1) }')"
  last="$(tail -n 1 "$work/$run/metrics.jsonl")"
  step="$(echo "$last" | sed 's/.*"step":\([0-9]*\).*/\1/')"
  c() { tr -d '\n ' < "$work/$run/config.json" | sed "s/.*\"$1\":\([^,}]*\).*/\1/"; }
  settings="$(c optimizer) beta1 $(c beta1) beta2 $(c beta2), lr D $(c lrD) / G $(c lrG), $(c dSteps) critic steps, clip $(c clip), gp $(c gp), batch $(c batch), EMA $(c emaDecay)"
  final="$(ls "$work/$run/samples/" | grep '^step_' | sort | tail -n 1)"
  cp "$work/$run/samples/$final" "$pngs/$run.png"
  rows+=("| $m | $(echo "$settings" | tr -d '"') | $step | $((t1 - t0)) | $fid | $conf | $score | [$run.png]($(basename "$pngs")/$run.png) |")
  details+=("### $m" "" "\`sparring fid mnist RUN\`:" "" '```' "$(grep -v -e WARNING -e ' ETA ' "$work/$run.fid")" '```' "" \
    "\`sparring classify --checkpoint RUN\`:" "" '```' "$(grep -v -e WARNING -e ' ETA ' "$work/$run.classify")" '```' "")
  echo "$run: $step steps, FID $fid, $((t1 - t0)) s" >&2
done
{
  echo "# WGAN-GP and WGAN with weight clipping on MNIST (28 px DCGAN)"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src kernels || echo ' + uncommitted changes')"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) CPUs visible); JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)"
  echo "- load average (1, 5, 15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: wall times are indicative only)"
  echo "- command: \`$command\` (total $(( $(date +%s) - t_all )) s); each run \`./sparring train --loss METHOD --epochs $epochs --seed $seed\` with \`--no-conditional --device cpu --no-progress --out DIR --name NAME\`, everything else the defaults (the unconditional 28 px DCGAN on the bundled 10,000 digits, batch 32, G_ema)"
  echo "- FID: \`sparring fid mnist RUN\` (the MNIST classifier's 64 features; 10,000 samples of G_ema, latent seed 0, against the 10,000 digits; lower is better; the default nsgan run scores 14.5, fid-default-run-20261203.md); classify: \`sparring classify --checkpoint RUN\` (10,000 samples of G_ema)"
  echo
  echo "| method | settings (config.json) | generator steps | training wall time (s) | FID (mnist features) | confident (p >= 0.9) | classifier score (1 to 10) | final samples |"
  echo "|---|---|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  printf '%s\n' "${details[@]}"
} > "$out"
echo "wrote $out" >&2
