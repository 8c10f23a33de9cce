#!/usr/bin/env bash
# Compiles kernels/*.cu into the CUDA modules that the jar carries (dev/sparring/kernels/ on the class path).
#
#   native/build-kernels.sh [OUT_DIR]        default OUT_DIR: target/classes/dev/sparring/kernels
#
# For each kernels/NAME.cu it writes, into OUT_DIR:
#   NAME.ptx           PTX for compute_80: portable, JIT-compiled by the driver on any GPU of compute capability >= 8.0
#   NAME.sm_XY.cubin   machine code for each architecture in SPARRING_CUDA_ARCHS (default "80 90": A100, H100/H200)
# and kernels.properties (nvcc version, targets), which CudaRuntime reads to check the driver and for `doctor`.
# CudaModules loads the cubin of the device's architecture when there is one and falls back to the PTX.
#
# nvcc is looked up on PATH, then in $CUDA_HOME/bin. Without it the script prints one line and exits 0: the jar is
# then CPU-only. Outputs newer than their sources (the .cu, kernels/common.cuh, kernels/generated/layouts.cuh, this
# script) are not rebuilt. kernels/generated/layouts.cuh (the layouts Java and the kernels share) is written by the
# Maven build before it runs this script (dev.sparring.backend.cuda.KernelLayouts): build through Maven.
# All files are compiled with --fmad=false so that a*b+c is rounded twice, as in Java: the CPU twin and the kernels
# then agree to the last bit wherever they do the same float operations (the kernels are memory-bound; the cost
# of separate multiply and add is not measurable there).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$here/kernels"
out="${1:-$here/target/classes/dev/sparring/kernels}"
archs="${SPARRING_CUDA_ARCHS:-80 90}"
ptx_arch=80

nvcc=""
if command -v nvcc >/dev/null 2>&1; then
  nvcc="$(command -v nvcc)"
elif [ -n "${CUDA_HOME:-}" ] && [ -x "$CUDA_HOME/bin/nvcc" ]; then
  nvcc="$CUDA_HOME/bin/nvcc"
fi
if [ -z "$nvcc" ]; then
  echo "sparring: nvcc not found on PATH or in \$CUDA_HOME/bin (CUDA_HOME=${CUDA_HOME:-unset}): building a CPU-only jar without CUDA kernels"
  exit 0
fi

layouts="$src/generated/layouts.cuh"
if [ ! -f "$layouts" ]; then
  echo "sparring: $layouts is missing: it is written by the Maven build (KernelLayouts) before the kernels compile; build through Maven (./build process-classes, or any later phase)" >&2
  exit 1
fi

mkdir -p "$out"
flags=(-std=c++17 -O3 --fmad=false -I "$src")
script="$here/native/build-kernels.sh"

# newer OUT SOURCES...: true when OUT exists and is newer than every source
newer() {
  local o="$1"; shift
  [ -f "$o" ] || return 1
  for s in "$@"; do [ "$o" -nt "$s" ] || return 1; done
  return 0
}

jobs_max="$(nproc 2>/dev/null || echo 2)"
pids=()
built=0
failed=0
for cu in "$src"/*.cu; do
  name="$(basename "$cu" .cu)"
  deps=("$cu" "$src/common.cuh" "$layouts" "$script")
  targets=("$out/$name.ptx|-ptx -arch=compute_$ptx_arch")
  for a in $archs; do targets+=("$out/$name.sm_$a.cubin|-cubin -arch=sm_$a"); done
  for t in "${targets[@]}"; do
    o="${t%%|*}"; mode="${t#*|}"
    newer "$o" "${deps[@]}" && continue
    # shellcheck disable=SC2086
    ( "$nvcc" "${flags[@]}" $mode -o "$o.tmp" "$cu" && mv "$o.tmp" "$o" ) || { rm -f "$o.tmp"; exit 1; } &
    pids+=($!)
    built=$((built + 1))
    if [ "${#pids[@]}" -ge "$jobs_max" ]; then
      wait "${pids[0]}" || failed=1
      pids=("${pids[@]:1}")
    fi
  done
done
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if [ "$failed" -ne 0 ]; then
  echo "sparring: kernel build failed (see the nvcc errors above); fix kernels/*.cu or build without nvcc for a CPU-only jar" >&2
  exit 1
fi

version="$("$nvcc" --version | sed -n 's/.*release \([0-9]*\.[0-9]*\), V\([0-9.]*\).*/\2/p' | head -n 1)"
props="$out/kernels.properties"
{
  echo "# written by native/build-kernels.sh"
  echo "nvcc.version=${version:-unknown}"
  echo "ptx.arch=compute_$ptx_arch"
  echo "cubin.archs=$(for a in $archs; do printf 'sm_%s ' "$a"; done | sed 's/ $//')"
  echo "families=$(for cu in "$src"/*.cu; do printf '%s ' "$(basename "$cu" .cu)"; done | sed 's/ $//')"
} > "$props.tmp"
if cmp -s "$props.tmp" "$props"; then rm -f "$props.tmp"; else mv "$props.tmp" "$props"; fi
if [ "$built" -gt 0 ]; then echo "sparring: built $built CUDA kernel file(s) with nvcc ${version:-?} into $out"; fi
