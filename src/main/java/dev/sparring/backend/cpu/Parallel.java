package dev.sparring.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Static-chunk parallel loops. Work is split into fixed chunks that do not depend on timing, and every
 * output element is computed by exactly one chunk, in a fixed order: results never depend on the chunking,
 * the thread count or scheduling, so the CPU backend is bit-for-bit deterministic.
 *
 * <p>The chunks run on the calling thread and on {@code THREADS - 1} daemon workers of this class, which take chunks
 * as they become free. A call allocates nothing (a parallel stream made some twenty objects per call, hundreds of
 * calls per training step). A call made while the workers are busy with another one (a nested call, or a second
 * thread) runs its chunks on its own thread: the same chunks, so the same results.
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
        if (!Pool.INSTANCE.run(n, chunks, body)) {
            for (int k = 0; k < chunks; k++) runChunk(body, n, chunks, k);
        }
    }

    private static void runChunk(Body body, int n, int chunks, int k) {
        int from = (int) ((long) n * k / chunks), to = (int) ((long) n * (k + 1) / chunks);
        if (from < to) body.run(from, to);
    }

    /**
     * The workers and the one job they share. {@code claim} holds the job's number (high 32 bits) and its next free
     * chunk (low 32 bits): a thread takes chunk k of job j by moving claim from (j, k) to (j, k + 1), so a worker that
     * wakes late can never take a chunk of a later job. The job's fields are written before claim publishes it and
     * stay until every chunk is done, which the caller waits for.
     */
    private static final class Pool {
        static final Pool INSTANCE = new Pool();
        /** How long a worker looks for the next job before it parks (calls come in quick succession within a step). */
        private static final long SPIN_NANOS = 20_000;

        private final AtomicLong claim = new AtomicLong();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReference<Thread> caller = new AtomicReference<>();   // non-null while a job runs
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread[] workers = new Thread[THREADS - 1];
        private Body body;
        private int n, chunks;
        private int job;

        private Pool() {
            for (int i = 0; i < workers.length; i++) {
                workers[i] = new Thread(this::work, "sparring-cpu-" + (i + 1));
                workers[i].setDaemon(true);
                workers[i].start();
            }
        }

        /** Runs the chunks with the workers' help; false (nothing run) when they are busy with another call. */
        boolean run(int n, int chunks, Body body) {
            Thread me = Thread.currentThread();
            if (workers.length == 0 || !caller.compareAndSet(null, me)) return false;
            try {
                this.body = body;
                this.n = n;
                this.chunks = chunks;
                done.set(0);
                claim.set((long) ++job << 32);
                for (Thread w : workers) LockSupport.unpark(w);
                help(job);
                while (done.get() < chunks) LockSupport.park(this);   // the worker that ends the last chunk unparks us
                Throwable t = failure.getAndSet(null);
                if (t instanceof RuntimeException e) throw e;
                if (t instanceof Error e) throw e;
                if (t != null) throw new IllegalStateException(t);
                return true;
            } finally {
                this.body = null;
                caller.set(null);
            }
        }

        /** Takes and runs chunks of job j until none is left. */
        private void help(int j) {
            while (true) {
                long c = claim.get();
                int k = (int) c;
                if ((int) (c >>> 32) != j || k >= chunks || !claim.compareAndSet(c, c + 1)) {
                    if ((int) (c >>> 32) != j || k >= chunks) return;
                    continue;
                }
                try {
                    runChunk(body, n, chunks, k);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                if (done.incrementAndGet() == chunks) {
                    Thread waiting = caller.get();
                    if (waiting != null && waiting != Thread.currentThread()) LockSupport.unpark(waiting);
                }
            }
        }

        private void work() {
            int seen = 0;
            while (true) {
                long deadline = System.nanoTime() + SPIN_NANOS;
                int j;
                while ((j = (int) (claim.get() >>> 32)) == seen) {
                    if (System.nanoTime() < deadline) Thread.onSpinWait();
                    else LockSupport.park(this);
                }
                seen = j;
                help(j);
            }
        }
    }
}
