#!/usr/bin/env bash
# What flat parameter memory could win (docs/flat-parameters.md): for each training configuration, the share of a step
# spent zeroing gradients, in gradient norms, optimizer steps and clipping, and those ops on per-layer tensors against
# one flat tensor, interleaved. See FlatParamsBench's class comment for the options.
#   bench/flat-params/run.sh                       the CPU, four configurations: MNIST DCGAN and ring8 MLP, nsgan and wgan
#                                                  (about 2 minutes on a loaded 2-core machine)
#   bench/flat-params/run.sh --device cuda         the same on a GPU (the phases synchronise at each mark)
#   bench/flat-params/run.sh --sim [options]       on the host CUDA simulator: launches and memsets per phase and the
#                                                  operations of the step graph (counts only; its times mean nothing)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$(dirname "$here")")"
. "$root/scripts/jdk.sh"
sparring_find_jdk || exit 1
"$root/build" -q package -DskipTests
cd "$root"
args=("$@")
if [ "${1:-}" = "--sim" ]; then
  native/cudasim/build.sh target/cudasim
  export SPARRING_LIBCUDA=target/cudasim/libcuda.so.1 SPARRING_LIBCUBLAS=target/cudasim/libcublas.so.13 \
    SPARRING_LIBCUDNN=target/cudasim/libcudnn.so.9
  args=(--device cuda --warmup 3 --steps 2 --blocks 1 --ab-blocks 1 --block-ms 1 "${@:2}")
fi
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "$root/target/sparring.jar" dev.sparring.bench.FlatParamsBench --command "bench/flat-params/run.sh${*:+ $*}" "${args[@]}"
