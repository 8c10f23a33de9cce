// data.cu: sampling a batch from a dataset kept on the device. Twin of CpuBackend.gatherImages.
//
// Layout: images (N, item) uint8 with item = C*H*W, indices (M) int32, out (B, item) float.
//
// Written: out[b, j] = images[indices[start + b], j] * scale + shift (two float roundings, as in Java).
// An index outside [0, N) cannot throw on the device: its row is written as NaN so that the error shows in the
// loss instead of reading out of bounds (the CPU twin throws IndexOutOfBoundsException).
#include "common.cuh"

extern "C" __global__ void gather_images(float* out, const unsigned char* images, const int* indices, int start,
                                         int B, long long item, int N, float scale, float shift,
                                         const int* stepStart) {
    start = step_value(start, stepStart);
    const long long total = (long long)B * item;
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        const long long b = i / item, j = i - b * item;
        const int src = indices[start + b];
        out[i] = (src >= 0 && src < N) ? (float)images[(long long)src * item + j] * scale + shift : __int_as_float(0x7fc00000);
    }
}
