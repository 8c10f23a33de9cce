// optim.cu: multi-tensor optimizer steps, weight clipping and weight averaging: every tensor of a network in one launch.
// Twin of CpuBackend.adamStep/rmspropStep/sgdStep/clamp/emaUpdate; same float operations in the same order (the files are
// compiled with --fmad=false), so a step matches the CPU to the last bit or within one rounding.
//
// Layout: slots is a device array of T TensorSlot (common.cuh): p the parameter, g its gradient, s1/s2 the
// optimizer state, n the element count. Grid: (gx, T): blockIdx.y picks the tensor, the x dimension is a
// grid-stride loop over its elements, so small tensors simply leave most x-blocks idle.
//
// Written: p, s1, s2 are updated in place; g is read only.
//   adam_step     g' = g + wd p; m = b1 m + (1-b1) g'; v = b2 v + (1-b2) g'^2;
//                 p -= stepSize m / (sqrt(v) / bc2sqrt + eps), stepSize = lr / (1 - b1^step),
//                 bc2sqrt = sqrt(1 - b2^step) (both computed on the host, in the CPU twin's way)
//   rmsprop_step  sq = a sq + (1-a) g^2; p -= lr g / (sqrt(sq) + eps)
//   sgd_step      buf = first ? g : mu buf + g; p -= lr buf (momentum != 0); p -= lr g (momentum == 0)
//   clamp_params  p = min(hi, max(lo, p)), NaN stays NaN (as Java's Math.min/max)
//   ema_update    tensors [0, averaged): p = g + decay (p - g); the rest: p = g (copied). Here p is the average
//                 (G_ema's tensor, written) and g the network's tensor (read only); s1, s2 are unused
#include "common.cuh"

extern "C" __global__ void adam_step(const TensorSlot* slots, float stepSize, float beta1, float beta2, float eps,
                                     float weightDecay, float bc2sqrt, const float* step) {
    // step: null, or {stepSize, bc2sqrt} of this step (a captured graph's step record)
    if (step != nullptr) { stepSize = step[0]; bc2sqrt = step[1]; }
    const TensorSlot s = slots[blockIdx.y];
    float* p = s.p; const float* g = s.g; float* m = s.s1; float* v = s.s2;
    for (long long i = grid_start(); i < s.n; i += grid_stride()) {
        float pi = p[i];
        float gi = g[i] + weightDecay * pi;
        float mi = beta1 * m[i] + (1.0f - beta1) * gi;
        float vi = beta2 * v[i] + (1.0f - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        float denom = sqrtf(vi) / bc2sqrt + eps;
        p[i] = pi - stepSize * mi / denom;
    }
}

extern "C" __global__ void rmsprop_step(const TensorSlot* slots, float lr, float alpha, float eps, const float* stepLr) {
    lr = step_value(lr, stepLr);
    const TensorSlot s = slots[blockIdx.y];
    float* p = s.p; const float* g = s.g; float* sq = s.s1;
    for (long long i = grid_start(); i < s.n; i += grid_stride()) {
        float gi = g[i];
        float si = alpha * sq[i] + (1.0f - alpha) * gi * gi;
        sq[i] = si;
        p[i] = p[i] - lr * gi / (sqrtf(si) + eps);
    }
}

// This step's learning rate and first-step flag, as a captured graph's step record holds them.
struct SgdStepValues {
    float lr;
    int first;
};

extern "C" __global__ void sgd_step(const TensorSlot* slots, float lr, float momentum, int first, const SgdStepValues* step) {
    // step: null, or this step's values (a captured graph's step record)
    if (step != nullptr) { lr = step->lr; first = step->first; }
    const TensorSlot s = slots[blockIdx.y];
    float* p = s.p; const float* g = s.g; float* buf = s.s1;
    for (long long i = grid_start(); i < s.n; i += grid_stride()) {
        float gi = g[i];
        if (momentum != 0.0f) {
            float bi = first ? gi : momentum * buf[i] + gi;
            buf[i] = bi;
            p[i] = p[i] - lr * bi;
        } else {
            p[i] = p[i] - lr * gi;
        }
    }
}

extern "C" __global__ void clamp_params(const TensorSlot* slots, float lo, float hi) {
    const TensorSlot s = slots[blockIdx.y];
    float* p = s.p;
    for (long long i = grid_start(); i < s.n; i += grid_stride()) {
        float v = p[i];
        if (v == v) p[i] = fminf(hi, fmaxf(lo, v));
    }
}

extern "C" __global__ void ema_update(const TensorSlot* slots, int averaged, float decay, const float* stepDecay) {
    decay = step_value(decay, stepDecay);
    const TensorSlot s = slots[blockIdx.y];
    float* e = s.p; const float* src = s.g;
    bool copy = (int) blockIdx.y >= averaged;
    for (long long i = grid_start(); i < s.n; i += grid_stride()) {
        float si = src[i];
        e[i] = copy ? si : si + decay * (e[i] - si);
    }
}
