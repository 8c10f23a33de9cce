package dev.sparring.backend.cuda;

/**
 * Every device allocation and free of the backend, counted: a captured step graph holds device addresses, so it is
 * valid while the count has not changed since its capture ({@link #generation()}). Allocating or freeing is refused
 * inside a captured or replayed step (the first steps of a graph run op by op and may allocate).
 */
final class DeviceMemory {
    private final Launcher launcher;
    private long generation;

    DeviceMemory(Launcher launcher) { this.launcher = launcher; }

    /** Changes whenever the backend allocates or frees device memory. */
    long generation() { return generation; }

    /** {@code bytes} of device memory (0 for none); {@code what} names the allocation if a step graph refuses it. */
    long allocate(long bytes, String what) {
        launcher.checkMayAllocate(what);
        generation++;
        return bytes == 0 ? 0 : CudaDriver.memAlloc(bytes);
    }

    void free(long ptr) {
        launcher.checkMayAllocate("freeing device memory");
        generation++;
        if (ptr != 0) CudaDriver.memFree(ptr);
    }
}
