package dev.sparring.backend.cpu;

/**
 * Per-thread scratch arrays for the GEMM and convolution hot paths, so that the training loop, which calls them
 * thousands of times, does not allocate. Each array grows to the largest size asked for and is kept.
 *
 * <p>Leaf buffers (B panels, the edge tile, a convolution's column block) are used by code that never waits for
 * other tasks, so a plain thread-local is safe. The packed A is read by other threads while its owner may help run
 * unrelated pool tasks, so it is borrowed (the thread-local is emptied) and given back: a nested call on the same
 * thread gets a fresh array instead of overwriting one in use.
 */
final class Scratch {
    private Scratch() { }

    private static final ThreadLocal<float[]> PACKED_A = new ThreadLocal<>();
    private static final ThreadLocal<float[]> PACKED_B = new ThreadLocal<>();
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[Sgemm.MR * Sgemm.NR]);
    private static final ThreadLocal<float[]> COLUMNS = new ThreadLocal<>();

    /** An array of at least size floats for a packed A; return it with {@link #giveBackPackedA}. */
    static float[] borrowPackedA(int size) {
        float[] a = PACKED_A.get();
        PACKED_A.set(null);
        return a != null && a.length >= size ? a : new float[size];
    }

    static void giveBackPackedA(float[] a) {
        float[] held = PACKED_A.get();
        if (held == null || held.length < a.length) PACKED_A.set(a);
    }

    static float[] packedB(int size) { return leaf(PACKED_B, size); }

    static float[] tile() { return TILE.get(); }

    /** A convolution's column block (backward data). */
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
