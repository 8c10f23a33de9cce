#!/usr/bin/env bash
# Sparring's CPU sgemm against numpy's OpenBLAS on the DCGAN shapes, and against another build of Sparring (BASE_JAR:
# main's jar built in another folder, say), interleaved: each round runs this build, numpy, then the base build, each a
# fresh process (SgemmTiming, numpy_sgemm.py: about a second of warm-up per shape, then the median of 15 products).
# With BASE_JAR it then times the default training job (`sparring bench --device cpu`: 28 px, batch 32) with this
# build and the base one, interleaved the same way. Writes bench/results/sgemm-vs-openblas-<date>.md: medians, the
# median of the per-round ratios, the load average before and after, the CPU, the commit and the command.
#   bench/cpu-vs-pytorch/sgemm.sh [ROUNDS]        default 5 rounds
# Environment: SGEMM_SHAPES, THREADS (default: nproc), BASE_JAR, BASE_NAME (its label, default "base"),
# JOB_ROUNDS (default ROUNDS; 0 skips the training job), CLOCK=cpu: one thread each (-XX:ActiveProcessorCount=1,
# OPENBLAS_NUM_THREADS=1) timed by the process's CPU time, the cost on one core, which a loaded machine distorts much
# less than the wall clock (no training job then).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-5}"
clock="${CLOCK:-wall}"
case "$clock" in
  wall) job_rounds="${JOB_ROUNDS:-$rounds}"; threads="${THREADS:-$(nproc)}"; cpu_flag=""; java_cpus="" ;;
  cpu) job_rounds=0; threads=1; cpu_flag="--cpu"; java_cpus="-XX:ActiveProcessorCount=1"
       [ -n "${BASE_JAR:-}" ] && echo "sgemm.sh: CLOCK=cpu times this build and numpy only (older SgemmTimings have no --cpu)" >&2
       BASE_JAR="" ;;
  *) echo "sgemm.sh: CLOCK must be wall or cpu, got $clock" >&2; exit 2 ;;
esac
shapes="${SGEMM_SHAPES:-32x12544x16 64x3136x512 128x16384x1024 256x4096x2048}"
base="${BASE_JAR:-}"
base_name="$(printf %s "${BASE_NAME:-base}" | tr -s " " "-")"   # one word: the log is split on spaces
if [ -n "$base" ] && [ ! -f "$base" ]; then echo "sgemm.sh: BASE_JAR $base is not a file" >&2; exit 2; fi
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
(cd "$root" && ./build -q package -DskipTests)
jar="$root/target/sparring.jar"
tmp="$root/bench/results/tmp/sgemm"
mkdir -p "$tmp"
log="$tmp/run-$(date -u +%Y%m%d-%H%M%S).log"
java_run() { "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Djava.awt.headless=true -XX:+UseSerialGC "$@"; }
gemm() {   # gemm LABEL JAR ROUND
  java_run $java_cpus -cp "$2" dev.sparring.bench.SgemmTiming $cpu_flag 15 $shapes 2>/dev/null | sed "s/^/sgemm $1 $3 /" >> "$log"
}
job() {    # job LABEL JAR ROUND
  line="$(java_run -jar "$2" bench --device cpu --image-size 28 --channels 1 --nz 64 --ngf 32 --ndf 32 --batch 32 \
    --warmup 20 --iters 60 --repeats 1 --phase-iters 0 2>/dev/null | grep '^{"bench"')"
  echo "job $1 $3 $line" >> "$log"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# rounds=$rounds threads=$threads clock=$clock shapes=$shapes base=$base" > "$log"
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds: sgemm" >&2
  gemm sparring "$jar" "$r"
  OPENBLAS_NUM_THREADS="$threads" python3 "$here/numpy_sgemm.py" $cpu_flag 15 $shapes | sed "s/^/sgemm openblas $r /" >> "$log"
  [ -n "$base" ] && gemm "$base_name" "$base" "$r"
done
if [ -n "$base" ]; then
  for r in $(seq 1 "$job_rounds"); do
    echo "round $r/$job_rounds: default training job" >&2
    job sparring "$jar" "$r"
    job "$base_name" "$base" "$r"
  done
fi
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
out="$root/bench/results/sgemm-vs-openblas-$(date -u +%Y%m%d-%H%M).md"
commit="$(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- src bench || echo ' + uncommitted changes')"
python3 "$here/sgemm_summary.py" "$log" "$out" "$commit" "$load_before" "$load_after" "bench/cpu-vs-pytorch/sgemm.sh $*" \
  "$("$JAVA_HOME/bin/java" -version 2>&1 | head -1)" "$threads" "$base" "$base_name" "$clock" \
  "$(python3 -c "import numpy as np; b = np.show_config(mode='dicts')['Build Dependencies']['blas']; print('numpy', np.__version__, 'on', b.get('name'), b.get('version'))" 2>/dev/null || echo numpy)"
echo "wrote $out" >&2
