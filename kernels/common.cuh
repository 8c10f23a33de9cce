// common.cuh: helpers shared by the kernel families (included, never compiled on its own).
//
// Conventions of every kernel in kernels/*.cu:
//   - extern "C" entry points, so that the Java side finds them by their plain name (cuModuleGetFunction);
//   - blocks of SPARRING_BLOCK threads (a multiple of 32) unless a kernel says otherwise;
//   - element counts are 64-bit and loops are grid-stride, so any grid size is correct;
//   - the files are compiled with --fmad=false (see native/build-kernels.sh): a*b+c is rounded twice, as in
//     Java, so that float results can match CpuBackend bit for bit where the operation order is the same.
#pragma once

// SPARRING_BLOCK, the loss programs' op codes and struct Program, struct TensorSlot: written by the build from the
// Java definitions (dev.sparring.backend.cuda.KernelLayouts), so that the two sides cannot differ.
#include "generated/layouts.cuh"

// Sum of v over the block, in double; the result is valid in thread 0 only. Every thread of the block must
// call it (it synchronises). Deterministic: the combination order depends only on the block size.
__device__ __forceinline__ double block_sum(double v) {
    __shared__ double warp_sums[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    if (lane == 0) warp_sums[warp] = v;
    __syncthreads();
    const int nwarps = (blockDim.x + 31) >> 5;
    v = (int)threadIdx.x < nwarps ? warp_sums[threadIdx.x] : 0.0;
    if (warp == 0) {
        for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    }
    __syncthreads();   // warp_sums may be reused by the next call
    return v;
}

// A launch argument that changes from one training step to the next (a learning rate, a noise counter, a
// metrics row). Eager launches pass it by value with `from` null; a step captured as a CUDA graph passes a
// pointer into the step record, device memory that the host rewrites before each replay. The Java side writes
// a kernel's per-step values there in the order of its arguments, each at its natural alignment, and passes
// their address as the kernel's last argument (KernelArgs.stepI32 and kin, KernelArgs.stepValues).
template <typename T>
__device__ __forceinline__ T step_value(T value, const T* from) { return from != nullptr ? *from : value; }

// First index and stride of a 1-D grid-stride loop, in 64 bits.
__device__ __forceinline__ long long grid_start() { return (long long)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long grid_stride() { return (long long)gridDim.x * blockDim.x; }
