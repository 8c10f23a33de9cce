// cudasim: a host stand-in for cuBLAS 13 (libcublas.so.13), for tests on machines without a GPU.
//
// It exports the entry points that src/main/java/dev/sparring/backend/cuda/Cublas.java binds, with the names,
// argument orders and enum values of cublas_api.h, and computes on host memory: in the simulator a "device
// pointer" is a host pointer. A call validates its arguments and reads alpha and beta from host memory
// (CUBLAS_POINTER_MODE_HOST, cuBLAS's default and the only mode Sparring uses) when it is made, and returns its
// status then; its computation goes to the handle's stream through the simulated driver (stream_submit.h): it runs
// at once, or, where that stream is capturing, at each launch of the captured graph, with the alpha and beta of
// call time. Without the simulator's libcuda.so.1 in the process, it runs at once.
//
// What it validates, as cuBLAS documents for each call: a live handle (else CUBLAS_STATUS_NOT_INITIALIZED, also
// for a destroyed one), and for SGEMM and DGEMM m, n, k >= 0, transa/transb in {N, T, C}, lda >= max(1, rows of A as stored),
// ldb likewise, ldc >= max(1, m), alpha and beta not NULL, C not NULL when it must be written
// (CUBLAS_STATUS_INVALID_VALUE). It follows cuBLAS's quick returns: nothing is touched when m or n is 0, or when
// alpha or k is 0 and beta is 1; with beta == 0, C is written without being read (NaN in it does not propagate).
//
// What it cannot tell: anything about real cuBLAS numerics (TF32 or tensor-core kernels, split-K, accumulation
// order), speed, or asynchronous behaviour. Every dot product is summed in double and rounded once to float (SGEMM;
// DGEMM's is simply summed in double, in order). The
// math mode and the workspace (cublasSetWorkspace_v2) are checked and recorded but change nothing here.
//
// Self-contained: no state shared with the other simulator libraries, only the C++ standard library and the
// driver's cudasim_stream_submit, looked up at run time.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <unordered_set>
#include "stream_submit.h"

#define CUBLAS_API extern "C" __attribute__((visibility("default")))

struct cublasContext;
typedef cublasContext *cublasHandle_t;
typedef void *cudaStream_t;
typedef int cublasStatus_t;  // the enums are int-sized in the C ABI

namespace {

// cublasStatus_t (cublas_api.h).
constexpr cublasStatus_t SUCCESS = 0, NOT_INITIALIZED = 1, ALLOC_FAILED = 3, INVALID_VALUE = 7,
                         EXECUTION_FAILED = 13;

// cuBLAS aligns its own workspace to 256 bytes and requires as much of a user-provided one.
constexpr uintptr_t WORKSPACE_ALIGNMENT = 256;

// The version this simulator presents: 13.0.2, encoded as cublasGetVersion does since cuBLAS 12
// (major * 10000 + minor * 100 + patch).
constexpr int kMajor = 13, kMinor = 0, kPatch = 2;

// cublasOperation_t: N, T, C (C is T for real types); CUBLAS_OP_CONJG (3) is not supported by GEMM.
constexpr int OP_N = 0, OP_T = 1, OP_C = 2;

// cublasMath_t of cuBLAS 13: the modes, and CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION as a flag that may be
// or-ed with any of them except the deprecated CUBLAS_TENSOR_OP_MATH.
constexpr int MATH_DEFAULT = 0, MATH_TENSOR_OP = 1, MATH_PEDANTIC = 2, MATH_TF32 = 3, MATH_FP32_EMULATED_BF16X9 = 4,
              MATH_FP64_EMULATED_FIXEDPOINT = 8, MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16;

// libraryPropertyType.
constexpr int MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2;

}  // namespace

struct cublasContext {
    cudaStream_t stream = nullptr;
    int mathMode = MATH_DEFAULT;
    void *workspace = nullptr;  // cublasSetWorkspace_v2's; NULL: cuBLAS's default workspace pool
    size_t workspaceBytes = 0;
};

namespace {

// Live handles, so that a destroyed or made-up handle is NOT_INITIALIZED instead of a crash.
class Handles {
public:
    bool add(const cublasContext *h) {
        std::lock_guard<std::mutex> lock(mutex_);
        try {
            live_.insert(h);
            return true;
        } catch (const std::bad_alloc &) {
            return false;
        }
    }

    bool live(const cublasContext *h) {
        if (h == nullptr) return false;
        std::lock_guard<std::mutex> lock(mutex_);
        return live_.count(h) != 0;
    }

    bool remove(const cublasContext *h) {
        std::lock_guard<std::mutex> lock(mutex_);
        return live_.erase(h) != 0;
    }

private:
    std::mutex mutex_;
    std::unordered_set<const cublasContext *> live_;
};

Handles &handles() {
    static Handles h;  // built on first use: no static initialisation order to worry about
    return h;
}

bool validMathMode(int mode) {
    int base = mode & ~MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
    bool flag = (mode & MATH_DISALLOW_REDUCED_PRECISION_REDUCTION) != 0;
    switch (base) {
        case MATH_DEFAULT: case MATH_PEDANTIC: case MATH_TF32: case MATH_FP32_EMULATED_BF16X9:
        case MATH_FP64_EMULATED_FIXEDPOINT:
            return true;
        case MATH_TENSOR_OP:
            return !flag;
        default:
            return false;
    }
}

bool validOp(int op) { return op == OP_N || op == OP_T || op == OP_C; }

inline int64_t maxOne(int64_t v) { return v > 1 ? v : 1; }

}  // namespace

CUBLAS_API cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) {
    if (handle == nullptr) return INVALID_VALUE;
    cublasContext *h = new (std::nothrow) cublasContext();
    if (h == nullptr || !handles().add(h)) {
        delete h;
        return ALLOC_FAILED;
    }
    *handle = h;
    return SUCCESS;
}

CUBLAS_API cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
    if (handle == nullptr || !handles().remove(handle)) return NOT_INITIALIZED;
    delete handle;
    return SUCCESS;
}

CUBLAS_API cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId) {
    if (!handles().live(handle)) return NOT_INITIALIZED;
    handle->stream = streamId;  // where the calls' computations go (stream_submit.h)
    // cuBLAS documents that setting the stream resets the workspace to the default workspace pool.
    handle->workspace = nullptr;
    handle->workspaceBytes = 0;
    return SUCCESS;
}

// A user-owned workspace for the calls on the current stream: 256-byte aligned where not NULL (size 0 with NULL
// is allowed); recorded, not used, by the simulator.
CUBLAS_API cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void *workspace, size_t workspaceSizeInBytes) {
    if (!handles().live(handle)) return NOT_INITIALIZED;
    if (workspace != nullptr && reinterpret_cast<uintptr_t>(workspace) % WORKSPACE_ALIGNMENT != 0) return INVALID_VALUE;
    handle->workspace = workspace;
    handle->workspaceBytes = workspaceSizeInBytes;
    return SUCCESS;
}

CUBLAS_API cublasStatus_t cublasSetMathMode(cublasHandle_t handle, int mode) {
    if (!handles().live(handle)) return NOT_INITIALIZED;
    if (!validMathMode(mode)) return INVALID_VALUE;
    handle->mathMode = mode;
    return SUCCESS;
}

// cuBLAS documents that this may be called with a NULL handle, to read the version without creating one.
CUBLAS_API cublasStatus_t cublasGetVersion_v2(cublasHandle_t /*handle*/, int *version) {
    if (version == nullptr) return INVALID_VALUE;
    *version = kMajor * 10000 + kMinor * 100 + kPatch;
    return SUCCESS;
}

CUBLAS_API cublasStatus_t cublasGetProperty(int type, int *value) {
    if (value == nullptr) return INVALID_VALUE;
    switch (type) {
        case MAJOR_VERSION: *value = kMajor; return SUCCESS;
        case MINOR_VERSION: *value = kMinor; return SUCCESS;
        case PATCH_LEVEL: *value = kPatch; return SUCCESS;
        default: return INVALID_VALUE;
    }
}

// The descriptions are the meanings that the cuBLAS documentation gives for each cublasStatus_t value.
CUBLAS_API const char *cublasGetStatusString(cublasStatus_t status) {
    switch (status) {
        case 0: return "the operation completed successfully";
        case 1: return "the library was not initialized";
        case 3: return "the resource allocation failed";
        case 7: return "an invalid numeric value was used as an argument";
        case 8: return "an absent device architectural feature is required";
        case 11: return "an access to GPU memory space failed";
        case 13: return "the GPU program failed to execute";
        case 14: return "an internal operation failed";
        case 15: return "the functionality requested is not supported";
        case 16: return "the functionality requested requires some license";
        default: return "unknown error";
    }
}

namespace {

// C = alpha op(A) op(B) + beta C, column-major; op(A) is m x k, op(B) k x n, C m x n: SGEMM (T = float) and DGEMM
// (T = double), validated alike. Every dot product is summed in double and rounded once to T (for DGEMM: summed
// naively in double, in order of k).
template <typename T>
cublasStatus_t gemm(cublasHandle_t handle, int transa, int transb, int m, int n, int k, const T *alpha, const T *A,
                    int lda, const T *B, int ldb, const T *beta, T *C, int ldc) {
    if (!handles().live(handle)) return NOT_INITIALIZED;
    if (!validOp(transa) || !validOp(transb) || m < 0 || n < 0 || k < 0) return INVALID_VALUE;
    bool ta = transa != OP_N, tb = transb != OP_N;
    if (lda < maxOne(ta ? k : m) || ldb < maxOne(tb ? n : k) || ldc < maxOne(m)) return INVALID_VALUE;
    if (alpha == nullptr || beta == nullptr) return INVALID_VALUE;
    if (m == 0 || n == 0) return SUCCESS;
    T a = *alpha, b = *beta;
    bool product = a != T(0) && k > 0;
    if (!product && b == T(1)) return SUCCESS;
    if (C == nullptr) return INVALID_VALUE;
    // A NULL A or B that has to be read would fault on a GPU; the launch then fails rather than the call.
    if (product && (A == nullptr || B == nullptr)) return EXECUTION_FAILED;

    // Everything by value: the caller's alpha and beta may change before a captured graph runs this.
    auto run = [=]() {
        for (int64_t j = 0; j < n; j++)
            for (int64_t i = 0; i < m; i++) {
                double acc = 0;
                if (product)
                    for (int64_t l = 0; l < k; l++) {
                        T av = ta ? A[i * lda + l] : A[l * lda + i];
                        T bv = tb ? B[l * ldb + j] : B[j * ldb + l];
                        acc += static_cast<double>(av) * static_cast<double>(bv);
                    }
                double v = static_cast<double>(a) * acc;
                // beta == 0: C need not hold a number, so it is not read.
                if (b != T(0)) v += static_cast<double>(b) * static_cast<double>(C[j * ldc + i]);
                C[j * ldc + i] = static_cast<T>(v);
            }
    };
    int st = cudasim_stream::submit(handle->stream, run);
    return st == 0 ? SUCCESS : st < 0 ? ALLOC_FAILED : EXECUTION_FAILED;
}

}  // namespace

CUBLAS_API cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                         const float *alpha, const float *A, int lda, const float *B, int ldb,
                                         const float *beta, float *C, int ldc) {
    return gemm(handle, transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

// DGEMM, for the float64 statistics of the FID (the simulator's one addition since it was frozen).
CUBLAS_API cublasStatus_t cublasDgemm_v2(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                         const double *alpha, const double *A, int lda, const double *B, int ldb,
                                         const double *beta, double *C, int ldc) {
    return gemm(handle, transa, transb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
