// fid.cu: the float64 statistics of the FID on the GPU. Twin of CpuBackend.featureMoments and .sqrtTrace
// (dev.sparring.linalg.ScatterMoments and NewtonSchulz); cuBLAS DGEMM does the matrix products between these
// kernels (CudaFid drives both). Nothing here is float32 arithmetic: feature rows arrive as float and are widened
// exactly.
//
// Layout: every matrix is F x F float64, row-major (a symmetric matrix reads the same either way); rows (nb, F)
// float32, row-major; vectors of F doubles.
//
// Moments of one block of nb rows (the host cuts a batch into blocks, as ScatterMoments does):
//   fid_block_mean   bm written: the column means of the block, summed in row order, as on the CPU
//   fid_center       xc (nb, F) written: rows - bm, in double
//   (DGEMM: m2 += xc^T xc, the block's scatter about its own mean)
//   fid_merge_mean   delta written = bm - mean; mean accumulated += delta * frac (frac = nb / (count + nb))
//   fid_rank1        m2 accumulated += (delta_i w) delta_j, the Chan-Golub-LeVeque term (w = count nb / (count + nb))
// Newton-Schulz (the host runs the iteration and its stopping rule, NewtonSchulz.Progress):
//   fid_symmetrise   out written = (s + s^T) / 2, the diagonal copied
//   fid_symmetrise_in_place   a written = (a + a^T) / 2 (each pair by one thread)
//   fid_scaled_copy  y written = a / c
//   fid_scale        x written in place: x *= s
//   fid_identity     t written = v I
//   fid_trace        out[0] written = the trace, one block
//   fid_sum_squares  partials[blockIdx.x] written: that block's share of the sum of squares (the host adds them
//                    in index order, so the result does not depend on scheduling)
// Eigendecomposition (cuSOLVER syevd's eigenvectors are the rows of its output in our row-major reading):
//   fid_scale_rows   r written: row i of v times sqrt(w[i]) (the caller passes only rows of positive w)
#include "common.cuh"

extern "C" __global__ void fid_block_mean(double* bm, const float* rows, int nb, int F) {
    for (long long j = grid_start(); j < F; j += grid_stride()) {
        double s = 0.0;
        for (int r = 0; r < nb; r++) s += (double)rows[(long long)r * F + j];
        bm[j] = s / nb;
    }
}

extern "C" __global__ void fid_center(double* xc, const float* rows, const double* bm, int nb, int F) {
    const long long n = (long long)nb * F;
    for (long long i = grid_start(); i < n; i += grid_stride()) xc[i] = (double)rows[i] - bm[i % F];
}

extern "C" __global__ void fid_merge_mean(double* delta, double* mean, const double* bm, double frac, int F) {
    for (long long j = grid_start(); j < F; j += grid_stride()) {
        const double d = bm[j] - mean[j];
        delta[j] = d;
        mean[j] += d * frac;
    }
}

extern "C" __global__ void fid_rank1(double* m2, const double* delta, double w, int F) {
    const long long n = (long long)F * F;
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        const long long r = i / F, c = i % F;
        m2[i] += (delta[r] * w) * delta[c];
    }
}

extern "C" __global__ void fid_symmetrise(double* out, const double* s, int F) {
    const long long n = (long long)F * F;
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        const long long r = i / F, c = i % F;
        out[i] = r == c ? s[i] : (s[i] + s[c * F + r]) * 0.5;
    }
}

extern "C" __global__ void fid_scaled_copy(double* y, const double* a, double c, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) y[i] = a[i] / c;
}

extern "C" __global__ void fid_scale(double* x, double s, long long n) {
    for (long long i = grid_start(); i < n; i += grid_stride()) x[i] *= s;
}

extern "C" __global__ void fid_identity(double* t, double v, int F) {
    const long long n = (long long)F * F;
    for (long long i = grid_start(); i < n; i += grid_stride()) t[i] = i / F == i % F ? v : 0.0;
}

extern "C" __global__ void fid_trace(double* out, const double* a, int F) {
    double s = 0.0;
    for (long long j = threadIdx.x; j < F; j += blockDim.x) s += a[j * F + j];
    s = block_sum(s);
    if (threadIdx.x == 0) out[0] = s;
}

extern "C" __global__ void fid_sum_squares(double* partials, const double* a, long long n) {
    double s = 0.0;
    for (long long i = grid_start(); i < n; i += grid_stride()) s += a[i] * a[i];
    s = block_sum(s);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

extern "C" __global__ void fid_scale_rows(double* r, const double* v, const double* w, int rows, int F) {
    const long long n = (long long)rows * F;
    for (long long i = grid_start(); i < n; i += grid_stride()) r[i] = v[i] * sqrt(w[i / F]);
}

extern "C" __global__ void fid_symmetrise_in_place(double* a, int F) {
    const long long n = (long long)F * F;
    for (long long i = grid_start(); i < n; i += grid_stride()) {
        const long long r = i / F, c = i % F;
        if (c <= r) continue;                                  // each pair once, by the thread of its upper element
        const double v = (a[i] + a[c * F + r]) * 0.5;
        a[i] = v;
        a[c * F + r] = v;
    }
}
