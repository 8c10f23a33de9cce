package dev.sparring.train;

import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.ImageDataset;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * What a warm training step allocates on the CPU, the twin of {@link CudaSteadyStateTest}: layers keep their buffers,
 * optimizers their lists, the trainer its views, so the Java code around the backend allocates nothing; the backend's
 * operations allocate only a few small objects per call (the kernels' records and lambdas, see
 * bench/results/cpu-step-allocation-20261203.md), never arrays of the data's size. The default run (class-conditional,
 * with G_ema) is what both tests train.
 *
 * <p>Each measurement runs in a JVM of its own, as a training run has one, and in up to {@value #JVMS} of them: in about
 * one JVM in ten, C2 compiles one small Vector API kernel ({@code ConvPhaseVector.add}, once
 * {@code ActivationVector.affine}) with a vector it leaves boxed for the JVM's life, 7 to 22 MB a step
 * (bench/results/cpu-step-allocation-jit-history-20261204.md). That is the JIT's, not the code's; an allocation the code
 * makes in every step fails in every JVM. A JVM that saw it is reported on the test's output with the sites that
 * allocated, so that how often it happens stays visible.
 */
class CpuSteadyStateTest {
    private static final int BATCHES = 100;   // per epoch (a new epoch's order is made on the host, once in 100 steps)
    private static final int JVMS = 3;
    /** Rounds go on at least this long (and for at least their number): a new JVM's C2 takes seconds on a loaded machine. */
    private static final long WARM_NANOS = 30_000_000_000L;

    /** Runs the measurement named by args[0] in this JVM and prints its outcome last: the child JVMs' entry point. */
    public static void main(String[] args) {
        String failure = switch (args[0]) {
            case "tiny" -> tinyModel();
            case "default" -> defaultModel();
            default -> throw new IllegalArgumentException("no measurement " + args[0]);
        };
        System.out.println(failure == null ? "PASSED" : "FAILED " + failure.replace("\n", "\n    "));
    }

    @Test
    void aWarmStepAllocatesNothingOutsideTheBackendAndLittleInside() throws IOException, InterruptedException {
        inFreshJvms("tiny");
    }

    @Test
    void aWarmStepOfTheDefaultModelAllocatesLittleOnAnyThread() throws IOException, InterruptedException {
        inFreshJvms("default");
    }

    /** Runs a measurement in new JVMs until one passes; fails with every JVM's report when none of {@value #JVMS} does. */
    private static void inFreshJvms(String measurement) throws IOException, InterruptedException {
        List<String> failures = new ArrayList<>();
        for (int jvm = 1; jvm <= JVMS; jvm++) {
            String out = ChildJvm.run("the measurement's JVM", List.of("-XX:+UseSerialGC", "-Xmx2g"), CpuSteadyStateTest.class, 300, measurement).strip();
            System.out.println(out.replace("PASSED", "").strip());
            if (out.endsWith("PASSED")) {
                if (!failures.isEmpty()) System.out.println("passed in JVM " + jvm + " of " + JVMS + " (the JVMs before it are reported above)");
                return;
            }
            failures.add("JVM " + jvm + ": " + out.substring(out.lastIndexOf("FAILED ") + 7));
        }
        fail("in none of " + JVMS + " JVMs:\n" + String.join("\n", failures));
    }

    /**
     * "Warm": once the JIT has compiled the step (the Vector API kernels box every vector until C2 compiles them), which
     * takes a number of steps that depends on the machine's load. So the steps are measured in rounds until one round
     * meets the bounds; an allocation that the code makes in every step fails every round.
     */
    private static String tinyModel() {
        ImageDataset data = TrainerTest.firstDigits(4 * BATCHES);
        int rounds = 60, steps = 10;
        TrainConfig cfg = TrainerTest.tinyDcgan().toBuilder().conditional(true).steps((long) (rounds + 1) * steps).logEvery(steps).build();
        try (AllocationMeter be = new AllocationMeter(new CpuBackend()); Trainer t = new Trainer(cfg, be, data, TestLosses.nonSaturating())) {
            assertTrue(t.config().ema() && t.config().classes() > 0, "the default run's features: G_ema and the projection critic");
            for (int i = 0; i < steps; i++) t.step();   // the first sets up the buffers
            t.drainMetrics();
            String report = "";
            long until = System.nanoTime() + WARM_NANOS;
            int round = 0;
            for (; round < rounds || System.nanoTime() < until; round++) {
                be.reset();
                long before = AllocationMeter.allocated();
                for (int i = 0; i < steps; i++) t.step();
                long outside = AllocationMeter.allocated() - before - be.insideBytes();
                report = steps + " steps (round " + (round + 1) + "): " + outside + " bytes allocated outside the backend, "
                        + be.insideBytes() + " inside its " + be.calls() + " operations (at most " + be.largestCall() + " in one)";
                t.drainMetrics();   // between the rounds: what TrainingRun does after every step (it builds the metrics lines)
                if (outside == 0 && be.largestCall() <= 4096 && be.insideBytes() <= 512L * be.calls()) {
                    System.out.println(report);
                    return null;
                }
            }
            String sites = AllocationSites.of(() -> {
                for (int i = 0; i < steps; i++) t.step();
            }, 8);
            return "layers, optimizers and the trainer should allocate nothing in a warm step, and each backend operation no "
                    + "more than a few small objects; the last of " + round + " rounds: " + report
                    + "; where one more round allocated (sampled):\n" + sites;
        }
    }

    /** Measured in rounds, as {@link #tinyModel}: until C2 has compiled a
     *  kernel, its boxed vectors allocate megabytes a step, and when that ends depends on the machine. */
    private static String defaultModel() {
        ImageDataset data = TrainerTest.firstDigits(32 * 20);
        int steps = 6, warmup = 2 * steps, rounds = 30;   // metrics are read in blocks of steps
        TrainConfig cfg = TrainConfig.builder().data("mnist").model(TrainConfig.Model.DCGAN).channels(1).steps(warmup + (long) rounds * steps)
                .logEvery(steps).sampleEvery(0).checkpointEvery(0).build();   // the default run's model and batch
        try (CpuBackend be = new CpuBackend(); Trainer t = new Trainer(cfg, be, data, TestLosses.nonSaturating())) {
            assertTrue(t.config().ema() && t.config().classes() > 0 && t.config().ngf() == 32 && t.config().batch() == 32, t.config().toString());
            for (int i = 0; i < warmup; i++) {
                t.step();
                if ((i + 1) % steps == 0) t.drainMetrics();
            }
            long perStep = 0, until = System.nanoTime() + WARM_NANOS;
            int round = 0;
            for (; round < rounds || System.nanoTime() < until; round++) {
                long before = AllocationMeter.THREADS.getTotalThreadAllocatedBytes();
                for (int i = 0; i < steps; i++) t.step();
                perStep = (AllocationMeter.THREADS.getTotalThreadAllocatedBytes() - before) / steps;
                t.drainMetrics();
                // the parallel loops' and the kernels' small objects take some 70 KB; scratch arrays made per call took 11 MB
                if (perStep <= 256 * 1024) {
                    System.out.println("the default model: " + perStep + " bytes allocated per warm step, all threads (round " + (round + 1) + ")");
                    return null;
                }
            }
            String sites = AllocationSites.of(() -> {
                for (int i = 0; i < steps; i++) t.step();
            }, 8);
            return "a warm step of the default model should allocate at most 256 KB on all threads; the last of " + round
                    + " rounds: " + perStep + " bytes per step; where one more round allocated (sampled):\n" + sites;
        }
    }
}
