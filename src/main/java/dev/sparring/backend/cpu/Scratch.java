package dev.sparring.backend.cpu;

/**
 * Per-thread scratch arrays for the GEMM and convolution hot paths, so that the training loop, which calls them
 * thousands of times, does not allocate. Each array grows to the largest size asked for and is kept.
 *
 * <p>Leaf buffers (B panels, the edge tile, a convolution's columns, group and dot state) are used by code that
 * never waits for other tasks, so a plain thread-local is safe. Packed operands are read by other threads while their owner may help run
 * unrelated pool tasks (and so is a convolution's output slice, written by the GEMM's tasks), so they are borrowed (taken out of the thread's slots) and given back: a nested call on the
 * same thread gets a fresh array instead of overwriting one in use.
 */
final class Scratch {
    private Scratch() { }

    /**
     * Up to three borrowable arrays per thread: a GEMM may hold a packed A and a packed B at once, inside a convolution
     * that holds its output slice ({@link Conv#forwardImplicit}).
     */
    private static final ThreadLocal<float[][]> PACKED = ThreadLocal.withInitial(() -> new float[3][]);
    private static final ThreadLocal<float[]> PACKED_B = new ThreadLocal<>();
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[Sgemm.MAX_TILE]);
    private static final ThreadLocal<float[]> COLUMNS = new ThreadLocal<>();
    private static final ThreadLocal<float[]> DOT_STATE = new ThreadLocal<>();
    private static final ThreadLocal<float[]> GROUP = new ThreadLocal<>();


    /** An array of at least size floats for a packed operand; return it with {@link #giveBack}. */
    static float[] borrow(int size) {
        float[][] held = PACKED.get();
        for (int i = 0; i < held.length; i++) {
            if (held[i] != null && held[i].length >= size) {
                float[] a = held[i];
                held[i] = null;
                return a;
            }
        }
        return new float[size];
    }

    /** Keeps a for the next borrow on this thread, in a free slot or in place of a smaller array. */
    static void giveBack(float[] a) {
        float[][] held = PACKED.get();
        int slot = 0;
        for (int i = 0; i < held.length; i++) {
            if (held[i] == null) {
                slot = i;
                break;
            }
            if (held[i].length < held[slot].length) slot = i;
        }
        if (held[slot] == null || held[slot].length < a.length) held[slot] = a;
    }

    /** The B panels of one K block, packed by a GEMM task ({@link Sgemm#multiply}). */
    static float[] packedB(int size) { return leaf(PACKED_B, size); }

    /** An MR x NR tile of C, for the edges. */
    static float[] tile() { return TILE.get(); }

    /** A group of images' outputs or gradients side by side ({@link Conv}). */
    static float[] group(int size) { return leaf(GROUP, size); }

    /** The lanes of {@link ConvDot}'s accumulators. */
    static float[] dotState(int size) { return leaf(DOT_STATE, size); }

    /** A convolution's columns: col of a group of images, or some rows of col_n ({@link ConvDot}). */
    static float[] columns(int size) { return leaf(COLUMNS, size); }

    private static float[] leaf(ThreadLocal<float[]> tl, int size) {
        float[] a = tl.get();
        if (a == null || a.length < size) {
            a = new float[size];
            tl.set(a);
        }
        return a;
    }
}
