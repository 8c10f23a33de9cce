package dev.sparring.backend.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Static-chunk parallel loops. Work is split into fixed chunks that do not depend on timing, and every
 * output element is computed by exactly one chunk, in a fixed order: results never depend on the chunking,
 * the thread count or scheduling, so the CPU backend is bit-for-bit deterministic.
 *
 * <p>The chunks run on one persistent {@link Pool} of THREADS - 1 daemon workers and the calling thread, which claim
 * chunks from a shared counter: an op pays an atomic increment per chunk, not a stream pipeline and a ForkJoin
 * hand-off. Workers spin a few tens of microseconds for the next op (a training step's ops come back to back) and then
 * park. Which thread runs a chunk never matters. A call made while the pool is busy (from inside a chunk, or from
 * another thread while a call runs) runs its chunks in order on its own thread, with the same boundaries.
 */
final class Parallel {
    static final int THREADS = Math.max(1, Runtime.getRuntime().availableProcessors());

    interface Body { void run(int from, int to); }

    /** The workers of every parallel loop of the CPU backend ({@link Sgemm#tasks} included); made at first use. */
    private static final class Shared {
        static final Pool POOL = new Pool(THREADS - 1, "sparring-cpu-");
    }

    private Parallel() { }

    /**
     * Runs body over [0, n) in chunks of at least {@code grain} items, in parallel when there is more than one
     * chunk. The chunk boundaries depend only on n, grain and the thread count.
     */
    static void range(int n, int grain, Body body) {
        if (n <= 0) return;
        int c = chunks(n, grain, THREADS);
        if (c <= 1) body.run(0, n);
        else Shared.POOL.run(n, c, body);
    }

    /** Runs task(0), ..., task(count - 1), in parallel when count > 1: one chunk per task. */
    static void tasks(int count, IntConsumer task) {
        if (count <= 1) {
            if (count == 1) task.accept(0);
            return;
        }
        Shared.POOL.run(count, count, (t0, t1) -> { for (int t = t0; t < t1; t++) task.accept(t); });
    }

    /** How many chunks {@link #range} makes of n items: at most 4 a thread, each of at least grain items. */
    static int chunks(int n, int grain, int threads) { return Math.min(threads * 4, Math.max(1, n / Math.max(1, grain))); }

    /** Start of chunk k of n items in c chunks; chunk k is [start(n, c, k), start(n, c, k + 1)). */
    static int start(int n, int c, int k) { return (int) ((long) n * k / c); }

    /**
     * A fixed set of daemon workers that run one call's chunks at a time with the calling thread. A call that finds
     * the pool busy runs inline, so nested calls and concurrent callers cannot wait on each other; the caller always
     * runs chunks itself, so a worker that is slow to wake only costs time; the first exception of a chunk is thrown
     * to the caller once every claimed chunk has ended, and the pool stays usable.
     */
    static final class Pool {
        /**
         * How long an idle worker watches for the next call, and a caller for the chunks still running, before parking:
         * 50 us, or -Dsparring.cpu.spinNanos=N for measurements. On a machine with more runnable threads than cores a
         * spinning worker spends its share of the CPU on spinning (bench/results/cpu-pool-20261203.md).
         */
        static final long SPIN_NANOS = Long.getLong("sparring.cpu.spinNanos", 50_000);
        /** A parked caller looks again at least this often (it is also woken by the last chunk). */
        private static final long PARK_NANOS = 1_000_000;

        private final Worker[] workers;
        /** Held by the one caller whose call the workers run. */
        private final AtomicBoolean busy = new AtomicBoolean();
        /** The call the workers run, or null. */
        private volatile Job published;
        private volatile boolean closed;

        Pool(int workers, String name) {
            this.workers = new Worker[Math.max(0, workers)];
            for (int i = 0; i < this.workers.length; i++) {
                Worker w = new Worker(name + (i + 1));
                this.workers[i] = w;
                w.start();
            }
        }

        int workers() { return workers.length; }

        /** Runs body on the c chunks of [0, n), c >= 1, chunk k being [start(n, c, k), start(n, c, k + 1)). */
        void run(int n, int c, Body body) {
            if (workers.length == 0 || !busy.compareAndSet(false, true)) {
                for (int k = 0; k < c; k++) {
                    int from = start(n, c, k), to = start(n, c, k + 1);
                    if (from < to) body.run(from, to);
                }
                return;
            }
            Job job = new Job(body, n, c, Thread.currentThread());
            try {
                published = job;
                for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
                job.work();
                job.awaitChunks();
            } finally {
                published = null;
                busy.set(false);
            }
            Throwable t = job.failure;
            if (t instanceof RuntimeException e) throw e;
            if (t instanceof Error e) throw e;
            if (t != null) throw new RuntimeException(t);
        }

        /** Ends the workers once idle (for tests; the shared pool's daemon workers live as long as the JVM). */
        void close() {
            closed = true;
            for (Worker w : workers) LockSupport.unpark(w);
        }

        /** Waits up to millis for the workers to end after {@link #close}; true when all have. */
        boolean ended(long millis) throws InterruptedException {
            long until = System.currentTimeMillis() + millis;
            for (Worker w : workers) w.join(Math.max(1, until - System.currentTimeMillis()));
            for (Worker w : workers) if (w.isAlive()) return false;
            return true;
        }

        private final class Worker extends Thread {
            /** Set before this worker parks, so that a caller that publishes a call wakes it. */
            volatile boolean parked;

            Worker(String name) {
                super(name);
                setDaemon(true);
            }

            @Override
            public void run() {
                Job done = null;
                while (!closed) {
                    Job job = published;
                    if (job != null && job != done) {
                        job.work();
                        done = job;
                        continue;
                    }
                    long since = System.nanoTime();
                    while ((job = published) == null || job == done) {
                        if (closed) return;
                        if (System.nanoTime() - since < SPIN_NANOS) {
                            Thread.onSpinWait();
                            continue;
                        }
                        parked = true;                   // then look again: a caller publishes, then looks at parked
                        job = published;
                        if (job == null || job == done) LockSupport.park(this);
                        parked = false;
                        Thread.interrupted();            // nobody interrupts a worker, but a set flag would make park spin
                        since = System.nanoTime();
                    }
                }
            }
        }
    }

    /** One call: chunks are claimed from next and counted down in left; the caller waits for left to reach 0. */
    private static final class Job {
        private static final VarHandle NEXT, LEFT;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                NEXT = l.findVarHandle(Job.class, "next", int.class);
                LEFT = l.findVarHandle(Job.class, "left", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final Body body;
        final int n, chunks;
        final Thread caller;
        @SuppressWarnings("unused") private volatile int next;
        private volatile int left;
        /** Set before the caller parks, so that the last chunk wakes it. */
        private volatile boolean callerParked;
        volatile Throwable failure;

        Job(Body body, int n, int chunks, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.caller = caller;
            this.left = chunks;
        }

        /** Claims and runs chunks until none is left; after a failure the rest are claimed but not run. */
        void work() {
            for (int k; (k = (int) NEXT.getAndAdd(this, 1)) < chunks; ) {
                if (failure == null) {
                    try {
                        int from = start(n, chunks, k), to = start(n, chunks, k + 1);
                        if (from < to) body.run(from, to);
                    } catch (Throwable t) {
                        synchronized (this) { if (failure == null) failure = t; }
                    }
                }
                if ((int) LEFT.getAndAdd(this, -1) == 1 && callerParked) LockSupport.unpark(caller);
            }
        }

        /** Returns once every chunk has ended (their writes then visible to the caller). */
        void awaitChunks() {
            long since = System.nanoTime();
            while (left != 0) {
                if (System.nanoTime() - since < Pool.SPIN_NANOS) {
                    Thread.onSpinWait();
                    continue;
                }
                callerParked = true;                     // then look again: the last chunk counts down, then looks at callerParked
                if (left != 0) LockSupport.parkNanos(this, Pool.PARK_NANOS);
                callerParked = false;
            }
        }
    }
}
