#!/usr/bin/env bash
# One GPU session in one command: checks, tests, benchmarks and a training smoke test of Sparring's CUDA backend on
# a machine with an NVIDIA GPU, PyTorch and Python but no Java (the GPU kit brings it). See bench/gpu/README.md.
#
#   bash bench/gpu/session.sh            (from the repository root, with .gpu-kit/ built by native/build-gpu-kit.sh)
#
# Every stage has its own time limit and the session goes on after a failure; the whole session keeps within
# SESSION_BUDGET seconds (default 540, under the device tool's 600 s per command): a stage that would not fit in
# what is left is skipped. The stages, in order of what matters most:
#   env          nvidia-smi; PyTorch, CUDA and cuDNN versions; the libcuda/libcublas/libcudnn files PyTorch loads
#   doctor-auto  sparring doctor with Sparring's own library search (nothing exported)
#   doctor       sparring doctor with LD_LIBRARY_PATH and SPARRING_LIBCUDA/LIBCUBLAS/LIBCUDNN set to PyTorch's files;
#                every later stage runs with these, and CPATH pointing at the wheels' headers
#   test-runtime CudaRuntimeTest, NativeLibrariesTest, NativeSignaturesTest (FFM bindings vs the C headers)
#   test-parity  CudaParityTest and CudaTrainingTest: every Backend op, 20 DCGAN steps and checkpoints, GPU vs CPU twin
#   test-golden  PyTorchGoldenTest (CPU and CUDA) against the committed golden file
#   test-parity  ... and CudaGraphTest: training steps through a CUDA graph equal op-by-op steps bit for bit
#   bench        sparring bench: DCGAN 64 px, batch 128, float32 (then with --cuda-graphs, with our batch-norm
#                kernels instead of cuDNN's, and with --tf32)
#   torch-bench  bench/pytorch/dcgan_bench.py: eager, strict float32, channels_last + bf16
#   train        sparring train --device cuda on MNIST, 200 steps, with sample grids
#   golden-gpu   golden.py with this machine's PyTorch on the GPU (float64), and PyTorchGoldenTest against that file
#   bench-check  sparring bench --check-steps 2 at a smaller size: CUDA training steps against the CPU's
#   torch-compile dcgan_bench.py with torch.compile
# Output: a stage table on stdout (last), and in $OUT (at most 8 files): log.txt (everything), summary.md, env.txt,
# bench.jsonl (every benchmark's JSON line), junit.tar.gz (XML reports, JVM crash logs), train.tar.gz (the run folder),
# samples.png (the last sample grid), dcgan32-gpu.safetensors (the golden file written here).
# Extra arguments: SESSION_BENCH_ARGS for every `sparring bench`, SESSION_TORCH_ARGS for every dcgan_bench.py run,
# SESSION_TRAIN_STEPS for the train stage (default 200).
# Rehearsal without a GPU: SESSION_SIMULATE=target/cudasim (built by ./build test, see native/cudasim/README.md)
# runs the Sparring stages on the host CUDA simulator, to catch a broken kit or script before a GPU session, e.g.
#   SESSION_SIMULATE=$PWD/target/cudasim SESSION_TRAIN_STEPS=10 OUT=/tmp/rehearsal \
#     SESSION_BENCH_ARGS="--image-size 32 --batch 8 --ngf 8 --ndf 8 --images 64 --warmup 1 --iters 1 --repeats 1" bash bench/gpu/session.sh
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"
OUT="${OUT:-$repo/session-out}"
mkdir -p "$OUT"
WORK="${SESSION_WORK:-/tmp/sparring-session}"
rm -rf "$WORK"
mkdir -p "$WORK"
BUDGET="${SESSION_BUDGET:-540}"
T0=$(date +%s)
LOG="$OUT/log.txt"
: > "$LOG"
export OUT WORK LOG PYTHONUNBUFFERED=1
printf 'stage\tstatus\tseconds\n' > "$WORK/stages.tsv"

note() { echo "$*" | tee -a "$LOG"; }

# stage NAME LIMIT_SECONDS COMMAND...: runs COMMAND (a function exported with export -f, or a program) with its output
# in the log, within LIMIT and what is left of the budget; records ok / failed (rc) / timeout / skipped.
stage() {
  local name="$1" limit="$2"; shift 2
  local left=$(( BUDGET - ($(date +%s) - T0) ))
  local t=$(( limit < left - 5 ? limit : left - 5 ))
  local status
  if [ "$t" -lt 15 ]; then
    status="skipped (${left}s of the budget left)"
    printf '%s\t%s\t0\n' "$name" "$status" >> "$WORK/stages.tsv"
    note "[$name] $status"
    return 0
  fi
  {
    echo
    echo "=================== [$name] $(date -u +%H:%M:%S) limit ${t}s"
    echo "+ $*"
  } >> "$LOG"
  local s=$(date +%s)
  timeout -k 10 "$t" bash -c 'set -o pipefail; "$@"' "$name" "$@" >> "$LOG" 2>&1
  local rc=$?
  local d=$(( $(date +%s) - s ))
  case $rc in
    0) status="ok" ;;
    124|137) status="timeout (${t}s)" ;;
    *) status="failed (rc $rc)" ;;
  esac
  printf '%s\t%s\t%s\n' "$name" "$status" "$d" >> "$WORK/stages.tsv"
  note "[$name] $status in ${d}s"
  summarize > "$OUT/summary.md" 2>> "$LOG"
  return 0
}

summarize() { python3 "$repo/bench/gpu/summarize.py" "$WORK" 2>&1 || column -t -s $'\t' "$WORK/stages.tsv"; }

# ---------------------------------------------------------------- stages

env_stage() {
  set -x
  nvidia-smi
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw,power.limit --format=csv
  uname -a
  nproc
  free -g
  which python3 nvcc g++ || true
  nvcc --version || true
  timeout 30 find /usr /opt /lib /lib64 /root \( -name 'libcudnn.so*' -o -name 'libcublas.so*' -o -name 'libcuda.so*' \) 2>/dev/null | head -n 30
  python3 - <<'EOF'
import glob, os, site, torch
import torch.nn.functional as F
print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())
print("device", torch.cuda.get_device_name(0), "capability", torch.cuda.get_device_capability(0))
x = torch.randn(64, 64, device="cuda")
(x @ x).sum().item()                                                          # loads cuBLAS
F.conv2d(torch.randn(2, 3, 8, 8, device="cuda"), torch.randn(4, 3, 3, 3, device="cuda")).sum().item()   # loads cuDNN
libs = {}
for line in open("/proc/self/maps"):
    path = line.split()[-1] if "/" in line else ""
    base = os.path.basename(path)
    for key, stem in (("CUDA", "libcuda.so"), ("CUBLAS", "libcublas.so"), ("CUDNN", "libcudnn.so")):
        if base.startswith(stem) and key not in libs:
            libs[key] = os.path.realpath(path) if key == "CUDA" else path
dirs = sorted({os.path.dirname(p) for p in libs.values()})
includes = sorted({d for s in site.getsitepackages() for d in glob.glob(os.path.join(s, "nvidia", "*", "include"))})
with open(os.path.join(os.environ["WORK"], "libs.env"), "w") as f:
    for key, p in libs.items():
        f.write(f"export SPARRING_LIB{key}={p}\n")
    f.write("export LD_LIBRARY_PATH=" + ":".join(dirs) + "${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}\n")
    f.write("export CPATH=" + ":".join(includes + ["/usr/local/cuda/include"]) + "${CPATH:+:$CPATH}\n")
print(open(os.path.join(os.environ["WORK"], "libs.env")).read())
EOF
}

kit_stage() {
  set -x
  cat .gpu-kit/KIT.txt
  . .gpu-kit/env.sh
  "$SPARRING_JAVA" -version
}

doctor_stage() {
  . .gpu-kit/env.sh
  "$SPARRING_HOME/bin/sparring" doctor
}

# run_tests NAME SELECTOR...: one JVM per group, so that a crash in one leaves the others
run_tests() {
  local name="$1"; shift
  . .gpu-kit/env.sh
  .gpu-kit/run-tests.sh "$WORK/junit/$name" "$@"
}

bench_stage() {
  . .gpu-kit/env.sh
  set -x
  # shellcheck disable=SC2086
  "$SPARRING_HOME/bin/sparring" bench --device cuda --json "$WORK/bench.jsonl" "$@" ${SESSION_BENCH_ARGS:-}
}

torch_bench_stage() {
  set -x
  # shellcheck disable=SC2086
  python3 bench/pytorch/dcgan_bench.py --configs "$1" --json "$WORK/torch-$2.json" ${SESSION_TORCH_ARGS:-} > "$WORK/torch-$2.out"
  local rc=$?
  cat "$WORK/torch-$2.out"
  grep '^{"bench"' "$WORK/torch-$2.out" >> "$WORK/bench.jsonl" || true
  return $rc
}

train_stage() {
  . .gpu-kit/env.sh
  set -x
  "$SPARRING_HOME/bin/sparring" train --device cuda --data mnist --steps "${SESSION_TRAIN_STEPS:-200}" --sample-every 100 --checkpoint-every 0 \
    --log-every 10 --no-progress --out "$WORK/runs" --name mnist-cuda
  local rc=$?
  tail -n 3 "$WORK/runs/mnist-cuda/metrics.jsonl"
  return $rc
}

golden_gpu_stage() {
  set -x
  python3 bench/pytorch/golden.py --device cuda --dtype float64 --out "$WORK/dcgan32-gpu.safetensors" || return 1
  cp "$WORK/dcgan32-gpu.safetensors" "$OUT/"
  SPARRING_GOLDEN="$WORK/dcgan32-gpu.safetensors" run_tests golden-gpu --select-class dev.sparring.golden.PyTorchGoldenTest
}

export -f env_stage kit_stage doctor_stage run_tests bench_stage torch_bench_stage train_stage golden_gpu_stage

note "session: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), budget ${BUDGET}s"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse HEAD 2>/dev/null || echo 'unknown (no git here)'); kit built from commit $(grep -m1 '^commit:' .gpu-kit/KIT.txt 2>/dev/null | sed 's/^commit: *//') at $(grep -m1 '^built:' .gpu-kit/KIT.txt 2>/dev/null | sed 's/^built: *//')"
  echo "command: bash bench/gpu/session.sh (SESSION_BUDGET=$BUDGET${SESSION_BENCH_ARGS:+, SESSION_BENCH_ARGS=$SESSION_BENCH_ARGS}${SESSION_TORCH_ARGS:+, SESSION_TORCH_ARGS=$SESSION_TORCH_ARGS})"
  if [ -n "${SESSION_SIMULATE:-}" ]; then echo "mode: REHEARSAL on the host CUDA simulator ($SESSION_SIMULATE): no figure here is a GPU figure"; fi
} > "$WORK/header.txt"
[ -f .gpu-kit/env.sh ] || note "session: .gpu-kit/ is missing: build it with native/build-gpu-kit.sh and carry it (see bench/gpu/README.md)"

stage env 60 env_stage
{
  # the GPU (nvidia-smi's CSV line), the kernel and PyTorch's CUDA/cuDNN, from the env stage's log
  grep -m1 -E '^(NVIDIA|Tesla|Quadro|GeForce|H100|H200|A100)[^,]*, [0-9]' "$LOG" | sed 's/^/gpu, driver, memory, clocks, temperature, power: /'
  grep -m1 '^torch ' "$LOG"
  grep -m1 '^device ' "$LOG"
  grep -m1 '^Linux ' "$LOG" | cut -d' ' -f1-3
} > "$WORK/facts.txt" 2>/dev/null || true
stage kit 60 kit_stage
stage doctor-auto 60 doctor_stage
# shellcheck disable=SC1091
[ -f "$WORK/libs.env" ] && . "$WORK/libs.env"
if [ -n "${SESSION_SIMULATE:-}" ]; then
  # rehearsal: every Sparring stage on the host CUDA simulator (native/cudasim), to check this script and the kit
  # before spending device time; the PyTorch and nvidia-smi stages fail, as they should without a GPU
  export SPARRING_LIBCUDA="$SESSION_SIMULATE/libcuda.so.1" SPARRING_LIBCUBLAS="$SESSION_SIMULATE/libcublas.so.13" \
    SPARRING_LIBCUDNN="$SESSION_SIMULATE/libcudnn.so.9"
  note "session: REHEARSAL on the host CUDA simulator in $SESSION_SIMULATE: no GPU is used, no figure is a GPU figure"
fi
stage doctor 60 doctor_stage
{ echo "# env"; sed -n '/=== \[env\]/,/=== \[kit\]/p' "$LOG"; echo "# doctor"; sed -n '/=== \[doctor\]/,$p' "$LOG"; } > "$OUT/env.txt"

stage test-runtime 90 run_tests runtime --select-class dev.sparring.backend.cuda.CudaRuntimeTest \
  --select-class dev.sparring.backend.cuda.NativeLibrariesTest --select-class dev.sparring.backend.cuda.NativeSignaturesTest
stage test-parity 180 run_tests parity --select-class dev.sparring.backend.cuda.CudaParityTest --select-class dev.sparring.train.CudaTrainingTest
stage test-graphs 90 run_tests graphs --select-class dev.sparring.train.CudaGraphTest
stage test-golden 60 run_tests golden --select-class dev.sparring.golden.PyTorchGoldenTest
stage bench 120 bench_stage
stage bench-graphs 90 bench_stage --cuda-graphs --phase-iters 0
stage bench-bn 90 bench_stage --batch-norm kernels
stage bench-tf32 90 bench_stage --tf32
stage torch-bench 150 torch_bench_stage eager,strict,bf16cl eager
stage train 120 train_stage
stage golden-gpu 90 golden_gpu_stage
stage bench-check 90 bench_stage --check-steps 2 --batch 32 --ngf 32 --ndf 32 --warmup 1 --iters 2 --repeats 1 --phase-iters 0
stage torch-compile 180 torch_bench_stage compile compile

# ---------------------------------------------------------------- collect

[ -f "$WORK/bench.jsonl" ] && cp "$WORK/bench.jsonl" "$OUT/"
mkdir -p "$WORK/junit"
cp "$repo"/hs_err_pid*.log "$WORK/junit/" 2>/dev/null && note "session: JVM crash logs (hs_err_pid*.log) are in junit.tar.gz"
tar -C "$WORK" -czf "$OUT/junit.tar.gz" junit
if [ -d "$WORK/runs/mnist-cuda" ]; then
  tar -C "$WORK/runs" -czf "$OUT/train.tar.gz" mnist-cuda
  last="$(ls "$WORK/runs/mnist-cuda/samples/"*.png 2>/dev/null | tail -n 1)"
  [ -n "$last" ] && cp "$last" "$OUT/samples.png"
fi
summarize > "$OUT/summary.md" 2>> "$LOG"
echo
cat "$OUT/summary.md"
echo
echo "session: $(( $(date +%s) - T0 ))s; files in \$OUT: $(ls "$OUT" | tr '\n' ' ')"
