// penalty.cu: input-gradient penalties of the critic (WGAN-GP, R1, R2). Twin of CpuBackend.gradientPenalty.
//
// Layout: g and gradG are (n, row) floats, row n the critic's input gradient at sample n; stats is the trainer's
// metrics block, written at [slot, slot + 1].
//
//   gradient_penalty  P = weight (1/n) Σ_r (‖g_r‖ - target)²; gradG written, row r = gradScale weight (2/n)
//                     (1 - target/‖g_r‖) g_r (target 0: the factor is 1; a zero row with target ≠ 0: zeros);
//                     stats[slot] = P, stats[slot + 1] = mean ‖g_r‖. One block: the rows in order, each row's sum
//                     of squares in double over the block (block_sum), so the result depends only on the sizes.
#include "common.cuh"

// The block-wide sum of v in double, returned to every thread.
__device__ __forceinline__ double penalty_block_total(double v) {
    __shared__ double total;
    const double s = block_sum(v);
    if (threadIdx.x == 0) total = s;
    __syncthreads();
    const double t = total;
    __syncthreads();
    return t;
}

extern "C" __global__ void gradient_penalty(float* gradG, const float* g, long long n, long long row, double target,
                                            float weight, float gradScale, float* stats, int slot, const int* stepSlot) {
    slot = step_value(slot, stepSlot);
    double p = 0.0, norms = 0.0;
    for (long long r = 0; r < n; r++) {
        const float* gr = g + r * row;
        double ss = 0.0;
        for (long long j = threadIdx.x; j < row; j += blockDim.x) ss += (double)gr[j] * gr[j];
        const double norm = sqrt(penalty_block_total(ss)), d = norm - target;
        p += d * d;
        norms += norm;
        const double k = target == 0.0 ? 1.0 : norm > 0.0 ? 1.0 - target / norm : 0.0;
        const double c = (double)gradScale * weight * 2.0 / n * k;
        float* out = gradG + r * row;
        for (long long j = threadIdx.x; j < row; j += blockDim.x) out[j] = (float)(c * gr[j]);
    }
    if (threadIdx.x == 0) {
        stats[slot] = (float)(weight * p / n);
        stats[slot + 1] = (float)(norms / n);
    }
}
