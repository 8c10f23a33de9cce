package dev.sparring.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Copies between the Java heap and device memory. Uploads of at most {@value #LIMIT} bytes go through a ring of
 * {@value #SLOTS} page-locked staging buffers and wait only for the copy {@value #SLOTS} uploads earlier to have left
 * its buffer, so the host can queue that many steps of per-step uploads ahead of the GPU; larger uploads (setup) go
 * through a temporary buffer and wait for the copy. Downloads wait for the stream, through one page-locked buffer.
 * Buffers grow when a larger copy needs it and are freed by {@link #close()}.
 */
final class Staging implements AutoCloseable {
    static final long LIMIT = 16L << 20;        // uploads above this size are synchronous, not staged
    static final int SLOTS = 4;                 // staged uploads in flight at once
    private static final long MIN_BUFFER = 1L << 16;

    private static final int DOWNLOAD = SLOTS;  // the buffer of device -> host copies

    private final MemorySegment stream;
    private final MemorySegment[] buffers = new MemorySegment[SLOTS + 1];  // page-locked: the upload ring, then DOWNLOAD
    private final MemorySegment[] uploadDone = new MemorySegment[SLOTS];   // recorded after each slot's copy
    private int uploadNext;                 // the slot of the next staged copy
    private final Releases releases = new Releases();

    /** Creates the ring's events; on failure destroys those it created. */
    Staging(MemorySegment stream) {
        this.stream = stream;
        releases.push(this::freeBuffers);
        try {
            for (int i = 0; i < SLOTS; i++) {
                MemorySegment e = CudaDriver.eventCreate(CudaDriver.CU_EVENT_DISABLE_TIMING);
                uploadDone[i] = e;
                releases.push(() -> CudaDriver.eventDestroy(e));
            }
        } catch (RuntimeException | Error failure) {
            releases.releaseAll(failure);
            throw failure;
        }
    }

    /**
     * Copies {@code bytes} of heap memory to the device. Small copies go through the page-locked staging buffer
     * without waiting for the GPU (only for this slot's previous copy to have left the buffer); large ones through
     * a temporary buffer, waiting for the copy.
     */
    void toDevice(long dst, MemorySegment heap, long bytes) {
        if (bytes == 0) return;
        if (bytes <= LIMIT) {
            int slot = uploadNext;
            uploadNext = (slot + 1) % SLOTS;
            CudaDriver.eventSynchronize(uploadDone[slot]);     // this slot's previous copy has left the buffer
            MemorySegment staged = buffer(slot, bytes);
            MemorySegment.copy(heap, 0, staged, 0, bytes);
            CudaDriver.memcpyHtoDAsync(dst, staged, bytes, stream);
            CudaDriver.eventRecord(uploadDone[slot], stream);
        } else {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment tmp = a.allocate(bytes, 16);
                MemorySegment.copy(heap, 0, tmp, 0, bytes);
                CudaDriver.memcpyHtoDAsync(dst, tmp, bytes, stream);
                CudaDriver.streamSynchronize(stream);     // tmp is freed when the arena closes
            }
        }
    }

    /**
     * Copies {@code bytes} from the device once the queued work is done, and returns them in host memory that stays
     * valid until the next download (waits).
     */
    MemorySegment toHost(long src, long bytes) {
        MemorySegment host = buffer(DOWNLOAD, bytes);
        CudaDriver.memcpyDtoHAsync(host, src, bytes, stream);
        CudaDriver.streamSynchronize(stream);
        return host;
    }

    /** Page-locked buffer i, replaced by a larger one when it holds fewer than {@code bytes}. */
    private MemorySegment buffer(int i, long bytes) {
        MemorySegment b = buffers[i];
        if (b != null && b.byteSize() >= bytes) return b;
        buffers[i] = null;                          // no freed buffer left behind if the allocation fails
        if (b != null) CudaDriver.memFreeHost(b);
        return buffers[i] = CudaDriver.memAllocHost(Math.max(bytes, MIN_BUFFER));
    }

    private void freeBuffers() {
        for (int i = 0; i < buffers.length; i++) {
            if (buffers[i] != null) CudaDriver.memFreeHost(buffers[i]);
            buffers[i] = null;
        }
    }

    /** Frees the buffers and destroys the events. */
    @Override
    public void close() { releases.releaseAll(null); }
}
