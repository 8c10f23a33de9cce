// resize.cu: bilinear resizing of each channel plane, as PyTorch's F.interpolate(mode='bilinear', align_corners=False)
// with an output size. Twin of CpuBackend.resizeBilinearForward/resizeBilinearBackward.
//
// Layout: x, dx (planes, H, W) and y, dy (planes, P, Q) float, planes = N*C.
//
// Output row p reads source row hr = max(0, (H/P) (p + 0.5) - 0.5) in float, that is rows h1 = (int) hr and h1 + 1
// (h1 again on the last row) with weights 1 - (hr - h1) and hr - h1; columns likewise. The arithmetic is PyTorch's
// CUDA kernel's (upsample_bilinear2d_out_frame), in float, built with --fmad=false as the CPU twin computes it.
//
// Written: y by the forward (one thread per output element), dx by the backward: one thread per plane zeroes it
// and scatters every dy of the plane in (p, q) order, as the CPU twin does (the same bits, no atomics; the backward
// is on no hot path: the feature networks resize their input and run forward only).
#include "common.cuh"

// The source row (or column) of output index i, resizing in to out.
__device__ __forceinline__ float resize_source(int i, int in, int out) {
    const float scale = (float)in / (float)out;
    const float src = scale * ((float)i + 0.5f) - 0.5f;
    return src < 0.0f ? 0.0f : src;
}

extern "C" __global__ void resize_bilinear_forward(float* y, const float* x, long long planes, int H, int W, int P, int Q) {
    const long long total = planes * P * Q;
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        const long long nc = i / ((long long)P * Q);
        const int pq = (int)(i - nc * P * Q), p = pq / Q, q = pq - p * Q;
        const float hr = resize_source(p, H, P), wr = resize_source(q, W, Q);
        const int h1 = (int)hr, h1p = h1 < H - 1 ? 1 : 0, w1 = (int)wr, w1p = w1 < W - 1 ? 1 : 0;
        const float h1l = hr - (float)h1, h0l = 1.0f - h1l, w1l = wr - (float)w1, w0l = 1.0f - w1l;
        const float* a = x + nc * H * W + h1 * W + w1;
        const float* b = a + h1p * W;
        y[i] = h0l * (w0l * a[0] + w1l * a[w1p]) + h1l * (w0l * b[0] + w1l * b[w1p]);
    }
}

extern "C" __global__ void resize_bilinear_backward(float* dx, const float* dy, long long planes, int H, int W, int P, int Q) {
    for (long long nc = grid_start(); nc < planes; nc += grid_stride()) {
        float* plane = dx + nc * H * W;
        for (int j = 0; j < H * W; j++) plane[j] = 0.0f;
        for (int p = 0; p < P; p++) {
            const float hr = resize_source(p, H, P);
            const int h1 = (int)hr, h1p = h1 < H - 1 ? 1 : 0;
            const float h1l = hr - (float)h1, h0l = 1.0f - h1l;
            for (int q = 0; q < Q; q++) {
                const float wr = resize_source(q, W, Q);
                const int w1 = (int)wr, w1p = w1 < W - 1 ? 1 : 0;
                const float w1l = wr - (float)w1, w0l = 1.0f - w1l;
                float* a = plane + h1 * W + w1;
                float* b = a + h1p * W;
                const float g = dy[(nc * P + p) * Q + q];
                a[0] += h0l * w0l * g;
                a[w1p] += h0l * w1l * g;
                b[0] += h1l * w0l * g;
                b[w1p] += h1l * w1l * g;
            }
        }
    }
}
