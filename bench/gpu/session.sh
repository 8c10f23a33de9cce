#!/usr/bin/env bash
# One GPU session in one command: checks, tests, benchmarks and a training smoke test of Sparring's CUDA backend on
# a machine with an NVIDIA GPU, PyTorch and Python but no Java (the GPU kit brings it). See bench/gpu/README.md.
#
#   bash bench/gpu/session.sh            (from the repository root, with .gpu-kit/ built by native/build-gpu-kit.sh)
#
# Every stage has its own time limit and the session goes on after a failure; the whole session keeps within
# SESSION_BUDGET seconds (default 480: a session stays within 8 minutes of the device's time): a stage that would
# not fit in what is left is skipped. The stages, in order of what matters most:
#   env          nvidia-smi; PyTorch, CUDA and cuDNN versions; the libcuda/libcublas/libcudnn files PyTorch loads
#   doctor-auto  sparring doctor with Sparring's own library search (nothing exported)
#   doctor       sparring doctor with LD_LIBRARY_PATH and SPARRING_LIBCUDA/LIBCUBLAS/LIBCUDNN set to PyTorch's files;
#                every later stage runs with these, and CPATH pointing at the wheels' headers
#   selftest-driver  the host CUDA simulator's driver self-test against the real driver: driver_selftest --cuda-only
#                (the checks of CUDA's own rules, with nvcc's images of its test kernels; native/cudasim/README.md)
#   test-runtime CudaRuntimeTest, NativeLibrariesTest, NativeSignaturesTest (FFM bindings vs the C headers)
#   test-parity  CudaParityTest and CudaTrainingTest: every Backend op, 20 DCGAN steps and checkpoints, GPU vs CPU twin
#   test-graphs  CudaGraphTest: training steps through a CUDA graph equal op-by-op steps bit for bit
#   test-golden  PyTorchGoldenTest (CPU and CUDA) against the committed golden file; CudaInceptionV3Test (the FID
#                Inception-v3 on the GPU against bench/inception's golden pool3)
#   sanitize-memcheck, sanitize-initcheck, sanitize-racecheck
#                the parity tests (SESSION_SANITIZE_TESTS) under compute-sanitizer's memcheck (out-of-bounds and
#                misaligned accesses, CUDA API errors), initcheck (reads of device memory nobody wrote) and racecheck
#                (shared-memory hazards); exit status 86 when the tool reported errors
#   bench        sparring bench: DCGAN 64 px, batch 128, float32 (then with --cuda-graphs, with our batch-norm
#                kernels instead of cuDNN's, and with --tf32)
#   torch-bench  bench/pytorch/dcgan_bench.py: eager, strict float32, channels_last + bf16
#   train        sparring train --device cuda on MNIST, 200 steps, with sample grids
#   golden-gpu   golden.py with this machine's PyTorch on the GPU (float64), and PyTorchGoldenTest against that file
#   bench-check  sparring bench --check-steps 2 at a smaller size: CUDA training steps against the CPU's
#   torch-compile dcgan_bench.py with torch.compile
# Output: a stage table on stdout (last), and in $OUT (at most 8 files): log.txt (everything), summary.md, env.txt,
# bench.jsonl (every benchmark's JSON line), reports.tar.gz (JUnit XML reports, the self-test's and the sanitizers'
# output, JVM crash logs), train.tar.gz (the run folder), samples.png (the last sample grid), dcgan32-gpu.safetensors
# (the golden file written here). summary.md and reports.tar.gz are rewritten after every stage, so a session cut
# short leaves what its finished stages found.
# Extra arguments: SESSION_BENCH_ARGS for every `sparring bench`, SESSION_TORCH_ARGS for every dcgan_bench.py run,
# SESSION_TRAIN_STEPS for the train stage (default 200), SESSION_SANITIZE_TESTS for the sanitizer stages (JUnit
# selectors; default the parity tests), SESSION_SANITIZER (the compute-sanitizer to run; default the one on PATH or
# in /usr/local/cuda). Which stages: SESSION_ONLY (stage names or globs, space-separated: only these run) and
# SESSION_SKIP (these do not), e.g. SESSION_SKIP='sanitize-*' for a session of speed figures, or
# SESSION_ONLY='env kit doctor selftest-driver sanitize-*' for one of checks (later stages need env and doctor).
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
BUDGET="${SESSION_BUDGET:-480}"
T0=$(date +%s)
LOG="$OUT/log.txt"
: > "$LOG"
export OUT WORK LOG PYTHONUNBUFFERED=1
printf 'stage\tstatus\tseconds\n' > "$WORK/stages.tsv"

note() { echo "$*" | tee -a "$LOG"; }

# wanted NAME: whether SESSION_ONLY and SESSION_SKIP (globs, space-separated) let stage NAME run.
wanted() {
  local name="$1" p only skip hit=1
  read -ra only <<< "${SESSION_ONLY:-}"
  read -ra skip <<< "${SESSION_SKIP:-}"
  if [ "${#only[@]}" -gt 0 ]; then
    for p in "${only[@]}"; do
      # shellcheck disable=SC2254
      case "$name" in $p) hit=0 ;; esac
    done
    [ "$hit" = 0 ] || return 1
  fi
  for p in "${skip[@]}"; do
    # shellcheck disable=SC2254
    case "$name" in $p) return 1 ;; esac
  done
  return 0
}

# reports.tar.gz in $OUT: the JUnit reports, the self-test's and the sanitizers' output and any JVM crash log so far
# (written aside and moved, so that a session cut short leaves a whole archive).
pack_reports() {
  mkdir -p "$WORK/junit"
  cp "$repo"/hs_err_pid*.log "$WORK/junit/" 2>/dev/null
  local parts=() d
  for d in junit selftest sanitizer; do [ -d "$WORK/$d" ] && parts+=("$d"); done
  tar -C "$WORK" -czf "$OUT/reports.tar.gz.tmp" "${parts[@]}" && mv "$OUT/reports.tar.gz.tmp" "$OUT/reports.tar.gz"
}

# stage NAME LIMIT_SECONDS COMMAND...: runs COMMAND (a function exported with export -f, or a program) with its output
# in the log, within LIMIT and what is left of the budget; records ok / failed (rc) / timeout / skipped, then
# rewrites summary.md, reports.tar.gz and bench.jsonl in $OUT.
stage() {
  local name="$1" limit="$2"; shift 2
  local left=$(( BUDGET - ($(date +%s) - T0) ))
  local t=$(( limit < left - 5 ? limit : left - 5 ))
  local status
  if ! wanted "$name"; then
    printf '%s\t%s\t0\n' "$name" "skipped (SESSION_ONLY/SESSION_SKIP)" >> "$WORK/stages.tsv"
    note "[$name] skipped (SESSION_ONLY/SESSION_SKIP)"
    return 0
  fi
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
  pack_reports 2>> "$LOG"
  if [ -f "$WORK/bench.jsonl" ]; then cp "$WORK/bench.jsonl" "$OUT/"; fi
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
  which python3 nvcc g++ compute-sanitizer || true
  nvcc --version || true
  { set +x; } 2>/dev/null
  local cs
  cs="$(sanitizer)"
  set -x
  "$cs" --version || true
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

# The simulator's driver self-test, CUDA's rules only, against this machine's driver (PyTorch's libcuda.so.1 where
# the env stage found it); in a rehearsal, against the simulator's self-test driver (which has the test kernels).
selftest_stage() {
  local lib="${SPARRING_LIBCUDA:-libcuda.so.1}"
  if [ -n "${SESSION_SIMULATE:-}" ]; then lib="$SESSION_SIMULATE/selftest/libcuda.so.1"; fi
  mkdir -p "$WORK/selftest"
  echo "+ .gpu-kit/selftest/driver_selftest --cuda-only $lib .gpu-kit/selftest"
  .gpu-kit/selftest/driver_selftest --cuda-only "$lib" .gpu-kit/selftest > "$WORK/selftest/driver.txt" 2>&1
  local rc=$?
  cat "$WORK/selftest/driver.txt"
  return $rc
}

# The compute-sanitizer to run: SESSION_SANITIZER, else the one on PATH or in the CUDA toolkit's folders.
sanitizer() {
  local c
  for c in "${SESSION_SANITIZER:-}" "$(command -v compute-sanitizer 2>/dev/null)" /usr/local/cuda/bin/compute-sanitizer \
           /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  echo "compute-sanitizer"
  return 1
}

# sanitize_stage TOOL: the parity tests under compute-sanitizer's TOOL, its report in $WORK/sanitizer/TOOL.txt
# (device backtraces only: the JVM's host frames say nothing), the tests' in $WORK/junit/sanitize-TOOL. Exit
# status 86 when the tool reported errors, else the tests' (1: a test failed).
sanitize_stage() {
  local tool="$1" cs
  cs="$(sanitizer)" || { echo "sanitize: no compute-sanitizer (SESSION_SANITIZER, PATH, /usr/local/cuda)"; return 127; }
  . .gpu-kit/env.sh
  mkdir -p "$WORK/sanitizer"
  local tests
  read -ra tests <<< "${SESSION_SANITIZE_TESTS:---select-class dev.sparring.backend.cuda.CudaParityTest --select-class dev.sparring.train.CudaTrainingTest}"
  echo "+ $cs --tool $tool ... .gpu-kit/run-tests.sh $WORK/junit/sanitize-$tool ${tests[*]}"
  "$cs" --tool "$tool" --target-processes all --launch-timeout 0 --error-exitcode 86 --print-limit 100 \
    --show-backtrace device --log-file "$WORK/sanitizer/$tool.txt" \
    .gpu-kit/run-tests.sh "$WORK/junit/sanitize-$tool" "${tests[@]}"
  local rc=$?
  grep -E '^=+ (ERROR SUMMARY|RACECHECK SUMMARY|LEAK SUMMARY)' "$WORK/sanitizer/$tool.txt" 2>/dev/null
  return $rc
}

bench_stage() {
  . .gpu-kit/env.sh
  set -x
  # shellcheck disable=SC2086
  "$SPARRING_HOME/bin/sparring" bench --device cuda --json "$WORK/bench.jsonl" "$@" ${SESSION_BENCH_ARGS:-}
}

# The FID's square-root trace at F = 2048 (SESSION_FID_F; 48 in a rehearsal): Newton-Schulz on DGEMM and cuSOLVER's
# EIGEN against the CPU's, on the same statistics (FidBench gpu: moments of 2F random rows made on the GPU). Each
# measurement is a JSON line in bench.jsonl, copied to $OUT as soon as it is printed.
fid_gpu_stage() {
  . .gpu-kit/env.sh
  local f="${SESSION_FID_F:-2048}"
  if [ -n "${SESSION_SIMULATE:-}" ]; then f="${SESSION_FID_F:-48}"; fi
  set -x
  "$SPARRING_JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$SPARRING_HOME/lib/sparring.jar" \
    dev.sparring.bench.FidBench gpu "$f" $((2 * f)) 5 | while IFS= read -r line; do
      echo "$line"
      case "$line" in
        '{"bench"'*) echo "$line" >> "$WORK/bench.jsonl"; cp "$WORK/bench.jsonl" "$OUT/" ;;
      esac
    done
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

export -f env_stage kit_stage doctor_stage run_tests selftest_stage sanitizer sanitize_stage bench_stage torch_bench_stage \
  train_stage golden_gpu_stage fid_gpu_stage

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
    SPARRING_LIBCUDNN="$SESSION_SIMULATE/libcudnn.so.9" SPARRING_LIBCUSOLVER="$SESSION_SIMULATE/no-cusolver-in-the-simulator"
  note "session: REHEARSAL on the host CUDA simulator in $SESSION_SIMULATE: no GPU is used, no figure is a GPU figure"
fi
stage doctor 60 doctor_stage
{ echo "# env"; sed -n '/=== \[env\]/,/=== \[kit\]/p' "$LOG"; echo "# doctor"; sed -n '/=== \[doctor\]/,$p' "$LOG"; } > "$OUT/env.txt"

stage selftest-driver 60 selftest_stage

stage test-runtime 90 run_tests runtime --select-class dev.sparring.backend.cuda.CudaRuntimeTest \
  --select-class dev.sparring.backend.cuda.NativeLibrariesTest --select-class dev.sparring.backend.cuda.NativeSignaturesTest
stage test-parity 180 run_tests parity --select-class dev.sparring.backend.cuda.CudaParityTest --select-class dev.sparring.train.CudaTrainingTest \
  --select-class dev.sparring.backend.cuda.CudaFidTest
stage test-graphs 90 run_tests graphs --select-class dev.sparring.train.CudaGraphTest
stage test-golden 60 run_tests golden --select-class dev.sparring.golden.PyTorchGoldenTest \
  --select-class dev.sparring.eval.features.CudaInceptionV3Test
stage sanitize-memcheck 120 sanitize_stage memcheck
stage sanitize-initcheck 100 sanitize_stage initcheck
stage sanitize-racecheck 100 sanitize_stage racecheck
stage bench 120 bench_stage
stage fid-gpu 120 fid_gpu_stage
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
ls "$repo"/hs_err_pid*.log >/dev/null 2>&1 && note "session: JVM crash logs (hs_err_pid*.log) are in reports.tar.gz (junit/)"
pack_reports 2>> "$LOG"
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
