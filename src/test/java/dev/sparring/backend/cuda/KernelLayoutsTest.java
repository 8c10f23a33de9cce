package dev.sparring.backend.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The layouts that Java and the kernels share (KernelLayouts): the header the build generates from them is the one the
 * kernels were compiled with, and a C++ compiler lays the generated structs out where Java writes their members.
 */
class KernelLayoutsTest {
    private static final Path GENERATED = Path.of("kernels", "generated", "layouts.cuh");

    /** The build writes the header before it compiles the kernels; a stale one means the kernels saw other layouts. */
    @Test
    void theGeneratedHeaderIsCurrent() throws Exception {
        assumeTrue(Files.exists(GENERATED), GENERATED + " is not here (it is a build output; the GPU kit has none)");
        assertEquals(KernelLayouts.header(), Files.readString(GENERATED),
                GENERATED + " differs from what KernelLayouts writes now: build through Maven (./build process-classes)");
    }

    /** The generated static_asserts hold for a host C++ compiler: C puts every member at the offset Java uses. */
    @Test
    void aCppCompilerAgreesWithTheJavaLayouts(@TempDir Path tmp) throws Exception {
        String cxx = onPath("g++");
        assumeTrue(cxx != null, "no g++ on PATH");
        Files.writeString(tmp.resolve("layouts.cuh"), KernelLayouts.header());
        Files.writeString(tmp.resolve("check.cpp"), "#include <cstddef>\n#include \"layouts.cuh\"\nint main() { return 0; }\n");
        Process p = new ProcessBuilder(cxx, "-std=c++17", "-fsyntax-only", "-Wall", "-Werror", "check.cpp")
                .directory(tmp.toFile()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "g++ did not finish");
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.exitValue(), "g++ refuses the generated layouts:\n" + out);
    }

    /** C's rule as Java states it: each member at the next multiple of its alignment, the size a multiple of the largest. */
    @Test
    void structsAreLaidOutAsCLaysThemOut() {
        assertEquals(4, KernelLayouts.PROGRAM_CODE);
        assertEquals((4 + 4 * KernelLayouts.PROGRAM_MAX_CODE + 7) / 8 * 8, KernelLayouts.PROGRAM_CONSTS);
        assertEquals(KernelLayouts.PROGRAM_CONSTS + 8 * KernelLayouts.PROGRAM_MAX_CONSTS, KernelLayouts.PROGRAM.byteSize());
        assertEquals(40, KernelLayouts.TENSOR_SLOT.byteSize());
        StructLayout tail = KernelLayouts.cStruct("Tail", JAVA_LONG.withName("a"), JAVA_INT.withName("b"));
        assertEquals(16, tail.byteSize(), "padded to its alignment, as sizeof in C");
        StructLayout odd = KernelLayouts.cStruct("Odd", JAVA_INT.withName("a"), MemoryLayout.sequenceLayout(3, JAVA_INT).withName("b"),
                JAVA_DOUBLE.withName("c"));
        assertEquals(16, odd.byteOffset(MemoryLayout.PathElement.groupElement("c")));
        assertEquals(24, odd.byteSize());
    }

    @Test
    void theHeaderDefinesEveryOpCodeOfScalarProgram() {
        String h = KernelLayouts.header();
        KernelLayouts.opCodes().forEach((name, code) -> assertTrue(h.contains(String.format("#define %-15s %d\n", name, code)), name));
        assertTrue(h.contains("struct Program {") && h.contains("struct TensorSlot {"), h);
    }

    private static String onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) return Path.of(dir, program).toString();
        }
        return null;
    }
}
