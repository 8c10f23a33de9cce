#!/usr/bin/env bash
# The loss benchmark on the 2-D ring: trains the toy MLP GAN on ring8 with every built-in loss (same seed, model and
# step budget) and writes a markdown table and a grid of scatter plots to bench/results/. See RingBenchmark's class
# comment for the options.
#   bench/ring/run.sh              both runs, about 12 minutes on a loaded 2-core machine:
#                                  ring-losses.{md,png}           each loss's trainer defaults (as sparring train --loss NAME)
#                                  ring-losses-schedule.{md,png}  every loss's rates x10 (D) and x5 (G), x0.2 after step 3000
#   bench/ring/run.sh [options]    one run with these options, e.g. --losses nsgan,lsgan --out /tmp/ring
set -euo pipefail
ring="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$ring")")"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
"$root/build" -q package -DskipTests
cd "$root"
bench() {
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Djava.awt.headless=true \
    -cp "$root/target/sparring.jar" dev.sparring.bench.RingBenchmark --command "bench/ring/run.sh${*:+ $*}" "$@"
}
if [ $# -gt 0 ]; then
  bench "$@"
else
  bench
  bench --lr-scale-d 10 --lr-scale-g 5 --decay-at 3000 --decay 5 --name ring-losses-schedule
fi
