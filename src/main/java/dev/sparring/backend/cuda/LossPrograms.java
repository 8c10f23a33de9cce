package dev.sparring.backend.cuda;

import dev.sparring.backend.BackendException;
import dev.sparring.backend.ScalarProgram;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.IdentityHashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Loss programs in the form the loss kernels take them: struct Program ({@link KernelLayouts#PROGRAM}), passed by
 * value, encoded once per program and kept in host memory of the backend's life (a launch's argument hash names a
 * program by the address of its encoding).
 */
final class LossPrograms {
    private final Arena arena;
    private final Map<ScalarProgram, MemorySegment> encoded = new IdentityHashMap<>();

    /** @param arena host memory that lives as long as the backend */
    LossPrograms(Arena arena) { this.arena = arena; }

    /** The encoding of {@code p}, program {@code role} ("phi", "dpsi", ...) of loss {@code loss} (for errors). */
    MemorySegment of(ScalarProgram p, String loss, String role) {
        MemorySegment seg = encoded.get(p);
        if (seg == null) {
            seg = encode(arena, p, loss, role);
            encoded.put(p, seg);
        }
        return seg;
    }

    /** Encodes a program as struct Program, checking that it fits: the limits are the kernel's, not the language's. */
    static MemorySegment encode(Arena arena, ScalarProgram p, String loss, String role) {
        int[] code = p.code();
        double[] consts = p.consts();
        if (code.length > KernelLayouts.PROGRAM_MAX_CODE || consts.length > KernelLayouts.PROGRAM_MAX_CONSTS) {
            throw new BackendException("loss " + loss + ": program " + role + " has " + code.length + " op codes and "
                    + consts.length + " constants; the CUDA loss kernel (kernels/gan_losses.cu) takes at most "
                    + KernelLayouts.PROGRAM_MAX_CODE + " and " + KernelLayouts.PROGRAM_MAX_CONSTS + ": simplify the formula, "
                    + "or raise KernelLayouts.PROGRAM_MAX_CODE/PROGRAM_MAX_CONSTS");
        }
        MemorySegment seg = arena.allocate(KernelLayouts.PROGRAM);
        seg.set(JAVA_INT, KernelLayouts.PROGRAM_LEN, code.length);
        MemorySegment.copy(code, 0, seg, JAVA_INT, KernelLayouts.PROGRAM_CODE, code.length);
        MemorySegment.copy(consts, 0, seg, JAVA_DOUBLE, KernelLayouts.PROGRAM_CONSTS, consts.length);
        return seg;
    }
}
