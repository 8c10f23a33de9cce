#!/usr/bin/env bash
# Sparring's CPU training step against PyTorch's (Debian's python3-torch, oneDNN) on the same machine, same DCGAN
# models, loss (nsgan), optimizer (Adam) and batch, runs interleaved (Sparring, PyTorch, Sparring, PyTorch, ...), each a
# fresh process; then Sparring's sgemm against numpy's OpenBLAS on the DCGAN shapes, interleaved the same way.
# Writes bench/results/cpu-vs-pytorch-<date>.md: each side's median steady-state it/s, the median of the per-round
# ratios, the peak RSS of each process and the first iteration's time.
#   bench/cpu-vs-pytorch/run.sh [ROUNDS]        default 5 rounds
# Environment: WORKLOADS (default "default 64b32 64b64"), SGEMM_SHAPES, THREADS (default: nproc), BUSY (default 0:
# that many busy processes, a Python loop each, run beside both sides throughout, as on a machine doing other work).
# PyTorch at its best on a CPU: torch.set_num_threads(THREADS), OPENBLAS_NUM_THREADS=1 (no BLAS pool fighting the
# OpenMP one), D frozen during the G step, in contiguous and channels_last layouts (configs cpu-best and cpu-best-cl of
# bench/pytorch/dcgan_bench.py; the faster of the two in each round is PyTorch's figure). Without python3-torch the
# PyTorch side is skipped with a notice.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-5}"
threads="${THREADS:-$(nproc)}"
workloads="${WORKLOADS:-default 64b32 64b64}"
shapes="${SGEMM_SHAPES:-32x12544x16 64x3136x512 64x65536x48 128x16384x1024 256x4096x2048 512x1024x4096}"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
(cd "$root" && ./build -q package -DskipTests)
torch_py=/usr/bin/python3
if ! "$torch_py" -c 'import torch' 2>/dev/null; then
  echo "cpu-vs-pytorch: no PyTorch for $torch_py (apt-get install python3-torch); timing Sparring alone" >&2
  torch_py=""
fi
# Debian's PyTorch runs ConvTranspose2d (slow_conv_transpose2d) on the system BLAS: with the reference libblas3 behind
# libblas.so.3 its generator is 10x slower than with OpenBLAS, which is not PyTorch at its best.
blas="$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)"
if [ -n "$torch_py" ] && [ -n "$blas" ] && ! printf '%s' "$blas" | grep -qi -e openblas -e blis -e mkl; then
  echo "cpu-vs-pytorch: libblas.so.3 is $blas, the reference BLAS, under PyTorch's transposed convolutions;" \
    "install libopenblas0-pthread (apt-get) to give PyTorch its best, or read its figures as a lower bound" >&2
fi
tmp="$root/bench/results/tmp/cpu-vs-pytorch"
mkdir -p "$tmp"
log="$tmp/run-$(date -u +%Y%m%d-%H%M%S).log"
rss="$tmp/rss.$$"

# sizes of a workload: image-size channels nz ngf ndf batch
sizes() {
  case "$1" in
    default) echo "28 1 64 32 32 32" ;;
    64b32) echo "64 3 100 64 64 32" ;;
    64b64) echo "64 3 100 64 64 64" ;;
    *) echo "cpu-vs-pytorch: unknown workload $1 (default, 64b32, 64b64)" >&2; exit 2 ;;
  esac
}
# peak RSS (KiB) of a command and its children, written to $rss
measured() {
  "${PYTHON:-python3}" -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[2:])
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(r.returncode)' "$rss" "$@"
}

busy_pids=()
stop_busy() { [ ${#busy_pids[@]} -eq 0 ] || kill "${busy_pids[@]}" 2>/dev/null || true; }
trap stop_busy EXIT
for _ in $(seq 1 "${BUSY:-0}"); do
  python3 -c 'while True: pass' &
  busy_pids+=($!)
done
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "# rounds=$rounds threads=$threads workloads=$workloads" > "$log"
for r in $(seq 1 "$rounds"); do
  for w in $workloads; do
    read -r s c nz ngf ndf b <<< "$(sizes "$w")"
    if [ "$w" = default ]; then warm=20; iters=60; else warm=5; iters=15; fi
    echo "round $r/$rounds: $w: sparring" >&2
    line="$(measured "$root/sparring" bench --device cpu --image-size "$s" --channels "$c" --nz "$nz" --ngf "$ngf" --ndf "$ndf" \
      --batch "$b" --warmup "$warm" --iters "$iters" --repeats 1 --phase-iters 0 2>/dev/null | grep '^{"bench"')"
    echo "run $w sparring $r $(cat "$rss") $line" >> "$log"
    if [ -n "$torch_py" ]; then
      echo "round $r/$rounds: $w: pytorch" >&2
      out_json="$(OPENBLAS_NUM_THREADS=1 measured "$torch_py" "$root/bench/pytorch/dcgan_bench.py" --device cpu \
        --configs cpu-best,cpu-best-cl --threads "$threads" --image-size "$s" --channels "$c" --nz "$nz" --ngf "$ngf" \
        --ndf "$ndf" --batch "$b" --warmup "$warm" --iters "$iters" --repeats 1 2>/dev/null | grep '^{"bench"' || true)"
      kib="$(cat "$rss")"
      while read -r j; do
        [ -n "$j" ] && echo "run $w pytorch $r $kib $j" >> "$log"
      done <<< "$out_json"
    fi
  done
  echo "round $r/$rounds: sgemm" >&2
  "$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -cp "$root/target/sparring.jar" dev.sparring.bench.SgemmTiming 15 $shapes \
    2>/dev/null | sed "s/^/sgemm sparring $r /" >> "$log"
  OPENBLAS_NUM_THREADS="$threads" python3 "$here/numpy_sgemm.py" 15 $shapes | sed "s/^/sgemm openblas $r /" >> "$log"
done
rm -f "$rss"
stop_busy
busy_pids=()
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
out="$root/bench/results/cpu-vs-pytorch-$(date -u +%Y%m%d-%H%M).md"
commit="$(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- src bench || echo ' + uncommitted changes')"
torch_v="$([ -n "$torch_py" ] && "$torch_py" -c 'import torch; print(torch.__version__)' || echo none)"
python3 "$here/summarize.py" "$log" "$out" "$commit" "$load_before" "$load_after" "bench/cpu-vs-pytorch/run.sh $*" \
  "$("$JAVA_HOME/bin/java" -version 2>&1 | head -1)" "$torch_v" "$threads" "${blas:-unknown}"
echo "wrote $out" >&2
