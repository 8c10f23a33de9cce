package dev.sparring.backend.cuda;

import dev.sparring.backend.ConvSpec;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.Dcgan;
import dev.sparring.nn.BatchNorm2d;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.ConvTranspose2d;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Sequential;
import dev.sparring.random.NoiseStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The cuDNN and cuBLAS bindings against the real NVIDIA libraries on a machine without a GPU: everything that runs
 * on the host. Opt-in: {@code SPARRING_TEST_HOST_LIBS=DIR}, a folder holding libcudnn.so.9 with its sub-libraries and
 * libcublas.so.12 with libcublasLt.so.12, as native/fetch-cuda-host-libs.py fetches them (cuDNN 9.5.1, cuBLAS
 * 12.6.3). The pom's host-libs profile, active when that variable is set, points SPARRING_LIBCUDNN and
 * SPARRING_LIBCUBLAS of the test JVM into DIR, so that {@link Cudnn} and {@link Cublas} bind to them:
 * <pre>  SPARRING_TEST_HOST_LIBS=.host-libs ./build test -Dtest=RealLibrariesHostTest</pre>
 * What runs here: library search and loading, every bound symbol, versions, status names, descriptors (set and read
 * back), the output shape cuDNN computes for every convolution of the DCGANs, batch-norm descriptors, and the errors
 * without a driver. What cannot: anything with a cuDNN or cuBLAS handle (it needs a GPU), so no computation.
 * Results of a run: bench/results/host-libs-*.md.
 */
@EnabledIfEnvironmentVariable(named = "SPARRING_TEST_HOST_LIBS", matches = ".+")
class RealLibrariesHostTest {
    private static Path dir;

    @BeforeAll
    static void libraries() {
        dir = Path.of(System.getenv("SPARRING_TEST_HOST_LIBS")).toAbsolutePath().normalize();
        assertTrue(Files.isRegularFile(dir.resolve("libcudnn.so.9")) && Files.isRegularFile(dir.resolve("libcublas.so.12")),
                dir + " lacks libcudnn.so.9 or libcublas.so.12: fill it with native/fetch-cuda-host-libs.py " + dir);
        for (String[] v : new String[][] {{"SPARRING_LIBCUDNN", "libcudnn.so.9"}, {"SPARRING_LIBCUBLAS", "libcublas.so.12"}}) {
            String set = System.getenv(v[0]);
            assertTrue(set != null && Path.of(set).toAbsolutePath().normalize().equals(dir.resolve(v[1])),
                    v[0] + " is " + set + ", not " + dir.resolve(v[1]) + ": run through Maven (./build test), whose "
                            + "host-libs profile sets it, or set it yourself");
        }
    }

    private static NativeLibraries.Located inFolder(NativeLibraries.Spec spec) {
        return NativeLibraries.locate(spec, new NativeLibraries.Search(Map.of(), List.of(dir), false));
    }

    private static String cString(MemorySegment p) { return NativeCalls.cString(p); }

    // ---------------------------------------------------------------- finding and loading

    /** The pip-wheel layout: everything in one folder the system loader does not search. */
    @Test
    void cudnnIsFoundInAFolderAndItsSubLibrariesArePreloadedFromThere() {
        NativeLibraries.Located l = inFolder(NativeLibraries.CUDNN);
        assertTrue(l.found(), l.message());
        NativeLibraries.Library lib = l.library();
        assertEquals(dir.resolve("libcudnn.so.9"), lib.path().orElseThrow());
        assertEquals("folder " + dir, lib.how());
        assertEquals(dir.resolve("libcudnn.so.9") + " (folder " + dir + ")", lib.describe());
        List<String> expected = new ArrayList<>();
        for (String c : NativeLibraries.CUDNN.companions().get("libcudnn.so.9")) {
            if (Files.exists(dir.resolve(c))) expected.add(c + ": " + dir.resolve(c));
        }
        assertTrue(expected.size() >= 3, "graph, ops and cnn at least: " + expected);
        assertEquals(expected, lib.companions(), "one line per companion present, each loaded");
        System.out.println("cuDNN in a folder: " + lib.describe() + "\n  " + String.join("\n  ", lib.companions()));
    }

    @Test
    void cublasIsFoundInAFolderWithCublasLt() {
        NativeLibraries.Located l = inFolder(NativeLibraries.CUBLAS);
        assertTrue(l.found(), l.message());
        assertEquals(dir.resolve("libcublas.so.12"), l.library().path().orElseThrow());
        assertEquals(List.of("libcublasLt.so.12: " + dir.resolve("libcublasLt.so.12")), l.library().companions());
    }

    /** Every cuDNN and cuBLAS file this process mapped is one of DIR's: no second copy came from elsewhere. */
    @Test
    void everyMappedCudnnAndCublasFileIsFromTheFolder() throws IOException {
        Cudnn.tensor4d(1, 1, 1, 1);   // makes the shim load its sub-libraries, were they not yet
        Cublas.versionString();
        List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(s -> s.contains("/libcudnn") || s.contains("/libcublas"))
                .map(s -> s.substring(s.indexOf('/'))).distinct().sorted().toList();
        assertTrue(mapped.size() >= 5, "libcudnn, _graph, _ops, libcublas, libcublasLt at least: " + mapped);
        for (String m : mapped) assertEquals(dir, Path.of(m).getParent(), "mapped from elsewhere: " + m);
        System.out.println("mapped:\n  " + String.join("\n  ", mapped));
    }

    @Test
    void theBindingsLoadedTheLibrariesOfTheFolder() {
        assertEquals(dir.resolve("libcudnn.so.9"), Cudnn.LIB.path().orElseThrow());
        assertEquals("SPARRING_LIBCUDNN", Cudnn.LIB.how());
        assertEquals(dir.resolve("libcublas.so.12"), Cublas.LIB.path().orElseThrow());
        assertEquals(List.of("libcublasLt.so.12: " + dir.resolve("libcublasLt.so.12")), Cublas.LIB.companions());
    }

    /** Class initialisation binds them all; this names any that is missing rather than failing on the first. */
    @Test
    void everySymbolTheBindingsUseIsExported() throws IOException {
        for (String binding : List.of("Cudnn", "Cublas")) {
            NativeLibraries.Library lib = binding.equals("Cudnn") ? Cudnn.LIB : Cublas.LIB;
            Map<String, String> symbols = NativeSignaturesTest.bindings(Path.of("src/main/java/dev/sparring/backend/cuda", binding + ".java"));
            assertTrue(symbols.size() >= 8, binding + ": " + symbols.keySet());
            List<String> missing = symbols.keySet().stream()
                    .filter(s -> lib.bindOptional(s, FunctionDescriptor.ofVoid()).isEmpty()).toList();
            assertEquals(List.of(), missing, binding + " binds symbols that " + lib.describe() + " does not export");
            System.out.println(binding + ": " + symbols.size() + " symbols, all exported");
        }
        assertTrue(Cudnn.LIB.bindOptional("cudnnGetLastErrorString", FunctionDescriptor.ofVoid()).isPresent());
    }

    // ---------------------------------------------------------------- versions and status names

    @Test
    void versionsAgreeWithTheLibrariesOwnProperties() throws Throwable {
        MethodHandle cudnnGetProperty = Cudnn.LIB.bind("cudnnGetProperty", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        int[] parts = new int[3];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            for (int i = 0; i < 3; i++) {   // libraryPropertyType: MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
                assertEquals(0, (int) cudnnGetProperty.invokeExact(i, v));
                parts[i] = v.get(JAVA_INT, 0);
            }
        }
        long v = Cudnn.version();
        String cudnn = Cudnn.versionString(v);
        assertEquals(parts[0] + "." + parts[1] + "." + parts[2], cudnn, "cudnnGetVersion " + v);
        assertEquals(9, parts[0]);
        String cublas = Cublas.versionString();
        assertTrue(cublas.matches("12\\.\\d+\\.\\d+"), cublas);
        System.out.println("cuDNN " + cudnn + " (cudnnGetVersion " + v + "), cuBLAS " + cublas);
    }

    @Test
    void cudnnStatusNamesAreTheLibrarys() throws Throwable {
        MethodHandle errorString = Cudnn.LIB.bind("cudnnGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        Map<Integer, String> library = new TreeMap<>();
        for (int code = -2; code < 10_000; code++) {
            String s = cString((MemorySegment) errorString.invokeExact(code));
            if (!s.equals("CUDNN_UNKNOWN_STATUS")) library.put(code, s);
        }
        Map<Integer, String> differ = new TreeMap<>(), unknownToLibrary = new TreeMap<>(), missing = new TreeMap<>();
        for (var e : Cudnn.STATUS.entrySet()) {
            String s = library.get(e.getKey());
            if (s == null) unknownToLibrary.put(e.getKey(), e.getValue());
            else if (!s.equals(e.getValue())) differ.put(e.getKey(), "ours " + e.getValue() + ", cuDNN " + s);
        }
        for (var e : library.entrySet()) if (!Cudnn.STATUS.containsKey(e.getKey())) missing.put(e.getKey(), e.getValue());
        assertEquals(Map.of(), differ);
        assertEquals(Map.of(), missing, "codes cuDNN names that Cudnn.STATUS lacks");
        // cuDNN 9.6 added CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE (2012); a 9.5 library does not name it
        assertTrue(unknownToLibrary.keySet().stream().allMatch(c -> c == 2012), "ours only: " + unknownToLibrary);
        assertEquals(library.size(), Cudnn.STATUS.size() - unknownToLibrary.size());
        for (int code : library.keySet()) assertEquals(library.get(code), Cudnn.statusName(code));
        assertEquals("cudnnStatus_t 9999", Cudnn.statusName(9999));
        System.out.println("cuDNN names " + library.size() + " status codes, all in Cudnn.STATUS; ours only: " + unknownToLibrary);
    }

    @Test
    void cublasStatusNamesAreTheLibrarys() throws Throwable {
        MethodHandle name = Cublas.LIB.bind("cublasGetStatusName", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        MethodHandle text = Cublas.LIB.bind("cublasGetStatusString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        Map<Integer, String> library = new TreeMap<>();
        for (int code = -2; code < 1000; code++) {
            String s = cString((MemorySegment) name.invokeExact(code));
            if (!s.equals("unrecognized status")) library.put(code, s);
        }
        assertEquals(new TreeMap<>(Cublas.STATUS), library, "Cublas.STATUS against cublasGetStatusName");
        for (int code : library.keySet()) {
            String t = cString((MemorySegment) text.invokeExact(code));
            assertFalse(t.isBlank() || t.equals("unrecognized status"), code + ": " + t);
        }
        System.out.println("cuBLAS names " + library.size() + " status codes, the same as Cublas.STATUS");
    }

    // ---------------------------------------------------------------- descriptors

    private static final FunctionDescriptor GET_TENSOR = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
            ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);

    /** (dataType, n, c, h, w, nStride, cStride, hStride, wStride) of a tensor descriptor. */
    private static int[] readTensor(MemorySegment desc) throws Throwable {
        MethodHandle get = Cudnn.LIB.bind("cudnnGetTensor4dDescriptor", GET_TENSOR);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT, 9);
            assertEquals(0, (int) get.invokeExact(desc, v, v.asSlice(4), v.asSlice(8), v.asSlice(12), v.asSlice(16),
                    v.asSlice(20), v.asSlice(24), v.asSlice(28), v.asSlice(32)));
            return v.toArray(JAVA_INT);
        }
    }

    private static long tensorBytes(MemorySegment desc) throws Throwable {
        MethodHandle size = Cudnn.LIB.bind("cudnnGetTensorSizeInBytes", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_LONG);
            assertEquals(0, (int) size.invokeExact(desc, v));
            return v.get(JAVA_LONG, 0);
        }
    }

    /** (dataType, format, k, c, h, w) of a filter descriptor. */
    private static int[] readFilter(MemorySegment desc) throws Throwable {
        MethodHandle get = Cudnn.LIB.bind("cudnnGetFilter4dDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT, 6);
            assertEquals(0, (int) get.invokeExact(desc, v, v.asSlice(4), v.asSlice(8), v.asSlice(12), v.asSlice(16), v.asSlice(20)));
            return v.toArray(JAVA_INT);
        }
    }

    /** (padH, padW, strideH, strideW, dilationH, dilationW, mode, computeType, mathType) of a convolution descriptor. */
    private static int[] readConvolution(MemorySegment desc) throws Throwable {
        MethodHandle get = Cudnn.LIB.bind("cudnnGetConvolution2dDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        MethodHandle math = Cudnn.LIB.bind("cudnnGetConvolutionMathType", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT, 9);
            assertEquals(0, (int) get.invokeExact(desc, v, v.asSlice(4), v.asSlice(8), v.asSlice(12), v.asSlice(16),
                    v.asSlice(20), v.asSlice(24), v.asSlice(28)));
            assertEquals(0, (int) math.invokeExact(desc, v.asSlice(32)));
            return v.toArray(JAVA_INT);
        }
    }

    /** (n, c, h, w) that cudnnGetConvolution2dForwardOutputDim computes. */
    private static int[] outputDim(MemorySegment conv, MemorySegment x, MemorySegment w) throws Throwable {
        MethodHandle get = Cudnn.LIB.bind("cudnnGetConvolution2dForwardOutputDim", FunctionDescriptor.of(JAVA_INT, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT, 4);
            int status = (int) get.invokeExact(conv, x, w, v, v.asSlice(4), v.asSlice(8), v.asSlice(12));
            Cudnn.check(status, "cudnnGetConvolution2dForwardOutputDim");
            return v.toArray(JAVA_INT);
        }
    }

    @Test
    void tensorFilterAndConvolutionDescriptorsReadBackAsSet() throws Throwable {
        MemorySegment t = Cudnn.tensor4d(2, 3, 5, 7);
        MemorySegment f = Cudnn.filter4d(11, 3, 4, 2);
        MemorySegment c = Cudnn.convolution2d(1, 1, 2, 2, Cudnn.CUDNN_FMA_MATH);
        MemorySegment d = Cudnn.convolution2d(0, 0, 1, 1, Cudnn.CUDNN_DEFAULT_MATH);
        try {
            // float (CUDNN_DATA_FLOAT), packed NCHW strides: w fastest
            assertArrayEquals(new int[] {Cudnn.CUDNN_DATA_FLOAT, 2, 3, 5, 7, 3 * 5 * 7, 5 * 7, 7, 1}, readTensor(t));
            assertEquals(4L * 2 * 3 * 5 * 7, tensorBytes(t), "4-byte elements");
            assertArrayEquals(new int[] {Cudnn.CUDNN_DATA_FLOAT, Cudnn.CUDNN_TENSOR_NCHW, 11, 3, 4, 2}, readFilter(f));
            assertArrayEquals(new int[] {1, 1, 2, 2, 1, 1, Cudnn.CUDNN_CROSS_CORRELATION, Cudnn.CUDNN_DATA_FLOAT, Cudnn.CUDNN_FMA_MATH},
                    readConvolution(c));
            assertArrayEquals(new int[] {0, 0, 1, 1, 1, 1, Cudnn.CUDNN_CROSS_CORRELATION, Cudnn.CUDNN_DATA_FLOAT, Cudnn.CUDNN_DEFAULT_MATH},
                    readConvolution(d));
            Cudnn.setConvolutionMathType(d, Cudnn.CUDNN_FMA_MATH);   // what CudaBackend does with the math type a search found
            assertEquals(Cudnn.CUDNN_FMA_MATH, readConvolution(d)[8]);
        } finally {
            Cudnn.destroyTensor(t);
            Cudnn.destroyFilter(f);
            Cudnn.destroyConvolution(c);
            Cudnn.destroyConvolution(d);
        }
    }

    /**
     * The enum values Cudnn uses (from cuDNN 9's cudnn_graph.h, cudnn_ops.h, cudnn_cnn.h), as far as the library
     * shows them without a GPU: element sizes tell the data types apart, strides the formats, the accepted ranges
     * the math types and batch-norm modes, and cudnnDeriveBNTensorDescriptor what the spatial mode means.
     */
    @Test
    void enumValuesMeanWhatCudnnJavaSays() throws Throwable {
        MethodHandle setTensor = Cudnn.LIB.bind("cudnnSetTensor4dDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
        MethodHandle setMath = Cudnn.LIB.bind("cudnnSetConvolutionMathType", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        MethodHandle derive = Cudnn.LIB.bind("cudnnDeriveBNTensorDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        MemorySegment t = Cudnn.tensor4d(2, 3, 5, 7);
        MemorySegment c = Cudnn.convolution2d(0, 0, 1, 1, Cudnn.CUDNN_DEFAULT_MATH);
        MemorySegment x = Cudnn.tensor4d(8, 16, 7, 7), bn = Cudnn.tensor4d(1, 1, 1, 1);
        try {
            // cudnnDataType_t: FLOAT 0 (4 bytes), DOUBLE 1 (8), HALF 2 (2)
            int[] bytes = new int[3];
            for (int type = 0; type < 3; type++) {
                assertEquals(0, (int) setTensor.invokeExact(t, Cudnn.CUDNN_TENSOR_NCHW, type, 2, 3, 5, 7));
                bytes[type] = (int) (tensorBytes(t) / (2 * 3 * 5 * 7));
            }
            assertArrayEquals(new int[] {4, 8, 2}, bytes);
            // cudnnTensorFormat_t: NCHW 0 has w fastest, NHWC 1 has c fastest
            assertEquals(0, (int) setTensor.invokeExact(t, 1, Cudnn.CUDNN_DATA_FLOAT, 2, 3, 5, 7));
            assertArrayEquals(new int[] {5 * 7 * 3, 1, 7 * 3, 3}, Arrays.copyOfRange(readTensor(t), 5, 9));
            assertEquals(0, (int) setTensor.invokeExact(t, Cudnn.CUDNN_TENSOR_NCHW, Cudnn.CUDNN_DATA_FLOAT, 2, 3, 5, 7));
            assertArrayEquals(new int[] {3 * 5 * 7, 5 * 7, 7, 1}, Arrays.copyOfRange(readTensor(t), 5, 9));
            // cudnnMathType_t: DEFAULT 0 .. FMA 3 are accepted, 4 is not (BAD_PARAM)
            for (int m = 0; m <= 3; m++) assertEquals(0, (int) setMath.invokeExact(c, m), "math type " + m);
            assertEquals(2000, (int) setMath.invokeExact(c, Cudnn.CUDNN_FMA_MATH + 1));
            assertEquals(2000, (int) setMath.invokeExact(c, -1));
            Cudnn.lastError();
            // cudnnBatchNormMode_t: PER_ACTIVATION 0 derives (1, C, H, W), SPATIAL 1 derives (1, C, 1, 1)
            assertEquals(0, (int) derive.invokeExact(bn, x, 0));
            assertArrayEquals(new int[] {1, 16, 7, 7}, Arrays.copyOfRange(readTensor(bn), 1, 5));
            assertEquals(0, (int) derive.invokeExact(bn, x, Cudnn.CUDNN_BATCHNORM_SPATIAL));
            assertArrayEquals(new int[] {Cudnn.CUDNN_DATA_FLOAT, 1, 16, 1, 1, 16, 1, 1, 1}, readTensor(bn));
            assertEquals(2000, (int) derive.invokeExact(bn, x, 3));
            Cudnn.lastError();
        } finally {
            Cudnn.destroyTensor(t);
            Cudnn.destroyTensor(x);
            Cudnn.destroyTensor(bn);
            Cudnn.destroyConvolution(c);
        }
    }

    /**
     * cudnnGet*AlgorithmMaxCount return the *_ALGO_COUNT constants. They want a handle (none without a GPU) but, in
     * cuDNN 9.5.1, only check it is not NULL; a zeroed block stands in for one. Were a later cuDNN to read the handle,
     * it would read zeros: that might fail the call (then this check is skipped), not crash.
     */
    @Test
    void algorithmCountsAreTheLibrarys() throws Throwable {
        String[] fns = {"cudnnGetConvolutionForwardAlgorithmMaxCount", "cudnnGetConvolutionBackwardDataAlgorithmMaxCount",
                "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount"};
        int[] ours = {Cudnn.FWD_ALGO_COUNT, Cudnn.BWD_DATA_ALGO_COUNT, Cudnn.BWD_FILTER_ALGO_COUNT};
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fakeHandle = a.allocate(1 << 16, 64), count = a.allocate(JAVA_INT);
            for (int i = 0; i < 3; i++) {
                MethodHandle h = Cudnn.LIB.bind(fns[i], FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
                assertEquals(2000, (int) h.invokeExact(MemorySegment.NULL, count), fns[i] + "(NULL)");
                Cudnn.lastError();
                int status = (int) h.invokeExact(fakeHandle, count);
                assumeFalse(status != 0, fns[i] + " reads the handle in this cuDNN: " + Cudnn.statusName(status));
                assertEquals(ours[i], count.get(JAVA_INT, 0), fns[i]);
            }
        }
    }

    /** cudnnConvolution*AlgoPerf_t as cudnn_cnn.h declares it, laid out by the C rules that FFM's layouts follow. */
    @Test
    void perfStructOffsetsFollowTheHeader() {
        StructLayout perf = MemoryLayout.structLayout(JAVA_INT.withName("algo"), JAVA_INT.withName("status"),
                JAVA_FLOAT.withName("time"), MemoryLayout.paddingLayout(4), JAVA_LONG.withName("memory"),
                JAVA_INT.withName("determinism"), JAVA_INT.withName("mathType"),
                MemoryLayout.sequenceLayout(3, JAVA_INT).withName("reserved"), MemoryLayout.paddingLayout(4));
        assertEquals(perf.byteSize(), Cudnn.PERF_BYTES);
        assertEquals(8, perf.byteAlignment());
        Map<String, Long> ours = Map.of("algo", Cudnn.PERF_ALGO, "status", Cudnn.PERF_STATUS, "time", Cudnn.PERF_TIME,
                "memory", Cudnn.PERF_MEMORY, "determinism", Cudnn.PERF_DETERMINISM, "mathType", Cudnn.PERF_MATH_TYPE);
        ours.forEach((field, offset) -> assertEquals(perf.byteOffset(MemoryLayout.PathElement.groupElement(field)), offset, field));
    }

    // ---------------------------------------------------------------- the DCGAN shapes, with CudaBackend's descriptors

    /** One convolution as CudnnConv.Shape describes it: x (N,C,H,W), w (K,C,R,S), y (N,K,P,Q), pad, stride. */
    private record Plan(String layer, int[] x, int[] w, int[] y, ConvSpec spec) { }

    /**
     * The convolutions of a network, in the roles CudaBackend gives them. Conv2d: x is the layer's input, y its output.
     * ConvTranspose2d runs as the matching convolution's backward data (forward), forward (input gradient) and
     * backward filter with x = the layer's output, y = its input and the weight (Cin, Cout, R, S) read as (K, C, R, S):
     * one plan, as CudnnConv.shape builds it for all three calls.
     */
    private static List<Plan> plans(Network net, int batch, List<int[]> batchNorms) {
        List<Plan> out = new ArrayList<>();
        int[] shape = net.inputShape();
        int[] s = new int[shape.length + 1];
        s[0] = batch;
        System.arraycopy(shape, 0, s, 1, shape.length);
        for (Layer l : ((Sequential) net.root()).layers()) {
            int[] next = l.outputShape(s);
            if (l instanceof Conv2d c) {
                out.add(new Plan(net.name() + " Conv2d(" + c.in + ", " + c.out + ", " + c.kernelH + ")", s,
                        new int[] {c.out, c.in, c.kernelH, c.kernelW}, next, c.spec));
            } else if (l instanceof ConvTranspose2d t) {
                out.add(new Plan(net.name() + " ConvTranspose2d(" + t.in + ", " + t.out + ", " + t.kernel + ")", next,
                        new int[] {t.in, t.out, t.kernel, t.kernel}, s, t.spec));
            } else if (l instanceof BatchNorm2d) {
                batchNorms.add(s);
            }
            s = next;
        }
        return out;
    }

    @Test
    void cudnnAgreesWithOurShapesForEveryDcganConvolution() throws Throwable {
        List<String> checked = new ArrayList<>();
        try (CpuBackend be = new CpuBackend()) {
            for (int size : new int[] {28, 32, 64}) {
                for (int channels : new int[] {1, 3}) {
                    Dcgan.Config cfg = new Dcgan.Config(size, channels, 100, 64, 64);
                    List<int[]> bns = new ArrayList<>();
                    List<Plan> plans = new ArrayList<>();
                    for (int batch : new int[] {1, 64}) {
                        plans.addAll(plans(Dcgan.generator(be, cfg, new NoiseStream(1, 0)), batch, bns));
                        plans.addAll(plans(Dcgan.discriminator(be, cfg, new NoiseStream(2, 0)), batch, bns));
                    }
                    for (Plan p : plans) checked.add(check(size + "px C" + channels, p));
                    for (int[] x : bns) checkBatchNorm(x);
                }
            }
        }
        // G and D have stages + 1 convolutions each: 3, 4, 5 for 28, 32, 64 px; x 2 channel counts x 2 batches
        assertEquals(2 * 2 * 2 * (3 + 4 + 5), checked.size());
        System.out.println("cuDNN output shapes agree for " + checked.size() + " DCGAN convolutions, e.g.:\n  "
                + String.join("\n  ", checked.stream().filter(s -> s.contains("N=64") && s.contains("C3")).toList()));
    }

    private static String check(String model, Plan p) throws Throwable {
        int[] x = p.x(), w = p.w(), y = p.y();
        String what = model + " " + p.layer() + " N=" + x[0];
        assertEquals(x[1], w[1], what + ": filter C");
        // our arithmetic: ConvSpec (what CudnnConv.shape checks) and the transposed size the layer reports
        assertEquals(y[2], p.spec().outH(x[2], w[2]), what);
        assertEquals(y[3], p.spec().outW(x[3], w[3]), what);
        if (p.layer().contains("Transpose")) assertEquals(x[2], p.spec().transposedOutH(y[2], w[2]), what);
        MemorySegment xd = Cudnn.tensor4d(x[0], x[1], x[2], x[3]);
        MemorySegment wd = Cudnn.filter4d(w[0], w[1], w[2], w[3]);
        MemorySegment yd = Cudnn.tensor4d(y[0], y[1], y[2], y[3]);
        MemorySegment cd = Cudnn.convolution2d(p.spec().padH(), p.spec().padW(), p.spec().strideH(), p.spec().strideW(), Cudnn.CUDNN_FMA_MATH);
        try {
            assertArrayEquals(new int[] {y[0], w[0], y[2], y[3]}, outputDim(cd, xd, wd), what + ": cuDNN's output");
            assertArrayEquals(y, Arrays.copyOfRange(readTensor(yd), 1, 5), what + ": y descriptor");
            assertArrayEquals(x, Arrays.copyOfRange(readTensor(xd), 1, 5), what + ": x descriptor");
            assertArrayEquals(w, Arrays.copyOfRange(readFilter(wd), 2, 6), what + ": w descriptor");
        } finally {
            Cudnn.destroyConvolution(cd);
            Cudnn.destroyTensor(yd);
            Cudnn.destroyFilter(wd);
            Cudnn.destroyTensor(xd);
        }
        return what + ": x " + Arrays.toString(x) + " w " + Arrays.toString(w)
                + " y " + Arrays.toString(y) + " " + p.spec();
    }

    /** CudaBackend's batch-norm plan: x as (N, C, H*W, 1) and (1, C, 1, 1), which cuDNN derives for the spatial mode. */
    private static void checkBatchNorm(int[] x) throws Throwable {
        MethodHandle derive = Cudnn.LIB.bind("cudnnDeriveBNTensorDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
        MemorySegment xd = Cudnn.tensor4d(x[0], x[1], x[2] * x[3], 1), ours = Cudnn.tensor4d(1, x[1], 1, 1);
        MemorySegment derived = Cudnn.tensor4d(1, 1, 1, 1);
        try {
            Cudnn.check((int) derive.invokeExact(derived, xd, Cudnn.CUDNN_BATCHNORM_SPATIAL), "cudnnDeriveBNTensorDescriptor");
            assertArrayEquals(readTensor(ours), readTensor(derived), "batch norm of " + Arrays.toString(x));
        } finally {
            Cudnn.destroyTensor(xd);
            Cudnn.destroyTensor(ours);
            Cudnn.destroyTensor(derived);
        }
    }

    // ---------------------------------------------------------------- without a driver

    private static void assumeNoDriver() {
        assumeFalse(NativeLibraries.locate(NativeLibraries.CUDA).found(), "this machine has a CUDA driver");
    }

    @Test
    void cudnnCreateFailsWithAMessageNamingTheCallAndTheCause() {
        assumeNoDriver();
        CudaException e = assertThrows(CudaException.class, Cudnn::create);
        assertEquals("cuDNN", e.library());
        assertEquals("cudnnCreate", e.function());
        assertEquals(1001, e.status());
        assertTrue(e.getMessage().startsWith("cudnnCreate failed: CUDNN_STATUS_NOT_INITIALIZED (cuDNN: "), e.getMessage());
        assertTrue(e.getMessage().contains("no GPU is visible, or the NVIDIA driver is missing"), e.getMessage());
        assertEquals("", Cudnn.lastError(), "check() consumed cuDNN's message");
        System.out.println(e.getMessage());
    }

    @Test
    void aBadDescriptorFailsWithCudnnsReason() {
        CudaException e = assertThrows(CudaException.class, () -> Cudnn.tensor4d(0, 3, 4, 5));
        assertEquals("cudnnSetTensor4dDescriptor", e.function());
        assertEquals(2000, e.status());
        assertTrue(e.getMessage().startsWith("cudnnSetTensor4dDescriptor failed: CUDNN_STATUS_BAD_PARAM (cuDNN: "), e.getMessage());
        assertTrue(e.getMessage().contains("n <= 0"), e.getMessage());
        System.out.println(e.getMessage());
    }

    @Test
    void cublasCreateFailsWithAMessageNamingTheCallAndTheCause() {
        assumeNoDriver();
        CudaException e = assertThrows(CudaException.class, Cublas::create);
        assertEquals("cuBLAS", e.library());
        assertEquals("cublasCreate_v2", e.function());
        assertEquals(1, e.status());
        assertTrue(e.getMessage().startsWith("cublasCreate_v2 failed: CUBLAS_STATUS_NOT_INITIALIZED (the library was not initialized)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("NVIDIA driver is missing"), e.getMessage());
        System.out.println(e.getMessage());
    }

    @Test
    void probeSaysNoGpuAndDoctorShowsBothLibrariesWithTheirVersions() {
        assumeNoDriver();
        CudaRuntime.Status s = CudaRuntime.probe();
        assertFalse(s.available());
        assertTrue(s.reason().contains("CUDA kernels") || s.reason().startsWith("CUDA driver not found"), s.reason());
        String r = CudaRuntime.doctorReport();
        System.out.println(r);
        assertTrue(r.contains("  driver library: CUDA driver not found."), r);
        assertTrue(r.contains("  cuBLAS: " + dir.resolve("libcublas.so.12") + " (SPARRING_LIBCUBLAS), version " + Cublas.versionString()
                + "\n    libcublasLt.so.12: " + dir.resolve("libcublasLt.so.12") + "\n"), r);
        assertTrue(r.contains("  cuDNN: " + dir.resolve("libcudnn.so.9") + " (SPARRING_LIBCUDNN), version "
                + Cudnn.versionString(Cudnn.version()) + "\n    libcudnn_graph.so.9: " + dir.resolve("libcudnn_graph.so.9")), r);
        assertTrue(r.contains("  status: unavailable: " + CudaRuntime.firstLine(s.reason())), r);
        assertFalse(r.contains("unusable"), r);
    }
}
