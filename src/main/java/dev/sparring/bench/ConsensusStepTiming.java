package dev.sparring.bench;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.data.ImageDataset;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.train.Metrics;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The cost of a consensus optimization step against a plain simultaneous one on the CPU, on the default model (the
 * class-conditional 28 px DCGAN of {@code sparring train}, batch 32, nsgan, on the bundled digits), for
 * bench/consensus/cost.sh. {@code ConsensusStepTiming GAMMA WARMUP ITERS BLOCKS}: three trainers from the same seed
 * with {@code --updates simultaneous}: "plain", "biased" ({@code --consensus GAMMA}) and "unbiased" (the same with
 * {@code --consensus-estimator unbiased}). One iteration is {@link Trainer#step()}. After WARMUP iterations of each (the
 * JIT), BLOCKS rounds each time ITERS iterations of all three, the order rotating from round to round so that all see
 * the same machine; the metrics are read after each block and must be finite. Prints one line per block, {@code BLOCK
 * variant=V ms=<wall ms per iteration> cpu_ms=<the process's CPU ms per iteration>}, then the medians and their ratios
 * to plain.
 */
public final class ConsensusStepTiming {
    private ConsensusStepTiming() { }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        if (args.length != 4) {
            System.err.println("usage: ConsensusStepTiming GAMMA WARMUP ITERS BLOCKS");
            System.exit(2);
        }
        double gamma = Double.parseDouble(args[0]);
        int warmup = Integer.parseInt(args[1]), iters = Integer.parseInt(args[2]), blocks = Integer.parseInt(args[3]);
        long total = warmup + (long) iters * blocks;
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        ImageDataset data = Datasets.mnist();
        TrainLoss loss = TrainLoss.of(GanLoss.parse("nsgan"));
        TrainConfig base = TrainConfig.builder().simultaneous(true).steps(total).logEvery(iters).sampleEvery(0).checkpointEvery(0).build();
        String[] names = {"plain", "biased", "unbiased"};
        TrainConfig[] cfgs = {base, base.toBuilder().consensus(gamma).build(),
                base.toBuilder().consensus(gamma).consensusEstimator(TrainConfig.ConsensusEstimator.UNBIASED).build()};
        List<List<Double>> ms = new ArrayList<>(), cpu = new ArrayList<>();
        try (Backend be = new CpuBackend()) {
            Trainer[] ts = new Trainer[3];
            try {
                for (int v = 0; v < 3; v++) {
                    ts[v] = new Trainer(cfgs[v], be, data, loss);
                    ms.add(new ArrayList<>());
                    cpu.add(new ArrayList<>());
                }
                if (!ts[0].config().conditional() || ts[0].config().consensusOn() || ts[1].config().consensus() != gamma) {
                    throw new IllegalStateException("unexpected configuration: " + ts[0].config() + " / " + ts[1].config());
                }
                for (int i = 0; i < warmup; i++) for (Trainer t : ts) t.step();
                for (Trainer t : ts) requireFinite(t.drainMetrics(), "warm-up");
                for (int b = 0; b < blocks; b++) {
                    for (int j = 0; j < 3; j++) {
                        int v = (b + j) % 3;
                        long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                        for (int i = 0; i < iters; i++) ts[v].step();
                        requireFinite(ts[v].drainMetrics(), names[v] + " block " + (b + 1));
                        double msPerIt = (System.nanoTime() - t0) / 1e6 / iters, cpuPerIt = (os.getProcessCpuTime() - c0) / 1e6 / iters;
                        ms.get(v).add(msPerIt);
                        cpu.get(v).add(cpuPerIt);
                        System.out.printf("BLOCK variant=%s ms=%.1f cpu_ms=%.1f%n", names[v], msPerIt, cpuPerIt);
                    }
                }
            } finally {
                for (Trainer t : ts) if (t != null) t.close();
            }
        }
        double plainMs = median(ms.get(0)), plainCpu = median(cpu.get(0));
        for (int v = 0; v < 3; v++) {
            System.out.printf("MEDIAN variant=%s ms=%.1f cpu_ms=%.1f ratio_ms=%.2f ratio_cpu=%.2f%n", names[v], median(ms.get(v)),
                    median(cpu.get(v)), median(ms.get(v)) / plainMs, median(cpu.get(v)) / plainCpu);
        }
    }

    private static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    private static void requireFinite(List<Metrics> ms, String when) {
        if (ms.isEmpty()) throw new IllegalStateException(when + ": no metrics");
        for (Metrics m : ms) {
            if (!Double.isFinite(m.dLoss()) || !Double.isFinite(m.gLoss())) throw new IllegalStateException(when + ": non-finite loss " + m);
        }
    }
}
