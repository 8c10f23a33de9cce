package dev.sparring.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * FFM bindings to cuBLAS ({@code libcublas.so.13} or {@code .12}, declared in cublas_api.h), the few entry points
 * Sparring uses: a handle bound to our stream, SGEMM, and DGEMM (the float64 statistics of the FID). Device pointers are passed as {@code long}
 * (a pointer and a 64-bit integer travel the same way in the C calling convention, and this avoids a wrapper
 * object per argument); host pointers (alpha, beta, out-parameters) are {@link MemorySegment}s.
 */
public final class Cublas {
    private Cublas() { }

    public static final String LIBRARY = "cuBLAS";

    // cublasOperation_t
    public static final int CUBLAS_OP_N = 0, CUBLAS_OP_T = 1;
    // cublasMath_t
    public static final int CUBLAS_DEFAULT_MATH = 0, CUBLAS_TF32_TENSOR_OP_MATH = 3;
    // libraryPropertyType
    public static final int MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2;

    /** cublasStatus_t names (cublas_api.h). */
    static final Map<Integer, String> STATUS = Map.of(
            0, "CUBLAS_STATUS_SUCCESS", 1, "CUBLAS_STATUS_NOT_INITIALIZED", 3, "CUBLAS_STATUS_ALLOC_FAILED",
            7, "CUBLAS_STATUS_INVALID_VALUE", 8, "CUBLAS_STATUS_ARCH_MISMATCH", 11, "CUBLAS_STATUS_MAPPING_ERROR",
            13, "CUBLAS_STATUS_EXECUTION_FAILED", 14, "CUBLAS_STATUS_INTERNAL_ERROR", 15, "CUBLAS_STATUS_NOT_SUPPORTED",
            16, "CUBLAS_STATUS_LICENSE_ERROR");

    public static final NativeLibraries.Library LIB = NativeLibraries.require(NativeLibraries.CUBLAS);

    private static MethodHandle bind(String name, FunctionDescriptor fd) { return LIB.bind(name, fd); }

    private static final MethodHandle cublasCreate = bind("cublasCreate_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cublasDestroy = bind("cublasDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cublasSetStream = bind("cublasSetStream_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cublasSetWorkspace = bind("cublasSetWorkspace_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle cublasSetMathMode = bind("cublasSetMathMode", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cublasGetVersion = bind("cublasGetVersion_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cublasGetProperty = bind("cublasGetProperty", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle cublasGetStatusString = bind("cublasGetStatusString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle cublasSgemm = bind("cublasSgemm_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS,
            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_LONG, JAVA_INT));
    private static final MethodHandle cublasDgemm = bind("cublasDgemm_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS,
            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS,
            JAVA_LONG, JAVA_INT));

    /** Throws {@link CudaException} naming {@code fn} and the status when it is not CUBLAS_STATUS_SUCCESS. */
    public static void check(int status, String fn) {
        if (status == 0) return;
        String text;
        try {
            text = NativeCalls.cString((MemorySegment) cublasGetStatusString.invokeExact(status));
        } catch (Throwable t) {
            text = "no description";
        }
        throw new CudaException(LIBRARY, fn, status, fn + " failed: " + STATUS.getOrDefault(status, "cublasStatus_t " + status)
                + " (" + text + ")" + advice(status, fn));
    }

    /** What the user can do about the failures that have one cause in practice. */
    private static String advice(int status, String fn) {
        if (status == 3) return ": the GPU is out of memory";
        // cuBLAS documents NOT_INITIALIZED from cublasCreate as "the CUDA Runtime initialization failed"
        if (status == 1 && fn.equals("cublasCreate_v2")) {
            return ": cuBLAS could not start the CUDA runtime: no GPU is visible, or the NVIDIA driver is missing or "
                    + "older than this cuBLAS needs (cuBLAS 12 needs driver 525 or newer, cuBLAS 13 needs 580)";
        }
        return "";
    }

    public static MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ADDRESS);
            check((int) cublasCreate.invokeExact(h), "cublasCreate_v2");
            return h.get(ADDRESS, 0);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    public static void destroy(MemorySegment handle) {
        try { check((int) cublasDestroy.invokeExact(handle), "cublasDestroy_v2"); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    public static void setStream(MemorySegment handle, MemorySegment stream) {
        try { check((int) cublasSetStream.invokeExact(handle, stream), "cublasSetStream_v2"); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /**
     * Gives the handle its workspace (device memory, 256-byte aligned), so that cuBLAS allocates none of its own: a
     * training step captured as a CUDA graph must not allocate.
     */
    public static void setWorkspace(MemorySegment handle, long workspace, long bytes) {
        try { check((int) cublasSetWorkspace.invokeExact(handle, workspace, bytes), "cublasSetWorkspace_v2"); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    public static void setMathMode(MemorySegment handle, int mode) {
        try { check((int) cublasSetMathMode.invokeExact(handle, mode), "cublasSetMathMode"); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /** The version of the library behind a handle, e.g. 130000 + 100 * minor + patch. */
    public static int version(MemorySegment handle) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check((int) cublasGetVersion.invokeExact(handle, v), "cublasGetVersion_v2");
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /** "major.minor.patch" without a handle (no GPU work). */
    public static String versionString() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            int[] parts = new int[3];
            for (int i = 0; i < 3; i++) {
                check((int) cublasGetProperty.invokeExact(i, v), "cublasGetProperty");
                parts[i] = v.get(JAVA_INT, 0);
            }
            return parts[0] + "." + parts[1] + "." + parts[2];
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /**
     * Column-major SGEMM: C = alpha op(A) op(B) + beta C with op(A) m x k, op(B) k x n, C m x n; alpha and beta are
     * host floats. A, B, C are device pointers.
     */
    public static void sgemm(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha,
                             long a, int lda, long b, int ldb, MemorySegment beta, long c, int ldc) {
        int status;
        try {
            status = (int) cublasSgemm.invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
        check(status, "cublasSgemm_v2");
    }

    /**
     * Column-major DGEMM: C = alpha op(A) op(B) + beta C with op(A) m x k, op(B) k x n, C m x n; alpha and beta are
     * host doubles. A, B, C are device pointers.
     */
    public static void dgemm(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha,
                             long a, int lda, long b, int ldb, MemorySegment beta, long c, int ldc) {
        int status;
        try {
            status = (int) cublasDgemm.invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
        check(status, "cublasDgemm_v2");
    }
}
