#!/usr/bin/env bash
# Builds the cuDNN and cuBLAS parts of cudasim, the host CUDA simulator for tests without a GPU:
#
#   native/cudasim/build-dnn.sh OUT_DIR
#
# writes into OUT_DIR
#   libcudnn.so.9     stand-in for cuDNN 9   (cudnn.cpp)
#   libcublas.so.13   stand-in for cuBLAS 13 (cublas.cpp)
#   dnn_selftest      checks both against naive references; run it as OUT_DIR/dnn_selftest (it loads the
#                     libraries from its own folder, or from the folder given as its argument; its stream
#                     capture checks also load the driver simulator's libcuda.so.1 that build.sh puts there)
#
# The libraries carry their real sonames, so NativeLibraries finds them through LD_LIBRARY_PATH=OUT_DIR, or
# SPARRING_LIBCUDNN / SPARRING_LIBCUBLAS set to the files. Only cuDNN's and cuBLAS's entry points are exported
# (-fvisibility=hidden): NativeLibraries opens libraries RTLD_GLOBAL, and the simulator's own C++ symbols must not
# clash with those of the driver simulator loaded next to them. -ffp-contract=off keeps a*b+c from becoming an FMA,
# so results do not depend on the compiler's choice. CXX overrides the compiler (default g++).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1"
mkdir -p "$out"
cxx="${CXX:-g++}"
flags=(-std=c++20 -O2 -ffp-contract=off -Wall -Wextra)
lib=(-fPIC -shared -fvisibility=hidden -fvisibility-inlines-hidden -Wl,-z,defs)

"$cxx" "${flags[@]}" "${lib[@]}" -Wl,-soname,libcudnn.so.9 -o "$out/libcudnn.so.9" "$here/cudnn.cpp" -ldl
"$cxx" "${flags[@]}" "${lib[@]}" -Wl,-soname,libcublas.so.13 -o "$out/libcublas.so.13" "$here/cublas.cpp" -ldl
"$cxx" "${flags[@]}" -o "$out/dnn_selftest" "$here/dnn_selftest.cpp" -ldl
echo "built $out/libcudnn.so.9, $out/libcublas.so.13, $out/dnn_selftest"
