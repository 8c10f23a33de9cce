#!/usr/bin/env bash
# Consensus optimization on ring8 (issue "Second-order training", items 3 and 5): the MLP with the nsgan loss and the
# 2-D data defaults, simultaneous updates, at one budget (--steps, default 5000 generator steps) for every method and
# several seeds: without consensus (the baseline), --consensus GAMMA with the biased estimator and with the unbiased
# one. Writes a markdown table of every run's final mode coverage (the last line of its coverage.jsonl), the mean
# ‖v‖² (consensus_norm_v) over the last 500 steps and the wall time per generator step, and copies each final scatter.
#   bench/consensus/run.sh                                  seeds 1-5, gamma 0.1 -> bench/results/consensus-ring8-gamma0.1.md (+ .../consensus-ring8-gamma0.1/*.png)
#   bench/consensus/run.sh --seeds "1 2" --steps 2000 --gamma 0.1 --methods consensus-biased --name quick --out /tmp
# The bar: >= 7 of 8 modes with >= 70 % high-quality samples.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$here")")"
seeds="1 2 3 4 5"
steps=5000
gamma=0.1
methods_arg="simultaneous consensus-biased consensus-unbiased"
out="$root/bench/results"
name=""
command="bench/consensus/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --gamma) gamma="$2"; shift 2 ;;
    --methods) methods_arg="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    *) echo "usage: $0 [--seeds \"1 2 3 4 5\"] [--steps N] [--gamma G] [--methods "simultaneous consensus-biased consensus-unbiased"] [--out DIR] [--name BASE]" >&2; exit 2 ;;
  esac
done
[ -n "$name" ] || name="consensus-ring8-gamma$gamma"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
cd "$root"
. "$root/bench/lib/ring8-runs.sh"
"$root/build" -q package -DskipTests
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/$name"
read -r -a methods <<< "$methods_arg"
flags() {
  case "$1" in
    simultaneous) echo "--updates simultaneous" ;;
    consensus-biased) echo "--updates simultaneous --consensus $gamma --consensus-estimator biased" ;;
    consensus-unbiased) echo "--updates simultaneous --consensus $gamma --consensus-estimator unbiased" ;;
  esac
}

commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src kernels bench/consensus bench/lib || echo ' + uncommitted changes')"
cpu="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) CPUs visible)"
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
t_all=$(date +%s)
rows=()
settings=()
summary=()
for m in "${methods[@]}"; do
  met=0
  for s in $seeds; do
    run="$m-seed$s"
    # shellcheck disable=SC2046
    ring8_train "$work" "$run" "$steps" "$s" $(flags "$m")
    ring8_outcome "$work/$run"
    [ "$ok" = yes ] && met=$((met + 1))
    normv="$(ring8_tail_mean "$work/$run" consensus_norm_v "%.2e")"
    cp "$work/$run/samples/$(printf 'step_%06d.png' "$step")" "$out/$name/$run.png"
    c() { ring8_config "$work/$run" "$1"; }
    line="$(c optimizer) beta1 $(c beta1) beta2 $(c beta2), lr D $(c lrD) / G $(c lrG), x$(c lrDecay) after step(s) $(c lrDecayAt), $(c dSteps) critic step, simultaneous $(c simultaneous), consensus $(c consensus) ($(c consensusEstimator)), batch $(c batch), $(c steps) steps"
    [ "$s" = "$(echo $seeds | cut -d' ' -f1)" ] && settings+=("- $m settings (config.json): $(echo "$line" | tr -d '"[]')")
    rows+=("| $m | $s | $covered/$modes | $hqpct % | $ok | $normv | $wall | $perstep | [$run.png]($name/$run.png) |")
    echo "$run: $covered/$modes modes, $hqpct % HQ, ${wall} s" >&2
  done
  summary+=("- $m: $met of $(echo $seeds | wc -w) seeds meet the bar")
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
{
  echo "# Consensus optimization on ring8"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $commit"
  echo "- machine: $cpu; JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1 || true)"
  echo "- load average (1, 5, 15 min) before: $load_before; after: $load_after (the machine is shared: wall times are indicative only)"
  echo "- command: \`$command\` (total $(( $(date +%s) - t_all )) s)"
  echo "- each run: \`./sparring train --data ring8 --steps $steps --seed S\` plus the method's flags, with \`--device cpu --no-progress --out DIR --name NAME\`, which change nothing in the training; the same MLP (2 x 128, latent size 4), loss (nsgan), batch and budget for every method, every other setting the 2-D data's defaults"
  printf '%s\n' "${settings[@]}"
  echo "- metrics: the run's final line, over the 1000 fixed-noise samples of its last scatter plot: a sample is high quality (HQ) within 3 sigma of its nearest mode, a mode is covered when it holds at least a quarter of its fair share of HQ samples; ‖v‖²: the mean of metrics.jsonl's consensus_norm_v over the last 500 steps"
  echo "- bar: >= 7/8 modes with >= 70 % HQ"
  printf '%s\n' "${summary[@]}"
  echo
  echo "| method | seed | modes covered | HQ share | meets the bar | ‖v‖² | wall time (s) | ms per generator step | final samples |"
  echo "|---|---:|---:|---:|---|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} > "$out/$name.md"
echo "wrote $out/$name.md" >&2
