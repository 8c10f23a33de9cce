#!/usr/bin/env python3
"""numpy's sgemm (its OpenBLAS) on given shapes, the reference of SgemmTiming in bench/cpu-vs-pytorch/run.sh.

    python3 numpy_sgemm.py [--cpu] REPS MxNxK ...

C (M, N) = A (M, K) @ B (K, N), float32, C-contiguous, written into a preallocated C (np.matmul(out=)); about a second
of warm-up per shape, then REPS timed products. One line per shape: RESULT shape=MxNxK ms=<median> gflops=<2MNK/median>.
The thread count is OpenBLAS's own (OPENBLAS_NUM_THREADS, set by run.sh). --cpu: the process's CPU time instead of the
wall clock (with OPENBLAS_NUM_THREADS=1, the cost on one core; see SgemmTiming --cpu).
"""
import statistics
import sys
import time

import numpy as np


def main():
    args = sys.argv[1:]
    clock = time.perf_counter
    if args and args[0] == "--cpu":
        clock = time.process_time
        args = args[1:]
    reps = int(args[0])
    rng = np.random.default_rng(1)
    for shape in args[1:]:
        m, n, k = (int(v) for v in shape.split("x"))
        a = rng.uniform(-1, 1, (m, k)).astype(np.float32)
        b = rng.uniform(-1, 1, (k, n)).astype(np.float32)
        c = np.empty((m, n), np.float32)
        end = time.perf_counter() + 1.0
        while time.perf_counter() < end:
            np.matmul(a, b, out=c)
        ms = []
        for _ in range(reps):
            t0 = clock()
            np.matmul(a, b, out=c)
            ms.append((clock() - t0) * 1e3)
        med = statistics.median(ms)
        print(f"RESULT shape={shape} ms={med:.4f} gflops={2.0 * m * n * k / (med * 1e6):.2f}", flush=True)


if __name__ == "__main__":
    main()
