package dev.sparring.backend.cuda;

import java.lang.foreign.MemorySegment;

/**
 * Helpers shared by the bindings that load no library of their own, so that cuBLAS and cuDNN can report their
 * errors on a machine without the CUDA driver: were these in {@link CudaDriver}, using them would initialise that
 * class, which fails there, and the NoClassDefFoundError would replace the cuBLAS or cuDNN error being reported.
 */
final class NativeCalls {
    private NativeCalls() { }

    /** What a downcall's {@code catch (Throwable t)} throws: runtime exceptions and errors as they are. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed", t);
    }

    /** A NUL-terminated C string returned by a library ("" for NULL). */
    static String cString(MemorySegment p) {
        return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(1 << 16).getString(0);
    }
}
