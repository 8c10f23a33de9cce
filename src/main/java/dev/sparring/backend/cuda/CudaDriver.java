package dev.sparring.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

import static dev.sparring.backend.cuda.NativeCalls.cString;
import static dev.sparring.backend.cuda.NativeCalls.rethrow;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * FFM bindings to the CUDA driver API ({@code libcuda.so.1}, declared in cuda.h). The handles are looked up when
 * this class initialises: a missing library or symbol fails there, naming it (see {@link NativeLibraries}).
 *
 * <p>Types: {@code CUresult}, {@code CUdevice}, enums and {@code unsigned int} are {@code int};
 * {@code CUdeviceptr} and {@code size_t} are {@code long}; handles ({@code CUcontext}, {@code CUstream},
 * {@code CUevent}, {@code CUmodule}, {@code CUfunction}, {@code CUgraph}, {@code CUgraphExec}) and host pointers are {@link MemorySegment}.
 * Versioned names are bound as cuda.h's macros map them (cuMemAlloc is cuMemAlloc_v2, ...).
 *
 * <p>The methods that return a value check the status and throw {@link CudaException}; the raw {@code int}
 * forms (suffix {@code Raw}) are for {@link CudaRuntime#probe()}, which must not throw.
 */
public final class CudaDriver {
    private CudaDriver() { }

    public static final String LIBRARY = "CUDA driver";

    // CUresult values that get advice (cuda.h)
    public static final int CUDA_SUCCESS = 0, CUDA_ERROR_OUT_OF_MEMORY = 2, CUDA_ERROR_NOT_INITIALIZED = 3,
            CUDA_ERROR_STUB_LIBRARY = 34, CUDA_ERROR_INSUFFICIENT_DRIVER = 35, CUDA_ERROR_NO_DEVICE = 100,
            CUDA_ERROR_NO_BINARY_FOR_GPU = 209, CUDA_ERROR_INVALID_PTX = 218, CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
            CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900, CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901;

    // CUdevice_attribute
    public static final int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public static final int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    // CUjit_option
    public static final int CU_JIT_INFO_LOG_BUFFER = 3, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
            CU_JIT_ERROR_LOG_BUFFER = 5, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    // flags
    public static final int CU_STREAM_NON_BLOCKING = 1, CU_EVENT_DEFAULT = 0, CU_EVENT_DISABLE_TIMING = 2;
    // CUstreamCaptureMode and CUstreamCaptureStatus
    public static final int CU_STREAM_CAPTURE_MODE_GLOBAL = 0, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
            CU_STREAM_CAPTURE_MODE_RELAXED = 2;
    public static final int CU_STREAM_CAPTURE_STATUS_NONE = 0, CU_STREAM_CAPTURE_STATUS_ACTIVE = 1,
            CU_STREAM_CAPTURE_STATUS_INVALIDATED = 2;

    public static final NativeLibraries.Library LIB = NativeLibraries.require(NativeLibraries.CUDA);

    private static MethodHandle bind(String name, FunctionDescriptor fd) { return LIB.bind(name, fd); }

    private static final MethodHandle cuInit = bind("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle cuDriverGetVersion = bind("cuDriverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuGetErrorName = bind("cuGetErrorName", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle cuGetErrorString = bind("cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle cuDeviceGetCount = bind("cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuDeviceGet = bind("cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuDeviceGetName = bind("cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle cuDeviceGetAttribute = bind("cuDeviceGetAttribute", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle cuDeviceTotalMem = bind("cuDeviceTotalMem_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuDevicePrimaryCtxRetain = bind("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuDevicePrimaryCtxRelease = bind("cuDevicePrimaryCtxRelease_v2", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle cuCtxSetCurrent = bind("cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuStreamCreate = bind("cuStreamCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuStreamDestroy = bind("cuStreamDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuStreamSynchronize = bind("cuStreamSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuEventCreate = bind("cuEventCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuEventRecord = bind("cuEventRecord", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cuEventSynchronize = bind("cuEventSynchronize", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    // cuda.h of CUDA 12.8+ maps cuEventElapsedTime to _v2 (same signature); older drivers export only the first name
    private static final MethodHandle cuEventElapsedTime = LIB.bindFirst(List.of("cuEventElapsedTime_v2", "cuEventElapsedTime"),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle cuEventDestroy = bind("cuEventDestroy_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuMemGetInfo = bind("cuMemGetInfo_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cuMemAlloc = bind("cuMemAlloc_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle cuMemFree = bind("cuMemFree_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle cuMemAllocHost = bind("cuMemAllocHost_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle cuMemFreeHost = bind("cuMemFreeHost", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuMemcpyHtoDAsync = bind("cuMemcpyHtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle cuMemcpyDtoHAsync = bind("cuMemcpyDtoHAsync_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS));
    private static final MethodHandle cuMemcpyDtoDAsync = bind("cuMemcpyDtoDAsync_v2", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
    private static final MethodHandle cuMemsetD32Async = bind("cuMemsetD32Async", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle cuMemsetD8Async = bind("cuMemsetD8Async", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_BYTE, JAVA_LONG, ADDRESS));
    private static final MethodHandle cuModuleLoadDataEx = bind("cuModuleLoadDataEx", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cuModuleUnload = bind("cuModuleUnload", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuModuleGetFunction = bind("cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle cuLaunchKernel = bind("cuLaunchKernel", FunctionDescriptor.of(JAVA_INT, ADDRESS,
            JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));

    // graphs: stream capture, instantiation, launch (cuda.h maps cuStreamBeginCapture to _v2 and cuGraphInstantiate to
    // cuGraphInstantiateWithFlags)
    private static final MethodHandle cuStreamBeginCapture = bind("cuStreamBeginCapture_v2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle cuStreamEndCapture = bind("cuStreamEndCapture", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cuStreamIsCapturing = bind("cuStreamIsCapturing", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cuGraphInstantiateWithFlags = bind("cuGraphInstantiateWithFlags", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    private static final MethodHandle cuGraphLaunch = bind("cuGraphLaunch", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle cuGraphGetNodes = bind("cuGraphGetNodes", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle cuGraphExecDestroy = bind("cuGraphExecDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle cuGraphDestroy = bind("cuGraphDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    // ---------------------------------------------------------------- errors

    /** "CUDA_ERROR_OUT_OF_MEMORY (out of memory)" for a CUresult. */
    public static String errorText(int status) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            String name = (int) cuGetErrorName.invokeExact(status, p) == 0 ? cString(p.get(ADDRESS, 0)) : "CUresult " + status;
            String text = (int) cuGetErrorString.invokeExact(status, p) == 0 ? cString(p.get(ADDRESS, 0)) : "unknown error";
            return name + " (" + text + ")";
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** What to do about the errors a user can fix. */
    static String advice(int status) {
        return switch (status) {
            case CUDA_ERROR_OUT_OF_MEMORY -> ": the GPU is out of memory; reduce the batch size or the model, or free the GPU from other processes (nvidia-smi)";
            case CUDA_ERROR_NO_DEVICE -> ": no CUDA GPU is visible; check nvidia-smi and CUDA_VISIBLE_DEVICES (in a container: --gpus all)";
            case CUDA_ERROR_INSUFFICIENT_DRIVER -> ": the NVIDIA driver is older than this CUDA needs; install driver 580 or newer";
            case CUDA_ERROR_STUB_LIBRARY -> ": the libcuda.so found is the toolkit's stub, not the driver; remove the stubs folder from LD_LIBRARY_PATH or set SPARRING_LIBCUDA";
            case CUDA_ERROR_NO_BINARY_FOR_GPU -> ": the jar has no kernel image for this GPU; rebuild the kernels (native/build-kernels.sh) with SPARRING_CUDA_ARCHS including its architecture";
            case CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, CUDA_ERROR_STREAM_CAPTURE_INVALIDATED -> ": an operation that a CUDA graph "
                    + "cannot hold (an allocation, a wait, a host copy) ran while a training step was being captured; train "
                    + "without --cuda-graphs and report it";
            case CUDA_ERROR_UNSUPPORTED_PTX_VERSION, CUDA_ERROR_INVALID_PTX -> ": the driver cannot compile the PTX of this jar (built by a newer nvcc); update the NVIDIA driver to 580 or newer";
            default -> "";
        };
    }

    /** Throws {@link CudaException} naming {@code fn} when {@code status} is not CUDA_SUCCESS. */
    public static void check(int status, String fn) {
        if (status != CUDA_SUCCESS) {
            throw new CudaException(LIBRARY, fn, status, fn + " failed: " + errorText(status) + advice(status));
        }
    }

    // ---------------------------------------------------------------- initialisation and devices

    public static int cuInitRaw(int flags) {
        try { return (int) cuInit.invokeExact(flags); } catch (Throwable t) { throw rethrow(t); }
    }

    /** The CUDA version the driver supports, as 1000 * major + 10 * minor (13000 for CUDA 13.0). */
    public static int driverVersion() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check((int) cuDriverGetVersion.invokeExact(v), "cuDriverGetVersion");
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check((int) cuDeviceGetCount.invokeExact(v), "cuDeviceGetCount");
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    /** The CUdevice of ordinal {@code ordinal}. */
    public static int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check((int) cuDeviceGet.invokeExact(v, ordinal), "cuDeviceGet");
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static String deviceName(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(256);
            check((int) cuDeviceGetName.invokeExact(buf, 256, dev), "cuDeviceGetName");
            return buf.getString(0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static int deviceAttribute(int attribute, int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check((int) cuDeviceGetAttribute.invokeExact(v, attribute, dev), "cuDeviceGetAttribute");
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static long deviceTotalMem(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check((int) cuDeviceTotalMem.invokeExact(v, dev), "cuDeviceTotalMem_v2");
            return v.get(JAVA_LONG, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    // ---------------------------------------------------------------- context, streams, events

    public static MemorySegment primaryCtxRetain(int dev) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check((int) cuDevicePrimaryCtxRetain.invokeExact(v, dev), "cuDevicePrimaryCtxRetain");
            return v.get(ADDRESS, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static void primaryCtxRelease(int dev) {
        try { check((int) cuDevicePrimaryCtxRelease.invokeExact(dev), "cuDevicePrimaryCtxRelease_v2"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void ctxSetCurrent(MemorySegment ctx) {
        try { check((int) cuCtxSetCurrent.invokeExact(ctx), "cuCtxSetCurrent"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static MemorySegment streamCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check((int) cuStreamCreate.invokeExact(v, flags), "cuStreamCreate");
            return v.get(ADDRESS, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static void streamDestroy(MemorySegment stream) {
        try { check((int) cuStreamDestroy.invokeExact(stream), "cuStreamDestroy_v2"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void streamSynchronize(MemorySegment stream) {
        try { check((int) cuStreamSynchronize.invokeExact(stream), "cuStreamSynchronize"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static MemorySegment eventCreate(int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check((int) cuEventCreate.invokeExact(v, flags), "cuEventCreate");
            return v.get(ADDRESS, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static void eventRecord(MemorySegment event, MemorySegment stream) {
        try { check((int) cuEventRecord.invokeExact(event, stream), "cuEventRecord"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void eventSynchronize(MemorySegment event) {
        try { check((int) cuEventSynchronize.invokeExact(event), "cuEventSynchronize"); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Milliseconds between two recorded events (both created without CU_EVENT_DISABLE_TIMING). */
    public static float eventElapsedMillis(MemorySegment start, MemorySegment end) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_FLOAT);
            check((int) cuEventElapsedTime.invokeExact(v, start, end), "cuEventElapsedTime");
            return v.get(JAVA_FLOAT, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static void eventDestroy(MemorySegment event) {
        try { check((int) cuEventDestroy.invokeExact(event), "cuEventDestroy_v2"); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---------------------------------------------------------------- memory

    /** {free, total} bytes of the current context's device. */
    public static long[] memGetInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
            check((int) cuMemGetInfo.invokeExact(f, t), "cuMemGetInfo_v2");
            return new long[] {f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)};
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static long memAlloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            int status = (int) cuMemAlloc.invokeExact(v, bytes);
            if (status != CUDA_SUCCESS) {
                throw new CudaException(LIBRARY, "cuMemAlloc_v2", status, "cuMemAlloc_v2 of " + bytes + " bytes failed: "
                        + errorText(status) + advice(status));
            }
            return v.get(JAVA_LONG, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static void memFree(long ptr) {
        try { check((int) cuMemFree.invokeExact(ptr), "cuMemFree_v2"); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Page-locked host memory of {@code bytes}, as a segment of that size. */
    public static MemorySegment memAllocHost(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check((int) cuMemAllocHost.invokeExact(v, bytes), "cuMemAllocHost_v2");
            return v.get(ADDRESS, 0).reinterpret(bytes);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static void memFreeHost(MemorySegment p) {
        try { check((int) cuMemFreeHost.invokeExact(p), "cuMemFreeHost"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void memcpyHtoDAsync(long dst, MemorySegment src, long bytes, MemorySegment stream) {
        try { check((int) cuMemcpyHtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void memcpyDtoHAsync(MemorySegment dst, long src, long bytes, MemorySegment stream) {
        try { check((int) cuMemcpyDtoHAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void memcpyDtoDAsync(long dst, long src, long bytes, MemorySegment stream) {
        try { check((int) cuMemcpyDtoDAsync.invokeExact(dst, src, bytes, stream), "cuMemcpyDtoDAsync_v2"); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Sets {@code count} 32-bit words at {@code dst} to {@code value}. */
    public static void memsetD32Async(long dst, int value, long count, MemorySegment stream) {
        try { check((int) cuMemsetD32Async.invokeExact(dst, value, count, stream), "cuMemsetD32Async"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void memsetD8Async(long dst, byte value, long count, MemorySegment stream) {
        try { check((int) cuMemsetD8Async.invokeExact(dst, value, count, stream), "cuMemsetD8Async"); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---------------------------------------------------------------- graphs

    /** Starts capturing the work queued on {@code stream} into a graph instead of running it. */
    public static void streamBeginCapture(MemorySegment stream, int mode) {
        try { check((int) cuStreamBeginCapture.invokeExact(stream, mode), "cuStreamBeginCapture_v2"); } catch (Throwable t) { throw rethrow(t); }
    }

    /** Ends the capture on {@code stream} and returns the CUgraph; throws when the capture was invalidated. */
    public static MemorySegment streamEndCapture(MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check((int) cuStreamEndCapture.invokeExact(stream, v), "cuStreamEndCapture");
            return v.get(ADDRESS, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    /** The CUstreamCaptureStatus of {@code stream} (NONE, ACTIVE or INVALIDATED). */
    public static int streamCaptureStatus(MemorySegment stream) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check((int) cuStreamIsCapturing.invokeExact(stream, v), "cuStreamIsCapturing");
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    /** An executable graph of {@code graph} (flags 0). */
    public static MemorySegment graphInstantiate(MemorySegment graph) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            check((int) cuGraphInstantiateWithFlags.invokeExact(v, graph, 0L), "cuGraphInstantiateWithFlags");
            return v.get(ADDRESS, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    /** The number of nodes of a graph. */
    public static long graphNodeCount(MemorySegment graph) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            check((int) cuGraphGetNodes.invokeExact(graph, MemorySegment.NULL, v), "cuGraphGetNodes");
            return v.get(JAVA_LONG, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    public static void graphLaunch(MemorySegment exec, MemorySegment stream) {
        try { check((int) cuGraphLaunch.invokeExact(exec, stream), "cuGraphLaunch"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void graphExecDestroy(MemorySegment exec) {
        try { check((int) cuGraphExecDestroy.invokeExact(exec), "cuGraphExecDestroy"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void graphDestroy(MemorySegment graph) {
        try { check((int) cuGraphDestroy.invokeExact(graph), "cuGraphDestroy"); } catch (Throwable t) { throw rethrow(t); }
    }

    // ---------------------------------------------------------------- modules and launches

    /** Raw cuModuleLoadDataEx: out receives the CUmodule; see {@link CudaModules} for the JIT log options. */
    public static int moduleLoadDataExRaw(MemorySegment out, MemorySegment image, int numOptions, MemorySegment options,
                                          MemorySegment values) {
        try { return (int) cuModuleLoadDataEx.invokeExact(out, image, numOptions, options, values); } catch (Throwable t) { throw rethrow(t); }
    }

    public static void moduleUnload(MemorySegment module) {
        try { check((int) cuModuleUnload.invokeExact(module), "cuModuleUnload"); } catch (Throwable t) { throw rethrow(t); }
    }

    public static MemorySegment moduleGetFunction(MemorySegment module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(ADDRESS);
            int status = (int) cuModuleGetFunction.invokeExact(v, module, a.allocateFrom(name));
            if (status != CUDA_SUCCESS) {
                throw new CudaException(LIBRARY, "cuModuleGetFunction", status, "cuModuleGetFunction(" + name + ") failed: "
                        + errorText(status) + ": the kernel module does not define it; rebuild the kernels (native/build-kernels.sh)");
            }
            return v.get(ADDRESS, 0);
        } catch (Throwable t) { throw rethrow(t); }
    }

    /** cuLaunchKernel with a 2-D grid and a 1-D block; {@code params} is the void** array of argument pointers. */
    public static void launchKernel(MemorySegment f, int gridX, int gridY, int blockX, int sharedBytes,
                                    MemorySegment stream, MemorySegment params, String name) {
        int status;
        try {
            status = (int) cuLaunchKernel.invokeExact(f, gridX, gridY, 1, blockX, 1, 1, sharedBytes, stream, params, MemorySegment.NULL);
        } catch (Throwable t) { throw rethrow(t); }
        if (status != CUDA_SUCCESS) {
            throw new CudaException(LIBRARY, "cuLaunchKernel", status, "cuLaunchKernel(" + name + ", grid " + gridX + "x" + gridY
                    + ", block " + blockX + ") failed: " + errorText(status) + advice(status));
        }
    }
}
