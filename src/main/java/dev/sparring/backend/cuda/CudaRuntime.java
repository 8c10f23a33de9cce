package dev.sparring.backend.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Can this process use the GPU? {@link #probe()} answers without throwing and without creating a CUDA context
 * (for {@code --device auto}, which falls back to the CPU with the reason as a notice); {@link #doctorReport()}
 * describes everything that was found (for {@code sparring doctor}).
 */
public final class CudaRuntime {
    private CudaRuntime() { }

    /**
     * The outcome of a probe.
     *
     * @param available     true when a {@link CudaBackend} can be created on device 0
     * @param reason        why not, with what to do (null when available)
     * @param device        "NVIDIA H100 80GB HBM3 (sm_90)" of device 0, or null
     * @param driverVersion the CUDA version the driver supports (13000 for 13.0), or 0 when unknown
     */
    public record Status(boolean available, String reason, String device, int driverVersion) {
        static Status unavailable(String reason, String device, int driverVersion) {
            return new Status(false, reason, device, driverVersion);
        }
    }

    private static Status cached;

    /** Probes once per process (the answer cannot change while it runs) and never throws. */
    public static synchronized Status probe() {
        if (cached == null) cached = computeProbe();
        return cached;
    }

    private static Status computeProbe() {
        String device = null;
        int driver = 0;
        try {
            Optional<KernelBuild> build = KernelBuild.load();
            if (build.isEmpty()) {
                return Status.unavailable("this build of Sparring carries no CUDA kernels (it was built without nvcc): "
                        + "rebuild it with the CUDA 13 toolkit (nvcc on PATH or CUDA_HOME set): ./build package", null, 0);
            }
            NativeLibraries.Located cuda = NativeLibraries.locate(NativeLibraries.CUDA);
            if (!cuda.found()) return Status.unavailable(cuda.message(), null, 0);
            int rc = CudaDriver.cuInitRaw(0);
            if (rc != CudaDriver.CUDA_SUCCESS) {
                return Status.unavailable("cuInit failed: " + CudaDriver.errorText(rc) + CudaDriver.advice(rc), null, 0);
            }
            driver = CudaDriver.driverVersion();
            int need = build.get().requiredDriverVersion();
            if (driver < need) {
                return Status.unavailable("the NVIDIA driver supports CUDA " + KernelBuild.cudaVersion(driver)
                        + " but the kernels in this jar were built with nvcc " + build.get().nvccVersion()
                        + " and need CUDA " + KernelBuild.cudaVersion(need) + ": install NVIDIA driver 580 or newer, "
                        + "or rebuild the jar with an older CUDA toolkit", null, driver);
            }
            if (CudaDriver.deviceCount() == 0) {
                return Status.unavailable("the CUDA driver sees no GPU: check nvidia-smi and CUDA_VISIBLE_DEVICES", null, driver);
            }
            int dev = CudaDriver.device(0);
            int major = CudaDriver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
            int minor = CudaDriver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
            device = CudaDriver.deviceName(dev) + " (sm_" + major + minor + ")";
            if (CudaModules.candidates(build.get(), "activations", major, minor).isEmpty()) {
                return Status.unavailable("GPU " + device + " is older than the kernels of this jar support (" + build.get().describe()
                        + "): Sparring needs compute capability 8.0 or newer", device, driver);
            }
            for (NativeLibraries.Spec spec : List.of(NativeLibraries.CUBLAS, NativeLibraries.CUDNN)) {
                NativeLibraries.Located l = NativeLibraries.locate(spec);
                if (!l.found()) return Status.unavailable(l.message(), device, driver);
            }
            Cublas.versionString();          // binds every cuBLAS symbol: a missing one fails here
            long cudnn = Cudnn.version();    // the same for cuDNN
            if (cudnn < 8000) {
                return Status.unavailable("cuDNN " + Cudnn.versionString(cudnn) + " is too old: Sparring needs cuDNN 8 or 9; "
                        + NativeLibraries.CUDNN.install(), device, driver);
            }
            return new Status(true, null, device, driver);
        } catch (Throwable t) {
            return Status.unavailable(rootMessage(t), device, driver);
        }
    }

    /** The message of the innermost cause: class initialisation wraps a missing symbol in ExceptionInInitializerError. */
    static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        String m = c.getMessage();
        return m != null ? m : c.toString();
    }

    /** A multi-line description of the CUDA setup for {@code sparring doctor}. Never throws. */
    public static String doctorReport() {
        StringBuilder sb = new StringBuilder("CUDA\n");
        Optional<KernelBuild> build = KernelBuild.load();
        sb.append("  kernels in this jar: ").append(build.map(KernelBuild::describe).orElse("none (built without nvcc)")).append('\n');
        NativeLibraries.Located cuda = NativeLibraries.locate(NativeLibraries.CUDA);
        if (!cuda.found()) {
            sb.append("  driver library: ").append(indent(cuda.message())).append('\n');
        } else {
            sb.append("  driver library: ").append(cuda.library().describe()).append('\n');
            Path version = Path.of("/proc/driver/nvidia/version");
            if (Files.isReadable(version)) {
                try {
                    String first = Files.readAllLines(version).stream().findFirst().orElse("").strip();
                    sb.append("  NVIDIA kernel module: ").append(first).append('\n');
                } catch (Exception ignored) {
                    // the line is optional
                }
            }
            try {
                int rc = CudaDriver.cuInitRaw(0);
                if (rc != CudaDriver.CUDA_SUCCESS) {
                    sb.append("  cuInit: ").append(CudaDriver.errorText(rc)).append(CudaDriver.advice(rc)).append('\n');
                } else {
                    sb.append("  CUDA driver API version: ").append(KernelBuild.cudaVersion(CudaDriver.driverVersion())).append('\n');
                    int n = CudaDriver.deviceCount();
                    sb.append("  devices: ").append(n).append('\n');
                    for (int i = 0; i < n; i++) {
                        int dev = CudaDriver.device(i);
                        int major = CudaDriver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
                        int minor = CudaDriver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
                        int sms = CudaDriver.deviceAttribute(CudaDriver.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, dev);
                        sb.append(String.format("    %d: %s, sm_%d%d, %d SMs, %.1f GiB", i, CudaDriver.deviceName(dev), major, minor,
                                sms, CudaDriver.deviceTotalMem(dev) / (1024.0 * 1024 * 1024)));
                        if (build.isPresent()) {
                            List<CudaModules.Image> imgs = CudaModules.candidates(build.get(), "activations", major, minor);
                            sb.append(imgs.isEmpty() ? ", no kernel image in this jar"
                                    : ", kernels from " + (imgs.get(0).ptx() ? "PTX (JIT)" : "sm_" + major + minor + " cubin"));
                        }
                        sb.append('\n');
                    }
                }
            } catch (Throwable t) {
                sb.append("  driver: ").append(rootMessage(t)).append('\n');
            }
        }
        library(sb, NativeLibraries.CUBLAS, () -> Cublas.versionString());
        library(sb, NativeLibraries.CUDNN, () -> Cudnn.versionString(Cudnn.version()));
        Status s = probe();
        // a reason already shown in full above (a library not found) is named by its first line only
        String reason = s.available() ? null : sb.indexOf(indent(s.reason())) >= 0 ? firstLine(s.reason()) + " (see above)" : indent(s.reason());
        sb.append("  status: ").append(s.available() ? "available" : "unavailable: " + reason).append('\n');
        return sb.toString();
    }

    private interface VersionQuery { String get(); }

    private static void library(StringBuilder sb, NativeLibraries.Spec spec, VersionQuery version) {
        NativeLibraries.Located l = NativeLibraries.locate(spec);
        sb.append("  ").append(spec.name()).append(": ");
        if (!l.found()) {
            sb.append(indent(l.message())).append('\n');
            return;
        }
        sb.append(l.library().describe());
        try {
            sb.append(", version ").append(version.get());
        } catch (Throwable t) {
            sb.append(", unusable: ").append(rootMessage(t));
        }
        sb.append('\n');
        for (String c : l.library().companions()) sb.append("    ").append(c).append('\n');
    }

    /** The first line of a message, without a trailing "Searched:" (the rest of a library search report is detail). */
    public static String firstLine(String message) {
        int nl = message.indexOf('\n');
        String first = nl < 0 ? message : message.substring(0, nl);
        if (first.endsWith(" Searched:")) first = first.substring(0, first.length() - " Searched:".length());
        return first.endsWith(".") ? first.substring(0, first.length() - 1) : first;
    }

    private static String indent(String multiLine) {
        return multiLine == null ? "" : multiLine.replace("\n", "\n    ");
    }
}
