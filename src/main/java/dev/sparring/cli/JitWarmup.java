package dev.sparring.cli;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Dataset;
import dev.sparring.data.ImageDataset;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Warms up the JIT for a run on the CPU: while the run builds its model and folder, a daemon thread trains the same
 * model (the run's configuration with a batch of at most 8) on the first images of the run's data (on the bundled
 * digits: on random images of their shape, from before the run reads them), on a backend of its own, until the run's
 * first step starts. The CPU kernels use the Vector API, which boxes every vector until C2 has
 * compiled them; this moves part of that cost off the first steps, onto the other core (see README, "Start-up").
 * It changes nothing in the run: its own weights, noise and data stream, and no file.
 */
final class JitWarmup implements AutoCloseable {
    private final Thread thread;
    private volatile boolean stop;
    private volatile int steps;

    private JitWarmup(TrainConfig cfg, Dataset data, TrainLoss loss) {
        thread = new Thread(() -> run(cfg, data, loss), "sparring-warmup");
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
                t.step();
                t.drainMetrics();
                steps++;
            }
        } catch (RuntimeException e) {
            // a warm-up that fails costs the run nothing but its speed at the start
        }
    }

    /** Whether the warm-up's thread has ended within millis ms (after {@link #close}, once its current step is done). */
    boolean ended(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    /** Steps the warm-up has trained so far. */
    int steps() { return steps; }

    /** Stops after the warm-up's current step, without waiting for it. */
    @Override
    public void close() { stop = true; }
}
