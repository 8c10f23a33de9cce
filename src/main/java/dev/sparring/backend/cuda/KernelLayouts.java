package dev.sparring.backend.cuda;

import dev.sparring.backend.ScalarProgram;

import java.io.IOException;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What the Java side and the kernels must agree on, defined once, here: the block size, the loss-program struct with
 * {@link ScalarProgram}'s op codes, and the entry of a multi-tensor table. The build writes these definitions as C
 * ({@link #main}, run by Maven before {@code native/build-kernels.sh}) into {@code kernels/generated/layouts.cuh},
 * which {@code kernels/common.cuh} includes; the kernels never restate a number. Every struct there is followed by
 * static_asserts that the C compiler puts each member at the offset Java writes it to, so nvcc (and the host
 * simulator's g++) refuse a layout that the two sides would read differently.
 *
 * <p>Structs are laid out as C lays them out ({@link #cStruct}): each member at the next multiple of its alignment.
 */
final class KernelLayouts {
    private KernelLayouts() { }

    /** Threads per block of every kernel launch (SPARRING_BLOCK). */
    static final int BLOCK = 256;

    /** Longest loss program (op codes and constant indices) and most constants that the loss kernels take. */
    static final int PROGRAM_MAX_CODE = 128, PROGRAM_MAX_CONSTS = 32;

    /** struct Program: a loss program, passed to the loss kernels by value ({@link LossPrograms} writes it). */
    static final StructLayout PROGRAM = cStruct("Program",
            JAVA_INT.withName("len"),
            MemoryLayout.sequenceLayout(PROGRAM_MAX_CODE, JAVA_INT).withName("code"),
            MemoryLayout.sequenceLayout(PROGRAM_MAX_CONSTS, JAVA_DOUBLE).withName("consts"));
    static final long PROGRAM_LEN = PROGRAM.byteOffset(groupElement("len"));
    static final long PROGRAM_CODE = PROGRAM.byteOffset(groupElement("code"));
    static final long PROGRAM_CONSTS = PROGRAM.byteOffset(groupElement("consts"));

    /** struct TensorSlot: one tensor of a multi-tensor operation ({@link TensorTables}); unused pointers are 0. */
    static final StructLayout TENSOR_SLOT = cStruct("TensorSlot",
            ADDRESS.withName("p"), ADDRESS.withName("g"), ADDRESS.withName("s1"), ADDRESS.withName("s2"), JAVA_LONG.withName("n"));

    /** A member's C type where its layout does not say it (what a pointer points to), and what it holds. */
    private record Member(String cType, String doc) { }

    private static final Map<String, Member> MEMBERS = Map.of(
            "Program.len", new Member(null, "number of ints used in code"),
            "Program.code", new Member(null, "op codes; CONST is followed by the index of its constant"),
            "Program.consts", new Member(null, "the program's constants"),
            "TensorSlot.p", new Member("float*", "the tensor (a parameter, or the tensor to reduce)"),
            "TensorSlot.g", new Member("float*", "its gradient"),
            "TensorSlot.s1", new Member("float*", "optimizer state 1 (Adam m, RMSProp square average, SGD momentum buffer)"),
            "TensorSlot.s2", new Member("float*", "optimizer state 2 (Adam v)"),
            "TensorSlot.n", new Member(null, "number of elements"));

    /**
     * A struct of these members laid out as C lays it out: each member at the next multiple of its alignment, the
     * size a multiple of the largest alignment (padding is inserted where C would put it).
     */
    static StructLayout cStruct(String name, MemoryLayout... members) {
        List<MemoryLayout> laid = new ArrayList<>();
        long offset = 0, align = 1;
        for (MemoryLayout m : members) {
            long pad = -offset & (m.byteAlignment() - 1);
            if (pad > 0) laid.add(MemoryLayout.paddingLayout(pad));
            laid.add(m);
            offset += pad + m.byteSize();
            align = Math.max(align, m.byteAlignment());
        }
        long tail = -offset & (align - 1);
        if (tail > 0) laid.add(MemoryLayout.paddingLayout(tail));
        return MemoryLayout.structLayout(laid.toArray(MemoryLayout[]::new)).withName(name);
    }

    /**
     * ScalarProgram's op codes by their C name (OP_ and the Java name): every {@code static final int} of
     * ScalarProgram but OP_COUNT and MAX_STACK, checked to number the op codes 0 .. OP_COUNT - 1 once each.
     */
    static Map<String, Integer> opCodes() {
        Map<String, Integer> out = new TreeMap<>();
        boolean[] seen = new boolean[ScalarProgram.OP_COUNT];
        for (Field f : ScalarProgram.class.getFields()) {
            int mod = f.getModifiers();
            if (f.getType() != int.class || !Modifier.isStatic(mod) || !Modifier.isFinal(mod)
                    || f.getName().equals("OP_COUNT") || f.getName().equals("MAX_STACK")) continue;
            int code;
            try {
                code = f.getInt(null);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
            if (code < 0 || code >= seen.length || seen[code]) {
                throw new IllegalStateException("ScalarProgram." + f.getName() + " = " + code + " is not a new op code below OP_COUNT");
            }
            seen[code] = true;
            out.put("OP_" + f.getName(), code);
        }
        if (out.size() != ScalarProgram.OP_COUNT) {
            throw new IllegalStateException("ScalarProgram has " + out.size() + " op-code constants for OP_COUNT = " + ScalarProgram.OP_COUNT);
        }
        return out;
    }

    /** The text of kernels/generated/layouts.cuh. */
    static String header() {
        StringBuilder h = new StringBuilder();
        h.append("""
                // layouts.cuh: GENERATED during the build by dev.sparring.backend.cuda.KernelLayouts from the Java definitions;
                // do not edit (change KernelLayouts or ScalarProgram, then build). Included by common.cuh.
                // Plain C++: no CUDA keywords, so that any host compiler can check the layouts (KernelLayoutsTest).
                #pragma once

                // Threads per block of every kernel launch unless the kernel says otherwise (KernelLayouts.BLOCK).
                """);
        h.append(define("SPARRING_BLOCK", BLOCK)).append('\n');
        h.append("// Loss programs: ScalarProgram's op codes and stack depth (the interpreter of gan_losses.cu).\n");
        opCodes().entrySet().stream().sorted(Map.Entry.comparingByValue()).forEach(e -> h.append(define(e.getKey(), e.getValue())));
        h.append(define("OP_COUNT", ScalarProgram.OP_COUNT));
        h.append(define("MAX_STACK", ScalarProgram.MAX_STACK)).append('\n');
        h.append("// A loss program, passed by value to critic_loss and generator_loss (LossPrograms writes it).\n");
        h.append(define("PROG_MAX_CODE", PROGRAM_MAX_CODE));
        h.append(define("PROG_MAX_CONST", PROGRAM_MAX_CONSTS));
        h.append(struct(PROGRAM, Map.of("code", "PROG_MAX_CODE", "consts", "PROG_MAX_CONST"))).append('\n');
        h.append("// One tensor of a multi-tensor operation (optimizers, clamp, sum of squares): TensorTables writes an array of\n"
                + "// these into device memory. Unused pointers are 0.\n");
        h.append(struct(TENSOR_SLOT, Map.of()));
        return h.toString();
    }

    private static String define(String name, int value) { return String.format("#define %-15s %d\n", name, value); }

    /** A C struct declaration of {@code s}, then static_asserts of its size and of every member's offset. */
    private static String struct(StructLayout s, Map<String, String> counts) {
        String name = s.name().orElseThrow();
        StringBuilder b = new StringBuilder("struct " + name + " {\n");
        StringBuilder asserts = new StringBuilder();
        asserts.append(String.format("static_assert(sizeof(%s) == %d, \"%s: layout differs from KernelLayouts\");\n", name, s.byteSize(), name));
        for (MemoryLayout m : s.memberLayouts()) {
            if (m.name().isEmpty()) continue;   // padding: C inserts it, the asserts check where
            String field = m.name().get();
            Member info = MEMBERS.get(name + "." + field);
            if (info == null) throw new IllegalStateException(name + "." + field + " is not described in KernelLayouts.MEMBERS");
            String decl = m instanceof SequenceLayout seq
                    ? cType(seq.elementLayout()) + " " + field + "[" + counts.getOrDefault(field, Long.toString(seq.elementCount())) + "];"
                    : (info.cType() != null ? info.cType() : cType(m)) + " " + field + ";";
            b.append(String.format("    %-32s// %s", decl, info.doc())).append('\n');
            asserts.append(String.format("static_assert(offsetof(%s, %s) == %d, \"%s.%s: layout differs from KernelLayouts\");\n",
                    name, field, s.byteOffset(groupElement(field)), name, field));
        }
        return b.append("};\n").append(asserts).toString();
    }

    private static String cType(MemoryLayout m) {
        if (m instanceof ValueLayout v && !(m instanceof AddressLayout)) {
            if (v.carrier() == int.class) return "int";
            if (v.carrier() == long.class) return "long long";
            if (v.carrier() == float.class) return "float";
            if (v.carrier() == double.class) return "double";
        }
        throw new IllegalArgumentException("no C type for " + m);
    }

    /** Writes {@link #header()} to the file named by the argument, unless it holds that text already (keeps its time). */
    static void main(String[] args) throws IOException {
        if (args.length != 1) throw new IllegalArgumentException("usage: KernelLayouts OUTPUT_FILE");
        Path out = Path.of(args[0]);
        String text = header();
        if (Files.exists(out) && Files.readString(out).equals(text)) return;
        Files.createDirectories(out.toAbsolutePath().getParent());
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.out.println("sparring: wrote " + out);
    }
}
