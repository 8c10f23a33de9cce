#!/usr/bin/env bash
# The loss benchmark on the 2-D ring: trains the toy MLP GAN on ring8 with every built-in loss (same seed, model and
# step budget) and writes bench/results/ring-losses.md (table) and bench/results/ring-losses.png (scatter plots).
# About 10 minutes on a loaded 2-core machine with the defaults; see RingBenchmark's class comment for the options.
# Usage: bench/ring/run.sh [RingBenchmark options]
#   bench/ring/run.sh                                        every loss, 5000 steps each
#   bench/ring/run.sh --losses nsgan,lsgan --out /tmp/ring    two losses, elsewhere
set -euo pipefail
ring="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$ring")")"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
"$root/build" -q package -DskipTests
cd "$root"
exec "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -Djava.awt.headless=true \
  -cp "$root/target/sparring.jar" dev.sparring.bench.RingBenchmark --command "bench/ring/run.sh $*" "$@"
