package dev.sparring.bench;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;
import java.lang.reflect.*;
import java.util.*;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where the default job's 2-thread step waits on one thread, op by op. Needs the counters of
 * bench/cpu-scaling/pool-counters.patch in Parallel.Pool (not in the tree: they cost two clock reads a chunk):
 * <pre>
 *   git apply bench/cpu-scaling/pool-counters.patch && ./build -q -DskipTests package && git checkout src/main/java/dev/sparring/backend/cpu/Parallel.java
 *   javac -d /tmp/pp -cp target/sparring.jar bench/cpu-scaling/ParProf.java
 *   java --add-modules jdk.incubator.vector -XX:+UseSerialGC -Dprof=true -cp /tmp/pp:target/sparring.jar dev.sparring.bench.ParProf 40 150
 * </pre>
 * Per op and shape, per step: wall ms; serial = wall outside Parallel.Pool.run (the caller alone); inRun = wall inside
 * it; work = the chunks' summed wall; pcalls, inline (calls that found the pool busy); wkr% = the chunk time the
 * worker ran; serCPU = the calling thread's CPU time outside Pool.run; wrkCPU = the chunks' summed thread CPU time.
 * serCPU + wrkCPU / 2 is what the step would take on two free cores with perfect balance; the CPU figures are the ones
 * that other processes' load disturbs least (they still stretch when another process shares the core's caches).
 */
public final class ParProf {
    static final java.lang.management.ThreadMXBean TMX = java.lang.management.ManagementFactory.getThreadMXBean();
    static LongAdder f(String n) throws Exception { Field x = Class.forName("dev.sparring.backend.cpu.Parallel").getField(n); x.setAccessible(true); return (LongAdder) x.get(null); }
    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        int warmup = Integer.parseInt(args[0]), iters = Integer.parseInt(args[1]);
        LongAdder RUNC = f("RUN_CPU"), WORKC = f("WORK_CPU"); LongAdder RUN = f("RUN_NANOS"), WORK = f("WORK_NANOS"), CALLS = f("CALLS"), INL = f("INLINE"), WK = f("WORKER_NANOS");
        Map<String, long[]> times = new LinkedHashMap<>();
        boolean[] on = {false};
        Backend cpu = new CpuBackend();
        Backend timed = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, a) -> {
            long rc0 = RUNC.sum(), wc0 = WORKC.sum(), cc0 = TMX.getCurrentThreadCpuTime(); long r0 = RUN.sum(), w0 = WORK.sum(), c0 = CALLS.sum(), i0 = INL.sum(), k0 = WK.sum();
            long t0 = System.nanoTime();
            Object r;
            try { r = m.invoke(cpu, a); } catch (InvocationTargetException e) { throw e.getCause(); }
            long dt = System.nanoTime() - t0;
            if (on[0]) {
                long[] c = times.computeIfAbsent(key(m.getName(), a), k -> new long[10]);
                c[0]++; c[1] += dt; c[2] += RUN.sum() - r0; c[3] += WORK.sum() - w0; c[4] += CALLS.sum() - c0; c[5] += INL.sum() - i0; c[6] += WK.sum() - k0; c[7] += TMX.getCurrentThreadCpuTime() - cc0; c[8] += RUNC.sum() - rc0; c[9] += WORKC.sum() - wc0;
            }
            return r;
        });
        TrainBench.Options o = TrainBench.Options.defaultJob();
        double wall;
        try (Trainer t = new Trainer(TrainBench.config(o, warmup + iters, iters), timed, TrainBench.syntheticImages(o), TrainLoss.of(GanLoss.parse(o.loss())))) {
            for (int i = 0; i < warmup; i++) t.step();
            t.drainMetrics();
            on[0] = true;
            long t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) t.step();
            wall = (System.nanoTime() - t0) / 1e6 / iters;
            on[0] = false;
            t.drainMetrics();
        }
        System.out.printf("%-22s %-34s %5s %7s %7s %7s %7s %6s %6s %5s %7s %7s%n", "op", "shapes", "calls", "wall", "serial", "inRun", "work", "pcalls", "inline", "wkr%", "serCPU", "wrkCPU");
        double[] tot = new double[10];
        times.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1])).forEach(e -> {
            String[] k = e.getKey().split(" ", 2);
            long[] v = e.getValue();
            for (int i = 0; i < 10; i++) tot[i] += v[i];
            String sh = k.length > 1 ? k[1] : ""; if (sh.length() > 34) sh = sh.substring(0, 34);
            System.out.printf("%-22s %-34s %5.1f %7.3f %7.3f %7.3f %7.3f %6.1f %6.1f %5.0f %7.3f %7.3f%n", k[0], sh, (double) v[0] / iters, v[1] / 1e6 / iters,
                (v[1] - v[2]) / 1e6 / iters, v[2] / 1e6 / iters, v[3] / 1e6 / iters, (double) v[4] / iters, (double) v[5] / iters, v[3] == 0 ? 0 : 100.0 * v[6] / v[3], (v[7] - v[8]) / 1e6 / iters, v[9] / 1e6 / iters);
        });
        System.out.printf("TOTAL ops wall %.3f serial %.3f inRun %.3f work %.3f pcalls %.1f inline %.1f worker%% %.0f serCPU %.3f wrkCPU %.3f; step wall %.3f ms (%.1f it/s)%n",
            tot[1] / 1e6 / iters, (tot[1] - tot[2]) / 1e6 / iters, tot[2] / 1e6 / iters, tot[3] / 1e6 / iters, tot[4] / iters, tot[5] / iters, 100 * tot[6] / tot[3], (tot[7] - tot[8]) / 1e6 / iters, tot[9] / 1e6 / iters, wall, 1000 / wall);
    }
    private static String key(String op, Object[] args) {
        StringBuilder sb = new StringBuilder(op);
        if (args != null) for (Object a : args) if (a instanceof Tensor t) sb.append(t.rank() == 0 ? " []" : " " + Arrays.toString(t.shape()).replace(" ", ""));
        return sb.toString();
    }
}
