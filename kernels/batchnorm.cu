// batchnorm.cu: spatial batch norm over (N, C, H*W), per channel over N and H*W: Sparring's own alternative to
// cuDNN's (CudaBackend.Options.batchNorm), with CpuBackend's arithmetic: statistics in double, two passes (the mean,
// then the squared deviations from it), y = x * a + b with the float scale a and shift b of the channel.
//
//   bn_forward_train   y, saveMean, saveInvStd = 1/sqrt(var_biased + eps); runMean, runVar updated with momentum,
//                      runVar with the unbiased variance (as PyTorch and cuDNN)
//   bn_forward_eval    y from the running statistics
//   bn_backward        dx written; dgamma, dbeta accumulated, from the statistics the forward saved
//   bn_relu_forward_train, bn_leaky_relu_forward_train
//                      bn_forward_train with the activation after it applied as y is written (CpuBackend
//                      .batchNormActTrain): y = f(x * a + b), f(v) = v > 0 ? v : 0 (ReLU) or alpha * v (LeakyReLU,
//                      alpha >= 0, so that y > 0 exactly where x * a + b > 0)
//   bn_relu_backward, bn_leaky_relu_backward
//                      bn_backward of f'(y) dy (CpuBackend.batchNormActBackward): dy is the gradient with respect to
//                      the fused forward's y, f' taken from y's sign; the intermediate gradient lives in registers only
//   bn_double_backward the backward of bn_backward's dx for gradient penalties (CpuBackend.batchNormDoubleBackward):
//                      given gdx = dQ/d(dx), gdy and gx written, dgamma accumulated; also used beside cuDNN's batch
//                      norm (cuDNN has no double backward; its saved inverse deviation is the same 1/sqrt(var + eps))
//
// The training kernels run one block per channel (grid C, SPARRING_BLOCK threads): the block's threads stride over
// the channel's N * HW elements, so a channel's sums are combined in an order that depends only on the sizes.
#include "common.cuh"

// Element i of channel c, for i in [0, N * HW): sample i / HW, position i % HW.
__device__ __forceinline__ long long bn_index(unsigned int i, unsigned int HW, int C, int c) {
    const unsigned int n = i / HW, j = i - n * HW;
    return ((long long)n * C + c) * HW + j;
}

// The block-wide sum of v in double, returned to every thread.
__device__ __forceinline__ double bn_block_total(double v) {
    __shared__ double total;
    const double s = block_sum(v);
    if (threadIdx.x == 0) total = s;
    __syncthreads();
    const double t = total;
    __syncthreads();   // total may be written again by the next call
    return t;
}

// The activations that fuse with batch norm, chosen at compile time: none, ReLU, LeakyReLU(alpha).
enum BnAct { BN_NONE, BN_RELU, BN_LEAKY_RELU };

// f(v), as activations.cu's relu_forward and leaky_relu_forward.
template <BnAct ACT>
__device__ __forceinline__ float bn_act(float v, float alpha) {
    if (ACT == BN_NONE) return v;
    return v > 0.0f ? v : ACT == BN_RELU ? 0.0f : alpha * v;
}

// f'(v) dy with f' from y = f(v) (y > 0 exactly where v > 0), as relu_backward and leaky_relu_backward from v.
template <BnAct ACT>
__device__ __forceinline__ float bn_act_grad(float dy, float y, float alpha) {
    if (ACT == BN_NONE) return dy;
    return y > 0.0f ? dy : ACT == BN_RELU ? 0.0f : alpha * dy;
}

template <BnAct ACT>
__device__ __forceinline__ void bn_train(float* y, float* saveMean, float* saveInvStd, const float* x,
                                         const float* gamma, const float* beta, float* runMean, float* runVar,
                                         int N, int C, int HW, double momentum, double eps, float alpha) {
    const int c = blockIdx.x;
    const unsigned int m = (unsigned int)N * (unsigned int)HW;
    double s = 0.0;
    for (unsigned int i = threadIdx.x; i < m; i += blockDim.x) s += x[bn_index(i, HW, C, c)];
    const double mean = bn_block_total(s) / m;
    double q = 0.0;
    for (unsigned int i = threadIdx.x; i < m; i += blockDim.x) {
        const double d = x[bn_index(i, HW, C, c)] - mean;
        q += d * d;
    }
    const double sq = bn_block_total(q);
    const double var = sq / m;
    const double inv = 1.0 / sqrt(var + eps);
    const float a = (float)(gamma[c] * inv), b = (float)(beta[c] - mean * gamma[c] * inv);
    for (unsigned int i = threadIdx.x; i < m; i += blockDim.x) {
        const long long k = bn_index(i, HW, C, c);
        y[k] = bn_act<ACT>(x[k] * a + b, alpha);
    }
    if (threadIdx.x == 0) {
        saveMean[c] = (float)mean;
        saveInvStd[c] = (float)inv;
        const double unbiased = m > 1 ? sq / (m - 1) : var;
        runMean[c] = (float)((1 - momentum) * runMean[c] + momentum * mean);
        runVar[c] = (float)((1 - momentum) * runVar[c] + momentum * unbiased);
    }
}

extern "C" __global__ void bn_forward_train(float* y, float* saveMean, float* saveInvStd, const float* x,
                                            const float* gamma, const float* beta, float* runMean, float* runVar,
                                            int N, int C, int HW, double momentum, double eps) {
    bn_train<BN_NONE>(y, saveMean, saveInvStd, x, gamma, beta, runMean, runVar, N, C, HW, momentum, eps, 0.0f);
}

extern "C" __global__ void bn_relu_forward_train(float* y, float* saveMean, float* saveInvStd, const float* x,
                                                 const float* gamma, const float* beta, float* runMean, float* runVar,
                                                 int N, int C, int HW, double momentum, double eps) {
    bn_train<BN_RELU>(y, saveMean, saveInvStd, x, gamma, beta, runMean, runVar, N, C, HW, momentum, eps, 0.0f);
}

extern "C" __global__ void bn_leaky_relu_forward_train(float* y, float* saveMean, float* saveInvStd, const float* x,
                                                       const float* gamma, const float* beta, float* runMean,
                                                       float* runVar, int N, int C, int HW, double momentum,
                                                       double eps, float alpha) {
    bn_train<BN_LEAKY_RELU>(y, saveMean, saveInvStd, x, gamma, beta, runMean, runVar, N, C, HW, momentum, eps, alpha);
}

extern "C" __global__ void bn_forward_eval(float* y, const float* x, const float* gamma, const float* beta,
                                           const float* runMean, const float* runVar, long long total, int C, int HW,
                                           double eps) {
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        const int c = (int)((i / HW) % C);
        const double inv = 1.0 / sqrt(runVar[c] + eps);
        const float a = (float)(gamma[c] * inv), b = (float)(beta[c] - runMean[c] * gamma[c] * inv);
        y[i] = x[i] * a + b;
    }
}

// y: the fused forward's output (unused without an activation).
template <BnAct ACT>
__device__ __forceinline__ void bn_back(float* dx, float* dgamma, float* dbeta, const float* dy, const float* y,
                                        const float* x, const float* gamma, const float* saveMean,
                                        const float* saveInvStd, int N, int C, int HW, float alpha) {
    const int c = blockIdx.x;
    const unsigned int m = (unsigned int)N * (unsigned int)HW;
    const double mean = saveMean[c], inv = saveInvStd[c];
    double sdy = 0.0, sdyxh = 0.0;
    for (unsigned int i = threadIdx.x; i < m; i += blockDim.x) {
        const long long k = bn_index(i, HW, C, c);
        const float d = bn_act_grad<ACT>(dy[k], ACT == BN_NONE ? 0.0f : y[k], alpha);
        sdy += d;
        sdyxh += d * (x[k] - mean) * inv;
    }
    sdy = bn_block_total(sdy);
    sdyxh = bn_block_total(sdyxh);
    if (threadIdx.x == 0) {
        dgamma[c] += (float)sdyxh;
        dbeta[c] += (float)sdy;
    }
    // dx = gamma * inv / m * (m dy - sum dy - xhat sum(dy xhat))
    const double kc = gamma[c] * inv / m;
    for (unsigned int i = threadIdx.x; i < m; i += blockDim.x) {
        const long long k = bn_index(i, HW, C, c);
        const double xh = (x[k] - mean) * inv;
        const float d = bn_act_grad<ACT>(dy[k], ACT == BN_NONE ? 0.0f : y[k], alpha);
        // (float)m * d: a float product, as the CPU twin's long * float
        dx[k] = (float)(kc * ((float)m * d - sdy - xh * sdyxh));
    }
}

extern "C" __global__ void bn_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* x,
                                       const float* gamma, const float* saveMean, const float* saveInvStd,
                                       int N, int C, int HW) {
    bn_back<BN_NONE>(dx, dgamma, dbeta, dy, nullptr, x, gamma, saveMean, saveInvStd, N, C, HW, 0.0f);
}

extern "C" __global__ void bn_relu_backward(float* dx, float* dgamma, float* dbeta, const float* dy, const float* y,
                                            const float* x, const float* gamma, const float* saveMean,
                                            const float* saveInvStd, int N, int C, int HW) {
    bn_back<BN_RELU>(dx, dgamma, dbeta, dy, y, x, gamma, saveMean, saveInvStd, N, C, HW, 0.0f);
}

extern "C" __global__ void bn_leaky_relu_backward(float* dx, float* dgamma, float* dbeta, const float* dy,
                                                  const float* y, const float* x, const float* gamma,
                                                  const float* saveMean, const float* saveInvStd, int N, int C,
                                                  int HW, float alpha) {
    bn_back<BN_LEAKY_RELU>(dx, dgamma, dbeta, dy, y, x, gamma, saveMean, saveInvStd, N, C, HW, alpha);
}

// With G = gdx, x̂ = (x - mean) s, a = mean(dy), b = mean(dy x̂), gA = Σ G, gB = Σ G x̂, T = Σ G (dy - a - x̂ b):
// gdy = γ s/m (m G - gA - x̂ gB), gx = -(γ s²/m) (x̂ T + gB (dy - a - x̂ b) + b (m G - gA - x̂ gB)), dgamma += s T.
extern "C" __global__ void bn_double_backward(float* gdy, float* gx, float* dgamma, const float* gdx, const float* dy,
                                              const float* x, const float* gamma, const float* saveMean,
                                              const float* saveInvStd, int N, int C, int HW) {
    const int c = blockIdx.x;
    const unsigned int m = (unsigned int)N * (unsigned int)HW;
    const double mean = saveMean[c], s = saveInvStd[c];
    double sdy = 0.0, sdyxh = 0.0, ga = 0.0, gb = 0.0, sgdy = 0.0;
    for (unsigned int i = threadIdx.x; i < m; i += blockDim.x) {
        const long long k = bn_index(i, HW, C, c);
        const double xh = (x[k] - mean) * s;
        sdy += dy[k];
        sdyxh += dy[k] * xh;
        ga += gdx[k];
        gb += gdx[k] * xh;
        sgdy += (double)gdx[k] * dy[k];
    }
    sdy = bn_block_total(sdy);
    sdyxh = bn_block_total(sdyxh);
    ga = bn_block_total(ga);
    gb = bn_block_total(gb);
    sgdy = bn_block_total(sgdy);
    const double a = sdy / m, b = sdyxh / m;
    const double t = sgdy - a * ga - b * gb;
    if (threadIdx.x == 0) dgamma[c] += (float)(s * t);
    const double k1 = gamma[c] * s / m, k2 = gamma[c] * s * s / m;
    for (unsigned int i = threadIdx.x; i < m; i += blockDim.x) {
        const long long k = bn_index(i, HW, C, c);
        const double xh = (x[k] - mean) * s;
        const double back = (double)m * gdx[k] - ga - xh * gb;
        gdy[k] = (float)(k1 * back);
        gx[k] = (float)(-k2 * (xh * t + gb * (dy[k] - a - xh * b) + b * back));
    }
}
