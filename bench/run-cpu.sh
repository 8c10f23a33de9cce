#!/usr/bin/env bash
# Installs the sparring jar, builds the JMH benchmarks and runs them, writing bench/results/cpu-<date>.md.
# Usage: bench/run-cpu.sh [BenchMain options] [benchmark regex ...]
#   bench/run-cpu.sh                                   everything (about 5 minutes)
#   bench/run-cpu.sh --iterations 3 ConvBench --param layer=dcgan-64x128
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$bench")"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
(cd "$root" && mvn -B -ntp -q install -DskipTests)
# clean: the shade plugin would otherwise merge the classes of a previous bench jar into the new one
(cd "$bench" && mvn -B -ntp -q clean package)
mkdir -p "$bench/results"
out="$bench/results/cpu-$(date -u +%Y%m%d-%H%M).md"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -jar "$bench/target/sparring-bench.jar" \
  --out "$out" --command "bench/run-cpu.sh $*" \
  --code "$(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- src || echo ' + uncommitted changes')" "$@"
