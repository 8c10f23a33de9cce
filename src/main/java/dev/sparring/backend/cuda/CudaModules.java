package dev.sparring.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Loads a kernel family (one .cu file) as a CUDA module: the cubin built for the device's architecture when the
 * jar has one, else the portable PTX, which the driver JIT-compiles. {@code cuModuleLoadDataEx} is asked for its
 * error and info logs, and a failure puts the log into the exception.
 */
public final class CudaModules {
    private CudaModules() { }

    /** One loadable image: its class-path resource and whether it is PTX (JIT-compiled) or a cubin. */
    public record Image(String resource, boolean ptx) { }

    /** A loaded module (a CUmodule) and the image it came from. */
    public record Loaded(MemorySegment module, Image image) { }

    /**
     * The images to try for a device of compute capability {@code major.minor}, best first: the cubin of the same
     * major version with the highest minor not above the device's (cubins run on later minors of their major
     * version: sm_80 code runs on sm_86), then the PTX when the device is at least its target.
     */
    public static List<Image> candidates(KernelBuild build, String family, int major, int minor) {
        List<Image> out = new ArrayList<>();
        int best = -1;
        for (int a : build.cubinArchs()) {
            if (a / 10 == major && a % 10 <= minor && a > best) best = a;
        }
        if (best >= 0) out.add(new Image(KernelBuild.RESOURCE_DIR + family + ".sm_" + best + ".cubin", false));
        if (10 * major + minor >= build.ptxArch()) out.add(new Image(KernelBuild.RESOURCE_DIR + family + ".ptx", true));
        return out;
    }

    /** Loads {@code family} for the current context's device; the caller unloads the module. */
    public static Loaded load(KernelBuild build, String family, int major, int minor) {
        List<Image> images = candidates(build, family, major, minor);
        if (images.isEmpty()) {
            throw new CudaException(CudaDriver.LIBRARY, "no kernel image for compute capability " + major + "." + minor
                    + ": this jar has " + build.describe() + ". Sparring needs a GPU of compute capability "
                    + build.ptxArch() / 10 + "." + build.ptxArch() % 10 + " or newer");
        }
        List<String> failures = new ArrayList<>();
        for (Image img : images) {
            byte[] bytes = resource(img.resource());
            if (bytes == null) {
                failures.add(img.resource() + ": missing from the class path");
                continue;
            }
            try {
                return new Loaded(load(bytes, img), img);
            } catch (CudaException e) {
                failures.add(e.getMessage());
            }
        }
        throw new CudaException(CudaDriver.LIBRARY, "cuModuleLoadDataEx", -1, "could not load the CUDA kernels of " + family
                + " for compute capability " + major + "." + minor + ":\n  " + String.join("\n  ", failures));
    }

    private static byte[] resource(String name) {
        try (InputStream in = CudaModules.class.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            return null;
        }
    }

    private static final int LOG_BYTES = 16 * 1024;

    private static MemorySegment load(byte[] bytes, Image img) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment image = a.allocate(bytes.length + 1L, 16);     // PTX must end with a NUL; harmless for a cubin
            MemorySegment.copy(bytes, 0, image, JAVA_BYTE, 0, bytes.length);
            image.set(JAVA_BYTE, bytes.length, (byte) 0);
            MemorySegment errorLog = a.allocate(LOG_BYTES), infoLog = a.allocate(LOG_BYTES);
            MemorySegment options = a.allocateFrom(JAVA_INT, CudaDriver.CU_JIT_ERROR_LOG_BUFFER,
                    CudaDriver.CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, CudaDriver.CU_JIT_INFO_LOG_BUFFER,
                    CudaDriver.CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES);
            // optionValues is void*[]: buffers by address, sizes as the pointer-sized value itself
            MemorySegment values = a.allocate(ADDRESS, 4);
            values.setAtIndex(ADDRESS, 0, errorLog);
            values.setAtIndex(JAVA_LONG, 1, LOG_BYTES);
            values.setAtIndex(ADDRESS, 2, infoLog);
            values.setAtIndex(JAVA_LONG, 3, LOG_BYTES);
            MemorySegment module = a.allocate(ADDRESS);
            int status = CudaDriver.moduleLoadDataExRaw(module, image, 4, options, values);
            if (status != CudaDriver.CUDA_SUCCESS) {
                String log = errorLog.getString(0).strip();
                throw new CudaException(CudaDriver.LIBRARY, "cuModuleLoadDataEx", status, img.resource()
                        + (img.ptx() ? " (PTX, JIT)" : " (cubin)") + ": cuModuleLoadDataEx failed: " + CudaDriver.errorText(status)
                        + CudaDriver.advice(status) + (log.isEmpty() ? "" : "; JIT error log:\n" + log));
            }
            return module.get(ADDRESS, 0);
        }
    }
}
