package dev.sparring.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One kernel launch being put together ({@link Launcher#kernel}): its arguments in order, then {@link #launch()}.
 *
 * <p>The arguments are the {@code void** kernelParams} of cuLaunchKernel, reused for every launch so that the hot
 * path allocates nothing: scalar arguments go into fixed 8-byte slots, and entry i of the pointer array points at
 * slot i (the driver reads as many bytes as the kernel's parameter i has, from the low end: little-endian). A struct
 * argument points at the caller's memory instead. cuLaunchKernel copies the arguments before it returns, so the next
 * launch may overwrite them.
 *
 * <p>Per-step values ({@link #stepI32}, {@link #stepI64}, {@link #stepF32}): a value that changes from one training
 * step to the next (a learning rate, a noise counter, a metrics row). Op by op it is passed by value; while a step
 * graph runs, the argument is 0 and the value goes into the step record, which the kernel's last argument
 * ({@link #stepValues()}) points at, the values in the order of their arguments, each in its parameter's type at
 * its natural alignment ({@code step_value} in {@code kernels/common.cuh}). Not thread-safe: one per backend.
 */
final class KernelArgs {
    static final int MAX_ARGS = 32;
    private static final int MAX_STEP_BYTES = 64;

    private final Launcher launcher;
    private final MemorySegment values;     // MAX_ARGS slots of 8 bytes
    private final MemorySegment pointers;   // void*[MAX_ARGS]
    private final MemorySegment stepValues; // this launch's per-step values, as the step record will hold them
    private int count, stepBytes;
    private Kernels.Kernel kernel;
    private int gridX, gridY;

    KernelArgs(Arena arena, Launcher launcher) {
        this.launcher = launcher;
        values = arena.allocate(8L * MAX_ARGS, 8);
        pointers = arena.allocate(ADDRESS, MAX_ARGS);
        stepValues = arena.allocate(MAX_STEP_BYTES, 8);
    }

    KernelArgs begin(Kernels.Kernel k, int gx, int gy) {
        kernel = k;
        gridX = gx;
        gridY = gy;
        count = 0;
        stepBytes = 0;
        return this;
    }

    private long slot() {
        if (count == MAX_ARGS) throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
        long off = 8L * count;
        values.set(JAVA_LONG, off, 0L);     // a 4-byte value leaves the slot's high half 0, for hash()
        pointers.setAtIndex(JAVA_LONG, count, values.address() + off);
        count++;
        return off;
    }

    /** A device pointer (CUdeviceptr, T*). */
    KernelArgs ptr(long devicePtr) { values.set(JAVA_LONG, slot(), devicePtr); return this; }

    KernelArgs i32(int v) { values.set(JAVA_INT, slot(), v); return this; }

    KernelArgs i64(long v) { values.set(JAVA_LONG, slot(), v); return this; }

    KernelArgs f32(float v) { values.set(JAVA_FLOAT, slot(), v); return this; }

    KernelArgs f64(double v) { values.set(JAVA_DOUBLE, slot(), v); return this; }

    /** A struct passed by value: the kernel copies {@code struct}'s bytes (its size is the parameter's size). */
    KernelArgs struct(MemorySegment struct) {
        if (count == MAX_ARGS) throw new IllegalStateException("more than " + MAX_ARGS + " kernel arguments");
        pointers.setAtIndex(JAVA_LONG, count, struct.address());
        count++;
        return this;
    }

    /** An int that changes from step to step (see the class comment). */
    KernelArgs stepI32(int v) {
        stepValues.set(JAVA_INT, stepValue(4), v);
        return i32(launcher.valuesInRecord() ? 0 : v);
    }

    /** A long that changes from step to step. */
    KernelArgs stepI64(long v) {
        stepValues.set(JAVA_LONG, stepValue(8), v);
        return i64(launcher.valuesInRecord() ? 0 : v);
    }

    /** A float that changes from step to step. */
    KernelArgs stepF32(float v) {
        stepValues.set(JAVA_FLOAT, stepValue(4), v);
        return f32(launcher.valuesInRecord() ? 0 : v);
    }

    private long stepValue(int size) {
        int off = (stepBytes + size - 1) / size * size;
        if (off + size > MAX_STEP_BYTES) throw new IllegalStateException("more than " + MAX_STEP_BYTES + " bytes of per-step values");
        stepBytes = off + size;
        return off;
    }

    /** The last argument of a kernel that takes per-step values: where the record holds them, or null op by op. */
    KernelArgs stepValues() { return ptr(launcher.stepValues(stepValues, stepBytes)); }

    /** Launches the kernel with these arguments. */
    void launch() { launcher.launch(kernel, gridX, gridY, this); }

    MemorySegment pointers() { return pointers; }

    /**
     * A hash of the arguments as they stand: every scalar slot's bytes, and a struct's address (structs are kept for
     * the backend's life, one per content, so the address names the content). A captured step compares launches by it.
     */
    long hash() {
        long h = count;
        for (int i = 0; i < count; i++) {
            long p = pointers.getAtIndex(JAVA_LONG, i);
            long v = p == values.address() + 8L * i ? values.get(JAVA_LONG, 8L * i) : p;
            h = StepHash.mix(h, v);
        }
        return h;
    }
}
