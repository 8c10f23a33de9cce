package dev.sparring.backend.cuda;

import dev.sparring.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The device arrays of struct TensorSlot ({@link KernelLayouts#TENSOR_SLOT}) that the multi-tensor kernels read (the
 * optimizers, clamp, sum of squares): one per set of tensors, built and uploaded the first time the set is seen and
 * cached by content (the device pointers and sizes), so that an optimizer step on the same parameters allocates
 * nothing. Closing frees them.
 */
final class TensorTables implements AutoCloseable {
    /** Most distinct tables kept; beyond that the cache is emptied (after a sync) and rebuilt as used. */
    private static final int MAX_TABLES = 256;

    /** Longs per TensorSlot (every member is 8 bytes), and the long of each member. */
    private static final int WORDS = (int) (KernelLayouts.TENSOR_SLOT.byteSize() / Long.BYTES);
    private static final int P = word("p"), G = word("g"), S1 = word("s1"), S2 = word("s2"), N = word("n");

    private static int word(String member) {
        return (int) (KernelLayouts.TENSOR_SLOT.byteOffset(groupElement(member)) / Long.BYTES);
    }

    /** The contents of a TensorSlot array, as longs. */
    private record Key(long[] words) {
        @Override
        public boolean equals(Object o) { return o instanceof Key k && Arrays.equals(words, k.words); }

        @Override
        public int hashCode() { return Arrays.hashCode(words); }
    }

    private final MemorySegment stream;
    private final Launcher launcher;
    private final DeviceMemory memory;
    private final Staging staging;
    private final ToLongFunction<Tensor> f32;      // the device pointer of an F32 tensor of this backend, checked
    private final Map<Key, Long> tables = new HashMap<>();

    TensorTables(MemorySegment stream, Launcher launcher, DeviceMemory memory, Staging staging, ToLongFunction<Tensor> f32) {
        this.stream = stream;
        this.launcher = launcher;
        this.memory = memory;
        this.staging = staging;
        this.f32 = f32;
    }

    /** The device array of TensorSlot for these tensors; g, s1, s2 (each of the sizes of p) may be null. */
    long of(String op, List<Tensor> p, List<Tensor> g, List<Tensor> s1, List<Tensor> s2) {
        int T = p.size();
        long[] words = new long[WORDS * T];
        for (int i = 0; i < T; i++) {
            Tensor pt = p.get(i);
            int w = WORDS * i;
            words[w + P] = f32.applyAsLong(pt);
            words[w + G] = g == null ? 0 : slotOf(op, pt, g.get(i));
            words[w + S1] = s1 == null ? 0 : slotOf(op, pt, s1.get(i));
            words[w + S2] = s2 == null ? 0 : slotOf(op, pt, s2.get(i));
            words[w + N] = pt.size();
        }
        Key key = new Key(words);
        Long table = tables.get(key);
        if (table != null) return table;
        String what = op + " on a new set of tensors";
        launcher.checkMayAllocate(what);
        if (tables.size() >= MAX_TABLES) {
            CudaDriver.streamSynchronize(stream);
            for (long d : tables.values()) memory.free(d);
            tables.clear();
        }
        long bytes = KernelLayouts.TENSOR_SLOT.byteSize() * Math.max(T, 1);
        long d = memory.allocate(bytes, what);
        if (T > 0) staging.toDevice(d, MemorySegment.ofArray(words), bytes);
        tables.put(key, d);
        return d;
    }

    private long slotOf(String op, Tensor param, Tensor other) {
        if (other.size() != param.size()) throw new IllegalArgumentException(op + ": " + other + " does not match parameter " + param);
        return f32.applyAsLong(other);
    }

    @Override
    public void close() {
        for (long d : tables.values()) CudaDriver.memFree(d);
        tables.clear();
    }
}
