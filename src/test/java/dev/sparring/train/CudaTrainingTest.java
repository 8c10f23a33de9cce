package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.backend.cuda.CudaBackend;
import dev.sparring.backend.cuda.CudaRuntime;
import dev.sparring.data.ImageDataset;
import dev.sparring.io.SafeTensorsFile;
import dev.sparring.nn.Network;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The trainer on CudaBackend against the CPU twin: DCGAN training steps from the same seed give the same losses, and
 * a checkpoint written on one backend resumes on the other. Skipped (never failed) without a usable GPU.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@EnabledIf(value = "gpuAvailable", disabledReason = "no usable GPU (see CudaRuntime.probe())")
class CudaTrainingTest {
    static boolean gpuAvailable() { return CudaRuntime.probe().available(); }

    /**
     * Losses agree within 1e-3 relative: each step's convolutions sum in another order on the GPU (about 1e-6
     * relative per layer), and 20 Adam steps at lr 2e-4 carry those differences into the weights without
     * amplifying them by more than a few hundred; 1e-6 absolute covers a loss that passes near zero.
     */
    static final double RTOL = 1e-3, ATOL = 1e-6;

    private CudaBackend gpu;
    private final Backend cpu = new CpuBackend();

    @BeforeAll
    void open() { gpu = new CudaBackend(); }

    @AfterAll
    void close() { if (gpu != null) gpu.close(); }

    private static TrainConfig config(long steps) {
        return TrainerTest.smallDcgan().toBuilder().ngf(16).ndf(16).batch(8).steps(steps).logEvery(1).build();
    }

    private static List<Metrics> train(TrainConfig cfg, Backend be, ImageDataset data, int steps) {
        try (Trainer t = new Trainer(cfg, be, data, TestLosses.nonSaturating())) {
            return steps(t, steps);
        }
    }

    /** {@code n} steps, the metrics of each read as it ends (logEvery is 1). */
    private static List<Metrics> steps(Trainer t, int n) {
        List<Metrics> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            t.step();
            out.addAll(t.drainMetrics());
        }
        return out;
    }

    private static void assertClose(List<Metrics> ref, List<Metrics> got, String what) {
        assertEquals(ref.size(), got.size(), what + ": number of steps");
        for (int i = 0; i < ref.size(); i++) {
            Metrics r = ref.get(i), g = got.get(i);
            assertEquals(r.step(), g.step(), what);
            double[][] pairs = {{r.dLoss(), g.dLoss()}, {r.gLoss(), g.gLoss()}};
            String[] names = {"d_loss", "g_loss"};
            for (int k = 0; k < pairs.length; k++) {
                double d = Math.abs(pairs[k][0] - pairs[k][1]);
                if (!(d <= ATOL + RTOL * Math.abs(pairs[k][0]))) {
                    fail(what + ": step " + r.step() + " " + names[k] + " CPU " + pairs[k][0] + " vs CUDA " + pairs[k][1]
                            + " (|diff| " + d + ")");
                }
            }
        }
    }

    @Test
    void twentyDcganStepsMatchTheCpu() {
        ImageDataset data = TrainerTest.firstDigits(80);     // 10 batches per epoch: the 20 steps are 2 epochs
        TrainConfig cfg = config(20);
        List<Metrics> ref = train(cfg, cpu, data, 20);
        List<Metrics> got = train(cfg, gpu, data, 20);
        assertClose(ref, got, "20 DCGAN steps");
        for (Metrics m : got) assertTrue(m.finite(), m.toString());
    }

    @Test
    void conditionalStepsMatchTheCpu() {
        ImageDataset data = ConditionalTrainingTest.quadrants(16, 2);
        TrainConfig cfg = TrainerTest.tinyDcgan().toBuilder().conditional(true).steps(4).logEvery(1).build();
        List<Metrics> ref = train(cfg, cpu, data, 4);
        List<Metrics> got = train(cfg, gpu, data, 4);
        assertClose(ref, got, "4 conditional DCGAN steps");
    }

    /** Consensus optimization's joint steps (the game Jacobian through convolutions, batch norm and the projection critic). */
    @Test
    void conditionalConsensusStepsMatchTheCpu() {
        ImageDataset data = ConditionalTrainingTest.quadrants(16, 2);
        TrainConfig cfg = TrainerTest.tinyDcgan().toBuilder().conditional(true).simultaneous(true).consensus(0.5).steps(2).logEvery(1).build();
        TrainLoss nsgan = TrainLoss.of(dev.sparring.gan.loss.GanLoss.parse("nsgan"));
        List<Metrics> ref, got;
        try (Trainer t = new Trainer(cfg, cpu, data, nsgan)) { ref = steps(t, 2); }
        try (Trainer t = new Trainer(cfg, gpu, data, nsgan)) { got = steps(t, 2); }
        assertClose(ref, got, "2 conditional DCGAN consensus steps");
        for (int i = 0; i < ref.size(); i++) {
            double r = ref.get(i).penalties().get("consensus_norm_v"), g = got.get(i).penalties().get("consensus_norm_v");
            assertTrue(Math.abs(r - g) <= ATOL + RTOL * Math.abs(r), "step " + (i + 1) + " consensus_norm_v CPU " + r + " vs CUDA " + g);
        }
    }

    /** A run in {@code dir} with the trainer on {@code be}; returns its FID measurements. */
    private static List<FidEvaluator.Measurement> run(TrainConfig cfg, Backend be, ImageDataset data, Path dir) throws IOException {
        try (Trainer t = new Trainer(cfg, be, data, TestLosses.nonSaturating())) {
            TrainingRun r = new TrainingRun(t, dir, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()), null).progressBar(false);
            r.initFresh();
            r.run();
            return r.fidHistory();
        }
    }

    /**
     * The FID during training runs through the backend as the training does: on the GPU it measures what the CPU
     * measures (that it leaves the training alone is CudaGraphTest's fidMeasurementsBetweenGraphStepsLeaveTheTrainingAsItWas).
     * The FID agrees within 1e-3 relative: the two steps' weights differ by float round-off (see RTOL), and so do the
     * samples and their features; 8 samples against 8 images make rank-deficient covariances, whose FID is defined to
     * about 1e-7 absolute (docs/metrics.md).
     */
    @Test
    void theFidDuringARunOnTheGpuIsTheCpus(@TempDir Path dir) throws IOException {
        ImageDataset data = TrainerTest.firstDigits(8);
        TrainConfig fid = TrainerTest.tinyDcgan().toBuilder().steps(2).sampleEvery(0).checkpointEvery(0).fidEvery(1).fidSamples(8).build();
        List<FidEvaluator.Measurement> onGpu = run(fid, gpu, data, dir.resolve("gpu"));
        List<FidEvaluator.Measurement> onCpu = run(fid, cpu, data, dir.resolve("cpu"));
        assertEquals(List.of(1L, 2L), onGpu.stream().map(FidEvaluator.Measurement::step).toList());
        for (int i = 0; i < 2; i++) {
            double r = onCpu.get(i).fid(), g = onGpu.get(i).fid();
            assertEquals(r, g, 1e-3 * Math.abs(r), "FID at step " + (i + 1) + ": CPU " + r + ", GPU " + g);
            assertTrue(Double.isFinite(onGpu.get(i).kid()), onGpu.get(i).toString());
        }
    }

    @Test
    void checkpointsMoveBetweenTheGpuAndTheCpu(@TempDir Path dir) throws IOException {
        ImageDataset data = TrainerTest.firstDigits(48);     // 6 batches per epoch
        TrainConfig cfg = config(6);
        List<Metrics> straight = train(cfg, cpu, data, 6);

        // CUDA -> CPU: 3 steps on the GPU, the other 3 on the CPU
        Path fromGpu = dir.resolve("gpu.safetensors");
        List<Metrics> resumed = new ArrayList<>();
        try (Trainer t = new Trainer(cfg, gpu, data, TestLosses.nonSaturating())) {
            resumed.addAll(steps(t, 3));
            Checkpoint.save(t, fromGpu);
        }
        try (Trainer t = new Trainer(cfg, cpu, data, TestLosses.nonSaturating())) {
            Checkpoint.restore(t, TrainingRun.open(fromGpu));
            assertEquals(3, t.stepCount());
            resumed.addAll(steps(t, 3));
        }
        assertClose(straight, resumed, "GPU checkpoint resumed on the CPU");

        // CPU -> CUDA: the restored state is the file's, bit for bit, and training goes on from it
        Path fromCpu = dir.resolve("cpu.safetensors");
        resumed.clear();
        try (Trainer t = new Trainer(cfg, cpu, data, TestLosses.nonSaturating())) {
            resumed.addAll(steps(t, 3));
            Checkpoint.save(t, fromCpu);
        }
        try (Trainer t = new Trainer(cfg, gpu, data, TestLosses.nonSaturating())) {
            SafeTensorsFile f = TrainingRun.open(fromCpu);
            Checkpoint.restore(t, f);
            assertEquals(3, t.stepCount());
            Map<String, float[]> onGpu = state(gpu, "g.", t.generator());
            onGpu.putAll(state(gpu, "d.", t.critic()));
            try (Trainer c = new Trainer(cfg, cpu, data, TestLosses.nonSaturating())) {
                Checkpoint.restore(c, f);
                Map<String, float[]> onCpu = state(cpu, "g.", c.generator());
                onCpu.putAll(state(cpu, "d.", c.critic()));
                assertEquals(onCpu.keySet(), onGpu.keySet());
                for (String k : onCpu.keySet()) {
                    float[] a = onCpu.get(k), b = onGpu.get(k);
                    assertEquals(a.length, b.length, k);
                    for (int i = 0; i < a.length; i++) {
                        if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                            fail(k + "[" + i + "] restored on the GPU as " + b[i] + ", on the CPU as " + a[i]);
                        }
                    }
                }
            }
            resumed.addAll(steps(t, 3));
        }
        assertClose(straight, resumed, "CPU checkpoint resumed on the GPU");

        // both files hold the same tensors (names, shapes, dtypes) and the same configuration
        SafeTensorsFile a = TrainingRun.open(fromGpu), b = TrainingRun.open(fromCpu);
        assertEquals(b.names(), a.names(), "tensor names of the GPU and CPU checkpoints");
        for (String name : a.names()) {
            assertEquals(b.dtype(name), a.dtype(name), name);
            assertEquals(java.util.Arrays.toString(b.shape(name)), java.util.Arrays.toString(a.shape(name)), name);
        }
        assertEquals(Checkpoint.config(b), Checkpoint.config(a));
    }

    private static Map<String, float[]> state(Backend be, String prefix, Network net) {
        Map<String, float[]> out = new LinkedHashMap<>();
        net.namedParameters().forEach((k, p) -> out.put(prefix + k, be.download(p.value())));
        net.namedBuffers().forEach((k, t) -> out.put(prefix + k, be.download(t)));
        return out;
    }
}
