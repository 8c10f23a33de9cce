package dev.sparring.backend.cuda;

import dev.sparring.backend.ScalarProgram;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the kernel sources must hold (read from kernels/*.cu, no nvcc, no GPU): they take the numbers they share with
 * Java from the generated header (KernelLayouts) instead of restating them, and the loss interpreter handles every op
 * code; and the Java side writes loss programs where the kernel reads them.
 */
class KernelSourcesTest {
    private static final Path KERNELS = Path.of("kernels");

    @Test
    void kernelsRestateNoSharedLayout() throws IOException {
        Pattern restated = Pattern.compile("(?m)^\\s*(#define\\s+(OP_\\w+|MAX_STACK|PROG_\\w+|SPARRING_BLOCK)\\b"
                + "|struct\\s+(Program|TensorSlot)\\s*\\{)");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(KERNELS, "*.cu*")) {
            for (Path f : ds) {
                Matcher m = restated.matcher(Files.readString(f));
                if (m.find()) fail(f + " restates " + m.group().strip() + ": it comes from kernels/generated/layouts.cuh (KernelLayouts)");
            }
        }
        assertTrue(Files.readString(KERNELS.resolve("common.cuh")).contains("#include \"generated/layouts.cuh\""),
                "common.cuh no longer includes the generated layouts");
    }

    @Test
    void interpreterHandlesEveryOpCode() throws Exception {
        String src = Files.readString(KERNELS.resolve("gan_losses.cu"));
        for (String op : KernelLayouts.opCodes().keySet()) {
            assertTrue(src.contains("case " + op + ":"), "gan_losses.cu eval() has no case for " + op);
        }
    }

    @Test
    void programEncodingPutsCodeAndConstantsWhereTheKernelReadsThem() {
        ScalarProgram p = new ScalarProgram(new int[] {ScalarProgram.T, ScalarProgram.CONST, 1, ScalarProgram.MUL,
                ScalarProgram.CONST, 0, ScalarProgram.ADD}, new double[] {0.25, -3.5});
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = LossPrograms.encode(a, p, "test", "phi");
            assertEquals(KernelLayouts.PROGRAM.byteSize(), s.byteSize());
            assertEquals(7, s.get(JAVA_INT, KernelLayouts.PROGRAM_LEN));
            int[] code = p.code();
            for (int i = 0; i < code.length; i++) assertEquals(code[i], s.get(JAVA_INT, KernelLayouts.PROGRAM_CODE + 4L * i));
            assertEquals(0.25, s.get(JAVA_DOUBLE, KernelLayouts.PROGRAM_CONSTS));
            assertEquals(-3.5, s.get(JAVA_DOUBLE, KernelLayouts.PROGRAM_CONSTS + 8));
        }
    }

    @Test
    void programTooLongForTheKernelIsRejectedWithTheLimit() {
        int n = KernelLayouts.PROGRAM_MAX_CODE / 2 + 1;            // t, then (t +) repeated: 2n - 1 ints
        int[] code = new int[2 * n - 1];
        code[0] = ScalarProgram.T;
        for (int i = 1; i < n; i++) { code[2 * i - 1] = ScalarProgram.T; code[2 * i] = ScalarProgram.ADD; }
        ScalarProgram p = new ScalarProgram(code, new double[0]);
        try (Arena a = Arena.ofConfined()) {
            var e = assertThrows(dev.sparring.backend.BackendException.class, () -> LossPrograms.encode(a, p, "long", "psi"));
            assertTrue(e.getMessage().contains("program psi has " + code.length + " op codes"), e.getMessage());
            assertTrue(e.getMessage().contains("kernels/gan_losses.cu"), e.getMessage());
        }
    }

    /** The parity test's interpreter program covers the whole instruction set and stays finite on its inputs. */
    @Test
    void parityLossProgramUsesEveryOpCodeAndIsFinite() {
        ScalarProgram p = CudaParityTest.postfix(CudaParityTest.EVERY_OP);
        int[] code = p.code();
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (int pc = 0; pc < code.length; pc++) {
            used.add(code[pc]);
            if (code[pc] == ScalarProgram.CONST) pc++;
        }
        assertEquals(ScalarProgram.OP_COUNT, used.size(), "EVERY_OP misses an op code");
        for (double t = -15; t <= 15; t += 0.125) {
            assertTrue(Double.isFinite(p.eval(t)), "EVERY_OP is not finite at t = " + t);
        }
    }
}
