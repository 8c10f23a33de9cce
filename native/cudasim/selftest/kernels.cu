// Test kernels of the simulator's own self-test (native/cudasim/driver_selftest.cpp); not part of Sparring.
//
// Written as real CUDA. build.sh compiles this file twice: with nvcc, where there is one, into kernels.ptx and
// kernels.sm_90.cubin, the images the self-test loads (the simulator takes only the kernel names from them), and
// through the same generator as kernels/*.cu into the self-test's own libcuda.so.1 (never into the production
// one), the code that runs. Each kernel exercises one rule of the simulated execution model; several do what is
// undefined on a GPU (read a lane that has returned, or shared memory the block never wrote) to show that the
// simulator makes it visible as NaN.

#define FULL_MASK 0xffffffffu

__device__ __forceinline__ unsigned int linear_thread() {
    return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
}

// out[t] = base + t of the thread `delta` lanes down the warp (its own past the warp's end), for any block
// shape: warps are cut from the linear thread index.
extern "C" __global__ void shfl_down_linear(float* out, unsigned int delta, float base) {
    const unsigned int t = linear_thread();
    out[t] = __shfl_down_sync(FULL_MASK, base + (float)t, delta);
}

// Every lane shuffles once (so every lane's exchange slot holds a value); the lanes at or above `keep` of each
// warp then return, and the others shuffle again, `32 - keep` lanes down: into the lanes that have returned.
extern "C" __global__ void shfl_after_return(float* out, unsigned int keep) {
    const unsigned int t = threadIdx.x;
    const float v = __shfl_down_sync(FULL_MASK, (float)t, 0);
    if (t % 32 >= keep) return;
    out[t] = __shfl_down_sync(FULL_MASK, v + 1000.0f, 32 - keep);
}

// Half of each warp waits at __syncthreads, the other half at a shuffle: neither can ever complete.
extern "C" __global__ void divergent_sync(float* out) {
    const unsigned int t = threadIdx.x;
    float v = (float)t;
    if (t % 32 < 16) __syncthreads();
    else v = __shfl_down_sync(FULL_MASK, v, 1);
    out[t] = v;
}

// Only block 0 writes the shared variable; every block reads it after the barrier.
extern "C" __global__ void shared_from_block0(float* out) {
    __shared__ float s;
    if (blockIdx.x == 0 && threadIdx.x == 0) s = 7.0f;
    __syncthreads();
    if (threadIdx.x == 0) out[blockIdx.x] = s;
}

// The same with the __shared__ variable inside an inline device function (as kernels/common.cuh's block_sum).
__device__ __forceinline__ float from_block0(float v) {
    __shared__ float slot[4];
    if (blockIdx.x == 0 && threadIdx.x == 0) slot[2] = v;
    __syncthreads();
    return slot[2];
}

extern "C" __global__ void shared_in_helper(float* out) {
    const float v = from_block0(5.0f);
    if (threadIdx.x == 0) out[blockIdx.x] = v;
}

// 64 threads. The second warp shuffles before it reaches the barrier; the first warp must wait at the barrier
// until the second has written its part of s.
extern "C" __global__ void barrier_after_shuffle(float* out) {
    __shared__ float s[64];
    const unsigned int t = threadIdx.x;
    float v = (float)t;
    if (t >= 32) v = __shfl_down_sync(FULL_MASK, v, 0) + 100.0f;
    s[t] = v;
    __syncthreads();
    out[t] = s[63 - t];
}

// The threads at or above `live` return at once; the barrier waits for the others only.
extern "C" __global__ void barrier_after_return(float* out, unsigned int live) {
    __shared__ float s[1024];
    const unsigned int t = threadIdx.x;
    if (t >= live) return;
    s[t] = (float)t;
    __syncthreads();
    out[t] = s[live - 1 - t];
}

// *n += the number of blocks of the grid.
extern "C" __global__ void count_blocks(unsigned int* n) {
    if (threadIdx.x == 0 && threadIdx.y == 0 && threadIdx.z == 0) atomicAdd(n, 1u);
}

// p[i] = v, once.
extern "C" __global__ void write_at(float* p, int i, float v) {
    if (blockIdx.x == 0 && threadIdx.x == 0) p[i] = v;
}

// dst[i] = src[i], grid-stride.
extern "C" __global__ void copy_floats(float* dst, const float* src, int n) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) dst[i] = src[i];
}
