// gan_losses.cu: the fused GAN loss, one launch per critic step and one per generator step.
// Twin of CpuBackend.criticLoss/generatorLoss; the interpreter is the twin of ScalarProgram.eval.
//
// A loss reaches the GPU as ScalarProgram bytecode (postfix, op codes below), evaluated in double precision
// by a small stack interpreter. Each program is a kernel parameter (struct Program, passed by value and read
// from the constant bank through __grid_constant__), so a launch needs no upload and no allocation.
//
// Layout: tReal (Br), tFake (Bf) are the raw critic outputs; dtReal, dtFake have the same sizes; stats is a
// small float array of metrics.
//
// Written (nothing accumulates):
//   critic_loss     dtReal[i] = -dphi(tReal[i]) / Br, dtFake[i] = -dpsi(tFake[i]) / Bf, and
//                   stats[slot .. slot+4] = L_D = -(mean phi(tReal) + mean psi(tFake)), mean sigmoid(tReal),
//                   mean sigmoid(tFake), mean tReal, mean tFake
//   generator_loss  dtFake[i] = dbeta(tFake[i]) / B, stats[slot] = mean beta(tFake), stats[slot+1] = mean sigmoid(tFake)
//   loss_curvature  gradT[i] (= or +=) scale * gradDt[i] * f(t[i]), f a second derivative (phi'', psi'', beta'');
//                   one thread per element, any grid (twin of CpuBackend.lossCurvature)
// Launch of critic_loss and generator_loss: ONE block of SPARRING_BLOCK threads (the batch is small; one block keeps the sums in a fixed order,
// so the result is deterministic, and needs no second pass).
#include "common.cuh"

// Op codes (OP_T ...), MAX_STACK and struct Program {int len; int code[PROG_MAX_CODE]; double consts[PROG_MAX_CONST];}:
// kernels/generated/layouts.cuh, written by the build from ScalarProgram and KernelLayouts.

// Java's Math.min/max: NaN if either is NaN, and -0 below +0.
__device__ __forceinline__ double java_min(double a, double b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0 && b == 0.0) return signbit(a) ? a : b;
    return a <= b ? a : b;
}

__device__ __forceinline__ double java_max(double a, double b) {
    if (a != a) return a;
    if (b != b) return b;
    if (a == 0.0 && b == 0.0) return signbit(a) ? b : a;
    return a >= b ? a : b;
}

// Java's Math.pow where it differs from C's pow: a NaN exponent gives NaN (C gives pow(1, NaN) = 1), and
// |a| == 1 with an infinite exponent gives NaN (C gives 1).
__device__ __forceinline__ double java_pow(double a, double b) {
    if (b == 0.0) return 1.0;
    if (b != b) return b;
    if (isinf(b) && fabs(a) == 1.0) return nan("");
    return pow(a, b);
}

__device__ __forceinline__ double softplus(double x) { return fmax(x, 0.0) + log1p(exp(-fabs(x))); }

__device__ __forceinline__ double sigmoid(double x) {
    return x >= 0.0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

// ScalarProgram.eval in double. The host validated the program (stack depth, constant indices).
__device__ double eval(const Program& p, double t) {
    double s[MAX_STACK];
    int sp = 0;
    for (int pc = 0; pc < p.len; pc++) {
        const int op = p.code[pc];
        double a, b, c;
        switch (op) {
            case OP_T:     s[sp++] = t; break;
            case OP_CONST: s[sp++] = p.consts[p.code[++pc]]; break;
            case OP_ADD:   b = s[--sp]; s[sp - 1] = s[sp - 1] + b; break;
            case OP_SUB:   b = s[--sp]; s[sp - 1] = s[sp - 1] - b; break;
            case OP_MUL:   b = s[--sp]; s[sp - 1] = s[sp - 1] * b; break;
            case OP_DIV:   b = s[--sp]; s[sp - 1] = s[sp - 1] / b; break;
            case OP_POW:   b = s[--sp]; s[sp - 1] = java_pow(s[sp - 1], b); break;
            case OP_MIN:   b = s[--sp]; s[sp - 1] = java_min(s[sp - 1], b); break;
            case OP_MAX:   b = s[--sp]; s[sp - 1] = java_max(s[sp - 1], b); break;
            case OP_SELECT:
                b = s[--sp]; a = s[--sp]; c = s[--sp];
                s[sp++] = c > 0.0 ? a : b;
                break;
            case OP_NEG:         s[sp - 1] = -s[sp - 1]; break;
            case OP_EXP:         s[sp - 1] = exp(s[sp - 1]); break;
            case OP_LOG:         s[sp - 1] = log(s[sp - 1]); break;
            case OP_LOG1P:       s[sp - 1] = log1p(s[sp - 1]); break;
            case OP_EXPM1:       s[sp - 1] = expm1(s[sp - 1]); break;
            case OP_SOFTPLUS:    s[sp - 1] = softplus(s[sp - 1]); break;
            case OP_SIGMOID:     s[sp - 1] = sigmoid(s[sp - 1]); break;
            case OP_LOG_SIGMOID: s[sp - 1] = -softplus(-s[sp - 1]); break;
            case OP_TANH:        s[sp - 1] = tanh(s[sp - 1]); break;
            case OP_SQRT:        s[sp - 1] = sqrt(s[sp - 1]); break;
            case OP_ABS:         s[sp - 1] = fabs(s[sp - 1]); break;
            case OP_RELU:        a = s[sp - 1]; s[sp - 1] = a > 0.0 ? a : 0.0; break;
            case OP_SIGN:        a = s[sp - 1]; s[sp - 1] = a > 0.0 ? 1.0 : (a < 0.0 ? -1.0 : a); break;
            case OP_STEP:        s[sp - 1] = s[sp - 1] > 0.0 ? 1.0 : 0.0; break;
            default:             return nan("");   // unreachable for a validated program
        }
    }
    return s[0];
}

extern "C" __global__ void critic_loss(const __grid_constant__ Program phi, const __grid_constant__ Program dphi,
                                       const __grid_constant__ Program psi, const __grid_constant__ Program dpsi,
                                       float* dtReal, float* dtFake, const float* tReal, const float* tFake,
                                       int br, int bf, float* stats, int slot, const int* stepSlot) {
    slot = step_value(slot, stepSlot);
    double sPhi = 0.0, sPsi = 0.0, sigR = 0.0, sigF = 0.0, sR = 0.0, sF = 0.0;
    for (int i = threadIdx.x; i < br; i += blockDim.x) {
        double t = tReal[i];
        sPhi += eval(phi, t);
        dtReal[i] = (float)(-eval(dphi, t) / br);
        sigR += sigmoid(t);
        sR += t;
    }
    for (int i = threadIdx.x; i < bf; i += blockDim.x) {
        double t = tFake[i];
        sPsi += eval(psi, t);
        dtFake[i] = (float)(-eval(dpsi, t) / bf);
        sigF += sigmoid(t);
        sF += t;
    }
    sPhi = block_sum(sPhi);
    sPsi = block_sum(sPsi);
    sigR = block_sum(sigR);
    sigF = block_sum(sigF);
    sR = block_sum(sR);
    sF = block_sum(sF);
    if (threadIdx.x == 0) {
        stats[slot] = (float)-(sPhi / br + sPsi / bf);
        stats[slot + 1] = (float)(sigR / br);
        stats[slot + 2] = (float)(sigF / bf);
        stats[slot + 3] = (float)(sR / br);
        stats[slot + 4] = (float)(sF / bf);
    }
}

extern "C" __global__ void generator_loss(const __grid_constant__ Program beta, const __grid_constant__ Program dbeta,
                                          float* dtFake, const float* tFake, int b, float* stats, int slot,
                                          const int* stepSlot) {
    slot = step_value(slot, stepSlot);
    double s = 0.0, sig = 0.0;
    for (int i = threadIdx.x; i < b; i += blockDim.x) {
        double t = tFake[i];
        s += eval(beta, t);
        dtFake[i] = (float)(eval(dbeta, t) / b);
        sig += sigmoid(t);
    }
    s = block_sum(s);
    sig = block_sum(sig);
    if (threadIdx.x == 0) {
        stats[slot] = (float)(s / b);
        stats[slot + 1] = (float)(sig / b);
    }
}

extern "C" __global__ void loss_curvature(const __grid_constant__ Program f, float* gradT, const float* gradDt,
                                          const float* t, int n, float scale, int accumulate) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        float v = (float)((double)scale * (double)gradDt[i] * eval(f, (double)t[i]));
        gradT[i] = accumulate ? gradT[i] + v : v;
    }
}
