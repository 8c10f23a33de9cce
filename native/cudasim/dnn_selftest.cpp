// Self-test of the cudasim cuDNN and cuBLAS stand-ins (cudnn.cpp, cublas.cpp).
//
//   dnn_selftest [DIR]      DIR holds libcudnn.so.9 and libcublas.so.13; default: the folder of this program
//
// It loads the two libraries with dlopen and calls them only through the C ABI that Cudnn.java and Cublas.java
// bind (handles and descriptors as opaque pointers, enums as int), so it also checks the exported names. Each
// operation is compared with a naive reference written here independently (a different loop order and, for the
// backward convolutions, scatter instead of gather; an explicitly flipped kernel for CUDNN_CONVOLUTION), on small
// random shapes that include DCGAN's 4x4 stride-2 pad-1 layers, non-square kernels, strides and dilations, and
// alpha/beta other than 1/0. Batch norm's backward pass is also checked against central differences of the
// forward, and the three convolutions against each other through the adjoint identity
// <conv(x, w), g> = <x, conv^T(g, w)> = <w, corr(x, g)>. Then the validation: every error status that the
// simulators promise for bad descriptors, shapes, pointers, algorithms and workspaces.
//
// Exit status 0 when every check passed; each failure is printed.

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>
#include "selftest_util.h"

namespace {

// ------------------------------------------------------------------------------------------ reporting

int failures = 0, checks = 0;

void fail(const std::string &what) {
    failures++;
    std::printf("FAIL %s\n", what.c_str());
}

void check(bool ok, const std::string &what) {
    checks++;
    if (!ok) fail(what);
}

void expect(int got, int want, const std::string &what) {
    checks++;
    if (got != want) fail(what + ": status " + std::to_string(got) + ", expected " + std::to_string(want));
}

const float NaN = std::numeric_limits<float>::quiet_NaN();

// Compares a float result with a double reference: they may differ by the float rounding of the result plus the
// double rounding of sums of up to `scale` in magnitude (the sum of |terms|).
void closeTo(const std::vector<float> &got, const std::vector<double> &want, const std::vector<double> &scale,
           const std::string &what) {
    checks++;
    if (got.size() != want.size()) { fail(what + ": size"); return; }
    for (size_t i = 0; i < got.size(); i++) {
        double tol = 1.2e-7 * std::fabs(want[i]) + 1e-12 * scale[i] + 1e-30;
        if (!(std::fabs(got[i] - want[i]) <= tol)) {
            char buf[256];
            std::snprintf(buf, sizeof buf, "%s: [%zu] = %.9g, reference %.9g", what.c_str(), i, got[i], want[i]);
            fail(buf);
            return;
        }
    }
}

// Looser comparison for values derived from float intermediates (batch norm from saved float statistics,
// finite differences).
void near(const std::vector<float> &got, const std::vector<double> &want, double rel, double abs, const std::string &what) {
    checks++;
    if (got.size() != want.size()) { fail(what + ": size"); return; }
    for (size_t i = 0; i < got.size(); i++) {
        if (!(std::fabs(got[i] - want[i]) <= rel * std::fabs(want[i]) + abs)) {
            char buf[256];
            std::snprintf(buf, sizeof buf, "%s: [%zu] = %.9g, reference %.9g", what.c_str(), i, got[i], want[i]);
            fail(buf);
            return;
        }
    }
}

std::mt19937 rng(20240611);

std::vector<float> uniform(size_t n, float lo = -1, float hi = 1) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto &x : v) x = d(rng);
    return v;
}

bool allNaN(const float *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!std::isnan(p[i])) return false;
    return true;
}

bool anyNaN(const std::vector<float> &v) {
    for (float x : v)
        if (std::isnan(x)) return true;
    return false;
}

// The simulators' garbage: the little-endian bytes of 0x7FC0DEAD, repeated.
bool scribbled(const void *p, size_t bytes) {
    static const unsigned char pattern[4] = {0xAD, 0xDE, 0xC0, 0x7F};
    const auto *b = static_cast<const unsigned char *>(p);
    for (size_t i = 0; i < bytes; i++)
        if (b[i] != pattern[i % 4]) return false;
    return true;
}

// ------------------------------------------------------------------------------------------ the C ABI

using H = void *;  // handles and descriptors are opaque pointers

struct Perf {  // cudnnConvolution*AlgoPerf_t
    int algo, status;
    float time;
    size_t memory;
    int determinism, mathType, reserved[3];
};
static_assert(sizeof(Perf) == 48, "perf struct");

struct Cudnn {
    size_t (*GetVersion)();
    const char *(*GetErrorString)(int);
    int (*Create)(H *), (*Destroy)(H), (*SetStream)(H, void *);
    int (*CreateTensor)(H *), (*SetTensor4d)(H, int, int, int, int, int, int), (*DestroyTensor)(H);
    int (*CreateFilter)(H *), (*SetFilter4d)(H, int, int, int, int, int, int), (*DestroyFilter)(H);
    int (*CreateConv)(H *), (*SetConv2d)(H, int, int, int, int, int, int, int, int), (*SetMathType)(H, int),
        (*DestroyConv)(H);
    int (*MaxCount[3])(H, int *);
    // (handle, desc, in, desc, in, conv, desc, out, requested, *returned, *perf, ws, wsBytes), in each direction's order
    int (*Find[3])(H, H, const void *, H, const void *, H, H, void *, int, int *, Perf *, void *, size_t);
    int (*WsSize[3])(H, H, H, H, H, int, size_t *);
    // (handle, alpha, desc, in, desc, in, conv, algo, ws, wsBytes, beta, desc, out)
    int (*Conv[3])(H, const void *, H, const void *, H, const void *, H, int, void *, size_t, const void *, H, void *);
    int (*BnTrain)(H, int, const void *, const void *, H, const void *, H, void *, H, const void *, const void *, double,
                   void *, void *, double, void *, void *);
    int (*BnInfer)(H, int, const void *, const void *, H, const void *, H, void *, H, const void *, const void *,
                   const void *, const void *, double);
    int (*BnBackward)(H, int, const void *, const void *, const void *, const void *, H, const void *, H, const void *, H,
                      void *, H, const void *, void *, void *, double, const void *, const void *);
};

struct Cublas {
    int (*Create)(H *), (*Destroy)(H), (*SetStream)(H, void *), (*SetMathMode)(H, int), (*GetVersion)(H, int *),
        (*GetProperty)(int, int *);
    const char *(*GetStatusString)(int);
    int (*Sgemm)(H, int, int, int, int, int, const float *, const float *, int, const float *, int, const float *,
                 float *, int);
    int (*SetWorkspace)(H, void *, size_t);
    int (*Dgemm)(H, int, int, int, int, int, const double *, const double *, int, const double *, int, const double *,
                 double *, int);
};

template <class F>
void symbol(void *lib, const char *name, F &f) {
    f = reinterpret_cast<F>(dlsym(lib, name));
    if (f == nullptr) {
        std::printf("FAIL missing symbol %s\n", name);
        std::exit(1);
    }
}

void *openLib(const std::string &path) {
    void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
        std::printf("FAIL cannot load %s: %s\n", path.c_str(), dlerror());
        std::exit(1);
    }
    return lib;
}

Cudnn loadCudnn(const std::string &dir) {
    void *l = openLib(dir + "/libcudnn.so.9");
    Cudnn d{};
    symbol(l, "cudnnGetVersion", d.GetVersion);
    symbol(l, "cudnnGetErrorString", d.GetErrorString);
    symbol(l, "cudnnCreate", d.Create);
    symbol(l, "cudnnDestroy", d.Destroy);
    symbol(l, "cudnnSetStream", d.SetStream);
    symbol(l, "cudnnCreateTensorDescriptor", d.CreateTensor);
    symbol(l, "cudnnSetTensor4dDescriptor", d.SetTensor4d);
    symbol(l, "cudnnDestroyTensorDescriptor", d.DestroyTensor);
    symbol(l, "cudnnCreateFilterDescriptor", d.CreateFilter);
    symbol(l, "cudnnSetFilter4dDescriptor", d.SetFilter4d);
    symbol(l, "cudnnDestroyFilterDescriptor", d.DestroyFilter);
    symbol(l, "cudnnCreateConvolutionDescriptor", d.CreateConv);
    symbol(l, "cudnnSetConvolution2dDescriptor", d.SetConv2d);
    symbol(l, "cudnnSetConvolutionMathType", d.SetMathType);
    symbol(l, "cudnnDestroyConvolutionDescriptor", d.DestroyConv);
    symbol(l, "cudnnGetConvolutionForwardAlgorithmMaxCount", d.MaxCount[0]);
    symbol(l, "cudnnGetConvolutionBackwardDataAlgorithmMaxCount", d.MaxCount[1]);
    symbol(l, "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", d.MaxCount[2]);
    symbol(l, "cudnnFindConvolutionForwardAlgorithmEx", d.Find[0]);
    symbol(l, "cudnnFindConvolutionBackwardDataAlgorithmEx", d.Find[1]);
    symbol(l, "cudnnFindConvolutionBackwardFilterAlgorithmEx", d.Find[2]);
    symbol(l, "cudnnGetConvolutionForwardWorkspaceSize", d.WsSize[0]);
    symbol(l, "cudnnGetConvolutionBackwardDataWorkspaceSize", d.WsSize[1]);
    symbol(l, "cudnnGetConvolutionBackwardFilterWorkspaceSize", d.WsSize[2]);
    symbol(l, "cudnnConvolutionForward", d.Conv[0]);
    symbol(l, "cudnnConvolutionBackwardData", d.Conv[1]);
    symbol(l, "cudnnConvolutionBackwardFilter", d.Conv[2]);
    symbol(l, "cudnnBatchNormalizationForwardTraining", d.BnTrain);
    symbol(l, "cudnnBatchNormalizationForwardInference", d.BnInfer);
    symbol(l, "cudnnBatchNormalizationBackward", d.BnBackward);
    return d;
}

Cublas loadCublas(const std::string &dir) {
    void *l = openLib(dir + "/libcublas.so.13");
    Cublas b{};
    symbol(l, "cublasCreate_v2", b.Create);
    symbol(l, "cublasDestroy_v2", b.Destroy);
    symbol(l, "cublasSetStream_v2", b.SetStream);
    symbol(l, "cublasSetMathMode", b.SetMathMode);
    symbol(l, "cublasGetVersion_v2", b.GetVersion);
    symbol(l, "cublasGetProperty", b.GetProperty);
    symbol(l, "cublasGetStatusString", b.GetStatusString);
    symbol(l, "cublasSgemm_v2", b.Sgemm);
    symbol(l, "cublasSetWorkspace_v2", b.SetWorkspace);
    symbol(l, "cublasDgemm_v2", b.Dgemm);
    return b;
}

// cuDNN and cuBLAS constants, written out here rather than shared with the simulators.
constexpr int OK = 0, BAD_PARAM = 2000, NOT_SUPPORTED = 3000, ALLOC_FAILED = 4003;
constexpr int FLOAT = 0, DOUBLE = 1, NCHW = 0, NHWC = 1, CONVOLUTION = 0, CROSS_CORRELATION = 1, FMA_MATH = 3;
constexpr int SPATIAL = 1;
constexpr int BLAS_OK = 0, BLAS_NOT_INITIALIZED = 1, BLAS_INVALID_VALUE = 7;
const char *const DIRS[3] = {"forward", "backward data", "backward filter"};
const int ALGO_COUNT[3] = {8, 6, 7};

Cudnn dnn;
Cublas blas;
H handle;

H tensor(int n, int c, int h, int w) {
    H d = nullptr;
    expect(dnn.CreateTensor(&d), OK, "cudnnCreateTensorDescriptor");
    expect(dnn.SetTensor4d(d, NCHW, FLOAT, n, c, h, w), OK, "cudnnSetTensor4dDescriptor");
    return d;
}

H filter(int k, int c, int r, int s) {
    H d = nullptr;
    expect(dnn.CreateFilter(&d), OK, "cudnnCreateFilterDescriptor");
    expect(dnn.SetFilter4d(d, FLOAT, NCHW, k, c, r, s), OK, "cudnnSetFilter4dDescriptor");
    return d;
}

H convolution(int padH, int padW, int sH, int sW, int dH, int dW, int mode) {
    H d = nullptr;
    expect(dnn.CreateConv(&d), OK, "cudnnCreateConvolutionDescriptor");
    expect(dnn.SetConv2d(d, padH, padW, sH, sW, dH, dW, mode, FLOAT), OK, "cudnnSetConvolution2dDescriptor");
    return d;
}

// ------------------------------------------------------------------------------------------ convolution

struct Geom {
    int N, C, H, W, K, R, S, padH, padW, sH, sW, dH, dW, mode;
    int P() const { return (H + 2 * padH - dH * (R - 1) - 1) / sH + 1; }
    int Q() const { return (W + 2 * padW - dW * (S - 1) - 1) / sW + 1; }
    size_t xs() const { return size_t(N) * C * H * W; }
    size_t ws() const { return size_t(K) * C * R * S; }
    size_t ys() const { return size_t(N) * K * P() * Q(); }
    std::string name() const {
        char b[160];
        std::snprintf(b, sizeof b, "x(%d,%d,%d,%d) w(%d,%d,%d,%d) pad(%d,%d) stride(%d,%d) dil(%d,%d) %s", N, C, H, W,
                      K, C, R, S, padH, padW, sH, sW, dH, dW, mode == CONVOLUTION ? "conv" : "xcorr");
        return b;
    }
};

// The kernel as applied: CUDNN_CONVOLUTION rotates it by 180 degrees, made explicit here.
std::vector<float> effectiveKernel(const Geom &g, const std::vector<float> &w) {
    if (g.mode == CROSS_CORRELATION) return w;
    std::vector<float> e(w.size());
    for (int k = 0; k < g.K; k++)
        for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                    e[((size_t(k) * g.C + c) * g.R + r) * g.S + s] = w[((size_t(k) * g.C + c) * g.R + (g.R - 1 - r)) * g.S + (g.S - 1 - s)];
    return e;
}

// Calls fn(n, k, p, q, c, r, s, xIndex, wIndex, yIndex) for every product term of the convolution.
template <class F>
void forEachTerm(const Geom &g, F fn) {
    int P = g.P(), Q = g.Q();
    for (int n = 0; n < g.N; n++)
        for (int c = 0; c < g.C; c++)
            for (int k = 0; k < g.K; k++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++)
                        for (int p = 0; p < P; p++)
                            for (int q = 0; q < Q; q++) {
                                int h = p * g.sH - g.padH + r * g.dH, w = q * g.sW - g.padW + s * g.dW;
                                if (h < 0 || h >= g.H || w < 0 || w >= g.W) continue;
                                fn(((size_t(n) * g.C + c) * g.H + h) * g.W + w, ((size_t(k) * g.C + c) * g.R + r) * g.S + s,
                                   ((size_t(n) * g.K + k) * P + p) * Q + q);
                            }
}

// Reference of one direction: (result, scale) with result = alpha * sum + beta * old.
void reference(int dir, const Geom &g, const std::vector<float> &a, const std::vector<float> &b,
               const std::vector<float> &old, float alpha, float beta, std::vector<double> &out, std::vector<double> &scale) {
    size_t n = dir == 0 ? g.ys() : dir == 1 ? g.xs() : g.ws();
    std::vector<double> sum(n, 0.0), abs(n, 0.0);
    if (dir == 0) {  // a = x, b = w
        std::vector<float> w = effectiveKernel(g, b);
        forEachTerm(g, [&](size_t xi, size_t wi, size_t yi) {
            double t = double(a[xi]) * w[wi];
            sum[yi] += t; abs[yi] += std::fabs(t);
        });
    } else if (dir == 1) {  // a = dy, b = w
        std::vector<float> w = effectiveKernel(g, b);
        forEachTerm(g, [&](size_t xi, size_t wi, size_t yi) {
            double t = double(a[yi]) * w[wi];
            sum[xi] += t; abs[xi] += std::fabs(t);
        });
    } else {  // a = x, b = dy; the sums are over effective-kernel taps, mapped back to storage below
        std::vector<double> es(n, 0.0), ea(n, 0.0);
        forEachTerm(g, [&](size_t xi, size_t wi, size_t yi) {
            double t = double(a[xi]) * b[yi];
            es[wi] += t; ea[wi] += std::fabs(t);
        });
        for (int k = 0; k < g.K; k++)
            for (int c = 0; c < g.C; c++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++) {
                        size_t e = ((size_t(k) * g.C + c) * g.R + r) * g.S + s;
                        size_t st = g.mode == CROSS_CORRELATION ? e
                                                                : ((size_t(k) * g.C + c) * g.R + (g.R - 1 - r)) * g.S + (g.S - 1 - s);
                        sum[st] = es[e]; abs[st] = ea[e];
                    }
    }
    out.assign(n, 0.0);
    scale.assign(n, 0.0);
    for (size_t i = 0; i < n; i++) {
        out[i] = double(alpha) * sum[i];
        scale[i] = std::fabs(double(alpha)) * abs[i];
        if (beta != 0) {
            out[i] += double(beta) * old[i];
            scale[i] += std::fabs(double(beta) * old[i]);
        }
    }
}

struct ConvDescs {
    H x, w, conv, y;
    ConvDescs(const Geom &g) {
        x = tensor(g.N, g.C, g.H, g.W);
        w = filter(g.K, g.C, g.R, g.S);
        conv = convolution(g.padH, g.padW, g.sH, g.sW, g.dH, g.dW, g.mode);
        y = tensor(g.N, g.K, g.P(), g.Q());
    }
    ~ConvDescs() {
        dnn.DestroyTensor(x);
        dnn.DestroyFilter(w);
        dnn.DestroyConv(conv);
        dnn.DestroyTensor(y);
    }
};

// Calls direction `dir` with the descriptors in its own argument order; a, b are its inputs, out its output.
int runConv(int dir, const ConvDescs &d, const void *alpha, const void *a, const void *b, int algo, void *ws,
            size_t wsBytes, const void *beta, void *out) {
    switch (dir) {
        case 0: return dnn.Conv[0](handle, alpha, d.x, a, d.w, b, d.conv, algo, ws, wsBytes, beta, d.y, out);
        case 1: return dnn.Conv[1](handle, alpha, d.w, b, d.y, a, d.conv, algo, ws, wsBytes, beta, d.x, out);
        default: return dnn.Conv[2](handle, alpha, d.x, a, d.y, b, d.conv, algo, ws, wsBytes, beta, d.w, out);
    }
}

int runFind(int dir, const ConvDescs &d, const void *a, const void *b, void *out, int requested, int *returned,
            Perf *perf, void *ws, size_t wsBytes) {
    switch (dir) {
        case 0: return dnn.Find[0](handle, d.x, a, d.w, b, d.conv, d.y, out, requested, returned, perf, ws, wsBytes);
        case 1: return dnn.Find[1](handle, d.w, b, d.y, a, d.conv, d.x, out, requested, returned, perf, ws, wsBytes);
        default: return dnn.Find[2](handle, d.x, a, d.y, b, d.conv, d.w, out, requested, returned, perf, ws, wsBytes);
    }
}

int wsSize(int dir, const ConvDescs &d, int algo, size_t *bytes) {
    switch (dir) {
        case 0: return dnn.WsSize[0](handle, d.x, d.w, d.conv, d.y, algo, bytes);
        case 1: return dnn.WsSize[1](handle, d.w, d.y, d.conv, d.x, algo, bytes);
        default: return dnn.WsSize[2](handle, d.x, d.y, d.conv, d.w, algo, bytes);
    }
}

void testConvolutions() {
    const Geom geoms[] = {
        {2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, CROSS_CORRELATION},
        {2, 8, 16, 16, 16, 4, 4, 1, 1, 2, 2, 1, 1, CROSS_CORRELATION},  // DCGAN down-sampling; backward data: up-sampling
        {2, 16, 4, 4, 8, 4, 4, 0, 0, 1, 1, 1, 1, CROSS_CORRELATION},    // 4x4 -> 1x1, a critic's last layer
        {3, 5, 7, 7, 6, 1, 1, 0, 0, 1, 1, 1, 1, CONVOLUTION},
        {1, 3, 7, 10, 5, 3, 2, 1, 0, 2, 1, 1, 2, CONVOLUTION},          // non-square everything, flipped kernel
        {2, 2, 9, 11, 3, 3, 3, 2, 1, 3, 2, 2, 1, CROSS_CORRELATION},    // stride 3, dilation 2, uneven pads
        {1, 2, 6, 5, 2, 4, 4, 1, 1, 2, 2, 1, 1, CONVOLUTION},           // 4x4 stride 2 with the flip
        {2, 3, 5, 9, 4, 1, 7, 0, 3, 1, 1, 1, 1, CROSS_CORRELATION},     // Inception-v3's 1x7, padding (0, 3)
        {2, 3, 9, 5, 4, 7, 1, 3, 0, 1, 1, 1, 1, CROSS_CORRELATION},     // and 7x1, padding (3, 0)
    };
    struct Scale { float alpha, beta; bool nanOutput; };
    const Scale scales[] = {{1, 0, true}, {0.75f, -0.5f, false}, {1, 1, false}, {-2, 0.25f, false}};

    for (const Geom &g : geoms) {
        ConvDescs d(g);
        std::vector<float> x = uniform(g.xs()), w = uniform(g.ws()), y = uniform(g.ys());
        const std::vector<float> *in[3][2] = {{&x, &w}, {&y, &w}, {&x, &y}};
        size_t outCount[3] = {g.ys(), g.xs(), g.ws()};
        for (int dir = 0; dir < 3; dir++) {
            size_t need = 0;
            expect(wsSize(dir, d, 0, &need), OK, "workspace size algo 0");
            check(need == 0, g.name() + " " + DIRS[dir] + ": algo 0 needs no workspace");
            expect(wsSize(dir, d, 1, &need), OK, "workspace size algo 1");
            check(need == outCount[dir] * sizeof(float), g.name() + " " + DIRS[dir] + ": algo 1 needs the output's bytes");
            for (int algo = 0; algo < 2; algo++)
                for (const Scale &sc : scales) {
                    std::vector<float> old = uniform(outCount[dir]);
                    if (sc.nanOutput) old.assign(outCount[dir], NaN);
                    std::vector<float> out = old;
                    // the workspace plus a guard band that must stay untouched
                    std::vector<unsigned char> ws(need + 64, 0x5A);
                    std::string what = g.name() + " " + DIRS[dir] + " algo " + std::to_string(algo) + " alpha " +
                                       std::to_string(sc.alpha) + " beta " + std::to_string(sc.beta);
                    expect(runConv(dir, d, &sc.alpha, in[dir][0]->data(), in[dir][1]->data(), algo, ws.data(), ws.size(),
                                   &sc.beta, out.data()), OK, what);
                    std::vector<double> ref, scale;
                    reference(dir, g, *in[dir][0], *in[dir][1], old, sc.alpha, sc.beta, ref, scale);
                    closeTo(out, ref, scale, what);
                    if (sc.nanOutput) check(!anyNaN(out), what + ": beta 0 must not read the NaN output");
                    if (algo == 1) {
                        check(scribbled(ws.data(), need), what + ": workspace overwritten");
                        bool guard = true;
                        for (size_t i = need; i < ws.size(); i++) guard &= ws[i] == 0x5A;
                        check(guard, what + ": nothing written past the required workspace");
                    }
                }
        }

        // The adjoint identity ties the three directions together, in double over float results.
        float one = 1, zero = 0;
        std::vector<float> g1 = uniform(g.ys()), fy(g.ys()), dx(g.xs()), dw(g.ws());
        expect(runConv(0, d, &one, x.data(), w.data(), 0, nullptr, 0, &zero, fy.data()), OK, "adjoint forward");
        expect(runConv(1, d, &one, g1.data(), w.data(), 0, nullptr, 0, &zero, dx.data()), OK, "adjoint backward data");
        expect(runConv(2, d, &one, x.data(), g1.data(), 0, nullptr, 0, &zero, dw.data()), OK, "adjoint backward filter");
        double s0 = 0, s1 = 0, s2 = 0, mag = 0;
        for (size_t i = 0; i < fy.size(); i++) { s0 += double(fy[i]) * g1[i]; mag += std::fabs(double(fy[i]) * g1[i]); }
        for (size_t i = 0; i < dx.size(); i++) s1 += double(x[i]) * dx[i];
        for (size_t i = 0; i < dw.size(); i++) s2 += double(w[i]) * dw[i];
        check(std::fabs(s0 - s1) <= 1e-6 * mag + 1e-9 && std::fabs(s0 - s2) <= 1e-6 * mag + 1e-9,
              g.name() + ": <conv(x,w),g> = <x,conv^T(g,w)> = <w,corr(x,g)>");
    }
}

void testConvolutionSearch() {
    const Geom g{2, 3, 8, 8, 4, 3, 3, 1, 1, 2, 2, 1, 1, CROSS_CORRELATION};
    ConvDescs d(g);
    expect(dnn.SetMathType(d.conv, FMA_MATH), OK, "cudnnSetConvolutionMathType FMA");
    std::vector<float> x = uniform(g.xs()), w = uniform(g.ws()), y = uniform(g.ys());
    const std::vector<float> *in[3][2] = {{&x, &w}, {&y, &w}, {&x, &y}};
    size_t outCount[3] = {g.ys(), g.xs(), g.ws()};
    for (int dir = 0; dir < 3; dir++) {
        std::string name = std::string("find ") + DIRS[dir];
        int count = -1;
        expect(dnn.MaxCount[dir](handle, &count), OK, name + " max count");
        check(count == ALGO_COUNT[dir], name + ": max count is the enum's count");
        expect(dnn.MaxCount[dir](handle, nullptr), BAD_PARAM, name + " max count NULL");
        expect(dnn.MaxCount[dir](nullptr, &count), BAD_PARAM, name + " max count NULL handle");

        size_t need = outCount[dir] * sizeof(float);
        std::vector<Perf> perf(count + 2);
        std::vector<unsigned char> ws(need, 0);
        std::vector<float> out(outCount[dir], 1.0f);
        int got = -1;
        expect(runFind(dir, d, in[dir][0]->data(), in[dir][1]->data(), out.data(), count, &got, perf.data(), ws.data(),
                       ws.size()), OK, name);
        check(got == count, name + ": every algorithm of the enum is reported");
        check(perf[0].algo == 1 && perf[0].status == OK && perf[0].memory == need && perf[0].time > 0,
              name + ": algo 1 first, with its workspace");
        check(perf[1].algo == 0 && perf[1].status == OK && perf[1].memory == 0 && perf[1].time > perf[0].time,
              name + ": then algo 0, slower, no workspace");
        check(perf[0].determinism == 1 && perf[1].determinism == (dir == 0 ? 1 : 0),
              name + ": determinism as cuDNN reports it");
        check(perf[0].mathType == FMA_MATH && perf[1].mathType == FMA_MATH, name + ": math type of the descriptor");
        bool rest = true;
        for (int i = 2; i < count; i++)
            rest &= perf[i].algo == i && perf[i].status == NOT_SUPPORTED && perf[i].time < 0 && perf[i].memory == 0;
        check(rest, name + ": the other algorithms NOT_SUPPORTED");
        check(allNaN(out.data(), out.size()), name + ": output overwritten with arbitrary values");
        check(scribbled(ws.data(), need), name + ": workspace used");

        // Too little workspace: algo 1 cannot run and says how much it needs.
        std::vector<unsigned char> small(need - 4, 0);
        expect(runFind(dir, d, in[dir][0]->data(), in[dir][1]->data(), out.data(), count, &got, perf.data(), small.data(),
                       small.size()), OK, name + " small workspace");
        check(perf[0].algo == 0 && perf[0].status == OK, name + " small workspace: algo 0 first");
        check(perf[1].algo == 1 && perf[1].status == ALLOC_FAILED && perf[1].memory == need && perf[1].time < 0,
              name + " small workspace: algo 1 ALLOC_FAILED with the bytes it needs");
        check(small[0] == 0, name + " small workspace: not written");
        expect(runFind(dir, d, in[dir][0]->data(), in[dir][1]->data(), out.data(), count, &got, perf.data(), nullptr, 0),
               OK, name + " no workspace");
        check(perf[0].algo == 0 && perf[1].algo == 1 && perf[1].status == ALLOC_FAILED, name + " no workspace: algo 0 only");

        expect(runFind(dir, d, in[dir][0]->data(), in[dir][1]->data(), out.data(), 1, &got, perf.data(), ws.data(),
                       ws.size()), OK, name + " requested 1");
        check(got == 1 && perf[0].algo == 1, name + " requested 1: the fastest");
        expect(runFind(dir, d, in[dir][0]->data(), in[dir][1]->data(), out.data(), 0, &got, perf.data(), ws.data(),
                       ws.size()), BAD_PARAM, name + " requested 0");
        expect(runFind(dir, d, in[dir][0]->data(), in[dir][1]->data(), out.data(), count, nullptr, perf.data(), ws.data(),
                       ws.size()), BAD_PARAM, name + " returned NULL");
        expect(runFind(dir, d, in[dir][0]->data(), in[dir][1]->data(), out.data(), count, &got, nullptr, ws.data(),
                       ws.size()), BAD_PARAM, name + " perf NULL");
        expect(runFind(dir, d, nullptr, in[dir][1]->data(), out.data(), count, &got, perf.data(), ws.data(), ws.size()),
               BAD_PARAM, name + " input NULL");
    }
}

void testConvolutionValidation() {
    const Geom g{2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, CROSS_CORRELATION};
    ConvDescs d(g);
    std::vector<float> x = uniform(g.xs()), w = uniform(g.ws()), y(g.ys(), 42.0f);
    std::vector<unsigned char> ws(g.ys() * sizeof(float));
    float one = 1, zero = 0;
    auto fwd = [&](H xd, H wd, H cd, H yd, int algo = 0, void *wsp = nullptr, size_t wsb = 0, const void *px = nullptr,
                   const void *pa = nullptr, void *py = nullptr) {
        return dnn.Conv[0](handle, pa ? pa : &one, xd, px ? px : x.data(), wd, w.data(), cd, algo, wsp, wsb, &zero, yd,
                           py ? py : y.data());
    };
    expect(fwd(d.x, d.w, d.conv, d.y), OK, "valid forward");
    y.assign(y.size(), 42.0f);

    // Descriptors that disagree.
    H x4 = tensor(2, 4, 8, 8), yS = tensor(2, 4, 7, 8), yC = tensor(2, 5, 8, 8), yN = tensor(3, 4, 8, 8);
    expect(fwd(x4, d.w, d.conv, d.y), BAD_PARAM, "x channels != filter C");
    expect(fwd(d.x, d.w, d.conv, yS), BAD_PARAM, "y height != (H + 2p - d(R-1) - 1)/s + 1");
    expect(fwd(d.x, d.w, d.conv, yC), BAD_PARAM, "y channels != filter K");
    expect(fwd(d.x, d.w, d.conv, yN), BAD_PARAM, "y batch != x batch");
    size_t bytes = 0;
    expect(dnn.WsSize[0](handle, x4, d.w, d.conv, d.y, 0, &bytes), BAD_PARAM, "workspace size with x channels != C");
    expect(dnn.WsSize[1](handle, d.w, yS, d.conv, d.x, 0, &bytes), BAD_PARAM, "backward data workspace with a wrong dy");
    expect(dnn.Conv[1](handle, &one, d.w, w.data(), yS, y.data(), d.conv, 0, nullptr, 0, &zero, d.x, x.data()), BAD_PARAM,
           "backward data with a wrong dy");
    expect(dnn.Conv[2](handle, &one, x4, x.data(), d.y, y.data(), d.conv, 0, nullptr, 0, &zero, d.w, w.data()), BAD_PARAM,
           "backward filter with x channels != C");
    {
        H tinyX = tensor(1, 3, 2, 2), bigW = filter(4, 3, 5, 5), yAny = tensor(1, 4, 1, 1);
        expect(fwd(tinyX, bigW, d.conv, yAny), BAD_PARAM, "filter larger than the padded input");
        dnn.DestroyTensor(tinyX); dnn.DestroyFilter(bigW); dnn.DestroyTensor(yAny);
    }
    check(y[0] == 42.0f && y[y.size() - 1] == 42.0f, "output untouched by rejected calls");

    // NULL pointers.
    expect(dnn.Conv[0](handle, &one, d.x, nullptr, d.w, w.data(), d.conv, 0, nullptr, 0, &zero, d.y, y.data()), BAD_PARAM, "x NULL");
    expect(dnn.Conv[0](handle, &one, d.x, x.data(), d.w, nullptr, d.conv, 0, nullptr, 0, &zero, d.y, y.data()), BAD_PARAM, "w NULL");
    expect(dnn.Conv[0](handle, &one, d.x, x.data(), d.w, w.data(), d.conv, 0, nullptr, 0, &zero, d.y, nullptr), BAD_PARAM, "y NULL");
    expect(dnn.Conv[0](handle, nullptr, d.x, x.data(), d.w, w.data(), d.conv, 0, nullptr, 0, &zero, d.y, y.data()), BAD_PARAM, "alpha NULL");
    expect(dnn.Conv[0](handle, &one, d.x, x.data(), d.w, w.data(), d.conv, 0, nullptr, 0, nullptr, d.y, y.data()), BAD_PARAM, "beta NULL");
    expect(dnn.Conv[0](nullptr, &one, d.x, x.data(), d.w, w.data(), d.conv, 0, nullptr, 0, &zero, d.y, y.data()), BAD_PARAM, "handle NULL");
    expect(fwd(nullptr, d.w, d.conv, d.y), BAD_PARAM, "x descriptor NULL");

    // Wrong kinds, unset and destroyed descriptors.
    expect(fwd(d.x, d.x, d.conv, d.y), BAD_PARAM, "tensor descriptor passed as the filter");
    expect(fwd(d.x, d.w, d.y, d.y), BAD_PARAM, "tensor descriptor passed as the convolution");
    H unset = nullptr;
    expect(dnn.CreateTensor(&unset), OK, "create unset tensor");
    expect(fwd(d.x, d.w, d.conv, unset), BAD_PARAM, "descriptor never set");
    expect(dnn.DestroyTensor(unset), OK, "destroy unset tensor");
    expect(fwd(d.x, d.w, d.conv, unset), BAD_PARAM, "destroyed descriptor");
    expect(dnn.DestroyTensor(unset), BAD_PARAM, "double destroy");
    expect(dnn.DestroyFilter(d.x), BAD_PARAM, "tensor destroyed as a filter");
    expect(dnn.DestroyTensor(nullptr), OK, "destroy NULL tensor is a no-op");
    expect(dnn.DestroyFilter(nullptr), OK, "destroy NULL filter is a no-op");
    expect(dnn.DestroyConv(nullptr), OK, "destroy NULL convolution is a no-op");

    // Algorithms and workspaces.
    size_t need = g.ys() * sizeof(float);
    expect(fwd(d.x, d.w, d.conv, d.y, 1, ws.data(), need), OK, "algo 1 with its workspace");
    expect(fwd(d.x, d.w, d.conv, d.y, 1, ws.data(), need - 4), BAD_PARAM, "algo 1 with 4 bytes too few");
    expect(fwd(d.x, d.w, d.conv, d.y, 1, nullptr, need), BAD_PARAM, "algo 1 with a NULL workspace");
    expect(fwd(d.x, d.w, d.conv, d.y, 0, nullptr, 12345), OK, "algo 0 ignores the workspace");
    for (int dir = 0; dir < 3; dir++) {
        std::string name = DIRS[dir];
        expect(wsSize(dir, d, ALGO_COUNT[dir] - 1, &bytes), NOT_SUPPORTED, name + ": last algorithm of the enum");
        expect(wsSize(dir, d, 2, &bytes), NOT_SUPPORTED, name + ": algo 2");
        expect(wsSize(dir, d, ALGO_COUNT[dir], &bytes), BAD_PARAM, name + ": algorithm past the enum");
        expect(wsSize(dir, d, -1, &bytes), BAD_PARAM, name + ": algorithm -1");
        expect(wsSize(dir, d, 0, nullptr), BAD_PARAM, name + ": size pointer NULL");
    }
    expect(fwd(d.x, d.w, d.conv, d.y, 5), NOT_SUPPORTED, "forward algo 5");
    expect(fwd(d.x, d.w, d.conv, d.y, 8), BAD_PARAM, "forward algo 8");
    expect(dnn.Conv[1](handle, &one, d.w, w.data(), d.y, y.data(), d.conv, 6, nullptr, 0, &zero, d.x, x.data()), BAD_PARAM,
           "backward data algo 6");
    expect(dnn.Conv[2](handle, &one, d.x, x.data(), d.y, y.data(), d.conv, 7, nullptr, 0, &zero, d.w, w.data()), BAD_PARAM,
           "backward filter algo 7");
    expect(dnn.Conv[2](handle, &one, d.x, x.data(), d.y, y.data(), d.conv, 4, nullptr, 0, &zero, d.w, w.data()),
           NOT_SUPPORTED, "backward filter algo 4");

    // A compute type that float tensors do not support.
    H dconv = nullptr;
    expect(dnn.CreateConv(&dconv), OK, "create conv");
    expect(dnn.SetConv2d(dconv, 1, 1, 1, 1, 1, 1, CROSS_CORRELATION, DOUBLE), OK, "double compute type is a valid setting");
    expect(fwd(d.x, d.w, dconv, d.y), NOT_SUPPORTED, "float tensors with double compute type");
    dnn.DestroyConv(dconv);

    dnn.DestroyTensor(x4); dnn.DestroyTensor(yS); dnn.DestroyTensor(yC); dnn.DestroyTensor(yN);
}

void testDescriptors() {
    check(dnn.GetVersion() / 10000 == 9, "cudnnGetVersion says cuDNN 9");
    check(std::strcmp(dnn.GetErrorString(0), "CUDNN_STATUS_SUCCESS") == 0, "error string of 0");
    check(std::strcmp(dnn.GetErrorString(BAD_PARAM), "CUDNN_STATUS_BAD_PARAM") == 0, "error string of BAD_PARAM");
    check(std::strcmp(dnn.GetErrorString(ALLOC_FAILED), "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED") == 0,
          "error string of 4003");
    check(std::strcmp(dnn.GetErrorString(5004), "CUDNN_STATUS_EXECUTION_FAILED_CURAND") == 0, "error string of 5004");
    check(dnn.GetErrorString(12345) != nullptr, "error string of an unknown status");

    expect(dnn.Create(nullptr), BAD_PARAM, "cudnnCreate(NULL)");
    expect(dnn.Destroy(nullptr), BAD_PARAM, "cudnnDestroy(NULL)");
    expect(dnn.SetStream(handle, reinterpret_cast<void *>(0x1234)), OK, "cudnnSetStream");
    expect(dnn.SetStream(nullptr, nullptr), BAD_PARAM, "cudnnSetStream without a handle");
    H h2 = nullptr;
    expect(dnn.Create(&h2), OK, "second handle");
    expect(dnn.Destroy(h2), OK, "destroy second handle");
    expect(dnn.Destroy(h2), BAD_PARAM, "destroy it twice");
    int count = 0;
    expect(dnn.MaxCount[0](h2, &count), BAD_PARAM, "destroyed handle");

    H t = nullptr, f = nullptr, c = nullptr;
    expect(dnn.CreateTensor(nullptr), BAD_PARAM, "create tensor into NULL");
    expect(dnn.CreateTensor(&t), OK, "create tensor");
    expect(dnn.SetTensor4d(t, NCHW, FLOAT, 0, 3, 4, 4), BAD_PARAM, "tensor n = 0");
    expect(dnn.SetTensor4d(t, NCHW, FLOAT, 2, -3, 4, 4), BAD_PARAM, "tensor c < 0");
    expect(dnn.SetTensor4d(t, NCHW, DOUBLE, 2, 3, 4, 4), NOT_SUPPORTED, "double tensor");
    expect(dnn.SetTensor4d(t, NCHW, 99, 2, 3, 4, 4), BAD_PARAM, "data type out of the enum");
    expect(dnn.SetTensor4d(t, NHWC, FLOAT, 2, 3, 4, 4), NOT_SUPPORTED, "NHWC tensor");
    expect(dnn.SetTensor4d(t, 7, FLOAT, 2, 3, 4, 4), BAD_PARAM, "format out of the enum");
    expect(dnn.SetTensor4d(t, NCHW, FLOAT, 65536, 65536, 1, 1), NOT_SUPPORTED, "2^32 elements");
    expect(dnn.SetTensor4d(t, NCHW, FLOAT, 2, 3, 4, 4), OK, "valid tensor");
    expect(dnn.CreateFilter(&f), OK, "create filter");
    expect(dnn.SetFilter4d(f, FLOAT, NCHW, 4, 3, 0, 3), BAD_PARAM, "filter r = 0");
    expect(dnn.SetFilter4d(f, DOUBLE, NCHW, 4, 3, 3, 3), NOT_SUPPORTED, "double filter");
    expect(dnn.SetFilter4d(f, FLOAT, NHWC, 4, 3, 3, 3), NOT_SUPPORTED, "KRSC filter");
    expect(dnn.SetFilter4d(f, FLOAT, 9, 4, 3, 3, 3), BAD_PARAM, "filter format out of the enum");
    expect(dnn.SetFilter4d(t, FLOAT, NCHW, 4, 3, 3, 3), BAD_PARAM, "tensor set as a filter");
    expect(dnn.SetFilter4d(f, FLOAT, NCHW, 4, 3, 3, 3), OK, "valid filter");
    expect(dnn.CreateConv(&c), OK, "create convolution");
    expect(dnn.SetConv2d(c, -1, 0, 1, 1, 1, 1, CROSS_CORRELATION, FLOAT), BAD_PARAM, "negative padding");
    expect(dnn.SetConv2d(c, 0, 0, 0, 1, 1, 1, CROSS_CORRELATION, FLOAT), BAD_PARAM, "stride 0");
    expect(dnn.SetConv2d(c, 0, 0, 1, 1, 1, 0, CROSS_CORRELATION, FLOAT), BAD_PARAM, "dilation 0");
    expect(dnn.SetConv2d(c, 0, 0, 1, 1, 1, 1, 2, FLOAT), BAD_PARAM, "mode out of the enum");
    expect(dnn.SetConv2d(c, 0, 0, 1, 1, 1, 1, CROSS_CORRELATION, 99), BAD_PARAM, "compute type out of the enum");
    expect(dnn.SetConv2d(c, 1, 1, 2, 2, 1, 1, CROSS_CORRELATION, FLOAT), OK, "valid convolution");
    expect(dnn.SetMathType(c, 4), BAD_PARAM, "math type out of the enum");
    expect(dnn.SetMathType(c, FMA_MATH), OK, "FMA math");
    expect(dnn.SetMathType(t, FMA_MATH), BAD_PARAM, "math type on a tensor descriptor");
    expect(dnn.DestroyConv(c), OK, "destroy convolution");
    expect(dnn.DestroyFilter(f), OK, "destroy filter");
    expect(dnn.DestroyTensor(t), OK, "destroy tensor");
}

// ------------------------------------------------------------------------------------------ batch norm

struct BnShape { int N, C, H, W; };

// Training-mode reference in double: y, mean, inverse std, running mean and (unbiased) running variance.
struct BnRef {
    std::vector<double> y, mean, invStd, runMean, runVar;
};

BnRef bnTrainRef(const BnShape &s, const std::vector<float> &x, const std::vector<float> &gamma,
                 const std::vector<float> &beta, const std::vector<float> &rm, const std::vector<float> &rv,
                 double factor, double eps, float alpha, float blend, const std::vector<float> &oldY) {
    BnRef r;
    size_t hw = size_t(s.H) * s.W, m = s.N * hw;
    r.y.resize(x.size());
    for (int c = 0; c < s.C; c++) {
        double sum = 0, sq = 0;
        for (int n = 0; n < s.N; n++)
            for (size_t j = 0; j < hw; j++) sum += x[(size_t(n) * s.C + c) * hw + j];
        double mean = sum / m;
        for (int n = 0; n < s.N; n++)
            for (size_t j = 0; j < hw; j++) {
                double d = x[(size_t(n) * s.C + c) * hw + j] - mean;
                sq += d * d;
            }
        double var = sq / m, inv = 1 / std::sqrt(var + eps);
        for (int n = 0; n < s.N; n++)
            for (size_t j = 0; j < hw; j++) {
                size_t i = (size_t(n) * s.C + c) * hw + j;
                r.y[i] = alpha * (gamma[c] * (x[i] - mean) * inv + beta[c]) + (blend != 0 ? blend * double(oldY[i]) : 0.0);
            }
        r.mean.push_back(mean);
        r.invStd.push_back(inv);
        r.runMean.push_back((1 - factor) * rm[c] + factor * mean);
        r.runVar.push_back((1 - factor) * rv[c] + factor * (m > 1 ? sq / (m - 1) : var));
    }
    return r;
}

// sum(dy * y(x, gamma, beta)) in double, for finite differences of the training-mode forward.
double bnLoss(const BnShape &s, const std::vector<double> &x, const std::vector<double> &gamma,
              const std::vector<double> &beta, const std::vector<float> &dy, double eps) {
    size_t hw = size_t(s.H) * s.W, m = s.N * hw;
    double loss = 0;
    for (int c = 0; c < s.C; c++) {
        double sum = 0, sq = 0;
        for (int n = 0; n < s.N; n++)
            for (size_t j = 0; j < hw; j++) sum += x[(size_t(n) * s.C + c) * hw + j];
        double mean = sum / m;
        for (int n = 0; n < s.N; n++)
            for (size_t j = 0; j < hw; j++) {
                double d = x[(size_t(n) * s.C + c) * hw + j] - mean;
                sq += d * d;
            }
        double inv = 1 / std::sqrt(sq / m + eps);
        for (int n = 0; n < s.N; n++)
            for (size_t j = 0; j < hw; j++) {
                size_t i = (size_t(n) * s.C + c) * hw + j;
                loss += dy[i] * (gamma[c] * (x[i] - mean) * inv + beta[c]);
            }
    }
    return loss;
}

std::vector<double> toDouble(const std::vector<float> &v) { return std::vector<double>(v.begin(), v.end()); }

void testBatchNorm() {
    const BnShape shapes[] = {{4, 6, 5, 5}, {16, 10, 1, 1}, {3, 4, 7, 2}};
    const double eps = 1e-5, factor = 0.1;
    for (const BnShape &s : shapes) {
        char nm[64];
        std::snprintf(nm, sizeof nm, "batch norm (%d,%d,%d,%d)", s.N, s.C, s.H, s.W);
        std::string name = nm;
        size_t count = size_t(s.N) * s.C * s.H * s.W;
        H xd = tensor(s.N, s.C, s.H, s.W), bd = tensor(1, s.C, 1, 1);
        std::vector<float> x = uniform(count, -1.2f, 2.6f), gamma = uniform(s.C, 0.7f, 1.3f), beta = uniform(s.C);
        std::vector<float> rm0 = uniform(s.C), rv0 = uniform(s.C, 1.8f, 2.2f);

        // Training forward, two blends.
        struct Scale { float alpha, beta; };
        for (Scale sc : {Scale{1, 0}, Scale{0.5f, 2}}) {
            std::vector<float> oldY = sc.beta == 0 ? std::vector<float>(count, NaN) : uniform(count);
            std::vector<float> y = oldY, sm(s.C, NaN), si(s.C, NaN), rm = rm0, rv = rv0;
            std::string what = name + " train alpha " + std::to_string(sc.alpha) + " beta " + std::to_string(sc.beta);
            expect(dnn.BnTrain(handle, SPATIAL, &sc.alpha, &sc.beta, xd, x.data(), xd, y.data(), bd, gamma.data(),
                               beta.data(), factor, rm.data(), rv.data(), eps, sm.data(), si.data()), OK, what);
            BnRef r = bnTrainRef(s, x, gamma, beta, rm0, rv0, factor, eps, sc.alpha, sc.beta, oldY);
            near(y, r.y, 3e-7, 1e-6, what + " y");
            near(sm, r.mean, 2e-7, 1e-7, what + " saveMean");
            near(si, r.invStd, 2e-7, 0, what + " saveInvVariance");
            near(rm, r.runMean, 2e-7, 1e-7, what + " running mean");
            near(rv, r.runVar, 2e-7, 0, what + " running variance (unbiased update)");
        }
        {
            float one = 1, zero = 0;
            std::vector<float> y(count), y2(count);
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y.data(), bd, gamma.data(), beta.data(),
                               factor, nullptr, nullptr, eps, nullptr, nullptr), OK, name + " train without running/saved");
            BnRef r = bnTrainRef(s, x, gamma, beta, rm0, rv0, factor, eps, 1, 0, y);
            near(y, r.y, 3e-7, 1e-6, name + " train without running/saved: y");
            std::vector<float> sm(s.C), si(s.C), rm = rm0, rv = rv0;
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), nullptr, eps, sm.data(), si.data()), BAD_PARAM, name + " running variance NULL alone");
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), eps, nullptr, si.data()), BAD_PARAM, name + " save mean NULL alone");
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), -1e-3, sm.data(), si.data()), BAD_PARAM, name + " negative epsilon");
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), std::nan(""), sm.data(), si.data()), BAD_PARAM, name + " NaN epsilon");
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), 0.0, sm.data(), si.data()), OK,
                   name + " epsilon 0 (CUDNN_BN_MIN_EPSILON is 0.0 in cuDNN 9)");
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, nullptr, xd, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), eps, sm.data(), si.data()), BAD_PARAM, name + " x NULL");
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y2.data(), bd, nullptr, beta.data(),
                               factor, rm.data(), rv.data(), eps, sm.data(), si.data()), BAD_PARAM, name + " scale NULL");
            expect(dnn.BnTrain(handle, SPATIAL, nullptr, &zero, xd, x.data(), xd, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), eps, sm.data(), si.data()), BAD_PARAM, name + " alpha NULL");
            H wrongC = tensor(1, s.C + 1, 1, 1), perAct = tensor(1, s.C, s.H, s.W), twoN = tensor(2, s.C, 1, 1),
              otherY = tensor(s.N, s.C, s.H + 1, s.W);
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y2.data(), wrongC, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), eps, sm.data(), si.data()), BAD_PARAM, name + " bn descriptor 1x(C+1)x1x1");
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y2.data(), twoN, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), eps, sm.data(), si.data()), BAD_PARAM, name + " bn descriptor 2xCx1x1");
            if (s.H * s.W > 1)
                expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y2.data(), perAct, gamma.data(),
                                   beta.data(), factor, rm.data(), rv.data(), eps, sm.data(), si.data()), BAD_PARAM,
                       name + " per-activation bn descriptor in spatial mode");
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), otherY, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), eps, sm.data(), si.data()), BAD_PARAM, name + " y shape != x shape");
            expect(dnn.BnTrain(handle, 0, &one, &zero, xd, x.data(), xd, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), eps, sm.data(), si.data()), NOT_SUPPORTED, name + " per-activation mode");
            expect(dnn.BnTrain(handle, 5, &one, &zero, xd, x.data(), xd, y2.data(), bd, gamma.data(), beta.data(),
                               factor, rm.data(), rv.data(), eps, sm.data(), si.data()), BAD_PARAM, name + " mode out of the enum");
            dnn.DestroyTensor(wrongC); dnn.DestroyTensor(perAct); dnn.DestroyTensor(twoN); dnn.DestroyTensor(otherY);
        }

        // Inference.
        {
            float alpha = 0.75f, blend = -0.5f;
            std::vector<float> oldY = uniform(count), y = oldY;
            expect(dnn.BnInfer(handle, SPATIAL, &alpha, &blend, xd, x.data(), xd, y.data(), bd, gamma.data(), beta.data(),
                               rm0.data(), rv0.data(), eps), OK, name + " inference");
            std::vector<double> ref(count);
            size_t hw = size_t(s.H) * s.W;
            for (size_t i = 0; i < count; i++) {
                int c = int(i / hw % s.C);
                ref[i] = alpha * (gamma[c] * (x[i] - double(rm0[c])) / std::sqrt(rv0[c] + eps) + beta[c]) + blend * double(oldY[i]);
            }
            near(y, ref, 3e-7, 1e-6, name + " inference y");
            float one = 1, zero = 0;
            expect(dnn.BnInfer(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y.data(), bd, gamma.data(), beta.data(),
                               nullptr, rv0.data(), eps), BAD_PARAM, name + " inference mean NULL");
            expect(dnn.BnInfer(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y.data(), bd, gamma.data(), beta.data(),
                               rm0.data(), rv0.data(), -1.0), BAD_PARAM, name + " inference negative epsilon");
        }

        // Backward: against the analytic formula, and against central differences of the forward.
        {
            float one = 1, zero = 0;
            std::vector<float> y(count), sm(s.C), si(s.C);
            expect(dnn.BnTrain(handle, SPATIAL, &one, &zero, xd, x.data(), xd, y.data(), bd, gamma.data(), beta.data(),
                               factor, nullptr, nullptr, eps, sm.data(), si.data()), OK, name + " train for backward");
            std::vector<float> dy = uniform(count);
            size_t hw = size_t(s.H) * s.W;
            double m = double(s.N) * hw;
            // dx, dgamma, dbeta from the saved (float) statistics, in double
            std::vector<double> dx(count), dg(s.C), db(s.C);
            for (int c = 0; c < s.C; c++) {
                double sdy = 0, sdyx = 0;
                for (int n = 0; n < s.N; n++)
                    for (size_t j = 0; j < hw; j++) {
                        size_t i = (size_t(n) * s.C + c) * hw + j;
                        sdy += dy[i];
                        sdyx += dy[i] * (x[i] - double(sm[c])) * si[c];
                    }
                dg[c] = sdyx; db[c] = sdy;
                for (int n = 0; n < s.N; n++)
                    for (size_t j = 0; j < hw; j++) {
                        size_t i = (size_t(n) * s.C + c) * hw + j;
                        double xhat = (x[i] - double(sm[c])) * si[c];
                        dx[i] = gamma[c] * double(si[c]) / m * (m * dy[i] - sdy - xhat * sdyx);
                    }
            }
            struct Blend { float aD, bD, aP, bP; };
            for (Blend b : {Blend{1, 0, 1, 1}, Blend{0.5f, 0.25f, 2, 0}}) {
                std::vector<float> oldDx = b.bD == 0 ? std::vector<float>(count, NaN) : uniform(count);
                std::vector<float> oldDg = b.bP == 0 ? std::vector<float>(s.C, NaN) : uniform(s.C);
                std::vector<float> oldDb = b.bP == 0 ? std::vector<float>(s.C, NaN) : uniform(s.C);
                std::vector<float> gdx = oldDx, gdg = oldDg, gdb = oldDb;
                std::string what = name + " backward alphaData " + std::to_string(b.aD) + " betaData " + std::to_string(b.bD)
                                   + " alphaParam " + std::to_string(b.aP) + " betaParam " + std::to_string(b.bP);
                expect(dnn.BnBackward(handle, SPATIAL, &b.aD, &b.bD, &b.aP, &b.bP, xd, x.data(), xd, dy.data(), xd,
                                      gdx.data(), bd, gamma.data(), gdg.data(), gdb.data(), eps, sm.data(), si.data()),
                       OK, what);
                std::vector<double> rdx(count), rdg(s.C), rdb(s.C);
                for (size_t i = 0; i < count; i++) rdx[i] = b.aD * dx[i] + (b.bD != 0 ? b.bD * double(oldDx[i]) : 0.0);
                for (int c = 0; c < s.C; c++) {
                    rdg[c] = b.aP * dg[c] + (b.bP != 0 ? b.bP * double(oldDg[c]) : 0.0);
                    rdb[c] = b.aP * db[c] + (b.bP != 0 ? b.bP * double(oldDb[c]) : 0.0);
                }
                near(gdx, rdx, 1e-6, 1e-6, what + " dx");
                near(gdg, rdg, 1e-6, 1e-6, what + " dScale");
                near(gdb, rdb, 1e-6, 1e-6, what + " dBias");
            }
            // Without saved statistics the simulator recomputes them from x and epsilon.
            std::vector<float> rdx(count), rdg(s.C), rdb(s.C);
            expect(dnn.BnBackward(handle, SPATIAL, &one, &zero, &one, &zero, xd, x.data(), xd, dy.data(), xd, rdx.data(), bd,
                                  gamma.data(), rdg.data(), rdb.data(), eps, nullptr, nullptr), OK, name + " backward recomputing");
            near(rdx, dx, 1e-5, 1e-6, name + " backward recomputing: dx");
            near(rdg, dg, 1e-5, 1e-6, name + " backward recomputing: dScale");

            // Central differences of sum(dy * y) with respect to x, gamma and beta.
            std::vector<double> xd64 = toDouble(x), g64 = toDouble(gamma), b64 = toDouble(beta);
            std::vector<double> ndx(count), ndg(s.C), ndb(s.C);
            const double h = 1e-5;
            auto diff = [&](std::vector<double> &v, size_t i) {
                double keep = v[i];
                v[i] = keep + h;
                double up = bnLoss(s, xd64, g64, b64, dy, eps);
                v[i] = keep - h;
                double down = bnLoss(s, xd64, g64, b64, dy, eps);
                v[i] = keep;
                return (up - down) / (2 * h);
            };
            for (size_t i = 0; i < count; i++) ndx[i] = diff(xd64, i);
            for (int c = 0; c < s.C; c++) { ndg[c] = diff(g64, c); ndb[c] = diff(b64, c); }
            near(rdx, ndx, 1e-4, 1e-5, name + " backward dx vs central differences");
            near(rdg, ndg, 1e-4, 1e-5, name + " backward dScale vs central differences");
            near(rdb, ndb, 1e-4, 1e-5, name + " backward dBias vs central differences");

            expect(dnn.BnBackward(handle, SPATIAL, &one, &zero, &one, &zero, xd, x.data(), xd, dy.data(), xd, rdx.data(), bd,
                                  gamma.data(), rdg.data(), rdb.data(), eps, sm.data(), nullptr), BAD_PARAM,
                   name + " backward saved inverse variance NULL alone");
            expect(dnn.BnBackward(handle, SPATIAL, &one, &zero, &one, &zero, xd, x.data(), xd, dy.data(), xd, rdx.data(), bd,
                                  gamma.data(), nullptr, rdb.data(), eps, sm.data(), si.data()), BAD_PARAM,
                   name + " backward dScale NULL");
            expect(dnn.BnBackward(handle, SPATIAL, &one, &zero, nullptr, &zero, xd, x.data(), xd, dy.data(), xd, rdx.data(),
                                  bd, gamma.data(), rdg.data(), rdb.data(), eps, sm.data(), si.data()), BAD_PARAM,
                   name + " backward alphaParamDiff NULL");
            H otherDx = tensor(s.N + 1, s.C, s.H, s.W);
            expect(dnn.BnBackward(handle, SPATIAL, &one, &zero, &one, &zero, xd, x.data(), xd, dy.data(), otherDx, rdx.data(),
                                  bd, gamma.data(), rdg.data(), rdb.data(), eps, sm.data(), si.data()), BAD_PARAM,
                   name + " backward dx shape != x shape");
            dnn.DestroyTensor(otherDx);
        }
        dnn.DestroyTensor(xd);
        dnn.DestroyTensor(bd);
    }
}

// ------------------------------------------------------------------------------------------ cuBLAS

void testCublas() {
    int v = 0;
    expect(blas.GetVersion(nullptr, &v), BLAS_OK, "cublasGetVersion_v2 without a handle");
    int major = 0, minor = -1, patch = -1;
    expect(blas.GetProperty(0, &major), BLAS_OK, "cublasGetProperty major");
    expect(blas.GetProperty(1, &minor), BLAS_OK, "cublasGetProperty minor");
    expect(blas.GetProperty(2, &patch), BLAS_OK, "cublasGetProperty patch");
    check(major == 13 && v == major * 10000 + minor * 100 + patch, "cuBLAS 13, version = properties");
    expect(blas.GetProperty(3, &major), BLAS_INVALID_VALUE, "cublasGetProperty out of the enum");
    expect(blas.GetProperty(0, nullptr), BLAS_INVALID_VALUE, "cublasGetProperty NULL");
    expect(blas.GetVersion(nullptr, nullptr), BLAS_INVALID_VALUE, "cublasGetVersion_v2 NULL");
    check(blas.GetStatusString(7) != nullptr && blas.GetStatusString(12345) != nullptr, "status strings");

    H h = nullptr;
    expect(blas.Create(nullptr), BLAS_INVALID_VALUE, "cublasCreate_v2(NULL)");
    expect(blas.Create(&h), BLAS_OK, "cublasCreate_v2");
    expect(blas.SetStream(h, reinterpret_cast<void *>(0x1234)), BLAS_OK, "cublasSetStream_v2");
    expect(blas.SetMathMode(h, 3), BLAS_OK, "TF32 math");
    expect(blas.SetMathMode(h, 3 | 16), BLAS_OK, "TF32 math, no reduced-precision reduction");
    expect(blas.SetMathMode(h, 0), BLAS_OK, "default math");
    expect(blas.SetMathMode(h, 1 | 16), BLAS_INVALID_VALUE, "deprecated tensor-op math with a flag");
    expect(blas.SetMathMode(h, 5), BLAS_INVALID_VALUE, "math mode out of the enum");
    alignas(256) static unsigned char workspace[1024];
    expect(blas.SetWorkspace(h, nullptr, 0), BLAS_OK, "cublasSetWorkspace_v2(NULL, 0)");
    expect(blas.SetWorkspace(h, workspace, sizeof workspace), BLAS_OK, "cublasSetWorkspace_v2, 256-byte aligned");
    expect(blas.SetWorkspace(h, workspace + 16, 512), BLAS_INVALID_VALUE, "cublasSetWorkspace_v2, 16 bytes past alignment");
    expect(blas.SetWorkspace(nullptr, workspace, sizeof workspace), BLAS_NOT_INITIALIZED, "cublasSetWorkspace_v2 without a handle");

    struct Shape { int m, n, k; };
    struct Scale { float alpha, beta; bool nanC; };
    for (Shape s : {Shape{5, 7, 3}, Shape{1, 1, 1}, Shape{13, 1, 9}, Shape{64, 128, 256}, Shape{3, 4, 0}})
        for (int ta = 0; ta < 3; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (Scale sc : {Scale{1.5f, 0.5f, false}, Scale{1, 0, true}, Scale{-0.25f, 1, false}}) {
                    int rowsA = ta ? s.k : s.m, colsA = ta ? s.m : s.k, rowsB = tb ? s.n : s.k, colsB = tb ? s.k : s.n;
                    int lda = std::max(1, rowsA) + 3, ldb = std::max(1, rowsB) + 1, ldc = s.m + 2;
                    std::vector<float> A = uniform(size_t(lda) * std::max(1, colsA)), B = uniform(size_t(ldb) * std::max(1, colsB));
                    std::vector<float> C0 = sc.nanC ? std::vector<float>(size_t(ldc) * s.n, NaN) : uniform(size_t(ldc) * s.n);
                    std::vector<float> C = C0;
                    char nm[128];
                    std::snprintf(nm, sizeof nm, "sgemm m%d n%d k%d op%d%d alpha %g beta %g", s.m, s.n, s.k, ta, tb,
                                  sc.alpha, sc.beta);
                    expect(blas.Sgemm(h, ta, tb, s.m, s.n, s.k, &sc.alpha, A.data(), lda, B.data(), ldb, &sc.beta, C.data(),
                                      ldc), BLAS_OK, nm);
                    std::vector<float> got;
                    std::vector<double> want, scale;
                    for (int j = 0; j < s.n; j++)
                        for (int i = 0; i < s.m; i++) {
                            double sum = 0, abs = 0;
                            for (int l = 0; l < s.k; l++) {
                                double t = double(ta ? A[size_t(i) * lda + l] : A[size_t(l) * lda + i]) *
                                           (tb ? B[size_t(l) * ldb + j] : B[size_t(j) * ldb + l]);
                                sum += t; abs += std::fabs(t);
                            }
                            double old = C0[size_t(j) * ldc + i];
                            want.push_back(sc.alpha * sum + (sc.beta != 0 ? sc.beta * old : 0.0));
                            scale.push_back(std::fabs(sc.alpha) * abs + (sc.beta != 0 ? std::fabs(sc.beta * old) : 0.0));
                            got.push_back(C[size_t(j) * ldc + i]);
                        }
                    closeTo(got, want, scale, nm);
                    bool padding = true;  // rows m..ldc-1 of C are not part of the matrix
                    for (int j = 0; j < s.n; j++)
                        for (int i = s.m; i < ldc; i++) {
                            float a = C[size_t(j) * ldc + i], b = C0[size_t(j) * ldc + i];
                            padding &= (std::isnan(a) && std::isnan(b)) || a == b;
                        }
                    check(padding, std::string(nm) + ": C's padding rows untouched");
                }

    float one = 1, zero = 0, alpha0 = 0, half = 0.5f;
    std::vector<float> A(64, NaN), B(64, 1.0f), C(64, 2.0f);
    expect(blas.Sgemm(h, 0, 0, 4, 4, 4, &alpha0, A.data(), 4, B.data(), 4, &half, C.data(), 4), BLAS_OK, "alpha 0");
    check(C[0] == 1.0f && C[15] == 1.0f, "alpha 0: C = beta C, A (NaN) not read");
    expect(blas.Sgemm(h, 0, 0, 0, 4, 4, &one, nullptr, 1, nullptr, 4, &zero, nullptr, 1), BLAS_OK, "m = 0 quick return");
    expect(blas.Sgemm(h, 0, 0, 4, 4, 4, &alpha0, nullptr, 4, nullptr, 4, &one, nullptr, 4), BLAS_OK,
           "alpha 0, beta 1 quick return");

    C.assign(64, 2.0f);
    auto bad = [&](int ta, int tb, int m, int n, int k, const float *al, int lda, int ldb, const float *be, int ldc,
                   const char *what) {
        expect(blas.Sgemm(h, ta, tb, m, n, k, al, A.data(), lda, B.data(), ldb, be, C.data(), ldc), BLAS_INVALID_VALUE, what);
    };
    bad(0, 0, -1, 4, 4, &one, 4, 4, &zero, 4, "m < 0");
    bad(0, 0, 4, -1, 4, &one, 4, 4, &zero, 4, "n < 0");
    bad(0, 0, 4, 4, -1, &one, 4, 4, &zero, 4, "k < 0");
    bad(3, 0, 4, 4, 4, &one, 4, 4, &zero, 4, "transa CONJG");
    bad(0, 7, 4, 4, 4, &one, 4, 4, &zero, 4, "transb out of the enum");
    bad(0, 0, 4, 4, 2, &one, 3, 4, &zero, 4, "lda < m for op N");
    bad(1, 0, 4, 4, 5, &one, 4, 5, &zero, 4, "lda < k for op T");
    bad(0, 0, 4, 4, 5, &one, 4, 4, &zero, 4, "ldb < k for op N");
    bad(0, 1, 4, 5, 4, &one, 4, 4, &zero, 4, "ldb < n for op T");
    bad(0, 0, 4, 4, 4, &one, 4, 4, &zero, 3, "ldc < m");
    bad(0, 0, 0, 4, 4, &one, 0, 4, &zero, 1, "lda 0 even when m = 0");
    bad(0, 0, 4, 4, 4, nullptr, 4, 4, &zero, 4, "alpha NULL");
    bad(0, 0, 4, 4, 4, &one, 4, 4, nullptr, 4, "beta NULL");
    expect(blas.Sgemm(h, 0, 0, 4, 4, 4, &one, A.data(), 4, B.data(), 4, &zero, nullptr, 4), BLAS_INVALID_VALUE, "C NULL");
    check(C[0] == 2.0f, "C untouched by rejected calls");
    expect(blas.Sgemm(nullptr, 0, 0, 4, 4, 4, &one, A.data(), 4, B.data(), 4, &zero, C.data(), 4), BLAS_NOT_INITIALIZED,
           "sgemm without a handle");

    // DGEMM: against a long double reference, within a few ulps of double of the sum of |terms|; the checks of its
    // arguments are SGEMM's (one shared validation), so only a few are repeated here.
    for (Shape s : {Shape{5, 7, 3}, Shape{1, 1, 1}, Shape{40, 40, 40}, Shape{13, 2, 9}})
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                double alpha = -0.5, beta = ta == tb ? 1.0 : 0.0;
                int rowsA = ta ? s.k : s.m, colsA = ta ? s.m : s.k, rowsB = tb ? s.n : s.k, colsB = tb ? s.k : s.n;
                int lda = rowsA + 1, ldb = rowsB + 2, ldc = s.m + 1;
                std::vector<float> Af = uniform(size_t(lda) * colsA), Bf = uniform(size_t(ldb) * colsB), Cf = uniform(size_t(ldc) * s.n);
                std::vector<double> Ad(Af.size()), Bd(Bf.size()), Cd(Cf.size());
                for (size_t i = 0; i < Af.size(); i++) Ad[i] = double(Af[i]) / 3.0;   // not representable in float
                for (size_t i = 0; i < Bf.size(); i++) Bd[i] = double(Bf[i]) / 7.0;
                for (size_t i = 0; i < Cf.size(); i++) Cd[i] = beta != 0 ? double(Cf[i]) / 11.0 : NaN;
                std::vector<double> C0 = Cd;
                char nm[96];
                std::snprintf(nm, sizeof nm, "dgemm m%d n%d k%d op%d%d beta %g", s.m, s.n, s.k, ta, tb, beta);
                expect(blas.Dgemm(h, ta, tb, s.m, s.n, s.k, &alpha, Ad.data(), lda, Bd.data(), ldb, &beta, Cd.data(), ldc),
                       BLAS_OK, nm);
                bool close = true, padding = true;
                for (int j = 0; j < s.n; j++) {
                    for (int i = 0; i < s.m; i++) {
                        long double sum = 0, abs = 0;
                        for (int l = 0; l < s.k; l++) {
                            long double t = (long double)(ta ? Ad[size_t(i) * lda + l] : Ad[size_t(l) * lda + i]) *
                                            (tb ? Bd[size_t(l) * ldb + j] : Bd[size_t(j) * ldb + l]);
                            sum += t; abs += fabsl(t);
                        }
                        long double old = beta != 0 ? (long double)C0[size_t(j) * ldc + i] : 0.0L;
                        long double want = alpha * sum + beta * old;
                        long double tol = 4 * (s.k + 2) * 1.1102230246251565e-16L * (fabsl(alpha) * abs + fabsl(beta * old));
                        close &= fabsl((long double)Cd[size_t(j) * ldc + i] - want) <= tol;
                    }
                    for (int i = s.m; i < ldc; i++) {
                        double a = Cd[size_t(j) * ldc + i], b = C0[size_t(j) * ldc + i];
                        padding &= (std::isnan(a) && std::isnan(b)) || a == b;
                    }
                }
                check(close, std::string(nm) + ": C within 4 (k + 2) ulps of the sum of |terms| (long double reference)");
                check(padding, std::string(nm) + ": C's padding rows untouched");
            }
    {
        double d1 = 1, d0 = 0;
        std::vector<double> Ad(16, NaN), Bd(16, 1.0), Cd(16, 2.0);
        expect(blas.Dgemm(h, 0, 0, 4, 4, 4, &d0, Ad.data(), 4, Bd.data(), 4, &d1, Cd.data(), 4), BLAS_OK,
               "dgemm alpha 0, beta 1 quick return");
        check(Cd[0] == 2.0 && Cd[15] == 2.0, "dgemm alpha 0, beta 1: C untouched, A (NaN) not read");
        expect(blas.Dgemm(h, 0, 0, 4, 4, 4, &d1, Ad.data(), 3, Bd.data(), 4, &d0, Cd.data(), 4), BLAS_INVALID_VALUE,
               "dgemm lda < m");
        expect(blas.Dgemm(h, 2, 3, 4, 4, 4, &d1, Ad.data(), 4, Bd.data(), 4, &d0, Cd.data(), 4), BLAS_INVALID_VALUE,
               "dgemm transb CONJG");
        expect(blas.Dgemm(h, 0, 0, 4, 4, 4, &d1, Ad.data(), 4, Bd.data(), 4, nullptr, Cd.data(), 4), BLAS_INVALID_VALUE,
               "dgemm beta NULL");
        check(Cd[0] == 2.0, "C untouched by rejected dgemm calls");
        expect(blas.Dgemm(nullptr, 0, 0, 4, 4, 4, &d1, Ad.data(), 4, Bd.data(), 4, &d0, Cd.data(), 4), BLAS_NOT_INITIALIZED,
               "dgemm without a handle");
    }

    expect(blas.Destroy(h), BLAS_OK, "cublasDestroy_v2");
    expect(blas.Destroy(h), BLAS_NOT_INITIALIZED, "cublasDestroy_v2 twice");
    expect(blas.Destroy(nullptr), BLAS_NOT_INITIALIZED, "cublasDestroy_v2(NULL)");
    expect(blas.SetMathMode(h, 0), BLAS_NOT_INITIALIZED, "destroyed handle");
    expect(blas.SetWorkspace(h, nullptr, 0), BLAS_NOT_INITIALIZED, "cublasSetWorkspace_v2 on a destroyed handle");
    expect(blas.Sgemm(h, 0, 0, 4, 4, 4, &one, A.data(), 4, B.data(), 4, &zero, C.data(), 4), BLAS_NOT_INITIALIZED,
           "sgemm on a destroyed handle");
    double d1 = 1, d0 = 0;
    std::vector<double> Dd(16, 1.0);
    expect(blas.Dgemm(h, 0, 0, 4, 4, 4, &d1, Dd.data(), 4, Dd.data(), 4, &d0, Dd.data(), 4), BLAS_NOT_INITIALIZED,
           "dgemm on a destroyed handle");
}

void section(const char *name, void (*fn)()) {
    int f0 = failures, c0 = checks;
    fn();
    std::printf("%-28s %5d checks, %d failed\n", name, checks - c0, failures - f0);
}

// ------------------------------------------------------------------------------------------ stream capture

// The simulator's driver (build.sh's libcuda.so.1 beside this program), for the capture checks.
struct Driver {
    int (*Init)(unsigned), (*PrimaryCtxRetain)(H *, int), (*CtxSetCurrent)(H), (*StreamCreate)(H *, unsigned),
        (*StreamSynchronize)(H), (*BeginCapture)(H, int), (*EndCapture)(H, H *), (*GraphInstantiate)(H *, H, unsigned long long),
        (*GraphLaunch)(H, H), (*GraphGetNodes)(H, H *, size_t *), (*GraphDestroy)(H), (*GraphExecDestroy)(H);
};

std::string libDir;

// cuDNN's convolutions and batch norm and cuBLAS's SGEMM called while the handles' stream captures: each call is
// made once directly (before the capture) and once captured, with the same inputs and outputs that start the
// same; the captured one must not run at capture time and must give the same results at the graph launch, though
// alpha and beta were changed and the convolution descriptor set to the other mode after the capture.
void testCapture() {
    const std::string path = libDir + "/libcuda.so.1";
    void *lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);   // by path and RTLD_LOCAL, as a JVM may load it
    if (lib == nullptr) {
        fail("cannot load " + path + " (build.sh builds it beside dnn_selftest): " + dlerror());
        return;
    }
    void *bySoname = dlopen("libcuda.so.1", RTLD_NOLOAD | RTLD_LAZY);
    check(bySoname == lib, "dlopen(\"libcuda.so.1\", RTLD_NOLOAD) finds the simulator's driver loaded by path (its soname)");
    Driver cu{};
    symbol(lib, "cuInit", cu.Init);
    symbol(lib, "cuDevicePrimaryCtxRetain", cu.PrimaryCtxRetain);
    symbol(lib, "cuCtxSetCurrent", cu.CtxSetCurrent);
    symbol(lib, "cuStreamCreate", cu.StreamCreate);
    symbol(lib, "cuStreamSynchronize", cu.StreamSynchronize);
    symbol(lib, "cuStreamBeginCapture_v2", cu.BeginCapture);
    symbol(lib, "cuStreamEndCapture", cu.EndCapture);
    symbol(lib, "cuGraphInstantiateWithFlags", cu.GraphInstantiate);
    symbol(lib, "cuGraphLaunch", cu.GraphLaunch);
    symbol(lib, "cuGraphGetNodes", cu.GraphGetNodes);
    symbol(lib, "cuGraphDestroy", cu.GraphDestroy);
    symbol(lib, "cuGraphExecDestroy", cu.GraphExecDestroy);
    H ctx = nullptr, stream = nullptr, bh = nullptr;
    expect(cu.Init(0) | cu.PrimaryCtxRetain(&ctx, 0) | cu.CtxSetCurrent(ctx) | cu.StreamCreate(&stream, 1), 0,
           "driver: context and a stream");
    expect(dnn.SetStream(handle, stream), OK, "cudnnSetStream");
    expect(blas.Create(&bh), BLAS_OK, "cublasCreate_v2");
    expect(blas.SetStream(bh, stream), BLAS_OK, "cublasSetStream_v2");

    // Convolutions, the three directions (forward with algo 1, which scribbles on its workspace).
    const Geom g{2, 3, 6, 5, 4, 3, 2, 1, 0, 2, 1, 1, 1, CROSS_CORRELATION};
    ConvDescs d(g);
    const size_t outCount[3] = {g.ys(), g.xs(), g.ws()};
    std::vector<float> x = uniform(g.xs()), w = uniform(g.ws()), dy = uniform(g.ys());
    const void *in0[3] = {x.data(), dy.data(), x.data()}, *in1[3] = {w.data(), w.data(), dy.data()};
    size_t need = 0;
    expect(wsSize(0, d, 1, &need), OK, "forward workspace size");
    std::vector<float> direct[3], captured[3], before[3];
    std::vector<unsigned char> ws(need + 64, 0);
    float alpha = 1.5f, beta = 0.5f;
    for (int dir = 0; dir < 3; dir++) {
        before[dir] = uniform(outCount[dir]);
        direct[dir] = captured[dir] = before[dir];
        expect(runConv(dir, d, &alpha, in0[dir], in1[dir], dir == 0 ? 1 : 0, ws.data(), ws.size(), &beta, direct[dir].data()),
               OK, std::string("direct ") + DIRS[dir]);
    }

    // Batch norm: training forward, inference, backward, on a (3, 2, 2, 3) tensor.
    H bx = tensor(3, 2, 2, 3), bc = tensor(1, 2, 1, 1);
    const size_t n = 36;
    std::vector<float> bxv = uniform(n), scale = uniform(2, 0.5f, 1.5f), bias = uniform(2), bdy = uniform(n);
    std::vector<float> estMean = uniform(2), estVar = uniform(2, 0.5f, 2.0f), savedMean(2), savedInv(2);
    struct BnOut { std::vector<float> y, runMean, runVar, saveMean, saveInv, infer, dx, dScale, dBias; };
    BnOut bnStart{uniform(n), uniform(2), uniform(2, 0.5f, 2.0f), uniform(2), uniform(2), uniform(n), uniform(n),
                  uniform(2), uniform(2)};
    BnOut bnDirect = bnStart, bnCaptured = bnStart, scratch = bnStart;
    expect(dnn.BnTrain(handle, SPATIAL, &alpha, &beta, bx, bxv.data(), bx, scratch.y.data(), bc, scale.data(), bias.data(),
                       0.25, scratch.runMean.data(), scratch.runVar.data(), 1e-5, savedMean.data(), savedInv.data()),
           OK, "batch norm statistics for the backward");
    auto batchNorm = [&](BnOut &o) {
        return dnn.BnTrain(handle, SPATIAL, &alpha, &beta, bx, bxv.data(), bx, o.y.data(), bc, scale.data(), bias.data(), 0.25,
                           o.runMean.data(), o.runVar.data(), 1e-5, o.saveMean.data(), o.saveInv.data())
               | dnn.BnInfer(handle, SPATIAL, &alpha, &beta, bx, bxv.data(), bx, o.infer.data(), bc, scale.data(),
                             bias.data(), estMean.data(), estVar.data(), 1e-5)
               | dnn.BnBackward(handle, SPATIAL, &alpha, &beta, &beta, &alpha, bx, bxv.data(), bx, bdy.data(), bx,
                                o.dx.data(), bc, scale.data(), o.dScale.data(), o.dBias.data(), 1e-5, savedMean.data(),
                                savedInv.data());
    };
    expect(batchNorm(bnDirect), OK, "direct batch norm training, inference, backward");

    // SGEMM, C (3x4) = alpha A (3x5) B (5x4) + beta C.
    std::vector<float> A = uniform(15), B = uniform(20), C0 = uniform(12), Cdirect = C0, Ccaptured = C0;
    expect(blas.Sgemm(bh, 0, 0, 3, 4, 5, &alpha, A.data(), 3, B.data(), 5, &beta, Cdirect.data(), 3), BLAS_OK, "direct sgemm");

    expect(cu.BeginCapture(stream, 0), 0, "cuStreamBeginCapture_v2");
    for (int dir = 0; dir < 3; dir++)
        expect(runConv(dir, d, &alpha, in0[dir], in1[dir], dir == 0 ? 1 : 0, ws.data(), ws.size(), &beta,
                       captured[dir].data()), OK, std::string("captured ") + DIRS[dir]);
    expect(batchNorm(bnCaptured), OK, "captured batch norm training, inference, backward");
    expect(blas.Sgemm(bh, 0, 0, 3, 4, 5, &alpha, A.data(), 3, B.data(), 5, &beta, Ccaptured.data(), 3), BLAS_OK, "captured sgemm");
    // Refused at call time, also while capturing: nothing is recorded.
    expect(runConv(0, d, nullptr, x.data(), w.data(), 0, nullptr, 0, &beta, captured[0].data()), BAD_PARAM,
           "a captured convolution with alpha NULL: BAD_PARAM at call time");
    expect(blas.Sgemm(bh, 0, 0, 3, 4, 5, &alpha, A.data(), 2, B.data(), 5, &beta, Ccaptured.data(), 3), BLAS_INVALID_VALUE,
           "a captured sgemm with lda < m: INVALID_VALUE at call time");
    // What the calls read from host memory changes now; the graph must have taken it at call time.
    alpha = -3.0f;
    beta = 2.0f;
    expect(dnn.SetConv2d(d.conv, g.padH, g.padW, g.sH, g.sW, g.dH, g.dW, CONVOLUTION, FLOAT), OK,
           "the convolution descriptor set to the other mode after the calls");
    H graph = nullptr, exec = nullptr;
    expect(cu.EndCapture(stream, &graph), 0, "cuStreamEndCapture");
    size_t nodes = 0;
    expect(cu.GraphGetNodes(graph, nullptr, &nodes), 0, "cuGraphGetNodes");
    check(nodes == 7, "the graph has 7 nodes: 3 convolutions, 3 batch norms, 1 sgemm (" + std::to_string(nodes) + ")");
    bool untouched = Ccaptured == C0 && bnCaptured.y == bnStart.y && bnCaptured.runMean == bnStart.runMean
                     && bnCaptured.infer == bnStart.infer && bnCaptured.dx == bnStart.dx && bnCaptured.dScale == bnStart.dScale;
    for (int dir = 0; dir < 3; dir++) untouched &= captured[dir] == before[dir];
    check(untouched, "captured cuDNN and cuBLAS calls do not run at capture time");
    expect(cu.GraphInstantiate(&exec, graph, 0) | cu.GraphDestroy(graph), 0, "instantiate, destroy the graph");
    expect(cu.GraphLaunch(exec, stream), 0, "cuGraphLaunch");
    for (int dir = 0; dir < 3; dir++)
        check(captured[dir] == direct[dir], std::string("graph launch: ") + DIRS[dir] +
                                                " as called directly, with alpha, beta, descriptor of call time");
    check(bnCaptured.y == bnDirect.y && bnCaptured.runMean == bnDirect.runMean && bnCaptured.runVar == bnDirect.runVar
              && bnCaptured.saveMean == bnDirect.saveMean && bnCaptured.saveInv == bnDirect.saveInv,
          "graph launch: batch norm training as called directly");
    check(bnCaptured.infer == bnDirect.infer, "graph launch: batch norm inference as called directly");
    check(bnCaptured.dx == bnDirect.dx && bnCaptured.dScale == bnDirect.dScale && bnCaptured.dBias == bnDirect.dBias,
          "graph launch: batch norm backward as called directly");
    check(Ccaptured == Cdirect, "graph launch: sgemm as called directly, with alpha and beta of call time");
    expect(cu.GraphExecDestroy(exec), 0, "cuGraphExecDestroy");

    // An invalidated capture: the calls fail at call time.
    expect(cu.BeginCapture(stream, 0), 0, "cuStreamBeginCapture_v2");
    expect(cu.StreamSynchronize(stream), 900, "cuStreamSynchronize invalidates the capture");
    expect(runConv(0, d, &alpha, x.data(), w.data(), 0, nullptr, 0, &beta, captured[0].data()), 5000,
           "convolution into an invalidated capture: CUDNN_STATUS_EXECUTION_FAILED");
    expect(blas.Sgemm(bh, 0, 0, 3, 4, 5, &alpha, A.data(), 3, B.data(), 5, &beta, Ccaptured.data(), 3), 13,
           "sgemm into an invalidated capture: CUBLAS_STATUS_EXECUTION_FAILED");
    expect(cu.EndCapture(stream, &graph), 901, "cuStreamEndCapture -> 901");
    dnn.DestroyTensor(bx);
    dnn.DestroyTensor(bc);
    blas.Destroy(bh);
}

// Runs fn in a child process: the capture checks load the simulator's driver, which then stays in the process,
// and the other sections check the libraries without it. A crash there is one more failed check.
void isolated(const char *name, void (*fn)()) {
    const ChildRun r = runInChild(60, false, [&] {
        checks = failures = 0;
        section(name, fn);
        return std::pair<int, int>{checks, failures};
    });
    checks += r.checks;
    failures += r.failures;
    if (r.finished) return;
    checks++;
    fail(std::string(name) + ": the child process crashed or timed out");
}

}  // namespace

int main(int argc, char **argv) {
    std::string dir = argc > 1 ? argv[1] : programDir();
    libDir = dir;
    dnn = loadCudnn(dir);
    blas = loadCublas(dir);
    if (dnn.Create(&handle) != OK) {
        std::printf("FAIL cudnnCreate\n");
        return 1;
    }
    // First: the libraries look the driver up once, at their first computation.
    isolated("stream capture", testCapture);
    section("cuDNN descriptors", testDescriptors);
    section("cuDNN convolutions", testConvolutions);
    section("cuDNN algorithm search", testConvolutionSearch);
    section("cuDNN convolution checks", testConvolutionValidation);
    section("cuDNN batch norm", testBatchNorm);
    section("cuBLAS", testCublas);
    expect(dnn.Destroy(handle), OK, "cudnnDestroy");
    std::printf("%s: %d checks, %d failed\n", failures == 0 ? "PASS" : "FAIL", checks, failures);
    return failures == 0 ? 0 : 1;
}
