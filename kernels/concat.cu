// concat.cu: copying a block of channels between two tensors, for a concatenation along channels (the branches of an
// Inception block) and its split in backward. Twin of CpuBackend.copyChannels.
//
// Layout: dst (N, Cd, inner) and src (N, Cs, inner) float, inner = H*W. Written: dst[:, dstC0 + c] = src[:, srcC0 + c]
// for c in [0, count); dst's other channels are left as they are. One thread per copied element.
#include "common.cuh"

extern "C" __global__ void copy_channels(float* dst, int Cd, int dstC0, const float* src, int Cs, int srcC0, int count,
                                         int N, long long inner) {
    const long long block = (long long)count * inner, total = (long long)N * block;
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        const long long n = i / block, j = i - n * block;
        dst[((long long)n * Cd + dstC0) * inner + j] = src[((long long)n * Cs + srcC0) * inner + j];
    }
}
