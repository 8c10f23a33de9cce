package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.backend.StepGraph;
import dev.sparring.backend.cuda.CudaBackend;
import dev.sparring.backend.cuda.CudaRuntime;
import dev.sparring.data.Dataset;
import dev.sparring.data.Datasets;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.nn.Network;
import dev.sparring.tensor.Tensor;
import dev.sparring.optim.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Training steps run as a CUDA graph ({@link Trainer#useStepGraph}) compute what the same steps run op by op compute,
 * bit for bit on one GPU (both backends use deterministic convolution algorithms): every metric of every step and the
 * final weights, buffers and optimizer state, for each kind of per-step value the graph reads from its step record
 * (learning rates and their drops, Adam's bias corrections, SGD's first step, noise counters, batch offsets across
 * epochs, metric rows, 2-D batches copied from the host). Also: when a graph is captured and replayed, that a memory
 * change between steps makes the next step run op by op and the one after it be captured again, and that a step
 * which does something else than its graph is refused. Skipped without a GPU; runs on the host CUDA simulator.
 */
@EnabledIf(value = "gpuAvailable", disabledReason = "no usable GPU (see CudaRuntime.probe())")
class CudaGraphTest {
    static boolean gpuAvailable() { return CudaRuntime.probe().available(); }

    private static CudaBackend deterministic() { return deterministic(CudaBackend.BatchNorm.CUDNN); }

    private static CudaBackend deterministic(CudaBackend.BatchNorm bn) {
        return new CudaBackend(new CudaBackend.Options(0, false, true, bn));
    }

    record Case(String name, TrainConfig cfg, String data, CudaBackend.BatchNorm bn) {
        Case(String name, TrainConfig cfg, String data) { this(name, cfg, data, CudaBackend.BatchNorm.CUDNN); }

        @Override
        public String toString() { return name; }
    }

    /**
     * Small models and few steps: the simulator runs every GPU thread as a fiber. Steps 1-2 run op by op, 3 is captured,
     * and from 4 on the graph is replayed, so each case replays at least two steps, with the per-step values it is there
     * for changing between the captured step and the replays.
     */
    static Stream<Case> cases() {
        TrainConfig dcgan = TrainerTest.tinyDcgan().toBuilder().logEvery(4).build();
        TrainConfig ring = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).batch(32).nz(4)
                .hidden(4).depth(2).logEvery(4).sampleEvery(0).checkpointEvery(0).build();
        return Stream.of(
                // 2 critic steps of 4 images on 24 digits: 3 steps per epoch, so replayed steps start epochs (new orders
                // uploaded before steps 4 and 7, epoch 2's into the slot that held epoch 0's) and the rates drop after step 5
                new Case("dcgan nsgan adam k=2, epochs, rate drop", dcgan.toBuilder().dSteps(2).steps(8)
                        .lrDecayAt(5).build(), "digits"),
                new Case("dcgan simultaneous k=2", dcgan.toBuilder().simultaneous(true).dSteps(2).steps(6).build(), "digits"),
                // 8 digits: 2 batches per epoch, so 5 critic steps span 3 or 4 epochs (three order slots on the device);
                // step 4 starts in the middle of an epoch, steps 3 and 5 at the start of one
                new Case("dcgan k=5 on 2 batches per epoch", dcgan.toBuilder().dSteps(5).steps(5).build(), "digits8"),
                // RMSProp's and SGD's learning rates also drop between replays (after step 4)
                new Case("dcgan wgan rmsprop clip k=3, rate drop", dcgan.toBuilder().loss("wgan").optimizer(Optimizer.Kind.RMSPROP).beta2(0.99)
                        .clip(0.01).dSteps(3).lrD(5e-5).lrG(5e-5).steps(6)
                        .lrDecayAt(4).build(), "digits"),
                // k = 1: step 7 starts the second epoch
                new Case("dcgan sgd, rate drop", dcgan.toBuilder().optimizer(Optimizer.Kind.SGD).lrD(1e-3).lrG(1e-3).steps(7)
                        .lrDecayAt(4).build(), "digits"),
                new Case("dcgan, batch norm by our kernels", dcgan.toBuilder().steps(5).build(), "digits", CudaBackend.BatchNorm.KERNELS),
                // a conditional run: each critic step's fake labels travel in the step record, the real ones are
                // gathered with the images (24 images of 4 classes)
                new Case("dcgan conditional k=2, labels", dcgan.toBuilder().conditional(true).dSteps(2).steps(6).build(), "quadrants"),
                // 2-D batches drawn on the host: each critic step's batch travels in the step record
                new Case("mlp ring8 k=2, host batches", ring.toBuilder().dSteps(2).steps(6).build(), "ring8"));
    }

    /**
     * Consensus optimization: the joint step's first- and second-order passes in the graph. The unbiased estimator draws
     * two half batches (real images with their labels, z and fake labels) per step: 6 images in half batches of 2 are 3
     * batches per epoch, so the second draw of steps 2 and 5 starts an epoch (step 5 a replay), whose order must be
     * uploaded before the step.
     */
    static Stream<Case> consensusCases() {
        TrainConfig dcgan = TrainerTest.tinyDcgan().toBuilder().logEvery(4).build();
        TrainConfig ring = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).batch(32).nz(4)
                .hidden(4).depth(2).logEvery(4).sampleEvery(0).checkpointEvery(0).build();
        return Stream.of(
                new Case("dcgan conditional consensus, unbiased halves", dcgan.toBuilder().conditional(true).simultaneous(true)
                        .consensus(0.5).consensusEstimator(TrainConfig.ConsensusEstimator.UNBIASED).steps(5).build(), "quadrants6"),
                new Case("mlp ring8 consensus", ring.toBuilder().simultaneous(true).consensus(0.5).steps(5).build(), "ring8"));
    }

    private static Dataset data(Case c) {
        return switch (c.data()) {
            case "digits" -> TrainerTest.firstDigits(24);
            case "digits8" -> TrainerTest.firstDigits(8);
            case "quadrants" -> ConditionalTrainingTest.quadrants(24, 1);
            case "quadrants6" -> ConditionalTrainingTest.quadrants(6, 1);
            default -> Datasets.open("ring8", 0, 0);
        };
    }

    private static TrainLoss loss(TrainConfig cfg) { return TrainLoss.of(GanLoss.parse(cfg.loss())); }

    /** Metrics of every step and the final state of both networks and both optimizers. */
    record Run(List<Metrics> metrics, List<float[]> state, StepGraph.Stats graph) { }

    /**
     * Trains on {@code gpu}. Both runs of a comparison use one backend: its convolution plans, and so the algorithms
     * cuDNN's timed search picked, are kept per shape, so both runs use the same algorithms.
     */
    static Run train(CudaBackend gpu, Case c, boolean graphs) {
        try (Trainer t = new Trainer(c.cfg(), gpu, data(c), loss(c.cfg()))) {
            assertEquals(graphs, t.useStepGraph(graphs));
            List<Metrics> ms = new ArrayList<>();
            while (t.stepCount() < c.cfg().steps()) {
                t.step();
                if (t.stepCount() % c.cfg().logEvery() == 0) ms.addAll(t.drainMetrics());
            }
            ms.addAll(t.drainMetrics());
            return new Run(ms, state(gpu, t), t.stepGraphStats());
        }
    }

    static List<float[]> state(Backend be, Trainer t) {
        List<float[]> out = new ArrayList<>();
        for (Network n : List.of(t.generator(), t.critic())) {
            n.namedParameters().values().forEach(p -> out.add(be.download(p.value())));
            n.namedBuffers().values().forEach(b -> out.add(be.download(b)));
        }
        t.generatorOptimizer().state().values().forEach(x -> out.add(be.download(x)));
        t.criticOptimizer().state().values().forEach(x -> out.add(be.download(x)));
        return out;
    }

    static void assertSameRun(Run eager, Run graph, String what) {
        assertEquals(eager.metrics().size(), graph.metrics().size(), what + ": metrics rows");
        for (int i = 0; i < eager.metrics().size(); i++) {
            assertEquals(eager.metrics().get(i).toString(), graph.metrics().get(i).toString(), what + ": metrics of step " + (i + 1));
        }
        assertEquals(eager.state().size(), graph.state().size(), what + ": state tensors");
        for (int k = 0; k < eager.state().size(); k++) {
            float[] a = eager.state().get(k), b = graph.state().get(k);
            for (int i = 0; i < a.length; i++) {
                if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                    fail(what + ": state tensor " + k + " differs at " + i + ": " + a[i] + " op by op, " + b[i] + " through the graph");
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("consensusCases")
    void consensusStepsThroughAGraphEqualStepsOpByOp(Case c) {
        stepsThroughAGraphEqualStepsOpByOp(c);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void stepsThroughAGraphEqualStepsOpByOp(Case c) {
        Run eager, graph;
        try (CudaBackend gpu = deterministic(c.bn())) {
            eager = train(gpu, c, false);
            graph = train(gpu, c, true);
        }
        assertSameRun(eager, graph, c.name());
        StepGraph.Stats s = graph.graph();
        long steps = c.cfg().steps();
        // the first step allocates (activations, tables, algorithm search) and the second does not: it is the clean
        // op-by-op step, and the third is captured
        assertEquals(2, s.eager(), s.toString());
        assertEquals(1, s.captured(), s.toString());
        assertEquals(steps - 3, s.replayed(), s.toString());
        assertTrue(s.operations() > 10, s.toString());
    }

    /** Eight steps with sample grids of 5 after steps 4 and 6. */
    private static Run trainWithSamples(CudaBackend gpu, Case c, TrainConfig cfg, boolean graphs) {
        try (Trainer t = new Trainer(cfg, gpu, data(c), loss(cfg))) {
            t.useStepGraph(graphs);
            List<Metrics> ms = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                t.step();
                // the first grid allocates the generator's sampling activations (after step 4); the same grid again
                // (after step 6) allocates nothing
                if (i == 3 || i == 5) t.fixedSamples(5);
                if (t.stepCount() % cfg.logEvery() == 0) ms.addAll(t.drainMetrics());
            }
            ms.addAll(t.drainMetrics());
            return new Run(ms, state(gpu, t), t.stepGraphStats());
        }
    }

    @Test
    void aMemoryChangeBetweenStepsMakesTheGraphBeCapturedAgain() {
        Case c = cases().findFirst().orElseThrow();
        TrainConfig cfg = c.cfg().toBuilder().steps(8).lrDecayAt(List.of()).build();
        Run[] runs = new Run[2];
        try (CudaBackend gpu = deterministic()) {
            runs[0] = trainWithSamples(gpu, c, cfg, false);
            runs[1] = trainWithSamples(gpu, c, cfg, true);
        }
        assertSameRun(runs[0], runs[1], "sampling after step 4");
        StepGraph.Stats s = runs[1].graph();
        // steps 1-2 op by op, 3 captured, 4 replayed; the first sample allocates: 5 op by op, 6 captured; the second
        // allocates nothing: 7-8 replayed
        assertEquals(new StepGraph.Stats(3, 2, 3, s.operations()), s);
    }

    /**
     * FID measurements between steps (the classifier and the sampling allocate, so the graph is captured again after
     * each) leave the training as it was: eight steps through a graph with measurements after steps 4 and 6 equal
     * eight steps op by op without any.
     */
    @Test
    void fidMeasurementsBetweenGraphStepsLeaveTheTrainingAsItWas(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        Case c = cases().findFirst().orElseThrow();
        TrainConfig cfg = c.cfg().toBuilder().steps(8).lrDecayAt(List.of()).fidEvery(4).fidSamples(6).build();
        Run plain, measured;
        List<Double> fids = new ArrayList<>();
        try (CudaBackend gpu = deterministic()) {
            plain = train(gpu, new Case(c.name(), cfg.toBuilder().fidEvery(0).build(), c.data()), false);
            try (Trainer t = new Trainer(cfg, gpu, data(c), loss(cfg))) {
                t.useStepGraph(true);
                FidEvaluator fid = new FidEvaluator(t);
                fid.prepare(dir);
                List<Metrics> ms = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    t.step();
                    if (t.stepCount() % cfg.logEvery() == 0) ms.addAll(t.drainMetrics());
                    if (i == 3 || i == 5) fids.add(fid.measure().fid());
                }
                ms.addAll(t.drainMetrics());
                measured = new Run(ms, state(gpu, t), t.stepGraphStats());
            }
        }
        assertSameRun(plain, measured, "FID measured after steps 4 and 6");
        assertTrue(fids.stream().allMatch(f -> Double.isFinite(f) && f > 0), fids.toString());
        assertTrue(measured.graph().replayed() > 0, measured.graph().toString());
    }

    @Test
    void aStepThatDiffersFromItsGraphIsRefused() {
        try (CudaBackend gpu = new CudaBackend(); Tensor a = gpu.zeros(8); Tensor b = gpu.zeros(8); StepGraph g = gpu.stepGraph()) {
            for (int i = 0; i < 3; i++) g.run(() -> gpu.fill(a, 1));
            assertEquals(new StepGraph.Stats(1, 1, 1, 1), g.stats());
            var e = assertThrows(IllegalStateException.class, () -> g.run(() -> gpu.fill(b, 1)));
            assertTrue(e.getMessage().contains("fill"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> g.run(() -> { gpu.fill(a, 1); gpu.scale(a, 2); }));
            assertTrue(e.getMessage().contains("scale"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> g.run(() -> { }));
            assertTrue(e.getMessage().contains("0 operations"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> g.run(() -> { gpu.fill(a, 1); gpu.download(a); }));
            assertTrue(e.getMessage().contains("download"), e.getMessage());
            e = assertThrows(IllegalStateException.class, () -> g.run(() -> gpu.fill(a, 3)));
            assertTrue(e.getMessage().contains("fill with other arguments"), e.getMessage());
            // refused steps leave the graph usable, and work between steps runs in order with it
            gpu.fill(a, 7);
            g.run(() -> gpu.fill(a, 1));
            gpu.fill(b, 2);
            assertEquals(1f, gpu.download(a)[7]);
            assertEquals(2f, gpu.download(b)[0]);
            assertEquals(new StepGraph.Stats(1, 1, 2, 1), g.stats());
        }
    }

    // ---------------------------------------------------------------- on the simulator: what a replayed step costs

    // cudasim_counters order (native/cudasim/driver.cpp, CudaSteadyStateTest.NAMES)
    static final int ALLOC = 0, FREE = 1, HOST_ALLOC = 2, HTOD = 3, DTOH = 4, LAUNCH = 7, STREAM_SYNC = 8, EVENT_SYNC = 9,
            MODULE_LOAD = 11, GRAPH_LAUNCH = 12, CAPTURED = 13, COUNTERS = 14;

    private static long[] counters(MethodHandle h) throws Throwable { return CudaSteadyStateTest.counters(h, COUNTERS); }

    @Test
    void aReplayedStepIsOneRecordUploadAndOneGraphLaunch() throws Throwable {
        MethodHandle h = CudaSteadyStateTest.simulatorCounters();
        int logEvery = 4, steps = 8;
        TrainConfig cfg = TrainerTest.tinyDcgan().toBuilder().steps(40).logEvery(logEvery).dSteps(2).build();
        try (CudaBackend gpu = new CudaBackend(); Trainer t = new Trainer(cfg, gpu, TrainerTest.firstDigits(24), TestLosses.nonSaturating())) {
            t.useStepGraph(true);
            for (int i = 0; i < logEvery; i++) t.step();   // op by op, captured, replayed
            t.drainMetrics();
            long[] before = counters(h);
            for (int i = 0; i < steps; i++) {
                t.step();
                if (t.stepCount() % logEvery == 0) t.drainMetrics();
            }
            long[] d = counters(h);
            for (int i = 0; i < d.length; i++) d[i] -= before[i];
            String r = java.util.Arrays.toString(d);
            assertEquals(new StepGraph.Stats(2, 1, logEvery - 3 + steps, t.stepGraphStats().operations()), t.stepGraphStats());
            assertEquals(0, d[ALLOC] + d[FREE] + d[HOST_ALLOC] + d[MODULE_LOAD], r);
            assertEquals(0, d[LAUNCH], "no kernel launched one by one: " + r);
            assertEquals(0, d[CAPTURED], "nothing captured again: " + r);
            assertEquals(steps, d[GRAPH_LAUNCH], r);
            // 24 digits, 2 batches of 4 per step: 3 steps per epoch, so steps 5..12 start 2 epochs (at steps 7 and 10)
            assertEquals(steps + 2, d[HTOD], "a step record per step and an order per new epoch: " + r);
            assertEquals(steps / logEvery, d[DTOH], r);
            assertEquals(steps / logEvery, d[STREAM_SYNC], r);
            assertTrue(d[EVENT_SYNC] <= steps + 2, r);
        }
    }
}
