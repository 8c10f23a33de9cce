// common.cuh: helpers shared by the kernel families (included, never compiled on its own).
//
// Conventions of every kernel in kernels/*.cu:
//   - extern "C" entry points, so that the Java side finds them by their plain name (cuModuleGetFunction);
//   - blocks of SPARRING_BLOCK threads (a multiple of 32) unless a kernel says otherwise;
//   - element counts are 64-bit and loops are grid-stride, so any grid size is correct;
//   - the files are compiled with --fmad=false (see native/build-kernels.sh): a*b+c is rounded twice, as in
//     Java, so that float results can match CpuBackend bit for bit where the operation order is the same.
#pragma once

#define SPARRING_BLOCK 256

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
// pointer into the step record, device memory that the host rewrites before each replay (CudaBackend).
template <typename T>
__device__ __forceinline__ T step_value(T value, const T* from) { return from != nullptr ? *from : value; }

// First index and stride of a 1-D grid-stride loop, in 64 bits.
__device__ __forceinline__ long long grid_start() { return (long long)blockIdx.x * blockDim.x + threadIdx.x; }
__device__ __forceinline__ long long grid_stride() { return (long long)gridDim.x * blockDim.x; }

// One tensor of a multi-tensor operation (optimizers, clamp, sum of squares): the Java side writes an array
// of these into device memory, 40 bytes each (see CudaBackend.TensorTable). Unused pointers are 0.
struct TensorSlot {
    float* p;        // the tensor (a parameter, or the tensor to reduce)
    float* g;        // its gradient
    float* s1;       // optimizer state 1 (Adam m, RMSProp square average, SGD momentum buffer)
    float* s2;       // optimizer state 2 (Adam v)
    long long n;     // number of elements
};
static_assert(sizeof(TensorSlot) == 40, "TensorSlot layout is shared with CudaBackend.TensorTable");
