package dev.sparring.backend.cpu;

import dev.sparring.backend.ScalarProgram;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-thread scratch arrays for the GEMM and convolution hot paths, so that the training loop, which calls them
 * thousands of times, does not allocate. Each array grows to the largest size asked for and is kept.
 *
 * <p>Leaf buffers (B panels, the edge tile, a convolution's columns, group and dot state) are used by code that
 * never waits for other tasks, so one set per thread is safe. Packed operands are read by other threads while their owner may help run
 * unrelated pool tasks (and so is a convolution's output slice, written by the GEMM's tasks), so they are borrowed (taken out of the thread's slots) and given back: a nested call on the
 * same thread gets a fresh array instead of overwriting one in use.
 *
 * <p>Why not {@link ThreadLocal}: the common pool's workers (which ran the parallel streams of {@link Sgemm} and
 * {@link Conv} before {@link Parallel}'s own pool) erase their thread-locals after each top-level task, so a thread-local's
 * arrays were made anew at every parallel call: 11 to 14 MB per step of the default job
 * (bench/results/cpu-step-allocation-20261203.md). A thread's arrays are kept in a map instead, and a thread that has
 * ended gives them up when a new thread first asks.
 */
final class Scratch {
    private Scratch() { }

    /** One thread's arrays. */
    private static final class Held {
        /**
         * Up to four borrowable arrays: a GEMM may hold a packed A and a packed B at once, inside a convolution that
         * holds its output slice ({@link Conv#forwardImplicit}) and the stride phases of its input ({@link ConvPhase}).
         */
        final float[][] packed = new float[4][];
        final float[] tile = new float[Sgemm.MAX_TILE];
        final double[] programStack = new double[ScalarProgram.MAX_STACK];
        float[] packedB, columns, dotState, group, phases;
    }

    private static final Map<Thread, Held> HELD = new ConcurrentHashMap<>();

    /** This thread's arrays (a lookup without allocation once the thread has them). */
    private static Held held() {
        Thread me = Thread.currentThread();
        Held h = HELD.get(me);
        if (h == null) {
            HELD.keySet().removeIf(t -> !t.isAlive());
            h = new Held();
            HELD.put(me, h);
        }
        return h;
    }


    /** An array of at least size floats for a packed operand; return it with {@link #giveBack}. */
    static float[] borrow(int size) {
        float[][] held = held().packed;
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
        float[][] held = held().packed;
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
    static float[] packedB(int size) {
        Held h = held();
        return h.packedB = grown(h.packedB, size);
    }

    /** An MR x NR tile of C, for the edges. */
    static float[] tile() { return held().tile; }

    /** The stack of {@link ScalarProgram#eval(double, double[])}, for the GAN losses. */
    static double[] programStack() { return held().programStack; }

    /** A group of images' outputs or gradients side by side ({@link Conv}). */
    static float[] group(int size) {
        Held h = held();
        return h.group = grown(h.group, size);
    }

    /** The lanes of {@link ConvDot}'s accumulators. */
    static float[] dotState(int size) {
        Held h = held();
        return h.dotState = grown(h.dotState, size);
    }

    /** A convolution's columns: col of a group of images, or some rows of col_n ({@link ConvDot}). */
    static float[] columns(int size) {
        Held h = held();
        return h.columns = grown(h.columns, size);
    }

    /** One channel's stride phases in {@link ConvPhase#backwardData}. */
    static float[] phases(int size) {
        Held h = held();
        return h.phases = grown(h.phases, size);
    }

    private static float[] grown(float[] a, int size) { return a == null || a.length < size ? new float[size] : a; }
}
