package dev.sparring.backend.cuda;

import dev.sparring.backend.ScalarProgram;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The numbers shared between the kernel sources and the Java side, read from kernels/*.cu (no nvcc, no GPU):
 * ScalarProgram's op codes and stack size against gan_losses.cu, the Program and TensorSlot layouts against
 * CudaBackend.
 */
class KernelSourcesTest {
    private static final Path KERNELS = Path.of("kernels");

    private static Map<String, Integer> defines(String file) throws IOException {
        Map<String, Integer> out = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^#define\\s+(\\w+)\\s+(\\d+)\\b").matcher(Files.readString(KERNELS.resolve(file)));
        while (m.find()) out.put(m.group(1), Integer.parseInt(m.group(2)));
        return out;
    }

    /** ScalarProgram's op-code constants: every static final int but OP_COUNT and MAX_STACK. */
    private static Map<String, Integer> javaOpCodes() throws IllegalAccessException {
        Map<String, Integer> out = new TreeMap<>();
        for (Field f : ScalarProgram.class.getFields()) {
            int mod = f.getModifiers();
            if (f.getType() == int.class && Modifier.isStatic(mod) && Modifier.isFinal(mod)
                    && !f.getName().equals("OP_COUNT") && !f.getName().equals("MAX_STACK")) {
                out.put("OP_" + f.getName(), f.getInt(null));
            }
        }
        return out;
    }

    @Test
    void opCodesMatchScalarProgram() throws Exception {
        Map<String, Integer> cu = defines("gan_losses.cu");
        Map<String, Integer> cuOps = new TreeMap<>(cu);
        cuOps.keySet().removeIf(k -> !k.startsWith("OP_") || k.equals("OP_COUNT"));
        assertEquals(ScalarProgram.OP_COUNT, javaOpCodes().size(), "one constant per op code in ScalarProgram");
        assertEquals(javaOpCodes(), cuOps, "op codes of kernels/gan_losses.cu and ScalarProgram differ");
        assertEquals(ScalarProgram.OP_COUNT, cu.get("OP_COUNT"));
        assertEquals(ScalarProgram.MAX_STACK, cu.get("MAX_STACK"));
    }

    @Test
    void interpreterHandlesEveryOpCode() throws Exception {
        String src = Files.readString(KERNELS.resolve("gan_losses.cu"));
        for (String op : javaOpCodes().keySet()) {
            assertTrue(src.contains("case " + op + ":"), "gan_losses.cu eval() has no case for " + op);
        }
    }

    @Test
    void programLayoutMatchesCudaBackend() throws Exception {
        Map<String, Integer> cu = defines("gan_losses.cu");
        assertEquals(CudaBackend.PROG_MAX_CODE, cu.get("PROG_MAX_CODE"));
        assertEquals(CudaBackend.PROG_MAX_CONST, cu.get("PROG_MAX_CONST"));
        assertEquals(CudaBackend.PROG_BYTES, cu.get("PROG_BYTES"));
        assertEquals(CudaBackend.PROG_CODE_OFFSET, cu.get("PROG_CODE_OFFSET"));
        assertEquals(CudaBackend.PROG_CONST_OFFSET, cu.get("PROG_CONST_OFFSET"));
        // the C layout rule: code right after the int, consts at the next multiple of 8, no tail padding
        assertEquals(4, CudaBackend.PROG_CODE_OFFSET);
        assertEquals(((4 + 4 * CudaBackend.PROG_MAX_CODE) + 7) / 8 * 8, CudaBackend.PROG_CONST_OFFSET);
        assertEquals(CudaBackend.PROG_CONST_OFFSET + 8 * CudaBackend.PROG_MAX_CONST, CudaBackend.PROG_BYTES);
    }

    @Test
    void tensorSlotAndBlockSizeMatchCommonHeader() throws Exception {
        String common = Files.readString(KERNELS.resolve("common.cuh"));
        Matcher m = Pattern.compile("static_assert\\(sizeof\\(TensorSlot\\) == (\\d+)").matcher(common);
        assertTrue(m.find(), "common.cuh lost its TensorSlot size check");
        assertEquals(CudaBackend.TENSOR_SLOT_BYTES, Integer.parseInt(m.group(1)));
        assertEquals(CudaBackend.BLOCK, defines("common.cuh").get("SPARRING_BLOCK"));
    }

    @Test
    void programEncodingPutsCodeAndConstantsWhereTheKernelReadsThem() {
        ScalarProgram p = new ScalarProgram(new int[] {ScalarProgram.T, ScalarProgram.CONST, 1, ScalarProgram.MUL,
                ScalarProgram.CONST, 0, ScalarProgram.ADD}, new double[] {0.25, -3.5});
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = CudaBackend.encodeProgram(a, p, "test", "phi");
            assertEquals(CudaBackend.PROG_BYTES, s.byteSize());
            assertEquals(7, s.get(JAVA_INT, 0));
            int[] code = p.code();
            for (int i = 0; i < code.length; i++) assertEquals(code[i], s.get(JAVA_INT, CudaBackend.PROG_CODE_OFFSET + 4L * i));
            assertEquals(0.25, s.get(JAVA_DOUBLE, CudaBackend.PROG_CONST_OFFSET));
            assertEquals(-3.5, s.get(JAVA_DOUBLE, CudaBackend.PROG_CONST_OFFSET + 8));
        }
    }

    @Test
    void programTooLongForTheKernelIsRejectedWithTheLimit() {
        int n = CudaBackend.PROG_MAX_CODE / 2 + 1;            // t, then (t +) repeated: 2n - 1 ints
        int[] code = new int[2 * n - 1];
        code[0] = ScalarProgram.T;
        for (int i = 1; i < n; i++) { code[2 * i - 1] = ScalarProgram.T; code[2 * i] = ScalarProgram.ADD; }
        ScalarProgram p = new ScalarProgram(code, new double[0]);
        try (Arena a = Arena.ofConfined()) {
            var e = assertThrows(dev.sparring.backend.BackendException.class, () -> CudaBackend.encodeProgram(a, p, "long", "psi"));
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
