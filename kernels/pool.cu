// pool.cu: max and average pooling over each channel plane, forward and backward. Twin of CpuBackend.maxPool2dForward,
// maxPool2dBackward, avgPool2dForward and avgPool2dBackward (our own kernels: no cuDNN pooling).
//
// Layout: x, dx (planes, H, W) and y, dy (planes, P, Q) float, planes = N*C. Window (p, q) covers rows
// [p*sH - pH, p*sH - pH + kH) and columns [q*sW - pW, q*sW - pW + kW) of its plane, clipped to the input: padding never
// wins a maximum (PyTorch pads max pooling with -inf), and counts in an average's divisor only with count_include_pad.
//
// Written vs accumulated: every output is written (y by the forwards, dx by the backwards). Nothing is cached between
// forward and backward: max backward finds each window's maximum again from x, with the forward's rule (the first of
// equal maxima, row by row; a NaN wins).
//
// The forwards run one thread per output element and sum (average) in float, row by row, as the CPU twin does. The
// backwards gather: one thread per input element adds what the windows covering it send, in (p, q) order, which is
// the order in which the CPU twin's scatter adds them into a zeroed plane: the same bits, and no atomics.
#include "common.cuh"

struct PoolGeom {
    int H, W, P, Q, kH, kW, sH, sW, pH, pW;

    // First row of window (p, .) inside the input, one past its last; the same for the columns of window (., q).
    __device__ int h0(int p) const { int h = p * sH - pH; return h > 0 ? h : 0; }
    __device__ int h1(int p) const { int h = p * sH - pH + kH; return h < H ? h : H; }
    __device__ int w0(int q) const { int w = q * sW - pW; return w > 0 ? w : 0; }
    __device__ int w1(int q) const { int w = q * sW - pW + kW; return w < W ? w : W; }

    // What window (p, q)'s sum is divided by: its elements inside the input, or inside the padded input.
    __device__ int count(int p, int q, int includePad) const {
        if (!includePad) return (h1(p) - h0(p)) * (w1(q) - w0(q));
        const int hs = p * sH - pH, ws = q * sW - pW;
        const int he = hs + kH < H + pH ? hs + kH : H + pH, we = ws + kW < W + pW ? ws + kW : W + pW;
        return (he - hs) * (we - ws);
    }

    // The windows that cover input row h: p in [pFirst(h), pEnd(h)); columns likewise.
    __device__ int pFirst(int h) const { return h + pH < kH ? 0 : (h + pH - kH) / sH + 1; }
    __device__ int pEnd(int h) const { int p = (h + pH) / sH + 1; return p < P ? p : P; }
    __device__ int qFirst(int w) const { return w + pW < kW ? 0 : (w + pW - kW) / sW + 1; }
    __device__ int qEnd(int w) const { int q = (w + pW) / sW + 1; return q < Q ? q : Q; }
};

// Offset in its plane of window (p, q)'s maximum: the first of equal maxima, row by row; a NaN wins (PyTorch's rule).
__device__ __forceinline__ int window_max(const float* plane, const PoolGeom& g, int p, int q) {
    int best = g.h0(p) * g.W + g.w0(q);
    float top = -__int_as_float(0x7f800000);
    for (int h = g.h0(p); h < g.h1(p); h++) {
        for (int w = g.w0(q); w < g.w1(q); w++) {
            const float v = plane[h * g.W + w];
            if (v > top || v != v) {
                top = v;
                best = h * g.W + w;
            }
        }
    }
    return best;
}

extern "C" __global__ void max_pool2d_forward(float* y, const float* x, long long planes, int H, int W, int P, int Q,
                                              int kH, int kW, int sH, int sW, int pH, int pW) {
    const PoolGeom g{H, W, P, Q, kH, kW, sH, sW, pH, pW};
    const long long total = planes * P * Q;
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        const long long nc = i / ((long long)P * Q);
        const int pq = (int)(i - nc * P * Q), p = pq / Q, q = pq - p * Q;
        const float* plane = x + nc * H * W;
        y[i] = plane[window_max(plane, g, p, q)];
    }
}

extern "C" __global__ void max_pool2d_backward(float* dx, const float* dy, const float* x, long long planes, int H, int W,
                                               int P, int Q, int kH, int kW, int sH, int sW, int pH, int pW) {
    const PoolGeom g{H, W, P, Q, kH, kW, sH, sW, pH, pW};
    const long long total = planes * H * W;
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        const long long nc = i / ((long long)H * W);
        const int hw = (int)(i - nc * H * W), h = hw / W, w = hw - h * W;
        const float* plane = x + nc * H * W;
        const float* dyPlane = dy + nc * P * Q;
        float acc = 0.0f;
        for (int p = g.pFirst(h); p < g.pEnd(h); p++) {
            for (int q = g.qFirst(w); q < g.qEnd(w); q++) {
                if (window_max(plane, g, p, q) == hw) acc += dyPlane[p * Q + q];
            }
        }
        dx[i] = acc;
    }
}

extern "C" __global__ void avg_pool2d_forward(float* y, const float* x, long long planes, int H, int W, int P, int Q,
                                              int kH, int kW, int sH, int sW, int pH, int pW, int countIncludePad) {
    const PoolGeom g{H, W, P, Q, kH, kW, sH, sW, pH, pW};
    const long long total = planes * P * Q;
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        const long long nc = i / ((long long)P * Q);
        const int pq = (int)(i - nc * P * Q), p = pq / Q, q = pq - p * Q;
        const float* plane = x + nc * H * W;
        float sum = 0.0f;
        for (int h = g.h0(p); h < g.h1(p); h++) {
            for (int w = g.w0(q); w < g.w1(q); w++) sum += plane[h * W + w];
        }
        y[i] = sum / (float)g.count(p, q, countIncludePad);
    }
}

extern "C" __global__ void avg_pool2d_backward(float* dx, const float* dy, long long planes, int H, int W, int P, int Q,
                                               int kH, int kW, int sH, int sW, int pH, int pW, int countIncludePad) {
    const PoolGeom g{H, W, P, Q, kH, kW, sH, sW, pH, pW};
    const long long total = planes * H * W;
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        const long long nc = i / ((long long)H * W);
        const int hw = (int)(i - nc * H * W), h = hw / W, w = hw - h * W;
        const float* dyPlane = dy + nc * P * Q;
        float acc = 0.0f;
        for (int p = g.pFirst(h); p < g.pEnd(h); p++) {
            for (int q = g.qFirst(w); q < g.qEnd(w); q++) acc += dyPlane[p * Q + q] / (float)g.count(p, q, countIncludePad);
        }
        dx[i] = acc;
    }
}
