package dev.sparring.cli;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Dataset;
import dev.sparring.data.ImageDataset;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Warms up the JIT for a run on the CPU: while the run builds its model and folder, a daemon thread trains the same
 * model (the run's configuration with a batch of at most 8) on the first images of the run's data (on the bundled
 * digits: on random images of their shape, from before the run reads them), on a backend of its own, until the run's
 * first step starts. The CPU kernels use the Vector API, which boxes every vector until C2 has
 * compiled them; this moves that cost off the first steps (see README, "Start-up"): the run's first step waits
 * ({@link #awaitCompiled}) until the JIT has compiled what the warm-up runs, for at most {@link #MAX_WAIT_MILLIS} ms. On
 * 2 cores a cold first step beside the warm-up and the compiler slows all three, and the run reaches its tenth step
 * later than when it waits (bench/results/first-steps-20261203.md).
 * It changes nothing in the run: its own weights, noise and data stream, and no file.
 */
final class JitWarmup implements AutoCloseable {
    private final Thread thread;
    private volatile boolean stop;
    private volatile int steps;
    /** The warm-up's fastest step so far (after its first), and the steps since it fell by a fifth; its thread's own. */
    private long best = Long.MAX_VALUE;
    private int sinceBest;
    /** Whether FLAT_STEPS steps in a row have not been a fifth faster than the best before them. */
    private volatile boolean flat;
    /** The warm-up's batch size (0 for a test's body). */
    private int batch;

    /** The longest a run's first step waits for the JIT ({@link #awaitCompiled}). */
    static final long MAX_WAIT_MILLIS = 5_000;
    /** The JIT counts as done once its C2 threads used at most IDLE_SHARE_PCT % of a core over IDLE_WINDOW_MILLIS ... */
    static final long IDLE_WINDOW_MILLIS = 200, IDLE_SHARE_PCT = 5;
    /** ... after the warm-up has trained at least MIN_STEPS steps (the first one runs mostly interpreted). */
    static final int MIN_STEPS = 3;
    /** Or once this many of the warm-up's steps in a row were not a fifth faster than its best (where /proc is missing,
     *  or when a JVM that is already warm keeps compiling other code, as in the tests). */
    static final int FLAT_STEPS = 10;

    private JitWarmup(TrainConfig cfg, Dataset data, TrainLoss loss) {
        this(w -> w.run(cfg, data, loss));
        batch = cfg.batch();
    }

    /** The warm-up's batch size. */
    int batch() { return batch; }

    /** Starts a warm-up thread that runs body (which counts its steps with {@link #stepped}); tests give their own body. */
    JitWarmup(Consumer<JitWarmup> body) {
        thread = new Thread(() -> body.accept(this), "sparring-warmup");
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
        thread.start();
    }

    /** Starts warming up for a run of cfg on data (resolved for it), or returns null when there is nothing to warm up. */
    static JitWarmup start(TrainConfig cfg, Dataset data, TrainLoss loss) {
        if (Boolean.getBoolean("sparring.noWarmup")) return null;
        try {
            cfg = cfg.resolvedFor(data);
        } catch (RuntimeException e) {
            return null;   // the run itself reports what is wrong
        }
        int batch = Math.min(cfg.batch(), 8);
        Dataset small = data;
        if (data instanceof ImageDataset img) {
            int n = Math.min(img.size(), 4 * batch);
            if (n < batch) return null;
            int item = img.channels() * img.height() * img.width();
            small = new ImageDataset(img.name(), Arrays.copyOf(img.pixels(), n * item), n, img.channels(), img.height(), img.width(),
                    img.labels() == null ? null : Arrays.copyOf(img.labels(), n));
        }
        TrainConfig w = cfg.toBuilder().batch(batch).steps(Long.MAX_VALUE / 4).logEvery(1).sampleEvery(0).checkpointEvery(0).fidEvery(0).build();
        return new JitWarmup(w, small, loss);
    }

    /**
     * Starts warming up for a run of cfg before its data is read, when that data is the bundled digits at their own
     * size (1 x 28 x 28, labels 0 to 9): their shape is known without reading them, so the warm-up trains on as many
     * random images of that shape, while the run reads the digits and checks its loss (on 2 cores, about half of the
     * start-up before the first step). Else null: the run starts its warm-up with {@link #start} once its data is open.
     */
    static JitWarmup startBeforeData(TrainConfig cfg) {
        if (Boolean.getBoolean("sparring.noWarmup")) return null;
        String data = cfg.data() == null ? "" : cfg.data().strip();
        if (!(data.isEmpty() || data.equalsIgnoreCase("mnist")) || cfg.imageSize() != 28 || cfg.channels() > 1) return null;
        TrainLoss loss;
        try {
            loss = Losses.trainLoss(cfg.loss(), "--loss");
        } catch (RuntimeException e) {
            return null;   // the run itself reports what is wrong
        }
        int n = 32, side = 28;
        byte[] pixels = new byte[n * side * side];   // (N, 1, 28, 28)
        new SplittableRandom(0).nextBytes(pixels);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = i % 10;
        return start(cfg, new ImageDataset("mnist", pixels, n, 1, side, side, labels), loss);
    }

    private void run(TrainConfig cfg, Dataset data, TrainLoss loss) {
        try (Backend be = new CpuBackend(); Trainer t = new Trainer(cfg, be, data, loss)) {
            while (!stop) {
                long t0 = System.nanoTime();
                t.step();
                t.drainMetrics();
                stepped(System.nanoTime() - t0);
            }
        } catch (RuntimeException e) {
            // a warm-up that fails costs the run nothing but its speed at the start
        }
    }

    /** Counts a step of the warm-up that took nanos ns, and sees whether its step time has stopped falling. */
    void stepped(long nanos) {
        if (steps > 0) {   // the first step also builds and first touches everything
            if (nanos < best - best / 5) {
                best = nanos;
                sinceBest = 0;
            } else if (++sinceBest >= FLAT_STEPS) {
                flat = true;
            }
        }
        steps++;
    }

    /**
     * Waits until the JIT has compiled what the warm-up runs: it has trained {@link #MIN_STEPS} steps and the C2 compiler
     * threads have then been idle for {@link #IDLE_WINDOW_MILLIS} ms (where their CPU time can be read: Linux), or its
     * step time has stopped falling ({@link #FLAT_STEPS}); or until the warm-up has ended (it failed), or
     * {@link #MAX_WAIT_MILLIS} ms have passed. Returns the milliseconds waited.
     */
    long awaitCompiled() throws InterruptedException {
        return awaitCompiled(MAX_WAIT_MILLIS, JitWarmup::compilerCpuNanos, System::nanoTime);
    }

    /** {@link #awaitCompiled()} with a bound, the compiler's CPU time (nanoseconds, negative: unknown) and a clock given. */
    long awaitCompiled(long maxMillis, LongSupplier compilerCpu, LongSupplier clock) throws InterruptedException {
        long t0 = clock.getAsLong(), window = IDLE_WINDOW_MILLIS * 1_000_000L;
        // (time, compiler CPU) samples, oldest first: the oldest is the newest that is at least a window old, once one is
        ArrayDeque<long[]> seen = new ArrayDeque<>();
        while (thread.isAlive() && !flat) {
            long now = clock.getAsLong();
            if (now - t0 >= maxMillis * 1_000_000L) break;
            long cpu = compilerCpu.getAsLong();
            if (cpu < 0) {   // unknown: the step times alone tell
                Thread.sleep(10);
                continue;
            }
            if (steps < MIN_STEPS) seen.clear();   // the window starts once the warm-up is past its first steps
            seen.addLast(new long[] {now, cpu});
            while (seen.size() > 2) {
                Iterator<long[]> it = seen.iterator();
                it.next();
                if (now - it.next()[0] < window) break;
                seen.pollFirst();
            }
            long[] first = seen.peekFirst();
            if (now - first[0] >= window && (cpu - first[1]) * 100 <= IDLE_SHARE_PCT * (now - first[0])) break;
            Thread.sleep(10);
        }
        return (clock.getAsLong() - t0) / 1_000_000L;
    }

    /**
     * The CPU time (nanoseconds) the JVM's C2 compiler threads have used so far, from Linux's /proc/self/task, or -1 where
     * it cannot be read.
     */
    static long compilerCpuNanos() {
        long ticks = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                String st;
                try {
                    st = Files.readString(t.resolve("stat"));
                } catch (IOException gone) {
                    continue;   // the thread ended
                }
                int open = st.indexOf('('), close = st.lastIndexOf(')');
                if (open < 0 || close < open || !st.startsWith("C2 Compiler", open + 1)) continue;
                String[] f = st.substring(close + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);   // utime, stime
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return ticks * 10_000_000L;   // USER_HZ is 100 on Linux
    }

    /** Whether the warm-up's thread has ended within millis ms (after {@link #close}, once its current step is done). */
    boolean ended(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    /** Whether the warm-up has been told to stop ({@link #close}). */
    boolean closed() { return stop; }

    /** Steps the warm-up has trained so far. */
    int steps() { return steps; }

    /** Stops after the warm-up's current step, without waiting for it. */
    @Override
    public void close() { stop = true; }
}
