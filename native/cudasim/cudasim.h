// cudasim.h: what a kernels/*.cu file needs to compile as plain C++ for the host simulator.
//
// The simulator (see README.md beside this file) runs Sparring's own kernels on the CPU so that CudaBackend and
// its launch arithmetic can be tested on a machine without a GPU. Each kernel file is compiled by g++ with this
// header force-included (-include cudasim.h); nothing in kernels/ knows about it.
//
// Execution model, as on a GPU but serialised: the blocks of a grid run one after another; the threads of a
// block are fibers (user-level threads) on one OS thread. A fiber runs until it reaches a synchronisation point
// (__syncthreads, or the exchange in a warp shuffle) and then waits; a __syncthreads releases when every thread
// of the block that has not returned waits at one, a shuffle when every such thread of its warp does. Threads
// that wait at different kinds of point forever (a shuffle in divergent code) stop the launch with an error.
// Block-shared memory (__shared__) is a static variable (only one block runs at a time), filled with NaN bytes
// before each block. The result is deterministic: the same launch always interleaves the same way.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <math.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __grid_constant__
#define __restrict__ __restrict
// Block-shared memory: one static per variable, shared by the fibers of the block that is running. Every such
// variable lies in the section cudasim_shared, which the driver fills with 0xff bytes (NaN) before each block, as
// a GPU gives a block shared memory with whatever the last user left there: a block that reads shared memory it
// never wrote sees NaN, not the value the previous block computed. (build.sh puts each kernel file in an unnamed
// namespace, so that the statics of inline functions are not COMDAT objects, which GCC will not mix with others
// in one named section.)
#define __shared__ static __attribute__((section("cudasim_shared")))

struct dim3 {
    unsigned int x = 1, y = 1, z = 1;
};

struct uint4 {
    unsigned int x, y, z, w;
};

inline uint4 make_uint4(unsigned int x, unsigned int y, unsigned int z, unsigned int w) { return uint4{x, y, z, w}; }

namespace cudasim {
// The coordinates of the fiber that is running; the scheduler sets them before it resumes a fiber.
extern dim3 threadIdx, blockIdx, blockDim, gridDim;

// __syncthreads: waits until every thread of the block that has not returned is waiting here too.
void sync_block();
// The exchange of a warp shuffle: waits until every thread of the warp that has not returned is waiting here too.
void sync_warp();

// The 8-byte exchange slot of each lane, for the warp shuffles: [warp][lane]; all ones where no live thread wrote.
extern uint64_t shuffle_slots[32][32];

template <typename T>
T shfl_down(unsigned int mask, T v, unsigned int delta) {
    static_assert(sizeof(T) <= 8, "shuffle of a value wider than 8 bytes");
    if (mask != 0xffffffffu) __builtin_trap();   // only full-warp shuffles are simulated
    // Warps are cut from the linear thread index x + y Dx + z Dx Dy, as on the GPU (and as the scheduler groups
    // them), not from threadIdx.x alone.
    const unsigned int t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    const unsigned int lane = t & 31, warp = t >> 5;
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof(T));
    shuffle_slots[warp][lane] = bits;
    sync_warp();                                  // every lane has written
    // A source lane outside the warp gives the lane's own value; a lane that has returned, or that the block does
    // not have (a last warp of fewer than 32 threads), gives an undefined value on the GPU: here its slot holds
    // 0xff bytes (NaN), set by the scheduler.
    T out = v;
    if (lane + delta < 32) std::memcpy(&out, &shuffle_slots[warp][lane + delta], sizeof(T));
    sync_warp();                                  // every lane has read before the slots are reused
    return out;
}
}  // namespace cudasim

using cudasim::blockDim;
using cudasim::blockIdx;
using cudasim::gridDim;
using cudasim::threadIdx;

inline void __syncthreads() { cudasim::sync_block(); }
inline void __threadfence() { }                   // one block at a time: every write is already visible

template <typename T>
inline T __shfl_down_sync(unsigned int mask, T v, unsigned int delta) { return cudasim::shfl_down(mask, v, delta); }

inline unsigned int atomicAdd(unsigned int* p, unsigned int v) { unsigned int old = *p; *p = old + v; return old; }
inline int atomicAdd(int* p, int v) { int old = *p; *p = old + v; return old; }
inline float atomicAdd(float* p, float v) { float old = *p; *p = old + v; return old; }
inline double atomicAdd(double* p, double v) { double old = *p; *p = old + v; return old; }

inline unsigned int __umulhi(unsigned int a, unsigned int b) { return (unsigned int)(((uint64_t)a * b) >> 32); }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }

using std::isinf;
using std::isnan;
using std::signbit;
