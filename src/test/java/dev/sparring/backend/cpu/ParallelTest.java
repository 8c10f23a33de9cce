package dev.sparring.backend.cpu;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Parallel}'s pool: every index once, in the chunks the thread count fixes, on several threads; nested calls,
 * concurrent callers and exceptions; and many short calls from several threads, under a timeout, that never hang.
 * A pool of 3 workers is tested beside the shared one (1 worker on a 2-core machine). Every test has a timeout.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)     // a hang fails its test
class ParallelTest {
    private static final Parallel.Pool POOL = new Parallel.Pool(3, "parallel-test-");

    @AfterAll
    static void close() throws InterruptedException {
        POOL.close();
        assertTrue(POOL.ended(10_000), "the test pool's workers end after close");
    }

    /** Runs c chunks of n on the shared pool (through range or tasks) or the test pool. */
    private interface Runner { void run(int n, int c, Parallel.Body body); }

    private static final Runner SHARED = (n, c, body) -> Parallel.tasks(c, k -> body.run(Parallel.start(n, c, k), Parallel.start(n, c, k + 1)));
    private static final Runner TEST_POOL = POOL::run;

    @Test
    void chunkBoundariesDependOnlyOnNGrainAndThreads() {
        assertEquals(1, Parallel.chunks(100, 1000, 8));
        assertEquals(4, Parallel.chunks(100, 25, 8));
        assertEquals(8, Parallel.chunks(100, 1, 2));
        assertEquals(1, Parallel.chunks(1, 0, 2));
        for (int n : new int[] {1, 7, 8, 63, 1000, 1 << 20}) {
            for (int grain : new int[] {1, 4, 16, 1 << 14}) {
                int c = Parallel.chunks(n, grain, Parallel.THREADS);
                List<int[]> seen = new ArrayList<>();
                Parallel.range(n, grain, (from, to) -> { synchronized (seen) { seen.add(new int[] {from, to}); } });
                seen.sort((a, b) -> Integer.compare(a[0], b[0]));
                List<int[]> want = new ArrayList<>();
                for (int k = 0; k < c; k++) if (Parallel.start(n, c, k) < Parallel.start(n, c, k + 1)) want.add(new int[] {Parallel.start(n, c, k), Parallel.start(n, c, k + 1)});
                assertEquals(want.size(), seen.size(), "chunks of n=" + n + " grain=" + grain);
                for (int i = 0; i < want.size(); i++) {
                    assertEquals(want.get(i)[0], seen.get(i)[0], "start of chunk " + i + " of n=" + n + " grain=" + grain);
                    assertEquals(want.get(i)[1], seen.get(i)[1], "end of chunk " + i + " of n=" + n + " grain=" + grain);
                }
            }
        }
    }

    @Test
    void everyIndexRunsExactlyOnce() {
        for (Runner r : new Runner[] {SHARED, TEST_POOL}) {
            for (int n : new int[] {1, 2, 5, 17, 1000, 100_003}) {
                for (int c : new int[] {1, 2, 3, 8, 16, 64}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(n);
                    r.run(n, c, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
                    for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "index " + i + " of n=" + n + " in " + c + " chunks");
                }
            }
        }
        AtomicIntegerArray hits = new AtomicIntegerArray(77);
        Parallel.tasks(77, hits::incrementAndGet);
        for (int i = 0; i < 77; i++) assertEquals(1, hits.get(i), "task " + i);
    }

    @Test
    void theWorkersRunChunks() {
        // each of 4 chunks waits for the others: they can only meet if 4 threads (the caller and 3 workers) run them
        for (int round = 0; round < 20; round++) {
            CountDownLatch all = new CountDownLatch(4);
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            POOL.run(4, 4, (from, to) -> {
                threads.add(Thread.currentThread());
                all.countDown();
                try {
                    if (!all.await(20, TimeUnit.SECONDS)) throw new IllegalStateException("the chunks did not run at the same time");
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(4, threads.size(), "threads that ran the 4 chunks");
        }
    }

    @Test
    void aNestedCallRunsInsideItsChunk() {
        for (Runner r : new Runner[] {SHARED, TEST_POOL}) {
            int n = 40, inner = 1000;
            AtomicIntegerArray hits = new AtomicIntegerArray(n * inner);
            r.run(n, 8, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int row = i;
                    Parallel.range(inner, 1, (a, b) -> { for (int j = a; j < b; j++) hits.incrementAndGet(row * inner + j); });
                    POOL.run(inner, 5, (a, b) -> { for (int j = a; j < b; j++) hits.incrementAndGet(row * inner + j); });
                }
            });
            for (int i = 0; i < n * inner; i++) assertEquals(2, hits.get(i), "index " + i);
        }
    }

    @Test
    void anExceptionInAChunkReachesTheCallerAndThePoolGoesOn() {
        for (Runner r : new Runner[] {SHARED, TEST_POOL}) {
            for (int bad : new int[] {0, 3, 7}) {
                IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> r.run(8, 8, (from, to) -> {
                    if (from == bad) throw new IndexOutOfBoundsException("chunk " + bad);
                }));
                assertEquals("chunk " + bad, e.getMessage());
            }
            AssertionError err = assertThrows(AssertionError.class, () -> r.run(100, 10, (from, to) -> { throw new AssertionError("every chunk"); }));
            assertEquals("every chunk", err.getMessage());
            AtomicIntegerArray hits = new AtomicIntegerArray(1000);
            r.run(1000, 16, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
            for (int i = 0; i < 1000; i++) assertEquals(1, hits.get(i), "index " + i + " after the failed calls");
        }
    }

    @Test
    void manyShortCallsFromSeveralThreadsNeverHang() throws InterruptedException {
        int callers = 4, calls = 10000;
        AtomicReference<Throwable> failed = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            Runner r = t % 2 == 0 ? SHARED : TEST_POOL;
            int seed = t;
            Thread th = new Thread(() -> {
                try {
                    for (int i = 0; i < calls; i++) {
                        int n = 1 + (i * 7919 + seed * 104729) % 300, c = 1 + (i + seed) % 9;
                        AtomicLong sum = new AtomicLong();
                        int call = i;
                        r.run(n, c, (from, to) -> {
                            long s = 0;
                            for (int j = from; j < to; j++) s += j;
                            sum.addAndGet(s);
                            if (call % 500 == 0) Parallel.range(50, 1, (a, b) -> { });
                        });
                        long total = sum.get();
                        if (total != (long) n * (n - 1) / 2) throw new AssertionError("call " + i + " of caller " + seed + ": sum " + total);
                        if (i % 1000 == 999) Thread.sleep(1);   // let the workers park now and then
                    }
                } catch (Throwable e) {
                    failed.compareAndSet(null, e);
                }
            }, "parallel-test-caller-" + t);
            th.setDaemon(true);
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) th.join();
        assertNull(failed.get(), () -> "a caller failed: " + failed.get());
    }

    @Test
    void aPoolWithoutWorkersRunsInline() {
        Parallel.Pool none = new Parallel.Pool(0, "none-");
        assertEquals(0, none.workers());
        Thread me = Thread.currentThread();
        List<Integer> order = new ArrayList<>();
        none.run(10, 5, (from, to) -> {
            assertSame(me, Thread.currentThread());
            order.add(from);
        });
        assertEquals(List.of(0, 2, 4, 6, 8), order);
    }

    @Test
    void workersAreDaemons() {
        Parallel.range(1 << 16, 1, (from, to) -> { });    // starts the shared pool
        int shared = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.getName().startsWith("sparring-cpu-") && !t.getName().startsWith("parallel-test-")) continue;
            assertTrue(t.isDaemon(), t.getName() + " is not a daemon: it would keep the JVM alive");
            if (t.getName().startsWith("sparring-cpu-")) shared++;
        }
        assertEquals(Parallel.THREADS - 1, shared, "workers of the shared pool");
    }
}
