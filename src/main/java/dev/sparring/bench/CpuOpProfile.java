package dev.sparring.bench;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.tensor.Tensor;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Where the CPU training step of the default job goes, op by op: {@code CpuOpProfile [WARMUP ITERS]} trains the default
 * job of {@code sparring bench --device cpu} (28 px, batch 32, the unconditional DCGAN of bench/pytorch) on a
 * {@link CpuBackend} seen through a proxy that times every backend call, keyed by the op and its tensors' shapes.
 * After WARMUP steps (default 30) it times ITERS steps (default 60) and prints one line per op and shape, largest
 * first: calls and milliseconds per iteration, and the share of the timed iterations' wall time. The proxy's own cost
 * (a few microseconds per call) is in the wall time but not in the ops' times. The last column is the calling
 * thread's CPU time in the op: on a loaded machine the one figure that load does not inflate, and the op's whole cost
 * when run single-threaded ({@code -XX:ActiveProcessorCount=1 -Djava.util.concurrent.ForkJoinPool.common.parallelism=0}:
 * the caller runs every task), which is how bench/cpu-profile/run.sh compares ops with PyTorch's on one thread.
 */
public final class CpuOpProfile {
    private CpuOpProfile() { }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 30, iters = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        Map<String, long[]> times = new LinkedHashMap<>();            // key -> {calls, nanos}
        boolean[] on = {false};
        Backend cpu = new CpuBackend();
        Backend timed = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, a) -> {
            long t0 = System.nanoTime(), c0 = CPU.getCurrentThreadCpuTime();
            Object r;
            try {
                r = m.invoke(cpu, a);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            if (on[0]) {
                long[] c = times.computeIfAbsent(key(m.getName(), a), k -> new long[3]);
                c[0]++;
                c[1] += System.nanoTime() - t0;
                c[2] += CPU.getCurrentThreadCpuTime() - c0;
            }
            return r;
        });
        TrainBench.Options o = TrainBench.Options.defaultJob();
        double wall;
        try (Trainer t = new Trainer(TrainBench.config(o, warmup + iters, iters), timed, TrainBench.syntheticImages(o),
                TrainLoss.of(GanLoss.parse(o.loss())))) {
            for (int i = 0; i < warmup; i++) t.step();
            t.drainMetrics();
            on[0] = true;
            long t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) t.step();
            wall = (System.nanoTime() - t0) / 1e6 / iters;
            on[0] = false;
            t.drainMetrics();
        }
        double total = times.values().stream().mapToDouble(c -> c[1]).sum() / 1e6 / iters;
        double cpuTotal = times.values().stream().mapToDouble(c -> c[2]).sum() / 1e6 / iters;
        System.out.printf("%-22s %-40s %6s %8s %6s %8s%n", "op", "shapes", "calls", "ms/it", "share", "cpu ms");
        times.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1])).forEach(e -> {
            String[] k = e.getKey().split(" ", 2);
            double ms = e.getValue()[1] / 1e6 / iters;
            System.out.printf("%-22s %-40s %6.1f %8.3f %5.1f%% %8.3f%n", k[0], k.length > 1 ? k[1] : "", (double) e.getValue()[0] / iters, ms,
                    100 * ms / wall, e.getValue()[2] / 1e6 / iters);
        });
        System.out.printf("ops %.3f ms/it of %.3f ms/it wall (%.1f it/s); the calling thread's CPU time in ops %.3f ms/it%n", total, wall,
                1000 / wall, cpuTotal);
    }

    /** The calling thread's CPU time: the whole op's when the common pool has parallelism 0 (callers run all tasks). */
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private static String key(String op, Object[] args) {
        StringBuilder sb = new StringBuilder(op);
        if (args != null) {
            for (Object a : args) if (a instanceof Tensor t) sb.append(t.rank() == 0 ? " []" : " " + Arrays.toString(t.shape()).replace(" ", ""));
        }
        return sb.toString();
    }
}
