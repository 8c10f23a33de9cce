import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.bench.TrainBench;
import dev.sparring.data.ImageDataset;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.train.Metrics;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;
import dev.sparring.train.TrainerDefaults;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The wall time of single training steps of the default job of {@code sparring bench --device cpu} (28 px, batch 32,
 * nz 64, ngf = ndf = 32, nsgan, synthetic images): {@code java -cp JAR StepTimes.java [WARMUP STEPS]} (default 40, 300)
 * prints the minimum, 10th percentile and median step in milliseconds, and the loss of the last step (which two builds
 * that give the same bits print alike). On a shared machine the minimum and the low percentiles are the steps that
 * had the cores they asked for; the mean is mostly other people's load. Run by bench/cpu-profile/parallel-calls.sh.
 */
public class StepTimes {
    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        int warmup = args.length > 0 ? Integer.parseInt(args[0]) : 40, steps = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        TrainBench.Options o = TrainBench.Options.defaultJob();
        TrainConfig cfg = TrainConfig.builder().data("synthetic").model(TrainConfig.Model.DCGAN).imageSize(o.imageSize()).channels(o.channels())
                .nz(o.nz()).ngf(o.ngf()).ndf(o.ndf()).loss(o.loss()).trainerDefaults(TrainerDefaults.of(GanLoss.parse(o.loss())))
                .batch(o.batch()).epochs(1).steps(warmup + steps).seed(o.seed()).sampleEvery(0).logEvery(10).checkpointEvery(0).build();
        byte[] px = new byte[o.images() * o.channels() * o.imageSize() * o.imageSize()];
        new java.util.SplittableRandom(o.seed()).nextBytes(px);
        ImageDataset data = new ImageDataset("synthetic-" + o.images(), px, o.images(), o.channels(), o.imageSize(), o.imageSize(), null);
        long[] ns = new long[steps];
        String last = "";
        try (CpuBackend be = new CpuBackend(); Trainer t = new Trainer(cfg, be, data, TrainLoss.of(GanLoss.parse(o.loss())))) {
            for (int i = 0; i < warmup; i++) {
                t.step();
                if (i % 10 == 9 || i == warmup - 1) t.drainMetrics();   // metrics are read in blocks of logEvery steps
            }
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                t.step();
                ns[i] = System.nanoTime() - t0;
                if (i % 10 == 9) {
                    List<Metrics> ms = t.drainMetrics();
                    if (!ms.isEmpty()) last = ms.get(ms.size() - 1).toString();
                }
            }
        }
        Arrays.sort(ns);
        System.out.printf("step ms: min %.2f p10 %.2f median %.2f (%d steps)%n", ns[0] / 1e6, ns[steps / 10] / 1e6, ns[steps / 2] / 1e6, steps);
        System.out.println("last metrics: " + last);
    }
}
