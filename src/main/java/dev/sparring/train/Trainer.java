package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.CompiledLoss;
import dev.sparring.backend.StepGraph;
import dev.sparring.data.Dataset;
import dev.sparring.data.ImageDataset;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.Mlp;
import dev.sparring.gan.ModelSize;
import dev.sparring.nn.Network;
import dev.sparring.nn.Pass;
import dev.sparring.optim.Optimizer;
import dev.sparring.optim.WeightClip;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Tensor;

import java.util.List;

/**
 * The GAN training loop, written once against {@link Backend}. One {@link #step()} is one generator
 * iteration: k critic steps, then one generator step (alternating), or k-1 critic steps and a last step in which
 * both networks are updated from the same batch and the same parameters (simultaneous).
 *
 * <pre>
 * critic step:    x_real = gather(data)    z ~ N(0, I)    x_fake = G(z)
 *                 t_real = D(x_real) (slot 0)    t_fake = D(x_fake) (slot 1)
 *                 L_D, dt_real, dt_fake = criticLoss(phi, psi)             one fused op
 *                 dW_D = D.backward(dt_real) + D.backward(dt_fake)  ->  optD  [-> clip]
 * generator step: t_fake = D(x_fake) with the updated D (x_fake from the last critic step, as PyTorch's DCGAN does)
 *                 L_G, dt = generatorLoss(beta);  dx = D.backward(dt) (input only);  G.backward(dx)  ->  optG
 * </pre>
 *
 * With {@link TrainConfig#ema()} the trainer also keeps G_ema, an exponential moving average of G's weights, updated
 * after each generator step in one backend call ({@link Backend#emaUpdate}); it reads G and is read by nothing in the
 * step, so a run trains the same with or without it, and {@link #generate} draws samples from it.
 *
 * <p>Metrics are written on the device into a block of {@link Metrics#SLOTS} floats per step and read once per
 * {@code logEvery} steps, so the loop itself never waits for the device.
 */
public final class Trainer implements AutoCloseable {
    private final TrainConfig cfg;
    private final Backend be;
    private final TrainLoss loss;
    private final CompiledLoss compiled;
    private final Network g, d;
    private final Network gEma;                       // the moving average of g's weights; null without EMA
    private final List<Tensor> emaTensors, emaSources; // gEma's parameters then buffers; g's, in the same order
    private final int emaAveraged;                    // how many of them are parameters (averaged; the rest copied)
    private final Optimizer optG, optD;
    private final WeightClip clip;
    private final GradientPenalties penalties;        // null without --gp, --r1, --r2
    private final Consensus consensus;                // null without --consensus
    private final RealBatches real;
    private final Dataset data;
    private final NoiseStream zStream;
    private final int[] zShape;                       // (B, nz[, 1, 1])
    private final Tensor z, dtReal, dtFake, dtGen;    // z: zShape; dt*: (B)
    private final Tensor stats;                       // (logEvery, Metrics.SLOTS), read in blocks
    private final int classes;                        // K of a conditional run; 0: unconditional
    private final dev.sparring.nn.Projection projection;   // the conditional critic's head, given labels; null: unconditional
    private final NoiseStream labelStream;            // fake labels of a conditional run: (seed, "labels"), one block each
    private final int[] fakeLabels;                   // (B) the last fake batch's labels, on the host
    private final float[] fakeOnehotHost;             // (B, K)
    private final Tensor fakeOnehot;                  // (B, K): the labels of the last fake batch, for G and the critic
    private final Tensor fakeOnehotImage;             // fakeOnehot seen as (B, K, 1, 1), to copy into G's input
    private final Tensor gInput;                      // (B, nz + K, 1, 1): [z, onehot(y)], G's input; null: unconditional
    private long step;                                // generator steps done
    private final MetricsBuffer metrics;
    private static final PhaseListener NO_PHASES = phase -> { };
    private PhaseListener phases = NO_PHASES;      // benchmarks time the phases of a step through this
    private StepGraph graph;                       // steps run through it when set (useStepGraph)

    /**
     * Told when each phase of a step ends ("data", "G forward", "zero grads", "D forward", "loss", "D backward",
     * "grad norms", "optimizers", "clip", "G backward", "ema"; with gradient penalties also "penalties"); for benchmarks.
     */
    @FunctionalInterface
    public interface PhaseListener {
        void ended(String phase);
    }

    /** Sets the phase listener (null: none). A listener that synchronizes the device slows training down. */
    public void onPhase(PhaseListener listener) {
        this.phases = listener == null ? NO_PHASES : listener;
    }

    /**
     * Runs the steps through the backend's {@link StepGraph} (a CUDA graph: the first steps run op by op, then one
     * is captured and replayed) when {@code on} and the backend has one; returns whether steps now use a graph.
     * Results are those of running without it. Steps timed phase by phase ({@link #onPhase}) run op by op. A step
     * that the graph refuses (see {@link StepGraph}) throws after the host side of the step has advanced (optimizer
     * counts, noise and data positions) without its GPU work: do not step such a trainer again; restart from a
     * checkpoint.
     */
    public boolean useStepGraph(boolean on) {
        if (on && penalties != null && !penalties.sameEveryStep()) {
            throw new UserError("--cuda-graphs replays one step, but with --reg-every " + cfg.regEvery() + " and --d-steps "
                    + cfg.dSteps() + " the penalties act in some generator steps and not in others: give a --reg-every that "
                    + "divides --d-steps, or leave out --cuda-graphs");
        }
        if (on && graph == null) graph = be.stepGraph();
        if (!on && graph != null) {
            graph.close();
            graph = null;
        }
        return graph != null;
    }

    /** The step graph's counts, or null when steps run op by op. */
    public StepGraph.Stats stepGraphStats() { return graph == null ? null : graph.stats(); }

    /** A trainer of {@code cfg}'s networks on {@code data}; {@link #config()} is cfg with its automatic choices made for data. */
    public Trainer(TrainConfig cfg, Backend be, Dataset data, TrainLoss loss) {
        cfg = cfg.resolvedFor(data);
        this.cfg = cfg;
        this.be = be;
        this.loss = loss;
        this.compiled = loss.compiled();
        this.data = data;
        NoiseStream init = NoiseStream.derive(cfg.seed(), "init");
        boolean points = data instanceof Mixture2D;
        if (cfg.model() == TrainConfig.Model.MLP) {
            if (cfg.conditional()) throw new UserError("--conditional needs the DCGAN (--model dcgan) and labelled images");
            if (!points) throw new UserError("--model mlp needs 2-D data (ring8, grid25), got " + data.name());
            Mlp.Config mc = new Mlp.Config(cfg.nz(), cfg.hidden(), cfg.depth(), 2);
            requireFits(ModelSize.mlp(cfg.nz(), cfg.hidden(), cfg.depth(), 2), cfg, be);
            this.g = Mlp.generator(be, mc, init);
            this.d = Mlp.discriminator(be, mc, init);
            this.gEma = cfg.ema() ? Mlp.generator(be, mc, new NoiseStream(0, 0)) : null;
            this.zShape = new int[]{cfg.batch(), cfg.nz()};
            this.real = new RealBatches.Points(be, (Mixture2D) data, Consensus.dataBatch(cfg), NoiseStream.derive(cfg.seed(), "data"));
        } else {
            if (!(data instanceof ImageDataset img)) throw new UserError("--model dcgan needs image data, got " + data.name());
            Dcgan.Config dc = new Dcgan.Config(cfg.imageSize(), img.channels(), cfg.nz(), cfg.ngf(), cfg.ndf(), cfg.classes());
            if (img.height() != cfg.imageSize() || img.width() != cfg.imageSize()) {
                throw new UserError("dataset " + data.name() + " has " + img.height() + "x" + img.width()
                        + " images but the model is " + cfg.imageSize() + " px");
            }
            requireFits(ModelSize.dcgan(cfg.imageSize(), img.channels(), cfg.nz(), cfg.ngf(), cfg.ndf(), cfg.classes()), cfg, be);
            this.g = Dcgan.generator(be, dc, init);
            this.d = Dcgan.discriminator(be, dc, init);
            this.gEma = cfg.ema() ? Dcgan.generator(be, dc, new NoiseStream(0, 0)) : null;   // weights: copied from g below
            this.zShape = new int[]{cfg.batch(), cfg.nz(), 1, 1};
            this.real = new RealBatches.Images(be, img, Consensus.dataBatch(cfg), cfg.seed(), batchesPerStep(cfg), cfg.classes());
        }
        this.classes = cfg.classes();
        this.projection = classes > 0 ? Dcgan.projection(d) : null;
        this.labelStream = classes > 0 ? NoiseStream.derive(cfg.seed(), "labels") : null;
        this.fakeLabels = classes > 0 ? new int[cfg.batch()] : null;
        this.fakeOnehotHost = classes > 0 ? new float[cfg.batch() * classes] : null;
        this.fakeOnehot = classes > 0 ? be.zeros(cfg.batch(), classes) : null;
        this.fakeOnehotImage = classes > 0 ? be.view(fakeOnehot, cfg.batch(), classes, 1, 1) : null;
        this.gInput = classes > 0 ? be.zeros(cfg.batch(), cfg.nz() + classes, 1, 1) : null;
        if (gEma != null) {
            emaTensors = new java.util.ArrayList<>();
            emaSources = new java.util.ArrayList<>();
            gEma.namedParameters().forEach((name, p) -> emaTensors.add(p.value()));
            g.namedParameters().forEach((name, p) -> emaSources.add(p.value()));
            emaAveraged = emaTensors.size();
            emaTensors.addAll(gEma.namedBuffers().values());
            emaSources.addAll(g.namedBuffers().values());
            updateEma(0f);   // G_ema starts as a copy of G
        } else {
            emaTensors = emaSources = List.of();
            emaAveraged = 0;
        }
        this.optG = Optimizer.create(cfg.optimizer(), g, (float) cfg.lrGAt(0), (float) cfg.beta1(), (float) cfg.beta2());
        this.optD = Optimizer.create(cfg.optimizer(), d, (float) cfg.lrDAt(0), (float) cfg.beta1(), (float) cfg.beta2());
        this.clip = cfg.clip() > 0 ? new WeightClip(d, (float) cfg.clip()) : null;
        this.penalties = GradientPenalties.of(cfg, d, be);
        this.zStream = NoiseStream.derive(cfg.seed(), "z");
        if (cfg.consensusOn()) {
            GameJacobian.requireSupported(g, d, "--consensus");
            int n = Consensus.dataBatch(cfg);
            int[] zHalf = zShape.clone(), realShape = zShape.length == 2 ? new int[]{n, 2}
                    : new int[]{n, ((ImageDataset) data).channels(), cfg.imageSize(), cfg.imageSize()};
            zHalf[0] = n;
            this.consensus = new Consensus(cfg, be, g, d, loss, zHalf, realShape, classes, this::drawFake);
        } else {
            this.consensus = null;
        }
        this.z = be.zeros(zShape);
        this.dtReal = be.zeros(cfg.batch());
        this.dtFake = be.zeros(cfg.batch());
        this.dtGen = be.zeros(cfg.batch());
        this.stats = be.zeros(cfg.logEvery(), Metrics.SLOTS);
        this.metrics = new MetricsBuffer(cfg);
    }

    /**
     * Refuses, before anything is allocated, a model and batch that the backend cannot hold, or whose checkpoint the
     * Java heap cannot write (see {@link ModelSize}).
     */
    private static void requireFits(ModelSize size, TrainConfig cfg, Backend be) {
        int slots = cfg.optimizer() == Optimizer.Kind.ADAM ? 2 : 1;   // Adam's two moments; RMSProp's square average; SGD's momentum
        Backend.Memory mem = be.memoryAvailable();
        String what = "to train at --batch " + cfg.batch() + (mem.javaHeap() ? " and save checkpoints" : "");
        long bytes = size.trainingBytes(cfg.batch(), slots);
        if (mem.javaHeap()) bytes = ModelSize.sat(bytes, size.checkpointBytes(slots));
        if (cfg.ema()) bytes = ModelSize.sat(bytes, size.samplingBytes(SAMPLE_GRID));   // G_ema: its weights and a sample grid's pass
        size.require(cfg.batch(), what, bytes, mem.bytes(), mem.where());
        if (!mem.javaHeap()) {
            Backend.Memory heap = Backend.Memory.ofJavaHeap();
            size.require(cfg.batch(), "of Java heap to save checkpoints", size.checkpointBytes(slots), heap.bytes(), heap.where());
        }
    }

    // ---------------------------------------------------------------- the loop body

    /**
     * One generator iteration, generator step {@code stepCount() + 1}; its k critic updates and its generator update use
     * the learning rates {@link TrainConfig#lrDAt}/{@link TrainConfig#lrGAt} of {@code stepCount()}.
     */
    public void step() {
        optD.setLearningRate((float) cfg.lrDAt(step));
        optG.setLearningRate((float) cfg.lrGAt(step));
        int row = (int) (step % cfg.logEvery()) * Metrics.SLOTS;
        if (graph != null && phases == NO_PHASES) {
            real.prepare(batchesPerStep(cfg));
            graph.run(() -> stepBody(row));
        } else {
            stepBody(row);
        }
        step++;
        metrics.recorded(step);
    }

    private void stepBody(int row) {
        int k = cfg.dSteps();
        int alternating = cfg.simultaneous() ? k - 1 : k;
        Tensor xFake = null;
        for (int j = 0; j < alternating; j++) xFake = criticStep(row, step * k + j);
        if (consensus != null) {
            consensus.gradients(real, stats, row, phases);
            jointUpdate(row);
        } else if (cfg.simultaneous()) simultaneousStep(row, step * k + k - 1);
        else generatorStep(xFake, row);
        if (gEma != null) {
            updateEma((float) cfg.emaDecayAfter(step + 1));
            phases.ended("ema");
        }
    }

    /** G_ema = G + decay (G_ema - G) over all of G's parameters, and G's batch-norm statistics and counters copied. */
    private void updateEma(float decay) {
        be.emaUpdate(emaTensors, emaSources, emaAveraged, decay);
        gEma.copyCountersFrom(g);
    }

    private Tensor nextReal() {
        Tensor x = real.next();
        phases.ended("data");
        return x;
    }

    private Tensor sampleFake() {
        Tensor x = g.forward(drawFake(z, fakeLabels, fakeOnehotHost, fakeOnehot, gInput), Pass.TRAIN);
        phases.ended("G forward");
        return x;
    }

    /**
     * A fake batch's inputs from the run's streams: z (n, ...) from (seed, "z"), and for a conditional run n labels from
     * (seed, "labels"), one-hot through {@code onehotHost} into {@code onehot} (n, K); returns G's input, z or
     * [z, onehot(y)] written into {@code gIn}.
     */
    private Tensor drawFake(Tensor latent, int[] labels, float[] onehotHost, Tensor onehot, Tensor gIn) {
        be.normal(latent, zStream.seed(), zStream.take(latent.size()));
        if (classes == 0) return latent;
        int n = latent.dim(0);
        for (int i = 0; i < n; i++) labels[i] = labelStream.nextInt(classes);
        Conditioning.onehot(labels, n, classes, onehotHost);
        be.copyFromHost(onehotHost, onehot);
        return withLabels(latent, onehot, gIn);
    }

    /** The real batches one step draws: k (k - 1 critic steps and the joint one), one more for consensus' unbiased estimator. */
    private static int batchesPerStep(TrainConfig cfg) {
        return cfg.dSteps() + (Consensus.dataBatch(cfg) < cfg.batch() ? 1 : 0);
    }

    /** G's input [z, onehot(y)] (N, nz + K, 1, 1) written into {@code into}, for z (N, nz, 1, 1) and labels (N, K). */
    private Tensor withLabels(Tensor latent, Tensor onehot, Tensor into) {
        int n = latent.dim(0), nz = latent.dim(1);
        be.copyChannels(into, 0, latent, 0, nz);
        // the training batch's labels through the view kept for them (a step makes no view)
        be.copyChannels(into, nz, onehot == fakeOnehot ? fakeOnehotImage : be.view(onehot, n, classes, 1, 1), 0, classes);
        return into;
    }

    /** Gives the conditional critic the labels of the real batch and of the fake one (nothing when unconditional). */
    private void criticLabels() {
        if (projection == null) return;
        projection.labels(Pass.REAL, real.labels());
        projection.labels(Pass.FAKE, fakeOnehot);
    }

    /** Critic step {@code criticStep} of the run (0-based, dSteps per generator step). */
    private Tensor criticStep(int row, long criticStep) {
        Tensor xReal = nextReal();
        Tensor xFake = sampleFake();
        d.zeroGrad();
        phases.ended("zero grads");
        criticLabels();
        Tensor tReal = d.forward(xReal, Pass.REAL);
        Tensor tFake = d.forward(xFake, Pass.FAKE);
        phases.ended("D forward");
        be.criticLoss(compiled, dtReal, dtFake, tReal, tFake, stats, row + Metrics.D_LOSS);
        phases.ended("loss");
        d.backward(dtReal, Pass.REAL, false, true);
        d.backward(dtFake, Pass.FAKE, false, true);
        phases.ended("D backward");
        if (penalties != null) {
            penalties.apply(xReal, xFake, stats, row, criticStep);
            phases.ended("penalties");
        }
        be.sumSquares(d.grads(), stats, row + Metrics.GRAD_D);
        phases.ended("grad norms");
        optD.step();
        phases.ended("optimizers");
        if (clip != null) {
            clip.apply();
            phases.ended("clip");
        }
        return xFake;
    }

    private void generatorStep(Tensor xFake, int row) {
        g.zeroGrad();
        phases.ended("zero grads");
        Tensor tFake = d.forward(xFake, Pass.FAKE);
        phases.ended("D forward");
        be.generatorLoss(compiled, dtGen, tFake, stats, row + Metrics.G_LOSS);
        phases.ended("loss");
        Tensor dx = d.backward(dtGen, Pass.FAKE, true, false);
        phases.ended("D backward");
        g.backward(dx, Pass.TRAIN, false, true);
        phases.ended("G backward");
        be.sumSquares(g.grads(), stats, row + Metrics.GRAD_G);
        phases.ended("grad norms");
        optG.step();
        phases.ended("optimizers");
    }

    private void simultaneousStep(int row, long criticStep) {
        Tensor xReal = nextReal();
        Tensor xFake = sampleFake();
        d.zeroGrad();
        g.zeroGrad();
        phases.ended("zero grads");
        criticLabels();
        Tensor tReal = d.forward(xReal, Pass.REAL);
        Tensor tFake = d.forward(xFake, Pass.FAKE);
        phases.ended("D forward");
        be.criticLoss(compiled, dtReal, dtFake, tReal, tFake, stats, row + Metrics.D_LOSS);
        be.generatorLoss(compiled, dtGen, tFake, stats, row + Metrics.G_LOSS);
        phases.ended("loss");
        // G's gradient through the critic as it is now, before either update
        Tensor dx = d.backward(dtGen, Pass.FAKE, true, false);
        g.backward(dx, Pass.TRAIN, false, true);
        d.backward(dtReal, Pass.REAL, false, true);
        d.backward(dtFake, Pass.FAKE, false, true);
        phases.ended("D backward");
        if (penalties != null) {
            penalties.apply(xReal, xFake, stats, row, criticStep);
            phases.ended("penalties");
        }
        jointUpdate(row);
    }

    /** Both players step at once from the gradients they hold (a simultaneous or consensus update), their norms logged first. */
    private void jointUpdate(int row) {
        be.sumSquares(d.grads(), stats, row + Metrics.GRAD_D);
        be.sumSquares(g.grads(), stats, row + Metrics.GRAD_G);
        phases.ended("grad norms");
        optD.step();
        if (clip != null) {
            phases.ended("optimizers");
            clip.apply();
            phases.ended("clip");
        }
        optG.step();
        phases.ended("optimizers");
    }

    // ---------------------------------------------------------------- metrics

    /**
     * Reads the metrics of the steps since the last read (one device read) and returns them in order. Each
     * row carries the equilibrium distance of the critic loss.
     */
    public List<Metrics> drainMetrics() {
        return metrics.drain(be, stats, loss);
    }

    // ---------------------------------------------------------------- samples

    /** The sample grid's size, for the memory check of G_ema (TrainingRun draws 64). */
    private static final int SAMPLE_GRID = 64;

    /**
     * G(z) for n latent vectors drawn from the stream (seed, "fixed"): the same images at every call; from G_ema when the
     * run keeps it. A conditional run's sample i has class i mod K ({@link Conditioning#balanced}).
     */
    public float[] fixedSamples(int n) {
        NoiseStream fixed = NoiseStream.derive(cfg.seed(), "fixed-noise");
        int[] shape = zShape.clone();
        shape[0] = n;
        // kept for the next call of the same size, so that regular sample grids allocate nothing after the first
        // (an allocation between steps makes a step graph capture the step again)
        if (fixedZ == null || !fixedZ.sameShape(shape)) {
            if (fixedZ != null) fixedZ.close();
            fixedZ = null;
            fixedZ = be.zeros(shape);
        }
        be.normal(fixedZ, fixed.seed(), fixed.take(fixedZ.size()));
        if (classes == 0) return generate(fixedZ);
        if (fixedInput == null || fixedInput.dim(0) != n) {
            if (fixedInput != null) fixedInput.close();
            fixedInput = null;
            fixedInput = be.zeros(n, cfg.nz() + classes, 1, 1);
        }
        return generate(balancedInput(fixedZ, 0, fixedInput));
    }

    private Tensor fixedZ;              // the latent batch of the last fixedSamples call
    private Tensor fixedInput;          // a conditional run's G input for it: [fixedZ, onehot(i mod K)]

    /**
     * [z, onehot(y)] into {@code into} (N, nz + K, 1, 1) for z (N, nz, 1, 1), with the {@link Conditioning#balanced} labels
     * of samples first .. first + N - 1 (uploaded through a temporary tensor: this runs between steps, never inside one).
     */
    private Tensor balancedInput(Tensor latent, long first, Tensor into) {
        int n = latent.dim(0);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) labels[i] = Conditioning.balanced(first + i, classes);
        float[] host = new float[n * classes];
        Conditioning.onehot(labels, n, classes, host);
        try (Tensor onehot = be.upload(host, n, classes)) {
            return withLabels(latent, onehot, into);
        }
    }

    /** The number of classes of a conditional run; 0 for an unconditional one. */
    public int classes() { return classes; }

    /**
     * G(z) for a given latent batch (a conditional run's: [z, onehot(y)]) from {@link #sampler()} (G_ema when the run keeps it, else G), batch statistics in
     * batch norm (as PyTorch's DCGAN example samples). Unlike
     * PyTorch, sampling leaves the generator's batch-norm running statistics and num_batches_tracked as they were: they
     * hold the training batches only, so how often a run writes samples never changes its checkpoints, and a run
     * extended with --resume (which samples at the end of each session) equals an uninterrupted one bit for bit.
     */
    public float[] generate(Tensor latent) {
        return keepingBatchNormState(() -> be.download(sampleForward(latent)));
    }

    /** Receives the samples [done, done + k) as a tensor (k, ...) on the backend, valid until the next batch. */
    @FunctionalInterface
    public interface SampleBatch { void accept(int done, int k, Tensor samples); }

    /**
     * n samples of {@link #sampler()} (G_ema when the run keeps it, else G) in batches of at most {@code batch}, their
     * latent vectors drawn from {@code noise} (which advances), a conditional run's labels {@link Conditioning#balanced}
     * (sample i of class i mod K), each batch normalised by its own batch statistics: what
     * {@code sparring sample} draws from a checkpoint
     * with the same stream and batch. As {@link #generate}, it leaves the batch-norm running statistics, and every other
     * part of the training state, as they were.
     */
    public void samples(int n, int batch, NoiseStream noise, SampleBatch body) {
        if (n < 1 || batch < 1) throw new IllegalArgumentException("samples: n and batch must be >= 1, got " + n + ", " + batch);
        keepingBatchNormState(() -> {
            Tensor latent = null, input = null;
            try {
                for (int done = 0; done < n; done += batch) {
                    int k = Math.min(batch, n - done);
                    if (latent == null || latent.dim(0) != k) {
                        if (latent != null) latent.close();
                        if (input != null) input.close();
                        latent = input = null;
                        int[] shape = zShape.clone();
                        shape[0] = k;
                        latent = be.zeros(shape);
                        if (classes > 0) input = be.zeros(k, cfg.nz() + classes, 1, 1);
                    }
                    be.normal(latent, noise.seed(), noise.take(latent.size()));
                    body.accept(done, k, sampleForward(classes > 0 ? balancedInput(latent, done, input) : latent));
                }
            } finally {
                if (latent != null) latent.close();
                if (input != null) input.close();
            }
            return null;
        });
    }

    /**
     * The one call that draws samples from the generator, for sample grids, scatters and evaluations alike (slot
     * SAMPLE, batch statistics); callers wrap it in {@link #keepingBatchNormState}.
     */
    private Tensor sampleForward(Tensor latent) { return sampler().forward(latent, Pass.SAMPLE); }

    /** Runs {@code body} and then puts the sampler's batch-norm running statistics and counters back as they were. */
    private <T> T keepingBatchNormState(java.util.function.Supplier<T> body) {
        Network net = sampler();
        List<Tensor> buffers = List.copyOf(net.namedBuffers().values());
        List<float[]> saved = buffers.stream().map(be::download).toList();
        java.util.Map<String, Long> counters = net.counters();
        try {
            return body.get();
        } finally {
            for (int i = 0; i < buffers.size(); i++) be.copyFromHost(saved.get(i), buffers.get(i));
            counters.forEach(net::setCounter);
        }
    }

    /** The generator that samples are drawn from: G_ema when the run keeps it, else G. */
    public Network sampler() { return gEma != null ? gEma : g; }

    // ---------------------------------------------------------------- state

    public TrainConfig config() { return cfg; }

    public Backend backend() { return be; }

    public TrainLoss loss() { return loss; }

    public Network generator() { return g; }

    public Network critic() { return d; }

    /** G_ema, the moving average of the generator's weights ({@link TrainConfig#emaDecay()}); null when the run keeps none. */
    public Network emaGenerator() { return gEma; }

    public Optimizer generatorOptimizer() { return optG; }

    public Optimizer criticOptimizer() { return optD; }

    public long stepCount() { return step; }

    public NoiseStream latentStream() { return zStream; }

    /** The stream of a conditional run's fake labels; null for an unconditional run. */
    public NoiseStream labelStream() { return labelStream; }

    public RealBatches realBatches() { return real; }

    /** The data the trainer trains on. */
    public Dataset data() { return data; }

    /** Restores the loop position from a checkpoint (weights and optimizer state are restored by {@link Checkpoint}). */
    void restorePosition(long step) {
        this.step = step;
        metrics.reset(step);
    }

    /** Generator steps in one epoch of a finite dataset (k real batches per generator step). */
    public long stepsPerEpoch() {
        return real.batchesPerEpoch() <= 0 ? 0 : Math.max(1, real.batchesPerEpoch() / cfg.dSteps());
    }

    /** Total generator steps this run trains for. */
    public long totalSteps() {
        if (cfg.steps() > 0) return cfg.steps();
        long spe = stepsPerEpoch();
        if (spe == 0) throw new UserError("data " + real.name() + " is an endless sampler: set --steps");
        return spe * cfg.epochs();
    }

    public int[] sampleShape() { return g.outputShape(1); }

    @Override
    public void close() {
        if (graph != null) graph.close();
        if (fixedZ != null) fixedZ.close();
        if (penalties != null) penalties.close();
        if (fixedInput != null) fixedInput.close();
        for (Tensor t : new Tensor[]{z, dtReal, dtFake, dtGen, stats, fakeOnehot, gInput}) if (t != null) t.close();
        if (consensus != null) consensus.close();
        real.close();
    }
}
