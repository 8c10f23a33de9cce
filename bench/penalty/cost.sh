#!/usr/bin/env bash
# The cost of a WGAN-GP training iteration relative to a plain one, Sparring against PyTorch's double backward
# (torch.autograd.grad(..., create_graph=True)) on the same models on the same CPU (issue "Second-order training",
# item 5). Sparring's side: dev.sparring.bench.PenaltyStepTiming; PyTorch's: bench/penalty/cost_torch.py (their
# headers say what one iteration is: WGAN's loss, Adam(1e-4, (0, 0.9)), one critic step and one generator step, with and
# without lambda E(|grad D(x^)| - 1)^2). Both run on one thread (-XX:ActiveProcessorCount=1, torch.set_num_threads(1)).
# For each round and model the two frameworks run in turn (the order alternates from round to round), and each
# process alternates plain and penalised blocks; the medians over all blocks give each framework's ratio.
#   bench/penalty/cost.sh                      -> bench/results/penalty-cost-<date>.md
#   bench/penalty/cost.sh --rounds 1 --out /tmp/cost.md
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$here")")"
rounds=3
lambda=10
out="$root/bench/results/penalty-cost-$(date -u +%Y%m%d-%H%M).md"
python="${PYTHON:-/usr/bin/python3}"
command="bench/penalty/cost.sh${*:+ $*}"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--out FILE.md]" >&2; exit 2 ;;
  esac
done
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
cd "$root"
"$root/build" -q package -DskipTests
"$python" -c 'import torch' || { echo "cost.sh: $python has no torch (set PYTHON)" >&2; exit 1; }
# model: warm-up iterations, iterations per block, blocks per process
declare -A plan=([mlp]="50 50 4" [dcgan28]="5 10 4")
blocks="$(mktemp)"
trap 'rm -f "$blocks"' EXIT
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
t_all=$(date +%s)
run_java() { nice -n 10 "$JAVA_HOME/bin/java" -XX:ActiveProcessorCount=1 --add-modules jdk.incubator.vector \
  --enable-native-access=ALL-UNNAMED -cp "$root/target/sparring.jar" dev.sparring.bench.PenaltyStepTiming "$@" 2>/dev/null; }
run_torch() { nice -n 10 "$python" "$here/cost_torch.py" "$@" --threads 1; }
for r in $(seq 1 "$rounds"); do
  for m in mlp dcgan28; do
    if [ $((r % 2)) = 1 ]; then order="run_java run_torch"; else order="run_torch run_java"; fi
    for f in $order; do
      echo "cost.sh: round $r/$rounds, $m, ${f#run_}" >&2
      $f "$m" "$lambda" ${plan[$m]} | grep '^BLOCK' | sed "s/\$/ round=$r/" >> "$blocks"
    done
  done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
torch_v="$("$python" -c 'import torch; print(torch.__version__)')"
{
  echo "# The cost of a gradient-penalised training iteration: Sparring against PyTorch's double backward"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench/penalty || echo ' + uncommitted changes')"
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') ($(nproc) CPUs visible); JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1); PyTorch $torch_v ($python); one thread each"
  echo "- load average (1, 5, 15 min) before: $load_before; after: $load_after"
  echo "- command: \`$command\` (total $(( $(date +%s) - t_all )) s): $rounds round(s); per process and model: warm-up, iterations per block, blocks = mlp ${plan[mlp]}, dcgan28 ${plan[dcgan28]}"
  echo "- one iteration: a critic update and a generator update, WGAN's loss, Adam(1e-4, (0, 0.9)); \"gp\" adds lambda = $lambda E(‖∇D(x^)‖ − 1)² at random interpolates (one more critic forward, and the second-order backward: Sparring's DoubleBackward, PyTorch's autograd.grad(create_graph=True) then backward). mlp: ring8's default MLP (latent 4, 2 x 128), batch 128; dcgan28: the default 28 px DCGAN (nz 64, ngf = ndf = 32, batch norm in the critic), batch 32"
  echo "- wall: ms per iteration by the clock; CPU: the process's CPU time per iteration (on a loaded machine the steadier measure). Medians over all blocks of all rounds; ratio = gp / plain"
  echo
  "$python" - "$blocks" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    kv = dict(p.split("=", 1) for p in line.split()[1:])
    rows[(kv["model"], kv["framework"])][(kv["variant"], "ms")].append(float(kv["ms"]))
    rows[(kv["model"], kv["framework"])][(kv["variant"], "cpu")].append(float(kv["cpu_ms"]))
print("| model | framework | blocks | plain wall ms/it | gp wall ms/it | ratio (wall) | plain CPU ms/it | gp CPU ms/it | ratio (CPU) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for (model, fw), d in sorted(rows.items()):
    med = {k: statistics.median(v) for k, v in d.items()}
    print("| %s | %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |" % (model, fw, len(d[("plain", "ms")]),
          med[("plain", "ms")], med[("gp", "ms")], med[("gp", "ms")] / med[("plain", "ms")],
          med[("plain", "cpu")], med[("gp", "cpu")], med[("gp", "cpu")] / med[("plain", "cpu")]))
print()
print("Every block (ms per iteration, wall / CPU):")
print()
print("| model | framework | variant | blocks |")
print("|---|---|---|---|")
for (model, fw), d in sorted(rows.items()):
    for var in ("plain", "gp"):
        print("| %s | %s | %s | %s |" % (model, fw, var, ", ".join("%.2f / %.2f" % p for p in zip(d[(var, "ms")], d[(var, "cpu")]))))
PY
} > "$out"
echo "wrote $out" >&2
