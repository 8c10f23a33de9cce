// noise.cu: Philox4x32-10 and Box-Muller normals. Twin of dev.sparring.random.Philox, bit for bit on the
// uint32 words (see that class for the stream layout).
//
// Stream: the key is the 64-bit seed (k0 = low word, k1 = high word); block b of the stream is Philox of the
// counter (low word of b, high word of b, 0, 0). Element i of a draw that starts at block `counter` is word
// i % 4 of block counter + i / 4. One thread computes one block (four outputs).
//
// Written:
//   philox_normal  out[i] = standard normal, n elements: per block, pairs (w0, w1) and (w2, w3) give
//                  u = (w + 0.5) / 2^32, r = sqrt(-2 ln u_a), (r cos 2 pi u_b, r sin 2 pi u_b), in double,
//                  rounded to float. The uint32 words match Philox.java exactly; the normals agree up to the
//                  accuracy of the two double math libraries (log, sqrt, sin, cos: 1 ulp of double), which
//                  rounds to the same float but for rare ties.
//   philox_words   out[i] = the raw uint32 word i of the draw (tests and integer sampling)
//   philox_interpolate  WGAN-GP's random interpolates (CpuBackend.interpolate): row r of out (n rows of `row`
//                  floats) = e a + (1 - e) b in float with e = (float)((w_r + 0.5) / 2^32), w_r word r of the draw;
//                  eps[r] = e. Each thread recomputes the Philox block of its element's row.
#include "common.cuh"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

__device__ __forceinline__ uint4 philox4x32_10(unsigned long long seed, unsigned long long block) {
    unsigned int c0 = (unsigned int)block, c1 = (unsigned int)(block >> 32), c2 = 0u, c3 = 0u;
    unsigned int k0 = (unsigned int)seed, k1 = (unsigned int)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        unsigned int hi0 = __umulhi(PHILOX_M0, c0), lo0 = PHILOX_M0 * c0;
        unsigned int hi1 = __umulhi(PHILOX_M1, c2), lo1 = PHILOX_M1 * c2;
        unsigned int n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    return make_uint4(c0, c1, c2, c3);
}

__device__ __forceinline__ double uniform_open(unsigned int w) {
    return ((double)w + 0.5) * (1.0 / 4294967296.0);
}

extern "C" __global__ void philox_normal(float* out, long long n, unsigned long long seed, unsigned long long counter,
                                         const unsigned long long* stepCounter) {
    counter = step_value(counter, stepCounter);
    const long long blocks = (n + 3) / 4;
    for (long long b = grid_start(); b < blocks; b += grid_stride()) {
        uint4 w = philox4x32_10(seed, counter + (unsigned long long)b);
        double r0 = sqrt(-2.0 * log(uniform_open(w.x)));
        double a0 = 2.0 * 3.141592653589793 * uniform_open(w.y);
        double r1 = sqrt(-2.0 * log(uniform_open(w.z)));
        double a1 = 2.0 * 3.141592653589793 * uniform_open(w.w);
        float z[4] = {(float)(r0 * cos(a0)), (float)(r0 * sin(a0)), (float)(r1 * cos(a1)), (float)(r1 * sin(a1))};
        const long long i0 = b * 4;
        for (int j = 0; j < 4 && i0 + j < n; j++) out[i0 + j] = z[j];
    }
}

extern "C" __global__ void philox_words(unsigned int* out, long long n, unsigned long long seed, unsigned long long counter) {
    const long long blocks = (n + 3) / 4;
    for (long long b = grid_start(); b < blocks; b += grid_stride()) {
        uint4 w = philox4x32_10(seed, counter + (unsigned long long)b);
        unsigned int z[4] = {w.x, w.y, w.z, w.w};
        const long long i0 = b * 4;
        for (int j = 0; j < 4 && i0 + j < n; j++) out[i0 + j] = z[j];
    }
}

extern "C" __global__ void philox_interpolate(float* out, float* eps, const float* a, const float* b, long long rows,
                                              long long row, unsigned long long seed, unsigned long long counter,
                                              const unsigned long long* stepCounter) {
    counter = step_value(counter, stepCounter);
    const long long total = rows * row;
    for (long long i = grid_start(); i < total; i += grid_stride()) {
        const long long r = i / row;
        const uint4 w = philox4x32_10(seed, counter + (unsigned long long)(r / 4));
        const unsigned int words[4] = {w.x, w.y, w.z, w.w};
        const float e = (float)uniform_open(words[r % 4]), u = 1.0f - e;
        out[i] = e * a[i] + u * b[i];
        if (i - r * row == 0) eps[r] = e;
    }
}
