// cudasim: a host stand-in for cuDNN 9 (libcudnn.so.9), for tests on machines without a GPU.
//
// It exports the legacy-API entry points that src/main/java/dev/sparring/backend/cuda/Cudnn.java binds, with the
// names, argument orders and enum values of cuDNN 9's cudnn_graph.h, cudnn_ops.h and cudnn_cnn.h, and computes
// on host memory: in the simulator a "device pointer" is a host pointer (the simulated cuMemAlloc maps host
// memory). The convolutions and batch-norm calls validate their arguments and read alpha, beta and the
// descriptors' contents when they are called, and return their status then; their computation goes to the
// handle's stream through the simulated driver (stream_submit.h): it runs at once, or, where that stream is
// capturing, at each launch of the captured graph, with the values of call time (the caller may change alpha or
// destroy a descriptor after the capture). Without the simulator's libcuda.so.1 in the process, it runs at once.
// The algorithm searches (cudnnFind*AlgorithmEx) always run at once.
//
// What it is for: running CudaBackend's Java layer on a CPU against the parity tests, and catching Java-side
// mistakes that the real library would reject. So it validates like cuDNN does, from cuDNN's API reference:
//   - handles and descriptors must be live and of the right kind (a destroyed or wrong-kind object is
//     CUDNN_STATUS_BAD_PARAM here; the real library would often just crash), and set before use;
//   - convolution descriptors must agree: x channels == filter C, y == (N, K, P, Q) with
//     P = (H + 2 pad - dil (R - 1) - 1) / stride + 1, the filter no larger than the padded input;
//   - NULL data pointers and NULL alpha/beta are CUDNN_STATUS_BAD_PARAM;
//   - the workspace passed with an algorithm must be at least what cudnnGetConvolution*WorkspaceSize said;
//   - batch norm's per-channel descriptor must be 1xCx1x1 with x's C, x/y/dx/dy must agree, epsilon must be at
//     least CUDNN_BN_MIN_EPSILON, and the saved (or running) mean and variance pointers are both NULL or neither.
//
// Algorithms: each direction has two, algo 0 (no workspace) and algo 1 (needs the output's size in bytes of
// workspace, and reports a shorter time so that the search prefers it and the caller's workspace path is used).
// When algo 1 runs, it overwrites exactly the bytes it asked for with a NaN pattern, before and after computing:
// a workspace that is smaller than the caller claims, or that overlaps a tensor, then shows up as NaNs instead of
// going unnoticed. Other algorithm numbers of the enum are CUDNN_STATUS_NOT_SUPPORTED, as an algorithm that does
// not apply to a problem is in cuDNN; numbers outside the enum are CUDNN_STATUS_BAD_PARAM.
//
// What it cannot tell: anything about real cuDNN numerics (which kernels, TF32, accumulation order, atomics),
// speed, memory use, or asynchronous behaviour. It computes every sum in double and rounds once to float, so it is
// closer to exact than cuDNN; the parity tests' tolerances are for cuDNN, not for this. Only float NCHW tensors,
// KCRS filters, group count 1 and spatial batch norm are implemented; other valid settings are
// CUDNN_STATUS_NOT_SUPPORTED here even where cuDNN supports them.
//
// Self-contained: no state shared with the other simulator libraries, only the C++ standard library and the
// driver's cudasim_stream_submit, looked up at run time.

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>
#include "stream_submit.h"

#define CUDNN_API extern "C" __attribute__((visibility("default")))

// The handle and descriptor types carry cuDNN's struct names so that the exported signatures read like the header.
struct cudnnContext;
struct cudnnTensorStruct;
struct cudnnFilterStruct;
struct cudnnConvolutionStruct;
typedef cudnnContext *cudnnHandle_t;
typedef cudnnTensorStruct *cudnnTensorDescriptor_t;
typedef cudnnFilterStruct *cudnnFilterDescriptor_t;
typedef cudnnConvolutionStruct *cudnnConvolutionDescriptor_t;
typedef void *cudaStream_t;
typedef int cudnnStatus_t;  // the enums are int-sized in the C ABI

// cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t: the three structs have this same layout.
struct cudnnConvolutionAlgoPerf {
    int algo;
    cudnnStatus_t status;
    float time;
    size_t memory;
    int determinism;
    int mathType;
    int reserved[3];
};
static_assert(sizeof(cudnnConvolutionAlgoPerf) == 48, "Cudnn.PERF_BYTES");
static_assert(offsetof(cudnnConvolutionAlgoPerf, memory) == 16, "Cudnn.PERF_MEMORY");
static_assert(offsetof(cudnnConvolutionAlgoPerf, determinism) == 24, "Cudnn.PERF_DETERMINISM");
static_assert(offsetof(cudnnConvolutionAlgoPerf, mathType) == 28, "Cudnn.PERF_MATH_TYPE");

namespace {

// cudnnStatus_t values of cuDNN 9 (cudnn_graph.h).
constexpr cudnnStatus_t SUCCESS = 0;
constexpr cudnnStatus_t BAD_PARAM = 2000;
constexpr cudnnStatus_t NOT_SUPPORTED = 3000;
// cuDNN 9 keeps CUDNN_STATUS_ALLOC_FAILED as a deprecated alias of this code.
constexpr cudnnStatus_t HOST_ALLOCATION_FAILED = 4003;
constexpr cudnnStatus_t EXECUTION_FAILED = 5000;

// The version this simulator presents: 9.10.0, encoded as cuDNN 9 does (major * 10000 + minor * 100 + patch).
constexpr size_t kVersion = 91000;

// cudnnDataType_t, cudnnTensorFormat_t, cudnnConvolutionMode_t, cudnnMathType_t, cudnnBatchNormMode_t,
// cudnnDeterminism_t. The data type enum of cuDNN 9.10 ends at CUDNN_DATA_FP4_E2M1 = 16.
constexpr int DATA_FLOAT = 0, DATA_TYPE_COUNT = 17;
constexpr int TENSOR_NCHW = 0, TENSOR_FORMAT_COUNT = 3;
constexpr int CONVOLUTION = 0, CROSS_CORRELATION = 1;
constexpr int MATH_TYPE_COUNT = 4;  // DEFAULT, TENSOR_OP, TENSOR_OP_ALLOW_CONVERSION, FMA
constexpr int BATCHNORM_PER_ACTIVATION = 0, BATCHNORM_SPATIAL = 1, BATCHNORM_SPATIAL_PERSISTENT = 2;
constexpr int NON_DETERMINISTIC = 0, DETERMINISTIC = 1;

// cuDNN 9's cudnn_ops.h defines CUDNN_BN_MIN_EPSILON as 0.0 (it was 1e-5 up to cuDNN 7.0). The checks below
// compare against the header's value, so any epsilon >= 0 is accepted, as cuDNN 9 accepts it.
constexpr double BN_MIN_EPSILON = 0.0;

enum class Dir { Forward, BackwardData, BackwardFilter };

// *_ALGO_COUNT of cudnnConvolutionFwdAlgo_t, cudnnConvolutionBwdDataAlgo_t, cudnnConvolutionBwdFilterAlgo_t.
int algoCount(Dir d) {
    switch (d) {
        case Dir::Forward: return 8;
        case Dir::BackwardData: return 6;
        case Dir::BackwardFilter: return 7;
    }
    return 0;
}

enum class Kind { Handle, Tensor, Filter, Convolution };

}  // namespace

struct cudnnContext {
    cudaStream_t stream = nullptr;
};

struct cudnnTensorStruct {
    bool set = false;
    int dataType = DATA_FLOAT, n = 0, c = 0, h = 0, w = 0;
};

struct cudnnFilterStruct {
    bool set = false;
    int dataType = DATA_FLOAT, k = 0, c = 0, r = 0, s = 0;
};

struct cudnnConvolutionStruct {
    bool set = false;
    int padH = 0, padW = 0, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
    int mode = CROSS_CORRELATION, computeType = DATA_FLOAT, mathType = 0;
};

namespace {

// Every live handle and descriptor with its kind. Looking objects up here instead of trusting the pointer is what
// turns a destroyed descriptor, a double destroy, or a filter passed where a tensor belongs into BAD_PARAM.
class Registry {
public:
    bool add(const void *p, Kind k) {
        std::lock_guard<std::mutex> lock(mutex_);
        try {
            live_[p] = k;
            return true;
        } catch (const std::bad_alloc &) {
            return false;
        }
    }

    bool is(const void *p, Kind k) {
        if (p == nullptr) return false;
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = live_.find(p);
        return it != live_.end() && it->second == k;
    }

    bool remove(const void *p, Kind k) {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = live_.find(p);
        if (it == live_.end() || it->second != k) return false;
        live_.erase(it);
        return true;
    }

private:
    std::mutex mutex_;
    std::unordered_map<const void *, Kind> live_;
};

Registry &registry() {
    static Registry r;  // built on first use: no static initialisation order to worry about
    return r;
}

template <class T>
cudnnStatus_t create(T **out, Kind kind) {
    if (out == nullptr) return BAD_PARAM;
    T *obj = new (std::nothrow) T();
    if (obj == nullptr || !registry().add(obj, kind)) {
        delete obj;
        return HOST_ALLOCATION_FAILED;
    }
    *out = obj;
    return SUCCESS;
}

// cuDNN's destroy functions accept NULL as a no-op, like free(NULL).
template <class T>
cudnnStatus_t destroy(T *obj, Kind kind) {
    if (obj == nullptr) return SUCCESS;
    if (!registry().remove(obj, kind)) return BAD_PARAM;
    delete obj;
    return SUCCESS;
}

bool liveHandle(cudnnHandle_t h) { return registry().is(h, Kind::Handle); }

// A set tensor/filter/convolution descriptor, or nullptr when it is not live, of another kind, or never set.
const cudnnTensorStruct *tensor(const cudnnTensorStruct *d) {
    return registry().is(d, Kind::Tensor) && d->set ? d : nullptr;
}
const cudnnFilterStruct *filter(const cudnnFilterStruct *d) {
    return registry().is(d, Kind::Filter) && d->set ? d : nullptr;
}
const cudnnConvolutionStruct *convolution(const cudnnConvolutionStruct *d) {
    return registry().is(d, Kind::Convolution) && d->set ? d : nullptr;
}

// Data types and layouts: an out-of-enum value is BAD_PARAM as in cuDNN; a valid one that the simulator does not
// compute with (anything but float, NCHW) is NOT_SUPPORTED.
cudnnStatus_t checkTypeAndFormat(int dataType, int format) {
    if (dataType < 0 || dataType >= DATA_TYPE_COUNT || format < 0 || format >= TENSOR_FORMAT_COUNT) return BAD_PARAM;
    if (dataType != DATA_FLOAT || format != TENSOR_NCHW) return NOT_SUPPORTED;
    return SUCCESS;
}

// cuDNN's tensors hold at most 2^31 - 1 elements ("2 Giga-elements"); more is NOT_SUPPORTED.
cudnnStatus_t checkDims(int a, int b, int c, int d) {
    if (a <= 0 || b <= 0 || c <= 0 || d <= 0) return BAD_PARAM;
    if (static_cast<int64_t>(a) * b * c * d > INT_MAX) return NOT_SUPPORTED;
    return SUCCESS;
}

// Bytes the NaN pattern 0x7FC0DEAD is made of, little-endian: a quiet NaN whose payload is easy to spot in a dump.
void scribble(void *p, size_t bytes) {
    static const unsigned char pattern[4] = {0xAD, 0xDE, 0xC0, 0x7F};
    auto *b = static_cast<unsigned char *>(p);
    for (size_t i = 0; i < bytes; i++) b[i] = pattern[i % 4];
}

// Reads every element, so that a bad input pointer faults inside the call that was given it.
void touch(const float *p, size_t count) {
    volatile float sink = 0;
    float sum = 0;
    for (size_t i = 0; i < count; i++) sum += p[i];
    sink = sum;
    (void)sink;
}

// out = alpha * acc + beta * out, in double and rounded once. With beta == 0 the old value is not read: cuDNN
// documents that the output need not be initialised then, so NaN or garbage in it must not leak through.
inline void blend(float *out, double acc, float alpha, float beta) {
    double v = static_cast<double>(alpha) * acc;
    if (beta != 0.0f) v += static_cast<double>(beta) * static_cast<double>(*out);
    *out = static_cast<float>(v);
}

// Puts a call's computation (a closure of values read at call time) on the handle's stream: run now, or recorded
// where the stream captures (stream_submit.h). A status of the driver is EXECUTION_FAILED.
template <class Work>
cudnnStatus_t run(cudnnHandle_t handle, Work work) {
    int st = cudasim_stream::submit(handle->stream, std::move(work));
    return st == 0 ? SUCCESS : st < 0 ? HOST_ALLOCATION_FAILED : EXECUTION_FAILED;
}

// ---------------------------------------------------------------------------------------------- convolution

// One convolution with its descriptors checked against each other. Names are the forward ones: x (N,C,H,W),
// w (K,C,R,S), y (N,K,P,Q). For backward data x and y are dx and dy; for backward filter w is dw.
struct Conv {
    int64_t N, C, H, W, K, R, S, P, Q;
    int64_t padH, padW, strideH, strideW, dilationH, dilationW;
    bool flip;  // CUDNN_CONVOLUTION: the kernel is applied rotated by 180 degrees

    size_t xCount() const { return static_cast<size_t>(N * C * H * W); }
    size_t wCount() const { return static_cast<size_t>(K * C * R * S); }
    size_t yCount() const { return static_cast<size_t>(N * K * P * Q); }
    int64_t tapR(int64_t r) const { return flip ? R - 1 - r : r; }
    int64_t tapS(int64_t s) const { return flip ? S - 1 - s : s; }
    size_t x(int64_t n, int64_t c, int64_t h, int64_t w) const { return static_cast<size_t>(((n * C + c) * H + h) * W + w); }
    size_t wt(int64_t k, int64_t c, int64_t r, int64_t s) const { return static_cast<size_t>(((k * C + c) * R + tapR(r)) * S + tapS(s)); }
    size_t y(int64_t n, int64_t k, int64_t p, int64_t q) const { return static_cast<size_t>(((n * K + k) * P + p) * Q + q); }
};

// The checks that cuDNN's convolution entry points share (their CUDNN_STATUS_BAD_PARAM lists), for all three
// directions: live set descriptors, float compute type, matching channels, batch and output size.
cudnnStatus_t makeConv(cudnnHandle_t handle, const cudnnTensorStruct *xDesc, const cudnnFilterStruct *wDesc,
                       const cudnnConvolutionStruct *convDesc, const cudnnTensorStruct *yDesc, Conv *out) {
    if (!liveHandle(handle)) return BAD_PARAM;
    const cudnnTensorStruct *xd = tensor(xDesc), *yd = tensor(yDesc);
    const cudnnFilterStruct *wd = filter(wDesc);
    const cudnnConvolutionStruct *cd = convolution(convDesc);
    if (xd == nullptr || yd == nullptr || wd == nullptr || cd == nullptr) return BAD_PARAM;
    // FLOAT_CONFIG is the only configuration for float tensors: float data, float compute type.
    if (cd->computeType != DATA_FLOAT) return NOT_SUPPORTED;
    if (xd->c != wd->c) return BAD_PARAM;                   // input feature maps of x and w
    if (yd->c != wd->k || yd->n != xd->n) return BAD_PARAM;  // output feature maps, batch
    Conv v{};
    v.N = xd->n; v.C = xd->c; v.H = xd->h; v.W = xd->w;
    v.K = wd->k; v.R = wd->r; v.S = wd->s;
    v.padH = cd->padH; v.padW = cd->padW;
    v.strideH = cd->strideH; v.strideW = cd->strideW;
    v.dilationH = cd->dilationH; v.dilationW = cd->dilationW;
    v.flip = cd->mode == CONVOLUTION;
    int64_t spanR = v.dilationH * (v.R - 1) + 1, spanS = v.dilationW * (v.S - 1) + 1;
    if (v.H + 2 * v.padH < spanR || v.W + 2 * v.padW < spanS) return BAD_PARAM;  // filter larger than padded input
    v.P = (v.H + 2 * v.padH - spanR) / v.strideH + 1;
    v.Q = (v.W + 2 * v.padW - spanS) / v.strideW + 1;
    // cuDNN's reference lists a y whose size is not cudnnGetConvolutionNdForwardOutputDim's among the errors:
    // under BAD_PARAM for backward data, and, as far as we could check, under NOT_SUPPORTED for the forward. The
    // simulator says BAD_PARAM in all three directions; either way the call fails.
    if (yd->h != v.P || yd->w != v.Q) return BAD_PARAM;
    *out = v;
    return SUCCESS;
}

size_t outputBytes(Dir d, const Conv &v) {
    switch (d) {
        case Dir::Forward: return v.yCount() * sizeof(float);
        case Dir::BackwardData: return v.xCount() * sizeof(float);
        case Dir::BackwardFilter: return v.wCount() * sizeof(float);
    }
    return 0;
}

// An algorithm number outside the enum is a bad parameter; one inside it that the simulator does not implement
// is NOT_SUPPORTED, which cuDNN returns for an algorithm that does not support the problem.
cudnnStatus_t checkAlgo(Dir d, int algo) {
    if (algo < 0 || algo >= algoCount(d)) return BAD_PARAM;
    return algo <= 1 ? SUCCESS : NOT_SUPPORTED;
}

size_t workspaceNeeded(Dir d, const Conv &v, int algo) { return algo == 1 ? outputBytes(d, v) : 0; }

// cuDNN marks backward data and backward filter ALGO_0 non-deterministic (they accumulate with atomics); the
// simulator is deterministic everywhere but reports what cuDNN reports.
int determinism(Dir d, int algo) { return d != Dir::Forward && algo == 0 ? NON_DETERMINISTIC : DETERMINISTIC; }

void forward(const Conv &v, const float *x, const float *w, float alpha, float beta, float *y) {
    for (int64_t n = 0; n < v.N; n++)
        for (int64_t k = 0; k < v.K; k++)
            for (int64_t p = 0; p < v.P; p++)
                for (int64_t q = 0; q < v.Q; q++) {
                    double acc = 0;
                    for (int64_t c = 0; c < v.C; c++)
                        for (int64_t r = 0; r < v.R; r++) {
                            int64_t h = p * v.strideH - v.padH + r * v.dilationH;
                            if (h < 0 || h >= v.H) continue;
                            for (int64_t s = 0; s < v.S; s++) {
                                int64_t ww = q * v.strideW - v.padW + s * v.dilationW;
                                if (ww < 0 || ww >= v.W) continue;
                                acc += static_cast<double>(x[v.x(n, c, h, ww)]) * static_cast<double>(w[v.wt(k, c, r, s)]);
                            }
                        }
                    blend(&y[v.y(n, k, p, q)], acc, alpha, beta);
                }
}

// dx[n,c,h,w] gathers every dy[n,k,p,q] whose window covered (h, w) through tap (r, s): one sum per output
// element, so it is rounded once like the forward.
void backwardData(const Conv &v, const float *dy, const float *w, float alpha, float beta, float *dx) {
    for (int64_t n = 0; n < v.N; n++)
        for (int64_t c = 0; c < v.C; c++)
            for (int64_t h = 0; h < v.H; h++)
                for (int64_t ww = 0; ww < v.W; ww++) {
                    double acc = 0;
                    for (int64_t k = 0; k < v.K; k++)
                        for (int64_t r = 0; r < v.R; r++) {
                            int64_t ph = h + v.padH - r * v.dilationH;
                            if (ph < 0 || ph % v.strideH != 0 || ph / v.strideH >= v.P) continue;
                            int64_t p = ph / v.strideH;
                            for (int64_t s = 0; s < v.S; s++) {
                                int64_t qw = ww + v.padW - s * v.dilationW;
                                if (qw < 0 || qw % v.strideW != 0 || qw / v.strideW >= v.Q) continue;
                                int64_t q = qw / v.strideW;
                                acc += static_cast<double>(dy[v.y(n, k, p, q)]) * static_cast<double>(w[v.wt(k, c, r, s)]);
                            }
                        }
                    blend(&dx[v.x(n, c, h, ww)], acc, alpha, beta);
                }
}

void backwardFilter(const Conv &v, const float *x, const float *dy, float alpha, float beta, float *dw) {
    for (int64_t k = 0; k < v.K; k++)
        for (int64_t c = 0; c < v.C; c++)
            for (int64_t r = 0; r < v.R; r++)
                for (int64_t s = 0; s < v.S; s++) {
                    double acc = 0;
                    for (int64_t n = 0; n < v.N; n++)
                        for (int64_t p = 0; p < v.P; p++) {
                            int64_t h = p * v.strideH - v.padH + r * v.dilationH;
                            if (h < 0 || h >= v.H) continue;
                            for (int64_t q = 0; q < v.Q; q++) {
                                int64_t ww = q * v.strideW - v.padW + s * v.dilationW;
                                if (ww < 0 || ww >= v.W) continue;
                                acc += static_cast<double>(x[v.x(n, c, h, ww)]) * static_cast<double>(dy[v.y(n, k, p, q)]);
                            }
                        }
                    blend(&dw[v.wt(k, c, r, s)], acc, alpha, beta);
                }
}

// The operands of one direction, named by role: two inputs and the output.
struct Operands {
    const float *in0, *in1;  // forward: x, w; backward data: dy, w; backward filter: x, dy
    float *out;              // forward: y;    backward data: dx;    backward filter: dw
};

void compute(Dir d, const Conv &v, const Operands &o, float alpha, float beta) {
    switch (d) {
        case Dir::Forward: forward(v, o.in0, o.in1, alpha, beta, o.out); break;
        case Dir::BackwardData: backwardData(v, o.in0, o.in1, alpha, beta, o.out); break;
        case Dir::BackwardFilter: backwardFilter(v, o.in0, o.in1, alpha, beta, o.out); break;
    }
}

void touchInputs(Dir d, const Conv &v, const Operands &o) {
    switch (d) {
        case Dir::Forward: touch(o.in0, v.xCount()); touch(o.in1, v.wCount()); break;
        case Dir::BackwardData: touch(o.in0, v.yCount()); touch(o.in1, v.wCount()); break;
        case Dir::BackwardFilter: touch(o.in0, v.xCount()); touch(o.in1, v.yCount()); break;
    }
}

cudnnStatus_t convolve(Dir d, cudnnHandle_t handle, const void *alpha, const cudnnTensorStruct *xDesc,
                       const cudnnFilterStruct *wDesc, const cudnnConvolutionStruct *convDesc, int algo, void *workspace,
                       size_t workspaceBytes, const void *beta, const cudnnTensorStruct *yDesc, const Operands &o) {
    Conv v{};
    cudnnStatus_t st = makeConv(handle, xDesc, wDesc, convDesc, yDesc, &v);
    if (st != SUCCESS) return st;
    if (alpha == nullptr || beta == nullptr || o.in0 == nullptr || o.in1 == nullptr || o.out == nullptr) return BAD_PARAM;
    if ((st = checkAlgo(d, algo)) != SUCCESS) return st;
    size_t need = workspaceNeeded(d, v, algo);
    if (need > 0 && (workspace == nullptr || workspaceBytes < need)) return BAD_PARAM;
    float a = *static_cast<const float *>(alpha), b = *static_cast<const float *>(beta);
    // Garbage before the computation exposes a workspace that overlaps an input, after it one that overlaps the
    // output; either way exactly `need` bytes, so a workspace smaller than the caller says it is corrupts memory.
    return run(handle, [=]() {
        if (need > 0) scribble(workspace, need);
        compute(d, v, o, a, b);
        if (need > 0) scribble(workspace, need);
    });
}

cudnnStatus_t workspaceSize(Dir d, cudnnHandle_t handle, const cudnnTensorStruct *xDesc, const cudnnFilterStruct *wDesc,
                            const cudnnConvolutionStruct *convDesc, const cudnnTensorStruct *yDesc, int algo, size_t *bytes) {
    Conv v{};
    cudnnStatus_t st = makeConv(handle, xDesc, wDesc, convDesc, yDesc, &v);
    if (st != SUCCESS) return st;
    if (bytes == nullptr) return BAD_PARAM;
    if ((st = checkAlgo(d, algo)) != SUCCESS) return st;
    *bytes = workspaceNeeded(d, v, algo);
    return SUCCESS;
}

cudnnStatus_t maxCount(Dir d, cudnnHandle_t handle, int *count) {
    if (!liveHandle(handle) || count == nullptr) return BAD_PARAM;
    *count = algoCount(d);
    return SUCCESS;
}

// cudnnFind*AlgorithmEx: "runs" the two implemented algorithms and reports every algorithm of the enum, as cuDNN
// does: the ones that ran, fastest first, then the ones that could not run (time -1). An algorithm that needs more
// workspace than the caller offered is reported with CUDNN_STATUS_ALLOC_FAILED (4003 in cuDNN 9) and the memory it
// needs; the others of the enum with CUDNN_STATUS_NOT_SUPPORTED and 0 bytes. The times are made up (algo 1 is
// twice as fast as algo 0) so that a search with enough workspace picks algo 1. The output is overwritten with
// the NaN pattern: cuDNN documents its content after the search as arbitrary, and a caller that passed a tensor
// it still needs should see it destroyed rather than left almost right.
cudnnStatus_t find(Dir d, cudnnHandle_t handle, const cudnnTensorStruct *xDesc, const cudnnFilterStruct *wDesc,
                   const cudnnConvolutionStruct *convDesc, const cudnnTensorStruct *yDesc, const Operands &o,
                   int requested, int *returned, cudnnConvolutionAlgoPerf *perf, void *workspace, size_t workspaceBytes) {
    Conv v{};
    cudnnStatus_t st = makeConv(handle, xDesc, wDesc, convDesc, yDesc, &v);
    if (st != SUCCESS) return st;
    if (o.in0 == nullptr || o.in1 == nullptr || o.out == nullptr || returned == nullptr || perf == nullptr) return BAD_PARAM;
    if (requested < 1) return BAD_PARAM;

    touchInputs(d, v, o);
    int mathType = convolution(convDesc)->mathType;
    double flops = 2.0 * static_cast<double>(v.yCount()) * static_cast<double>(v.C * v.R * v.S);
    float time0 = static_cast<float>(std::max(1e-3, flops * 1e-9));  // "milliseconds" at 1 GFLOP/ms

    std::vector<cudnnConvolutionAlgoPerf> ok, failed;
    auto entry = [&](int algo, cudnnStatus_t status, float time, size_t memory) {
        cudnnConvolutionAlgoPerf p{};
        p.algo = algo;
        p.status = status;
        p.time = time;
        p.memory = memory;
        p.determinism = determinism(d, algo);
        p.mathType = mathType;
        return p;
    };
    size_t need1 = workspaceNeeded(d, v, 1);
    if (workspace != nullptr && workspaceBytes >= need1) {
        scribble(workspace, need1);
        ok.push_back(entry(1, SUCCESS, time0 / 2, need1));
    } else {
        failed.push_back(entry(1, HOST_ALLOCATION_FAILED, -1.0f, need1));
    }
    ok.push_back(entry(0, SUCCESS, time0, 0));
    std::stable_sort(ok.begin(), ok.end(), [](const auto &a, const auto &b) { return a.time < b.time; });
    for (int algo = 2; algo < algoCount(d); algo++) failed.push_back(entry(algo, NOT_SUPPORTED, -1.0f, 0));

    int n = 0;
    for (const auto *list : {&ok, &failed})
        for (const auto &p : *list)
            if (n < requested) perf[n++] = p;
    *returned = n;
    scribble(o.out, outputBytes(d, v));
    return SUCCESS;
}

// ---------------------------------------------------------------------------------------------- batch norm

// x (N,C,H,W) with its per-channel descriptor checked: spatial mode, bnDesc 1xCx1x1, float, epsilon in range.
struct BatchNorm {
    int64_t N, C, HW;
    size_t at(int64_t n, int64_t c) const { return static_cast<size_t>((n * C + c) * HW); }
    double count() const { return static_cast<double>(N * HW); }
};

cudnnStatus_t checkMode(int mode) {
    if (mode == BATCHNORM_SPATIAL) return SUCCESS;
    if (mode == BATCHNORM_PER_ACTIVATION || mode == BATCHNORM_SPATIAL_PERSISTENT) return NOT_SUPPORTED;  // valid, not simulated
    return BAD_PARAM;
}

bool sameDims(const cudnnTensorStruct *a, const cudnnTensorStruct *b) {
    return a->n == b->n && a->c == b->c && a->h == b->h && a->w == b->w && a->dataType == b->dataType;
}

// `others` are the descriptors that must match x (y, or dy and dx).
cudnnStatus_t makeBatchNorm(cudnnHandle_t handle, int mode, double epsilon, const cudnnTensorStruct *xDesc,
                            std::initializer_list<const cudnnTensorStruct *> others, const cudnnTensorStruct *bnDesc,
                            BatchNorm *out) {
    if (!liveHandle(handle)) return BAD_PARAM;
    cudnnStatus_t st = checkMode(mode);
    if (st != SUCCESS) return st;
    const cudnnTensorStruct *xd = tensor(xDesc), *bd = tensor(bnDesc);
    if (xd == nullptr || bd == nullptr) return BAD_PARAM;
    for (const cudnnTensorStruct *o : others) {
        const cudnnTensorStruct *od = tensor(o);
        if (od == nullptr || !sameDims(xd, od)) return BAD_PARAM;
    }
    if (bd->n != 1 || bd->c != xd->c || bd->h != 1 || bd->w != 1) return BAD_PARAM;
    if (!(epsilon >= BN_MIN_EPSILON)) return BAD_PARAM;  // also rejects NaN
    *out = BatchNorm{xd->n, xd->c, static_cast<int64_t>(xd->h) * xd->w};
    return SUCCESS;
}

// Mean and biased variance of channel c, two passes in double.
void channelStats(const BatchNorm &b, const float *x, int64_t c, double *mean, double *var) {
    double sum = 0;
    for (int64_t n = 0; n < b.N; n++)
        for (int64_t j = 0; j < b.HW; j++) sum += x[b.at(n, c) + j];
    double m = sum / b.count();
    double sq = 0;
    for (int64_t n = 0; n < b.N; n++)
        for (int64_t j = 0; j < b.HW; j++) {
            double d = x[b.at(n, c) + j] - m;
            sq += d * d;
        }
    *mean = m;
    *var = sq / b.count();
}

// y = alpha * (scale * (x - mean) * invStd + bias) + beta * y over channel c.
void normalize(const BatchNorm &b, const float *x, int64_t c, double mean, double invStd, double scale, double bias,
               float alpha, float beta, float *y) {
    for (int64_t n = 0; n < b.N; n++)
        for (int64_t j = 0; j < b.HW; j++) {
            size_t i = b.at(n, c) + j;
            blend(&y[i], scale * ((x[i] - mean) * invStd) + bias, alpha, beta);
        }
}

}  // namespace

// ================================================================================================ exports

CUDNN_API size_t cudnnGetVersion(void) { return kVersion; }

CUDNN_API const char *cudnnGetErrorString(cudnnStatus_t status) {
    switch (status) {
        case 0: return "CUDNN_STATUS_SUCCESS";
        case 1001: return "CUDNN_STATUS_NOT_INITIALIZED";
        case 1002: return "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH";
        case 1003: return "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH";
        case 1004: return "CUDNN_STATUS_DEPRECATED";
        case 1005: return "CUDNN_STATUS_LICENSE_ERROR";
        case 1006: return "CUDNN_STATUS_RUNTIME_IN_PROGRESS";
        case 1007: return "CUDNN_STATUS_RUNTIME_FP_OVERFLOW";
        case 1008: return "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED";
        case 2000: return "CUDNN_STATUS_BAD_PARAM";
        case 2001: return "CUDNN_STATUS_INVALID_VALUE";
        case 2002: return "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
        case 2003: return "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER";
        case 2004: return "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED";
        case 2005: return "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND";
        case 2006: return "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT";
        case 2007: return "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH";
        case 2008: return "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH";
        case 2009: return "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES";
        case 2010: return "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE";
        case 2011: return "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH";
        case 2012: return "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE";
        case 3000: return "CUDNN_STATUS_NOT_SUPPORTED";
        case 3001: return "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN";
        case 3002: return "CUDNN_STATUS_NOT_SUPPORTED_SHAPE";
        case 3003: return "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE";
        case 3004: return "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT";
        case 3005: return "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER";
        case 3006: return "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART";
        case 3007: return "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH";
        case 3008: return "CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING";
        case 3009: return "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE";
        case 3010: return "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT";
        case 3011: return "CUDNN_STATUS_NOT_SUPPORTED_PADDING";
        case 3012: return "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM";
        case 3013: return "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API";
        case 4000: return "CUDNN_STATUS_INTERNAL_ERROR";
        case 4001: return "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED";
        case 4002: return "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE";
        case 4003: return "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED";
        case 4004: return "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED";
        case 4005: return "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM";
        case 4006: return "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED";
        case 5000: return "CUDNN_STATUS_EXECUTION_FAILED";
        case 5001: return "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER";
        case 5002: return "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS";
        case 5003: return "CUDNN_STATUS_EXECUTION_FAILED_CUDART";
        case 5004: return "CUDNN_STATUS_EXECUTION_FAILED_CURAND";
        default: return "CUDNN_UNKNOWN_STATUS";
    }
}

CUDNN_API cudnnStatus_t cudnnCreate(cudnnHandle_t *handle) { return create(handle, Kind::Handle); }

CUDNN_API cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
    if (handle == nullptr) return BAD_PARAM;  // unlike the descriptors, a NULL handle is an error
    return destroy(handle, Kind::Handle);
}

CUDNN_API cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t stream) {
    if (!liveHandle(handle)) return BAD_PARAM;
    handle->stream = stream;  // where the calls' computations go (stream_submit.h)
    return SUCCESS;
}

// ---------------------------------------------------------------------------------------------- descriptors

CUDNN_API cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *desc) { return create(desc, Kind::Tensor); }

CUDNN_API cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t desc, int format, int dataType, int n, int c,
                                                   int h, int w) {
    if (!registry().is(desc, Kind::Tensor)) return BAD_PARAM;
    cudnnStatus_t st = checkDims(n, c, h, w);
    if (st == BAD_PARAM) return st;
    cudnnStatus_t tf = checkTypeAndFormat(dataType, format);
    if (tf != SUCCESS) return tf;
    if (st != SUCCESS) return st;
    *desc = cudnnTensorStruct{true, dataType, n, c, h, w};
    return SUCCESS;
}

CUDNN_API cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t desc) { return destroy(desc, Kind::Tensor); }

CUDNN_API cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *desc) { return create(desc, Kind::Filter); }

CUDNN_API cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t desc, int dataType, int format, int k, int c,
                                                   int h, int w) {
    if (!registry().is(desc, Kind::Filter)) return BAD_PARAM;
    cudnnStatus_t st = checkDims(k, c, h, w);
    if (st == BAD_PARAM) return st;
    cudnnStatus_t tf = checkTypeAndFormat(dataType, format);
    if (tf != SUCCESS) return tf;
    if (st != SUCCESS) return st;
    *desc = cudnnFilterStruct{true, dataType, k, c, h, w};
    return SUCCESS;
}

CUDNN_API cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t desc) { return destroy(desc, Kind::Filter); }

CUDNN_API cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *desc) {
    return create(desc, Kind::Convolution);
}

CUDNN_API cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t desc, int padH, int padW, int u,
                                                        int v, int dilationH, int dilationW, int mode, int computeType) {
    if (!registry().is(desc, Kind::Convolution)) return BAD_PARAM;
    if (padH < 0 || padW < 0 || u <= 0 || v <= 0 || dilationH <= 0 || dilationW <= 0) return BAD_PARAM;
    if (mode != CONVOLUTION && mode != CROSS_CORRELATION) return BAD_PARAM;
    if (computeType < 0 || computeType >= DATA_TYPE_COUNT) return BAD_PARAM;
    desc->set = true;
    desc->padH = padH; desc->padW = padW;
    desc->strideH = u; desc->strideW = v;
    desc->dilationH = dilationH; desc->dilationW = dilationW;
    desc->mode = mode;
    desc->computeType = computeType;  // checked against the tensors when it is used
    return SUCCESS;
}

CUDNN_API cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t desc, int mathType) {
    if (!registry().is(desc, Kind::Convolution)) return BAD_PARAM;
    if (mathType < 0 || mathType >= MATH_TYPE_COUNT) return BAD_PARAM;
    desc->mathType = mathType;  // recorded and reported by the search; the simulator computes in double anyway
    return SUCCESS;
}

CUDNN_API cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t desc) {
    return destroy(desc, Kind::Convolution);
}

// ---------------------------------------------------------------------------------------------- algorithm search

CUDNN_API cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t handle, int *count) {
    return maxCount(Dir::Forward, handle, count);
}

CUDNN_API cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t handle, int *count) {
    return maxCount(Dir::BackwardData, handle, count);
}

CUDNN_API cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t handle, int *count) {
    return maxCount(Dir::BackwardFilter, handle, count);
}

CUDNN_API cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(
        cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const void *x, const cudnnFilterDescriptor_t wDesc,
        const void *w, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t yDesc, void *y,
        const int requestedAlgoCount, int *returnedAlgoCount, cudnnConvolutionAlgoPerf *perfResults, void *workSpace,
        size_t workSpaceSizeInBytes) {
    Operands o{static_cast<const float *>(x), static_cast<const float *>(w), static_cast<float *>(y)};
    return find(Dir::Forward, handle, xDesc, wDesc, convDesc, yDesc, o, requestedAlgoCount, returnedAlgoCount,
                perfResults, workSpace, workSpaceSizeInBytes);
}

CUDNN_API cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(
        cudnnHandle_t handle, const cudnnFilterDescriptor_t wDesc, const void *w, const cudnnTensorDescriptor_t dyDesc,
        const void *dy, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t dxDesc, void *dx,
        const int requestedAlgoCount, int *returnedAlgoCount, cudnnConvolutionAlgoPerf *perfResults, void *workSpace,
        size_t workSpaceSizeInBytes) {
    Operands o{static_cast<const float *>(dy), static_cast<const float *>(w), static_cast<float *>(dx)};
    return find(Dir::BackwardData, handle, dxDesc, wDesc, convDesc, dyDesc, o, requestedAlgoCount, returnedAlgoCount,
                perfResults, workSpace, workSpaceSizeInBytes);
}

CUDNN_API cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithmEx(
        cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const void *x, const cudnnTensorDescriptor_t dyDesc,
        const void *dy, const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t dwDesc, void *dw,
        const int requestedAlgoCount, int *returnedAlgoCount, cudnnConvolutionAlgoPerf *perfResults, void *workSpace,
        size_t workSpaceSizeInBytes) {
    Operands o{static_cast<const float *>(x), static_cast<const float *>(dy), static_cast<float *>(dw)};
    return find(Dir::BackwardFilter, handle, xDesc, dwDesc, convDesc, dyDesc, o, requestedAlgoCount, returnedAlgoCount,
                perfResults, workSpace, workSpaceSizeInBytes);
}

CUDNN_API cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc,
                                                                const cudnnFilterDescriptor_t wDesc,
                                                                const cudnnConvolutionDescriptor_t convDesc,
                                                                const cudnnTensorDescriptor_t yDesc, int algo,
                                                                size_t *sizeInBytes) {
    return workspaceSize(Dir::Forward, handle, xDesc, wDesc, convDesc, yDesc, algo, sizeInBytes);
}

CUDNN_API cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t handle,
                                                                     const cudnnFilterDescriptor_t wDesc,
                                                                     const cudnnTensorDescriptor_t dyDesc,
                                                                     const cudnnConvolutionDescriptor_t convDesc,
                                                                     const cudnnTensorDescriptor_t dxDesc, int algo,
                                                                     size_t *sizeInBytes) {
    return workspaceSize(Dir::BackwardData, handle, dxDesc, wDesc, convDesc, dyDesc, algo, sizeInBytes);
}

CUDNN_API cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t handle,
                                                                       const cudnnTensorDescriptor_t xDesc,
                                                                       const cudnnTensorDescriptor_t dyDesc,
                                                                       const cudnnConvolutionDescriptor_t convDesc,
                                                                       const cudnnFilterDescriptor_t gradDesc, int algo,
                                                                       size_t *sizeInBytes) {
    return workspaceSize(Dir::BackwardFilter, handle, xDesc, gradDesc, convDesc, dyDesc, algo, sizeInBytes);
}

// ---------------------------------------------------------------------------------------------- convolutions

CUDNN_API cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void *alpha,
                                                const cudnnTensorDescriptor_t xDesc, const void *x,
                                                const cudnnFilterDescriptor_t wDesc, const void *w,
                                                const cudnnConvolutionDescriptor_t convDesc, int algo, void *workSpace,
                                                size_t workSpaceSizeInBytes, const void *beta,
                                                const cudnnTensorDescriptor_t yDesc, void *y) {
    Operands o{static_cast<const float *>(x), static_cast<const float *>(w), static_cast<float *>(y)};
    return convolve(Dir::Forward, handle, alpha, xDesc, wDesc, convDesc, algo, workSpace, workSpaceSizeInBytes, beta,
                    yDesc, o);
}

CUDNN_API cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, const void *alpha,
                                                     const cudnnFilterDescriptor_t wDesc, const void *w,
                                                     const cudnnTensorDescriptor_t dyDesc, const void *dy,
                                                     const cudnnConvolutionDescriptor_t convDesc, int algo,
                                                     void *workSpace, size_t workSpaceSizeInBytes, const void *beta,
                                                     const cudnnTensorDescriptor_t dxDesc, void *dx) {
    Operands o{static_cast<const float *>(dy), static_cast<const float *>(w), static_cast<float *>(dx)};
    return convolve(Dir::BackwardData, handle, alpha, dxDesc, wDesc, convDesc, algo, workSpace, workSpaceSizeInBytes,
                    beta, dyDesc, o);
}

CUDNN_API cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, const void *alpha,
                                                       const cudnnTensorDescriptor_t xDesc, const void *x,
                                                       const cudnnTensorDescriptor_t dyDesc, const void *dy,
                                                       const cudnnConvolutionDescriptor_t convDesc, int algo,
                                                       void *workSpace, size_t workSpaceSizeInBytes, const void *beta,
                                                       const cudnnFilterDescriptor_t dwDesc, void *dw) {
    Operands o{static_cast<const float *>(x), static_cast<const float *>(dy), static_cast<float *>(dw)};
    return convolve(Dir::BackwardFilter, handle, alpha, xDesc, dwDesc, convDesc, algo, workSpace, workSpaceSizeInBytes,
                    beta, dyDesc, o);
}

// ---------------------------------------------------------------------------------------------- batch norm

// Training forward, spatial mode. The batch statistics normalise with the biased variance; the running variance
// is updated with the unbiased one, var * m / (m - 1) over the m = N*H*W values of a channel. cuDNN's reference
// only calls the stored value the "variance"; that cuDNN applies Bessel's correction there was measured by
// MXNet's developers (apache/mxnet#21111: moving variance of cuDNN batch norm == unbiased batch variance), and it
// is what PyTorch, which calls this function for BatchNorm2d on CUDA, documents for running_var. With m == 1 the
// unbiased variance is undefined; the simulator then uses the biased one (0), as Sparring's CPU backend does.
CUDNN_API cudnnStatus_t cudnnBatchNormalizationForwardTraining(
        cudnnHandle_t handle, int mode, const void *alpha, const void *beta, const cudnnTensorDescriptor_t xDesc,
        const void *x, const cudnnTensorDescriptor_t yDesc, void *y, const cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc,
        const void *bnScale, const void *bnBias, double exponentialAverageFactor, void *resultRunningMean,
        void *resultRunningVariance, double epsilon, void *resultSaveMean, void *resultSaveInvVariance) {
    BatchNorm b{};
    cudnnStatus_t st = makeBatchNorm(handle, mode, epsilon, xDesc, {yDesc}, bnScaleBiasMeanVarDesc, &b);
    if (st != SUCCESS) return st;
    if (alpha == nullptr || beta == nullptr || x == nullptr || y == nullptr || bnScale == nullptr || bnBias == nullptr)
        return BAD_PARAM;
    // Both of a pair or neither: cuDNN rejects exactly one NULL.
    if ((resultSaveMean == nullptr) != (resultSaveInvVariance == nullptr)) return BAD_PARAM;
    if ((resultRunningMean == nullptr) != (resultRunningVariance == nullptr)) return BAD_PARAM;

    const float *xf = static_cast<const float *>(x), *scale = static_cast<const float *>(bnScale),
                *bias = static_cast<const float *>(bnBias);
    float *yf = static_cast<float *>(y), *runMean = static_cast<float *>(resultRunningMean),
          *runVar = static_cast<float *>(resultRunningVariance), *saveMean = static_cast<float *>(resultSaveMean),
          *saveInv = static_cast<float *>(resultSaveInvVariance);
    float a = *static_cast<const float *>(alpha), bt = *static_cast<const float *>(beta);
    double f = exponentialAverageFactor, m = b.count();
    return run(handle, [=]() {
        for (int64_t c = 0; c < b.C; c++) {
            double mean, var;
            channelStats(b, xf, c, &mean, &var);
            double invStd = 1.0 / std::sqrt(var + epsilon);
            normalize(b, xf, c, mean, invStd, scale[c], bias[c], a, bt, yf);
            if (saveMean != nullptr) {
                saveMean[c] = static_cast<float>(mean);
                saveInv[c] = static_cast<float>(invStd);
            }
            if (runMean != nullptr) {
                double unbiased = m > 1 ? var * m / (m - 1) : var;
                runMean[c] = static_cast<float>((1 - f) * runMean[c] + f * mean);
                runVar[c] = static_cast<float>((1 - f) * runVar[c] + f * unbiased);
            }
        }
    });
}

CUDNN_API cudnnStatus_t cudnnBatchNormalizationForwardInference(
        cudnnHandle_t handle, int mode, const void *alpha, const void *beta, const cudnnTensorDescriptor_t xDesc,
        const void *x, const cudnnTensorDescriptor_t yDesc, void *y, const cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc,
        const void *bnScale, const void *bnBias, const void *estimatedMean, const void *estimatedVariance, double epsilon) {
    BatchNorm b{};
    cudnnStatus_t st = makeBatchNorm(handle, mode, epsilon, xDesc, {yDesc}, bnScaleBiasMeanVarDesc, &b);
    if (st != SUCCESS) return st;
    if (alpha == nullptr || beta == nullptr || x == nullptr || y == nullptr || bnScale == nullptr || bnBias == nullptr
        || estimatedMean == nullptr || estimatedVariance == nullptr)
        return BAD_PARAM;
    const float *xf = static_cast<const float *>(x), *scale = static_cast<const float *>(bnScale),
                *bias = static_cast<const float *>(bnBias), *mean = static_cast<const float *>(estimatedMean),
                *var = static_cast<const float *>(estimatedVariance);
    float a = *static_cast<const float *>(alpha), bt = *static_cast<const float *>(beta);
    float *yf = static_cast<float *>(y);
    return run(handle, [=]() {
        for (int64_t c = 0; c < b.C; c++) {
            double invStd = 1.0 / std::sqrt(static_cast<double>(var[c]) + epsilon);
            normalize(b, xf, c, mean[c], invStd, scale[c], bias[c], a, bt, yf);
        }
    });
}

// Backward, spatial mode: with xhat = (x - mean) * invStd over the m values of a channel,
//   dBias = sum dy,  dScale = sum dy * xhat,  dx = scale * invStd / m * (m dy - dBias - xhat dScale),
// blended as dx = alphaDataDiff * dx' + betaDataDiff * dx and dScale/dBias with alphaParamDiff/betaParamDiff.
// The mean and inverse std come from the forward pass when given, and are recomputed from x with epsilon when
// both pointers are NULL.
CUDNN_API cudnnStatus_t cudnnBatchNormalizationBackward(
        cudnnHandle_t handle, int mode, const void *alphaDataDiff, const void *betaDataDiff, const void *alphaParamDiff,
        const void *betaParamDiff, const cudnnTensorDescriptor_t xDesc, const void *x, const cudnnTensorDescriptor_t dyDesc,
        const void *dy, const cudnnTensorDescriptor_t dxDesc, void *dx, const cudnnTensorDescriptor_t dBnScaleBiasDesc,
        const void *bnScale, void *dBnScaleResult, void *dBnBiasResult, double epsilon, const void *savedMean,
        const void *savedInvVariance) {
    BatchNorm b{};
    cudnnStatus_t st = makeBatchNorm(handle, mode, epsilon, xDesc, {dyDesc, dxDesc}, dBnScaleBiasDesc, &b);
    if (st != SUCCESS) return st;
    if (alphaDataDiff == nullptr || betaDataDiff == nullptr || alphaParamDiff == nullptr || betaParamDiff == nullptr
        || x == nullptr || dy == nullptr || dx == nullptr || bnScale == nullptr || dBnScaleResult == nullptr
        || dBnBiasResult == nullptr)
        return BAD_PARAM;
    if ((savedMean == nullptr) != (savedInvVariance == nullptr)) return BAD_PARAM;

    const float *xf = static_cast<const float *>(x), *dyf = static_cast<const float *>(dy),
                *scale = static_cast<const float *>(bnScale), *sMean = static_cast<const float *>(savedMean),
                *sInv = static_cast<const float *>(savedInvVariance);
    float *dxf = static_cast<float *>(dx), *dScale = static_cast<float *>(dBnScaleResult),
          *dBias = static_cast<float *>(dBnBiasResult);
    float aD = *static_cast<const float *>(alphaDataDiff), bD = *static_cast<const float *>(betaDataDiff);
    float aP = *static_cast<const float *>(alphaParamDiff), bP = *static_cast<const float *>(betaParamDiff);
    double m = b.count();
    return run(handle, [=]() {
        for (int64_t c = 0; c < b.C; c++) {
            double mean, invStd;
            if (sMean != nullptr) {
                mean = sMean[c];
                invStd = sInv[c];
            } else {
                double var;
                channelStats(b, xf, c, &mean, &var);
                invStd = 1.0 / std::sqrt(var + epsilon);
            }
            double sumDy = 0, sumDyXhat = 0;
            for (int64_t n = 0; n < b.N; n++)
                for (int64_t j = 0; j < b.HW; j++) {
                    size_t i = b.at(n, c) + j;
                    sumDy += dyf[i];
                    sumDyXhat += dyf[i] * ((xf[i] - mean) * invStd);
                }
            double k = scale[c] * invStd / m;
            for (int64_t n = 0; n < b.N; n++)
                for (int64_t j = 0; j < b.HW; j++) {
                    size_t i = b.at(n, c) + j;
                    double xhat = (xf[i] - mean) * invStd;
                    blend(&dxf[i], k * (m * dyf[i] - sumDy - xhat * sumDyXhat), aD, bD);
                }
            blend(&dScale[c], sumDyXhat, aP, bP);
            blend(&dBias[c], sumDy, aP, bP);
        }
    });
}
