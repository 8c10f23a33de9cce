package dev.sparring.bench;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Dataset;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.train.Metrics;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;
import dev.sparring.train.TrainerDefaults;

import java.util.List;
import java.util.Locale;

/**
 * The cost of a WGAN-GP training iteration against a plain one on the CPU, for bench/penalty/cost.sh, which runs it in
 * turn with PyTorch's double backward on the same models (bench/penalty/cost_torch.py).
 * {@code PenaltyStepTiming MODEL LAMBDA WARMUP ITERS BLOCKS}, MODEL {@code mlp} (ring8's default MLP: latent size 4,
 * 2 x 128, batch 128) or {@code dcgan28} (the default 28 px DCGAN: nz 64, ngf = ndf = 32, batch 32, on random 1 x 28 x 28
 * images). Two trainers from the same seed, loss wgan with WGAN-GP's Adam(0, 0.9) and one critic step per iteration,
 * no G_ema, no clipping: "plain" without a penalty, "gp" with {@code --gp LAMBDA}. One iteration is
 * {@link Trainer#step()}: a critic update (with the penalty's extra forward on x^ and its double backward for "gp")
 * and a generator update. After WARMUP iterations of each (the JIT), BLOCKS rounds each time ITERS iterations of
 * both, in alternating order (plain first in odd rounds), so that both see the same machine; the metrics are read after
 * each block and must be finite (and hold the penalty exactly for "gp"). Prints one line per block: {@code BLOCK
 * framework=sparring model=M variant=V ms=<wall ms per iteration> cpu_ms=<the process's CPU ms per iteration>} (on a
 * shared machine the CPU time is the steadier of the two; it counts every thread of the JVM).
 */
public final class PenaltyStepTiming {
    private PenaltyStepTiming() { }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        if (args.length != 5 || !(args[0].equals("mlp") || args[0].equals("dcgan28"))) {
            System.err.println("usage: PenaltyStepTiming mlp|dcgan28 LAMBDA WARMUP ITERS BLOCKS");
            System.exit(2);
        }
        String model = args[0];
        double lambda = Double.parseDouble(args[1]);
        int warmup = Integer.parseInt(args[2]), iters = Integer.parseInt(args[3]), blocks = Integer.parseInt(args[4]);
        long total = warmup + (long) iters * blocks;
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        try (Backend be = new CpuBackend()) {
            Dataset data = model.equals("mlp") ? Mixture2D.ring(8, 2, 0.02)
                    : TrainBench.syntheticImages(new TrainBench.Options(28, 1, 64, 32, 32, 32, 1024, "wgan-gp", 1, 1, 1, 0, 0, 1));
            TrainLoss loss = TrainLoss.of(GanLoss.parse("wgan-gp"));
            try (Trainer plain = new Trainer(config(model, 0, total, iters), be, data, loss);
                 Trainer gp = new Trainer(config(model, lambda, total, iters), be, data, loss)) {
                if (plain.config().gp() != 0 || gp.config().gp() != lambda || gp.config().dSteps() != 1) {
                    throw new IllegalStateException("unexpected configuration: " + plain.config() + " / " + gp.config());
                }
                for (int i = 0; i < warmup; i++) {
                    plain.step();
                    gp.step();
                }
                requireFinite(plain.drainMetrics(), "plain warm-up", false);
                requireFinite(gp.drainMetrics(), "gp warm-up", true);
                for (int b = 0; b < blocks; b++) {
                    boolean plainFirst = b % 2 == 0;
                    for (int v = 0; v < 2; v++) {
                        boolean isPlain = (v == 0) == plainFirst;
                        Trainer t = isPlain ? plain : gp;
                        long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
                        for (int i = 0; i < iters; i++) t.step();
                        List<Metrics> ms = t.drainMetrics();   // one read of the metrics: waits for the block's work
                        double msPerIt = (System.nanoTime() - t0) / 1e6 / iters, cpuPerIt = (os.getProcessCpuTime() - c0) / 1e6 / iters;
                        requireFinite(ms, (isPlain ? "plain" : "gp") + " block " + (b + 1), !isPlain);
                        System.out.printf("BLOCK framework=sparring model=%s variant=%s ms=%.4f cpu_ms=%.4f%n", model,
                                isPlain ? "plain" : "gp", msPerIt, cpuPerIt);
                    }
                }
            }
        }
    }

    /** The trainer of one variant: every field that enters the step set here, so that no data default applies. */
    static TrainConfig config(String model, double lambda, long steps, int logEvery) {
        boolean mlp = model.equals("mlp");
        return TrainConfig.builder().data(mlp ? "ring8" : "synthetic").model(mlp ? TrainConfig.Model.MLP : TrainConfig.Model.DCGAN)
                .imageSize(28).channels(1).nz(mlp ? 4 : 64).ngf(32).ndf(32).hidden(128).depth(mlp ? 2 : 3).loss("wgan-gp")
                .trainerDefaults(TrainerDefaults.WGAN_GP).dSteps(1).clip(0).gp(lambda).batch(mlp ? 128 : 32)
                .lrDecayAt(List.of()).lrDecay(1).emaDecay(0).epochs(1).steps(steps).seed(1).sampleEvery(0).logEvery(logEvery)
                .checkpointEvery(0).build();
    }

    private static void requireFinite(List<Metrics> ms, String when, boolean penalised) {
        if (ms.isEmpty()) throw new IllegalStateException(when + ": no metrics");
        for (Metrics m : ms) {
            if (!Double.isFinite(m.dLoss()) || !Double.isFinite(m.gLoss())) throw new IllegalStateException(when + ": non-finite loss " + m);
            Double gp = m.penalties().get("gp");
            if (penalised != (gp != null) || gp != null && !Double.isFinite(gp)) {
                throw new IllegalStateException(when + ": penalty " + gp + " where " + (penalised ? "one" : "none") + " was expected");
            }
        }
    }
}
