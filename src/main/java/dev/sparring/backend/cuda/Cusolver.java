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
 * FFM bindings to cuSOLVER's dense API ({@code libcusolver.so.12} or {@code .11}, declared in cusolverDn.h): a handle
 * bound to our stream and the symmetric eigensolver DSYEVD, for the EIGEN method of the FID's square-root trace.
 * cuSOLVER is optional: this class is loaded only when that method is asked for, and {@link #LIB} then fails with
 * the search report ({@link NativeLibraries#CUSOLVER}) where the library is missing. The host CUDA simulator does not
 * simulate it: this binding has run only where a GPU session ran it (bench/gpu/session.sh, stage fid-gpu).
 */
final class Cusolver {
    private Cusolver() { }

    static final String LIBRARY = "cuSOLVER";

    // cusolverEigMode_t
    static final int CUSOLVER_EIG_MODE_NOVECTOR = 0, CUSOLVER_EIG_MODE_VECTOR = 1;
    // cublasFillMode_t
    static final int CUBLAS_FILL_MODE_LOWER = 0, CUBLAS_FILL_MODE_UPPER = 1;

    /** cusolverStatus_t names (cusolver_common.h). */
    static final Map<Integer, String> STATUS = Map.of(
            0, "CUSOLVER_STATUS_SUCCESS", 1, "CUSOLVER_STATUS_NOT_INITIALIZED", 2, "CUSOLVER_STATUS_ALLOC_FAILED",
            3, "CUSOLVER_STATUS_INVALID_VALUE", 4, "CUSOLVER_STATUS_ARCH_MISMATCH", 5, "CUSOLVER_STATUS_MAPPING_ERROR",
            6, "CUSOLVER_STATUS_EXECUTION_FAILED", 7, "CUSOLVER_STATUS_INTERNAL_ERROR",
            8, "CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED", 9, "CUSOLVER_STATUS_NOT_SUPPORTED");

    static final NativeLibraries.Library LIB = NativeLibraries.require(NativeLibraries.CUSOLVER);

    private static MethodHandle bind(String name, FunctionDescriptor fd) { return LIB.bind(name, fd); }

    private static final MethodHandle cusolverDnCreate = bind("cusolverDnCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cusolverDnDestroy = bind("cusolverDnDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cusolverDnSetStream = bind("cusolverDnSetStream", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cusolverDnDsyevdBufferSize = bind("cusolverDnDsyevd_bufferSize", FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle cusolverDnDsyevd = bind("cusolverDnDsyevd", FunctionDescriptor.of(JAVA_INT,
            ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG));

    /** Throws {@link CudaException} naming {@code fn} and the status when it is not CUSOLVER_STATUS_SUCCESS. */
    static void check(int status, String fn) {
        if (status == 0) return;
        throw new CudaException(LIBRARY, fn, status, fn + " failed: " + STATUS.getOrDefault(status, "cusolverStatus_t " + status)
                + (status == 2 ? ": the GPU is out of memory" : ""));
    }

    static MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ADDRESS);
            check((int) cusolverDnCreate.invokeExact(h), "cusolverDnCreate");
            return h.get(ADDRESS, 0);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    static void destroy(MemorySegment handle) {
        try { check((int) cusolverDnDestroy.invokeExact(handle), "cusolverDnDestroy"); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    static void setStream(MemorySegment handle, MemorySegment stream) {
        try { check((int) cusolverDnSetStream.invokeExact(handle, stream), "cusolverDnSetStream"); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /** Doubles of workspace that {@link #dsyevd} needs for an n x n matrix (A and W are not read). */
    static int dsyevdBufferSize(MemorySegment handle, int jobz, int uplo, int n, long a, int lda, long w) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment lwork = ar.allocate(JAVA_INT);
            check((int) cusolverDnDsyevdBufferSize.invokeExact(handle, jobz, uplo, n, a, lda, w, lwork), "cusolverDnDsyevd_bufferSize");
            return lwork.get(JAVA_INT, 0);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /**
     * The eigenvalues (ascending, into W) and with {@link #CUSOLVER_EIG_MODE_VECTOR} the eigenvectors (the columns of
     * A, column-major) of a symmetric column-major n x n matrix A; {@code info} is a device int: 0, or i &gt; 0 when
     * i off-diagonal elements did not converge. Queued on the handle's stream.
     */
    static void dsyevd(MemorySegment handle, int jobz, int uplo, int n, long a, int lda, long w, long work, int lwork, long info) {
        int status;
        try {
            status = (int) cusolverDnDsyevd.invokeExact(handle, jobz, uplo, n, a, lda, w, work, lwork, info);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
        check(status, "cusolverDnDsyevd");
    }
}
