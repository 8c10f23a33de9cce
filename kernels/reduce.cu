// reduce.cu: reductions and BLAS-1 elementwise ops. Twin of CpuBackend.sumSquares/axpy/scale.
// (fill is cuMemsetD32Async with the float's bits, no kernel.)
//
// Layout: x, y contiguous float arrays of n elements; slots a device array of T TensorSlot (common.cuh), of
// which only p and n are read.
//
// Written vs accumulated:
//   sum_squares  out[slot] written = sum over every tensor of sum of p[i]^2, accumulated in double, rounded to
//                float. One launch: each block writes its partial sum to partials[blockIdx.x]; the last block to
//                finish (counted with an atomic ticket) adds the partials in index order and resets the ticket,
//                so the result does not depend on block scheduling (deterministic for a fixed grid).
//   axpy         y accumulated: y += alpha x
//   scale        x written in place: x *= alpha
#include "common.cuh"

extern "C" __global__ void sum_squares(const TensorSlot* slots, int T, double* partials, unsigned int* ticket,
                                       float* out, int slot, const int* stepSlot) {
    slot = step_value(slot, stepSlot);
    double acc = 0.0;
    for (int t = 0; t < T; t++) {
        const float* x = slots[t].p;
        const long long n = slots[t].n;
        for (long long i = grid_start(); i < n; i += grid_stride()) {
            double v = x[i];
            acc += v * v;
        }
    }
    acc = block_sum(acc);
    __shared__ bool last;
    if (threadIdx.x == 0) {
        partials[blockIdx.x] = acc;
        __threadfence();                                   // the partial is visible before the ticket is taken
        last = atomicAdd(ticket, 1u) == gridDim.x - 1;
    }
    __syncthreads();
    if (!last) return;
    __threadfence();
    double s = 0.0;
    const volatile double* vp = partials;                  // read around L1: other blocks wrote these
    for (int b = threadIdx.x; b < (int)gridDim.x; b += blockDim.x) s += vp[b];
    s = block_sum(s);
    if (threadIdx.x == 0) {
        out[slot] = (float)s;
        *ticket = 0u;                                      // ready for the next launch on the stream
    }
}

extern "C" __global__ void axpy(float* y, const float* x, float alpha, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) y[i] += alpha * x[i];
}

extern "C" __global__ void scale(float* x, float alpha, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) x[i] *= alpha;
}
