package dev.sparring.backend.cpu;

import java.util.stream.IntStream;

/**
 * Static-chunk parallel loops. Work is split into fixed chunks that do not depend on timing, and every
 * output element is computed by exactly one chunk, in a fixed order: results never depend on the chunking,
 * the thread count or scheduling, so the CPU backend is bit-for-bit deterministic.
 */
final class Parallel {
    static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    interface Body { void run(int from, int to); }

    private Parallel() { }

    /**
     * Runs body over [0, n) in chunks of at least {@code grain} items, in parallel when there is more than one
     * chunk. The chunk boundaries depend only on n, grain and the thread count.
     */
    static void range(int n, int grain, Body body) {
        if (n <= 0) return;
        int chunks = Math.min(THREADS * 4, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1) {
            body.run(0, n);
            return;
        }
        final int c = chunks;
        IntStream.range(0, c).parallel().forEach(k -> {
            int from = (int) ((long) n * k / c), to = (int) ((long) n * (k + 1) / c);
            if (from < to) body.run(from, to);
        });
    }
}
