#!/usr/bin/env bash
# WGAN-GP against WGAN with weight clipping on ring8 (issue "Second-order training", item 5): the same MLP, data and
# budget (--steps, default 5000 generator steps) for every method, several seeds; each method otherwise trains with its
# loss's own defaults (wgan: RMSProp, clip 0.01; wgan-gp: Adam(0, 0.9), lambda 10; both 5 critic steps, with the 2-D
# data defaults on top: ./sparring train --help). Writes a markdown table of every run's final mode coverage (the last
# line of its coverage.jsonl) and the wall time per generator step, and copies each final scatter next to it.
#   bench/penalty/run.sh                                   seeds 1-5 -> bench/results/wgan-gp-ring8.md (+ .../wgan-gp-ring8/*.png)
#   bench/penalty/run.sh --seeds "1 2" --steps 2000 --name quick --out /tmp
#   bench/penalty/run.sh --methods wgan-gp --wgan-gp-args "--gp 1" --name wgan-gp1-ring8   (flags added to the wgan-gp runs)
# The bar: >= 7 of 8 modes with >= 70 % high-quality samples.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$here")")"
seeds="1 2 3 4 5"
steps=5000
out="$root/bench/results"
name="wgan-gp-ring8"
methods=("wgan-gp" "wgan")
gp_args=""
command="bench/penalty/run.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --steps) steps="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --methods) read -r -a methods <<< "$2"; shift 2 ;;
    --wgan-gp-args) gp_args="$2"; shift 2 ;;
    *) echo "usage: $0 [--seeds \"1 2 3 4 5\"] [--steps N] [--out DIR] [--name BASE] [--methods \"wgan-gp wgan\"] [--wgan-gp-args \"FLAGS\"]" >&2; exit 2 ;;
  esac
done
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
cd "$root"
. "$root/bench/lib/ring8-runs.sh"
"$root/build" -q package -DskipTests
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/$name"

commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src kernels bench/penalty bench/lib || echo ' + uncommitted changes')"
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
    extra=()
    [ "$m" = wgan-gp ] && [ -n "$gp_args" ] && read -r -a extra <<< "$gp_args"
    ring8_train "$work" "$run" "$steps" "$s" --loss "$m" "${extra[@]}"
    ring8_outcome "$work/$run"
    [ "$ok" = yes ] && met=$((met + 1))
    # the mean gradient norm at the penalty points over the last 500 steps (WGAN-GP only)
    gpcol="$(ring8_tail_mean "$work/$run" gp_grad_norm "%.3f")"
    cp "$work/$run/samples/$(printf 'step_%06d.png' "$step")" "$out/$name/$run.png"
    c() { ring8_config "$work/$run" "$1"; }
    line="$(c optimizer) beta1 $(c beta1) beta2 $(c beta2), lr D $(c lrD) / G $(c lrG), x$(c lrDecay) after step(s) $(c lrDecayAt), $(c dSteps) critic steps, clip $(c clip), gp $(c gp), batch $(c batch), $(c steps) steps"
    [ "$s" = "$(echo $seeds | cut -d' ' -f1)" ] && settings+=("- $m settings (config.json): $(echo "$line" | tr -d '"[]')")
    rows+=("| $m | $s | $covered/$modes | $hqpct % | $ok | $gpcol | $wall | $perstep | [$run.png]($name/$run.png) |")
    echo "$run: $covered/$modes modes, $hqpct % HQ, ${wall} s" >&2
  done
  summary+=("- $m: $met of $(echo $seeds | wc -w) seeds meet the bar")
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
{
  echo "# WGAN-GP and WGAN with weight clipping on ring8"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $commit"
  echo "- machine: $cpu; JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1 || true)"
  echo "- load average (1, 5, 15 min) before: $load_before; after: $load_after (the machine is shared: wall times are indicative only)"
  echo "- command: \`$command\` (total $(( $(date +%s) - t_all )) s)"
  echo "- each run: \`./sparring train --data ring8 --steps $steps --loss METHOD --seed S\`${gp_args:+ (wgan-gp: and \`$gp_args\`)} with \`--device cpu --no-progress --out DIR --name NAME\`, which change nothing in the training; the same MLP (2 x 128, latent size 4), batch and budget for both methods, every other setting the loss's and the 2-D data's defaults"
  printf '%s\n' "${settings[@]}"
  echo "- metrics: the run's final line, over the 1000 fixed-noise samples of its last scatter plot: a sample is high quality (HQ) within 3 sigma of its nearest mode, a mode is covered when it holds at least a quarter of its fair share of HQ samples; ‖∇D‖ at x^: the mean of metrics.jsonl's gp_grad_norm over the last 500 steps (the penalty pulls it to 1)"
  echo "- bar: >= 7/8 modes with >= 70 % HQ"
  printf '%s\n' "${summary[@]}"
  echo
  echo "| method | seed | modes covered | HQ share | meets the bar | ‖∇D‖ at x^ | wall time (s) | ms per generator step | final samples |"
  echo "|---|---:|---:|---:|---|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
} > "$out/$name.md"
echo "wrote $out/$name.md" >&2
