package dev.sparring.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code void** kernelParams} of one cuLaunchKernel, reused for every launch so that the hot path allocates
 * nothing: scalar arguments go into fixed 8-byte slots, and entry i of the pointer array points at slot i (the
 * driver reads as many bytes as the kernel's parameter i has, from the low end: little-endian). A struct argument
 * points at the caller's memory instead. cuLaunchKernel copies the arguments before it returns, so the next
 * launch may overwrite them. Not thread-safe: one per backend, used from the thread that drives it.
 */
final class KernelArgs {
    static final int MAX_ARGS = 32;

    private final MemorySegment values;     // MAX_ARGS slots of 8 bytes
    private final MemorySegment pointers;   // void*[MAX_ARGS]
    private int count;

    KernelArgs(Arena arena) {
        values = arena.allocate(8L * MAX_ARGS, 8);
        pointers = arena.allocate(ADDRESS, MAX_ARGS);
    }

    KernelArgs begin() {
        count = 0;
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
