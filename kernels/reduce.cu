// reduce.cu: reductions and BLAS-1 elementwise ops. Twin of CpuBackend.sumSquares/axpy/scale/rowDot/scaleRows.
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
//   row_dot      out (N) written (or accumulated with acc != 0) = sum over f of a[n, f] b[n, f], a and b (N, len)
//                row-major; one block per row, products summed in double (block_sum), rounded to float
//   scale_rows   out (N, len) written (or accumulated with acc != 0) = s[n] x[n, f], one float product each
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

extern "C" __global__ void row_dot(float* out, const float* a, const float* b, long long len, int acc) {
    const long long row = (long long)blockIdx.x * len;
    double s = 0.0;
    for (long long j = threadIdx.x; j < len; j += blockDim.x) s += (double)a[row + j] * (double)b[row + j];
    s = block_sum(s);
    if (threadIdx.x == 0) out[blockIdx.x] = acc ? out[blockIdx.x] + (float)s : (float)s;
}

extern "C" __global__ void scale_rows(float* out, const float* s, const float* x, long long len, long long n, int acc) {
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        const float v = s[i / len] * x[i];
        out[i] = acc ? out[i] + v : v;
    }
}
