package dev.sparring.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * FFM bindings to cuDNN's legacy (descriptor) API, {@code libcudnn.so.9} (or {@code .8}): tensor, filter and
 * convolution descriptors, the convolution algorithm search ({@code Find...AlgorithmEx}), the three convolutions,
 * and spatial batch norm. Declarations are those of cuDNN 9's cudnn_graph.h (handle, status, data types),
 * cudnn_ops.h (tensor and filter descriptors, batch norm, algorithm enums) and cudnn_cnn.h (convolutions).
 * Most of these are marked deprecated in cuDNN 9 in favour of the graph API; they are still exported and are
 * what PyTorch 2.x calls for the same work.
 *
 * <p>Device pointers and {@code size_t} are passed as {@code long}; descriptors, handles and host pointers
 * (alpha/beta scaling factors, out-parameters) as {@link MemorySegment}.
 */
public final class Cudnn {
    private Cudnn() { }

    public static final String LIBRARY = "cuDNN";

    // cudnnDataType_t, cudnnTensorFormat_t, cudnnConvolutionMode_t, cudnnMathType_t, cudnnBatchNormMode_t, cudnnDeterminism_t
    public static final int CUDNN_DATA_FLOAT = 0;
    public static final int CUDNN_TENSOR_NCHW = 0;
    public static final int CUDNN_CROSS_CORRELATION = 1;
    public static final int CUDNN_DEFAULT_MATH = 0, CUDNN_FMA_MATH = 3;
    public static final int CUDNN_BATCHNORM_SPATIAL = 1;
    public static final int CUDNN_DETERMINISTIC = 1;
    /** Largest algorithm enum value + 1 for forward, backward data, backward filter (cudnn_ops.h *_ALGO_COUNT). */
    public static final int FWD_ALGO_COUNT = 8, BWD_DATA_ALGO_COUNT = 6, BWD_FILTER_ALGO_COUNT = 7;

    /**
     * cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t, identical for the three: {int algo; int status; float time;
     * size_t memory; int determinism; int mathType; int reserved[3]} = 48 bytes with the padding before memory.
     */
    public static final long PERF_BYTES = 48, PERF_ALGO = 0, PERF_STATUS = 4, PERF_TIME = 8, PERF_MEMORY = 16,
            PERF_DETERMINISM = 24, PERF_MATH_TYPE = 28;

    /** cudnnStatus_t names of cuDNN 9 (cudnn_graph.h). */
    static final Map<Integer, String> STATUS = Map.ofEntries(
            Map.entry(0, "CUDNN_STATUS_SUCCESS"),
            Map.entry(1001, "CUDNN_STATUS_NOT_INITIALIZED"),
            Map.entry(1002, "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH"),
            Map.entry(1003, "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH"),
            Map.entry(1004, "CUDNN_STATUS_DEPRECATED"),
            Map.entry(1005, "CUDNN_STATUS_LICENSE_ERROR"),
            Map.entry(1006, "CUDNN_STATUS_RUNTIME_IN_PROGRESS"),
            Map.entry(1007, "CUDNN_STATUS_RUNTIME_FP_OVERFLOW"),
            Map.entry(1008, "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED"),
            Map.entry(2000, "CUDNN_STATUS_BAD_PARAM"),
            Map.entry(2001, "CUDNN_STATUS_INVALID_VALUE"),
            Map.entry(2002, "CUDNN_STATUS_BAD_PARAM_NULL_POINTER"),
            Map.entry(2003, "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER"),
            Map.entry(2004, "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED"),
            Map.entry(2005, "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND"),
            Map.entry(2006, "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT"),
            Map.entry(2007, "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH"),
            Map.entry(2008, "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH"),
            Map.entry(2009, "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES"),
            Map.entry(2010, "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE"),
            Map.entry(2011, "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH"),
            Map.entry(2012, "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE"),
            Map.entry(3000, "CUDNN_STATUS_NOT_SUPPORTED"),
            Map.entry(3001, "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN"),
            Map.entry(3002, "CUDNN_STATUS_NOT_SUPPORTED_SHAPE"),
            Map.entry(3003, "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE"),
            Map.entry(3004, "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT"),
            Map.entry(3005, "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER"),
            Map.entry(3006, "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART"),
            Map.entry(3007, "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH"),
            Map.entry(3008, "CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING"),
            Map.entry(3009, "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE"),
            Map.entry(3010, "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT"),
            Map.entry(3011, "CUDNN_STATUS_NOT_SUPPORTED_PADDING"),
            Map.entry(3012, "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM"),
            Map.entry(3013, "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API"),
            Map.entry(4000, "CUDNN_STATUS_INTERNAL_ERROR"),
            Map.entry(4001, "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED"),
            Map.entry(4002, "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE"),
            Map.entry(4003, "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED"),
            Map.entry(4004, "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED"),
            Map.entry(4005, "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM"),
            Map.entry(4006, "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED"),
            Map.entry(5000, "CUDNN_STATUS_EXECUTION_FAILED"),
            Map.entry(5001, "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER"),
            Map.entry(5002, "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS"),
            Map.entry(5003, "CUDNN_STATUS_EXECUTION_FAILED_CUDART"),
            Map.entry(5004, "CUDNN_STATUS_EXECUTION_FAILED_CURAND"));

    public static final NativeLibraries.Library LIB = NativeLibraries.require(NativeLibraries.CUDNN);

    private static MethodHandle bind(String name, FunctionDescriptor fd) { return LIB.bind(name, fd); }

    private static FunctionDescriptor status(java.lang.foreign.MemoryLayout... args) { return FunctionDescriptor.of(JAVA_INT, args); }

    private static final MethodHandle cudnnGetVersion = bind("cudnnGetVersion", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle cudnnGetErrorString = bind("cudnnGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    // cuDNN 9 only: (char *message, size_t max_size), the text of the last failure in the calling thread
    private static final MethodHandle cudnnGetLastErrorString = LIB.bindOptional("cudnnGetLastErrorString",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_LONG)).orElse(null);
    private static final MethodHandle cudnnCreate = bind("cudnnCreate", status(ADDRESS));
    private static final MethodHandle cudnnDestroy = bind("cudnnDestroy", status(ADDRESS));
    private static final MethodHandle cudnnSetStream = bind("cudnnSetStream", status(ADDRESS, ADDRESS));

    private static final MethodHandle cudnnCreateTensorDescriptor = bind("cudnnCreateTensorDescriptor", status(ADDRESS));
    private static final MethodHandle cudnnSetTensor4dDescriptor = bind("cudnnSetTensor4dDescriptor",
            status(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle cudnnDestroyTensorDescriptor = bind("cudnnDestroyTensorDescriptor", status(ADDRESS));
    private static final MethodHandle cudnnCreateFilterDescriptor = bind("cudnnCreateFilterDescriptor", status(ADDRESS));
    private static final MethodHandle cudnnSetFilter4dDescriptor = bind("cudnnSetFilter4dDescriptor",
            status(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle cudnnDestroyFilterDescriptor = bind("cudnnDestroyFilterDescriptor", status(ADDRESS));
    private static final MethodHandle cudnnCreateConvolutionDescriptor = bind("cudnnCreateConvolutionDescriptor", status(ADDRESS));
    private static final MethodHandle cudnnSetConvolution2dDescriptor = bind("cudnnSetConvolution2dDescriptor",
            status(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle cudnnSetConvolutionMathType = bind("cudnnSetConvolutionMathType", status(ADDRESS, JAVA_INT));
    private static final MethodHandle cudnnDestroyConvolutionDescriptor = bind("cudnnDestroyConvolutionDescriptor", status(ADDRESS));

    private static final MethodHandle cudnnGetConvolutionForwardAlgorithmMaxCount = bind("cudnnGetConvolutionForwardAlgorithmMaxCount", status(ADDRESS, ADDRESS));
    private static final MethodHandle cudnnGetConvolutionBackwardDataAlgorithmMaxCount = bind("cudnnGetConvolutionBackwardDataAlgorithmMaxCount", status(ADDRESS, ADDRESS));
    private static final MethodHandle cudnnGetConvolutionBackwardFilterAlgorithmMaxCount = bind("cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", status(ADDRESS, ADDRESS));

    // (handle, xDesc, x, wDesc, w, convDesc, yDesc, y, requested, *returned, *perf, workspace, workspaceBytes)
    private static final MethodHandle cudnnFindConvolutionForwardAlgorithmEx = bind("cudnnFindConvolutionForwardAlgorithmEx",
            status(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));
    // (handle, wDesc, w, dyDesc, dy, convDesc, dxDesc, dx, requested, *returned, *perf, workspace, workspaceBytes)
    private static final MethodHandle cudnnFindConvolutionBackwardDataAlgorithmEx = bind("cudnnFindConvolutionBackwardDataAlgorithmEx",
            status(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));
    // (handle, xDesc, x, dyDesc, dy, convDesc, dwDesc, dw, requested, *returned, *perf, workspace, workspaceBytes)
    private static final MethodHandle cudnnFindConvolutionBackwardFilterAlgorithmEx = bind("cudnnFindConvolutionBackwardFilterAlgorithmEx",
            status(ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG));

    // (handle, xDesc, wDesc, convDesc, yDesc, algo, *bytes)
    private static final MethodHandle cudnnGetConvolutionForwardWorkspaceSize = bind("cudnnGetConvolutionForwardWorkspaceSize",
            status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
    // (handle, wDesc, dyDesc, convDesc, dxDesc, algo, *bytes)
    private static final MethodHandle cudnnGetConvolutionBackwardDataWorkspaceSize = bind("cudnnGetConvolutionBackwardDataWorkspaceSize",
            status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
    // (handle, xDesc, dyDesc, convDesc, dwDesc, algo, *bytes)
    private static final MethodHandle cudnnGetConvolutionBackwardFilterWorkspaceSize = bind("cudnnGetConvolutionBackwardFilterWorkspaceSize",
            status(ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));

    // (handle, *alpha, xDesc, x, wDesc, w, convDesc, algo, workspace, workspaceBytes, *beta, yDesc, y)
    private static final MethodHandle cudnnConvolutionForward = bind("cudnnConvolutionForward",
            status(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    // (handle, *alpha, wDesc, w, dyDesc, dy, convDesc, algo, workspace, workspaceBytes, *beta, dxDesc, dx)
    private static final MethodHandle cudnnConvolutionBackwardData = bind("cudnnConvolutionBackwardData",
            status(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));
    // (handle, *alpha, xDesc, x, dyDesc, dy, convDesc, algo, workspace, workspaceBytes, *beta, dwDesc, dw)
    private static final MethodHandle cudnnConvolutionBackwardFilter = bind("cudnnConvolutionBackwardFilter",
            status(ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG));

    // (handle, mode, *alpha, *beta, xDesc, x, yDesc, y, bnDesc, scale, bias, factor, runMean, runVar, eps, saveMean, saveInvVar)
    private static final MethodHandle cudnnBatchNormalizationForwardTraining = bind("cudnnBatchNormalizationForwardTraining",
            status(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG,
                    JAVA_DOUBLE, JAVA_LONG, JAVA_LONG, JAVA_DOUBLE, JAVA_LONG, JAVA_LONG));
    // (handle, mode, *alpha, *beta, xDesc, x, yDesc, y, bnDesc, scale, bias, estMean, estVar, eps)
    private static final MethodHandle cudnnBatchNormalizationForwardInference = bind("cudnnBatchNormalizationForwardInference",
            status(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG,
                    JAVA_LONG, JAVA_LONG, JAVA_DOUBLE));
    // (handle, mode, *alphaData, *betaData, *alphaParam, *betaParam, xDesc, x, dyDesc, dy, dxDesc, dx, bnDesc, scale,
    //  dScale, dBias, eps, savedMean, savedInvVar)
    private static final MethodHandle cudnnBatchNormalizationBackward = bind("cudnnBatchNormalizationBackward",
            status(ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG,
                    ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_DOUBLE, JAVA_LONG, JAVA_LONG));

    /**
     * Throws {@link CudaException} naming {@code fn}, the status and cuDNN's message for this failure (cuDNN 9) when
     * it is not success.
     */
    public static void check(int status, String fn) {
        if (status == 0) return;
        String detail = lastError();
        throw new CudaException(LIBRARY, fn, status, fn + " failed: " + statusName(status)
                + (detail.isEmpty() ? "" : " (cuDNN: " + detail + ")")
                + (status == 1001 && fn.equals("cudnnCreate") ? ": cuDNN could not start the CUDA runtime: no GPU is "
                        + "visible, or the NVIDIA driver is missing or older than this cuDNN needs" : ""));
    }

    /**
     * The name of a cudnnStatus_t: ours, else cudnnGetErrorString's (which in cuDNN 8 and 9 returns the name too,
     * "CUDNN_STATUS_BAD_PARAM", not a description), else the number.
     */
    static String statusName(int status) {
        String name = STATUS.get(status);
        if (name != null) return name;
        try {
            String s = NativeCalls.cString((MemorySegment) cudnnGetErrorString.invokeExact(status));
            if (s.startsWith("CUDNN_STATUS_")) return s;
        } catch (Throwable ignored) {
            // fall through to the number
        }
        return "cudnnStatus_t " + status;
    }

    /**
     * cuDNN 9's message for the last failure in this thread, "" when there is none (or with cuDNN 8, which lacks
     * cudnnGetLastErrorString). Reading it clears it; it is not cleared by later successful calls, so a failure that
     * is not reported through {@link #check} must still read it, or a later report would show it.
     */
    static String lastError() {
        if (cudnnGetLastErrorString == null) return "";
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(LAST_ERROR_BYTES);
            cudnnGetLastErrorString.invokeExact(buf, LAST_ERROR_BYTES);
            return buf.getString(0).strip();
        } catch (Throwable t) {
            return "";
        }
    }

    private static final long LAST_ERROR_BYTES = 1024;

    /** The library version as cudnnGetVersion returns it (91002 for 9.10.2; 8907 for 8.9.7). */
    public static long version() {
        try { return (long) cudnnGetVersion.invokeExact(); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /** "major.minor.patch" of {@link #version()}, which changed its encoding in cuDNN 9. */
    public static String versionString(long v) {
        return v >= 90000 ? (v / 10000) + "." + (v % 10000) / 100 + "." + v % 100
                : (v / 1000) + "." + (v % 1000) / 100 + "." + v % 100;
    }

    // ---------------------------------------------------------------- handle and descriptors

    private static MemorySegment create(MethodHandle h, String fn) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) h.invokeExact(p), fn);
            return p.get(ADDRESS, 0);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    private static void destroy(MethodHandle h, MemorySegment obj, String fn) {
        try { check((int) h.invokeExact(obj), fn); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    public static MemorySegment create() { return create(cudnnCreate, "cudnnCreate"); }

    public static void destroy(MemorySegment handle) { destroy(cudnnDestroy, handle, "cudnnDestroy"); }

    public static void setStream(MemorySegment handle, MemorySegment stream) {
        try { check((int) cudnnSetStream.invokeExact(handle, stream), "cudnnSetStream"); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /** A float NCHW tensor descriptor of (n, c, h, w), packed. */
    public static MemorySegment tensor4d(int n, int c, int h, int w) {
        MemorySegment d = create(cudnnCreateTensorDescriptor, "cudnnCreateTensorDescriptor");
        try {
            check((int) cudnnSetTensor4dDescriptor.invokeExact(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, c, h, w), "cudnnSetTensor4dDescriptor");
        } catch (Throwable t) {
            destroyTensor(d);
            throw NativeCalls.rethrow(t);
        }
        return d;
    }

    public static void destroyTensor(MemorySegment d) { destroy(cudnnDestroyTensorDescriptor, d, "cudnnDestroyTensorDescriptor"); }

    /** A float filter descriptor (k, c, r, s) in NCHW (KCRS) order. */
    public static MemorySegment filter4d(int k, int c, int r, int s) {
        MemorySegment d = create(cudnnCreateFilterDescriptor, "cudnnCreateFilterDescriptor");
        try {
            check((int) cudnnSetFilter4dDescriptor.invokeExact(d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, k, c, r, s), "cudnnSetFilter4dDescriptor");
        } catch (Throwable t) {
            destroyFilter(d);
            throw NativeCalls.rethrow(t);
        }
        return d;
    }

    public static void destroyFilter(MemorySegment d) { destroy(cudnnDestroyFilterDescriptor, d, "cudnnDestroyFilterDescriptor"); }

    /** A 2-D cross-correlation (no kernel flip, as our CPU twin) with float accumulation and the given math type. */
    public static MemorySegment convolution2d(int padH, int padW, int strideH, int strideW, int mathType) {
        MemorySegment d = create(cudnnCreateConvolutionDescriptor, "cudnnCreateConvolutionDescriptor");
        try {
            check((int) cudnnSetConvolution2dDescriptor.invokeExact(d, padH, padW, strideH, strideW, 1, 1, CUDNN_CROSS_CORRELATION,
                    CUDNN_DATA_FLOAT), "cudnnSetConvolution2dDescriptor");
            setConvolutionMathType(d, mathType);
        } catch (Throwable t) {
            destroyConvolution(d);
            throw NativeCalls.rethrow(t);
        }
        return d;
    }

    public static void setConvolutionMathType(MemorySegment conv, int mathType) {
        try { check((int) cudnnSetConvolutionMathType.invokeExact(conv, mathType), "cudnnSetConvolutionMathType"); } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    public static void destroyConvolution(MemorySegment d) { destroy(cudnnDestroyConvolutionDescriptor, d, "cudnnDestroyConvolutionDescriptor"); }

    // ---------------------------------------------------------------- convolution algorithm search

    /** The three directions of a convolution, each with its own algorithm enum, search and execute call. */
    public enum Direction { FORWARD, BACKWARD_DATA, BACKWARD_FILTER }

    public static int algorithmMaxCount(MemorySegment handle, Direction dir) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            switch (dir) {
                case FORWARD -> check((int) cudnnGetConvolutionForwardAlgorithmMaxCount.invokeExact(handle, v), "cudnnGetConvolutionForwardAlgorithmMaxCount");
                case BACKWARD_DATA -> check((int) cudnnGetConvolutionBackwardDataAlgorithmMaxCount.invokeExact(handle, v), "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
                case BACKWARD_FILTER -> check((int) cudnnGetConvolutionBackwardFilterAlgorithmMaxCount.invokeExact(handle, v), "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount");
            }
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /**
     * Workspace bytes that {@code algo} needs, or -1 when cuDNN does not support it for these descriptors.
     * x, w, y are the forward names: for backward data they are dx, w, dy, for backward filter x, dw, dy.
     */
    public static long workspaceSize(MemorySegment handle, Direction dir, MemorySegment x, MemorySegment w,
                                     MemorySegment conv, MemorySegment y, int algo) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            int status = switch (dir) {
                case FORWARD -> (int) cudnnGetConvolutionForwardWorkspaceSize.invokeExact(handle, x, w, conv, y, algo, v);
                case BACKWARD_DATA -> (int) cudnnGetConvolutionBackwardDataWorkspaceSize.invokeExact(handle, w, y, conv, x, algo, v);
                case BACKWARD_FILTER -> (int) cudnnGetConvolutionBackwardFilterWorkspaceSize.invokeExact(handle, x, y, conv, w, algo, v);
            };
            if (status == 0) return v.get(JAVA_LONG, 0);
            lastError();   // an unsupported algorithm is expected here: drop its message so no later error shows it
            return -1;
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    /**
     * Runs cuDNN's timed search ({@code cudnnFind*AlgorithmEx}) and returns the count of results written into
     * {@code perf} (an array of {@link #PERF_BYTES}-byte structs, fastest first). Pointers use the forward names as
     * in {@link #workspaceSize}; the output ({@code y} forward, {@code x} backward data, {@code w} backward filter)
     * is overwritten, so callers pass scratch memory for it.
     */
    public static int find(MemorySegment handle, Direction dir, MemorySegment xDesc, long x, MemorySegment wDesc, long w,
                           MemorySegment conv, MemorySegment yDesc, long y, int requested, MemorySegment perf,
                           long workspace, long workspaceBytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment returned = a.allocate(JAVA_INT);
            switch (dir) {
                case FORWARD -> check((int) cudnnFindConvolutionForwardAlgorithmEx.invokeExact(handle, xDesc, x, wDesc, w, conv,
                        yDesc, y, requested, returned, perf, workspace, workspaceBytes), "cudnnFindConvolutionForwardAlgorithmEx");
                case BACKWARD_DATA -> check((int) cudnnFindConvolutionBackwardDataAlgorithmEx.invokeExact(handle, wDesc, w, yDesc, y,
                        conv, xDesc, x, requested, returned, perf, workspace, workspaceBytes), "cudnnFindConvolutionBackwardDataAlgorithmEx");
                case BACKWARD_FILTER -> check((int) cudnnFindConvolutionBackwardFilterAlgorithmEx.invokeExact(handle, xDesc, x, yDesc, y,
                        conv, wDesc, w, requested, returned, perf, workspace, workspaceBytes), "cudnnFindConvolutionBackwardFilterAlgorithmEx");
            }
            return returned.get(JAVA_INT, 0);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
    }

    // ---------------------------------------------------------------- convolutions (alpha, beta: host floats)

    public static void convolutionForward(MemorySegment handle, MemorySegment alpha, MemorySegment xDesc, long x,
                                          MemorySegment wDesc, long w, MemorySegment conv, int algo, long ws, long wsBytes,
                                          MemorySegment beta, MemorySegment yDesc, long y) {
        int status;
        try {
            status = (int) cudnnConvolutionForward.invokeExact(handle, alpha, xDesc, x, wDesc, w, conv, algo, ws, wsBytes, beta, yDesc, y);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
        check(status, "cudnnConvolutionForward");
    }

    public static void convolutionBackwardData(MemorySegment handle, MemorySegment alpha, MemorySegment wDesc, long w,
                                               MemorySegment dyDesc, long dy, MemorySegment conv, int algo, long ws, long wsBytes,
                                               MemorySegment beta, MemorySegment dxDesc, long dx) {
        int status;
        try {
            status = (int) cudnnConvolutionBackwardData.invokeExact(handle, alpha, wDesc, w, dyDesc, dy, conv, algo, ws, wsBytes, beta, dxDesc, dx);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
        check(status, "cudnnConvolutionBackwardData");
    }

    public static void convolutionBackwardFilter(MemorySegment handle, MemorySegment alpha, MemorySegment xDesc, long x,
                                                 MemorySegment dyDesc, long dy, MemorySegment conv, int algo, long ws, long wsBytes,
                                                 MemorySegment beta, MemorySegment dwDesc, long dw) {
        int status;
        try {
            status = (int) cudnnConvolutionBackwardFilter.invokeExact(handle, alpha, xDesc, x, dyDesc, dy, conv, algo, ws, wsBytes, beta, dwDesc, dw);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
        check(status, "cudnnConvolutionBackwardFilter");
    }

    // ---------------------------------------------------------------- batch norm (spatial: per channel over N, H, W)

    public static void batchNormForwardTraining(MemorySegment handle, MemorySegment alpha, MemorySegment beta,
                                                MemorySegment xDesc, long x, long y, MemorySegment bnDesc, long gamma, long bias,
                                                double momentum, long runMean, long runVar, double eps, long saveMean, long saveInvStd) {
        int status;
        try {
            status = (int) cudnnBatchNormalizationForwardTraining.invokeExact(handle, CUDNN_BATCHNORM_SPATIAL, alpha, beta, xDesc, x,
                    xDesc, y, bnDesc, gamma, bias, momentum, runMean, runVar, eps, saveMean, saveInvStd);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
        check(status, "cudnnBatchNormalizationForwardTraining");
    }

    public static void batchNormForwardInference(MemorySegment handle, MemorySegment alpha, MemorySegment beta,
                                                 MemorySegment xDesc, long x, long y, MemorySegment bnDesc, long gamma, long bias,
                                                 long runMean, long runVar, double eps) {
        int status;
        try {
            status = (int) cudnnBatchNormalizationForwardInference.invokeExact(handle, CUDNN_BATCHNORM_SPATIAL, alpha, beta, xDesc, x,
                    xDesc, y, bnDesc, gamma, bias, runMean, runVar, eps);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
        check(status, "cudnnBatchNormalizationForwardInference");
    }

    public static void batchNormBackward(MemorySegment handle, MemorySegment alphaData, MemorySegment betaData,
                                         MemorySegment alphaParam, MemorySegment betaParam, MemorySegment xDesc, long x, long dy,
                                         long dx, MemorySegment bnDesc, long gamma, long dgamma, long dbeta, double eps,
                                         long saveMean, long saveInvStd) {
        int status;
        try {
            status = (int) cudnnBatchNormalizationBackward.invokeExact(handle, CUDNN_BATCHNORM_SPATIAL, alphaData, betaData, alphaParam,
                    betaParam, xDesc, x, xDesc, dy, xDesc, dx, bnDesc, gamma, dgamma, dbeta, eps, saveMean, saveInvStd);
        } catch (Throwable t) { throw NativeCalls.rethrow(t); }
        check(status, "cudnnBatchNormalizationBackward");
    }
}
