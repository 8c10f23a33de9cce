package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.StepGraph;
import dev.sparring.data.Dataset;
import dev.sparring.data.Datasets;
import dev.sparring.data.Mixture2D;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.loss.CheckReport;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.optim.Optimizer;
import dev.sparring.train.FidEvaluator;
import dev.sparring.train.DigitDefaults;
import dev.sparring.train.PointDefaults;
import dev.sparring.train.Resume;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;
import dev.sparring.train.TrainerDefaults;
import dev.sparring.train.TrainingRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, showDefaultValues = true,
        description = {"Train a GAN. Defaults: a class-conditional DCGAN on the bundled 10,000 MNIST digits (--no-conditional: unconditional), non-saturating loss.",
                "2-D data (ring8, grid25): an MLP, with the \"2-D data\" defaults below for flags left unset.",
                "Output: <out>/<name>/ with config.json, metrics.jsonl, samples/, checkpoints/, loss_curve.png",
                "(with --fid-every also fid_reference.npz and fid_curve.png) and a TensorBoard event file."})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "mnist", description = "mnist (bundled), ring8, grid25, an IDX image file (idx:<images>[,<labels>]) or a folder of PNG/JPEG images")
    String data;
    @Option(names = "--model", defaultValue = "auto", description = "dcgan, mlp, or auto (mlp for 2-D data)")
    String model;
    @Option(names = "--image-size", defaultValue = "28", description = "DCGAN image side: 28, 32 or 64")
    int imageSize;
    @Option(names = "--channels", defaultValue = "0", description = "image channels, 1 or 3 (0: the dataset's own)")
    int channels;
    @Option(names = "--upscale", description = "allow images smaller than --image-size to be upscaled (e.g. MNIST at 32 or 64 px)")
    boolean upscale;
    @Option(names = "--skip-bad-images", description = "image folders: leave out files that cannot be used (corrupt, truncated, not images, too small) with a warning, instead of refusing the folder")
    boolean skipBadImages;
    @Option(names = "--conditional", negatable = true, description = "train a class-conditional DCGAN on the data's labels (mnist; IDX with its "
            + "labels file; a folder with one subfolder of images per class): G takes [z, one-hot label], the critic is a projection "
            + "discriminator (Miyato & Koyama 2018); sample grids show one row per class. Default: on for the bundled digits "
            + "(--data mnist, where it was measured), off for any other data; --no-conditional: an unconditional run")
    Boolean conditional;
    @Option(names = "--nz", defaultValue = "64", description = "latent size (2-D data: " + PointDefaults.NZ + ", grid25 " + PointDefaults.NZ_GRID25 + ")")
    int nz;
    @Option(names = "--ngf", defaultValue = "32", description = "generator width (DCGAN)")
    int ngf;
    @Option(names = "--ndf", defaultValue = "32", description = "critic width (DCGAN)")
    int ndf;
    @Option(names = "--hidden", defaultValue = "128", description = "hidden units (MLP; 2-D data: " + PointDefaults.HIDDEN + ", grid25 " + PointDefaults.HIDDEN_GRID25 + ")")
    int hidden;
    @Option(names = "--depth", defaultValue = "3", description = "hidden layers (MLP; 2-D data: " + PointDefaults.DEPTH + ")")
    int depth;
    @Option(names = "--loss", defaultValue = "nsgan", description = "loss NAME[:params] or a formula \"phi=...; psi=...; beta=...\" (see `sparring loss list`)")
    String loss;
    @Option(names = "--optimizer", description = "adam, rmsprop or sgd (default: from the loss; adam for most, rmsprop for wgan)")
    String optimizer;
    @Option(names = "--lr-d", description = "critic learning rate (default: from the loss; 2e-4, wgan 5e-5; the 28 px DCGAN with the loss's Adam: " + DigitDefaults.LR_SCALE + "x that; 2-D data: " + PointDefaults.LR_SCALE + "x that)")
    Double lrD;
    @Option(names = "--lr-g", description = "generator learning rate (default: from the loss; 2e-4, wgan 5e-5; the 28 px DCGAN with the loss's Adam: " + DigitDefaults.LR_SCALE + "x that; 2-D data: " + PointDefaults.LR_SCALE + "x that)")
    Double lrG;
    @Option(names = "--lr-decay-at", split = ",", paramLabel = "STEP",
            description = "generator steps after which both learning rates are multiplied by --lr-decay: with 3000, steps 1-3000 "
                    + "train at --lr-d/--lr-g and steps 3001 on (all k critic updates included) at the lower rates (default: none, constant rates; 2-D data: " + PointDefaults.DECAY_PERCENT + "%% of --steps)")
    List<Long> lrDecayAt;
    @Option(names = "--lr-decay", paramLabel = "FACTOR",
            description = "factor in (0, 1] on both learning rates at each --lr-decay-at step (default: 0.1, as PyTorch's MultiStepLR; 2-D data: " + PointDefaults.DECAY + ", and 1 keeps the rates constant)")
    Double lrDecay;
    @Option(names = "--beta1", description = "Adam's beta1; RMSProp here has no momentum and takes only 0 (default: from the loss; 0.5, wgan 0)")
    Double beta1;
    @Option(names = "--beta2", description = "Adam's beta2, or RMSProp's alpha (default: from the loss; Adam 0.999, RMSProp 0.99)")
    Double beta2;
    @Option(names = "--d-steps", description = "critic steps per generator step (default: from the loss; 1, wgan 5)")
    Integer dSteps;
    @Option(names = "--clip", description = "critic weight clipping c, 0 for none (default: from the loss; 0, wgan 0.01)")
    Double clip;
    @Option(names = "--gp", paramLabel = "LAMBDA", description = "WGAN-GP's gradient penalty: LAMBDA (||grad_x D(x^)|| - 1)^2 at random "
            + "interpolates x^ of the real and fake batch, with any loss; 0 for none (default: from the loss; 0, wgan-gp 10; 2-D data: wgan-gp " + PointDefaults.GP + ")")
    Double gp;
    @Option(names = "--r1", paramLabel = "GAMMA", defaultValue = "0", description = "R1 penalty (GAMMA/2) ||grad_x D(x)||^2 on the real batch; 0 for none")
    double r1;
    @Option(names = "--r2", paramLabel = "GAMMA", defaultValue = "0", description = "R2 penalty (GAMMA/2) ||grad_x D(x)||^2 on the fake batch; 0 for none")
    double r2;
    @Option(names = "--reg-every", paramLabel = "K", defaultValue = "1", description = "lazy regularisation: the penalties act at "
            + "every K-th critic step, their gradient scaled by K (StyleGAN2 takes 16 for R1)")
    int regEvery;
    @Option(names = "--updates", defaultValue = "alternating", description = "alternating or simultaneous")
    String updates;
    @Option(names = "--consensus", paramLabel = "GAMMA", defaultValue = "0", description = "consensus optimization: both players "
            + "step along v + GAMMA grad(1/2 ||v||^2) of the joint gradient field v (needs --updates simultaneous); 0 for none")
    double consensus;
    @Option(names = "--consensus-estimator", defaultValue = "biased", description = "how --consensus estimates grad(1/2 ||v||^2): "
            + "biased (the whole batch, as the paper) or unbiased (1/2 v1.v2 of two independent half batches)")
    String consensusEstimator;
    @Option(names = "--batch", defaultValue = "32", description = "batch size (2-D data: " + PointDefaults.BATCH + ")")
    int batch;
    @Option(names = "--epochs", defaultValue = "5", description = "passes over the data (finite datasets)")
    int epochs;
    @Option(names = "--steps", defaultValue = "0", description = "generator steps; overrides --epochs when > 0 (needed for ring8/grid25)")
    long steps;
    @Option(names = "--seed", defaultValue = "1", description = "seed for weights, noise and data order")
    long seed;
    @Option(names = "--ema-decay", description = "keep G_ema, the exponential moving average of the generator's weights, with this "
            + "decay, warmed up as (1 + n) / (10 + n) at its n-th step; samples and checkpoints' users (sample, classify, fid) take it "
            + "(default: " + TrainConfig.DEFAULT_EMA_DECAY + "; 2-D data: none)")
    Double emaDecay;
    @Option(names = "--ema-start", defaultValue = "0", description = "generator step up to which G_ema is a copy of G")
    long emaStart;
    @Option(names = "--no-ema", description = "keep no G_ema: samples show the generator itself")
    boolean noEma;
    @Option(names = "--sample-every", defaultValue = "200", description = "write a sample grid every N steps (0: at the end only)")
    int sampleEvery;
    @Option(names = "--log-every", defaultValue = "10", description = "read metrics from the device every N steps")
    int logEvery;
    @Option(names = "--checkpoint-every", defaultValue = "500", description = "write a checkpoint every N steps (0: at the end only)")
    int checkpointEvery;
    @Option(names = "--fid-every", defaultValue = "0", paramLabel = "N", description = "measure the FID (and KID) of --fid-samples "
            + "samples every N steps and at the end, against the training data's statistics (computed once, kept in the run "
            + "folder as fid_reference.npz); into metrics.jsonl and fid_curve.png. Features: Inception-v3's with "
            + "--inception-weights (any images), else the MNIST classifier's (28 x 28 gray images only). Training is the same "
            + "with it as without. 0: off")
    int fidEvery;
    @Option(names = "--fid-samples", defaultValue = "" + TrainConfig.DEFAULT_FID_SAMPLES, paramLabel = "M",
            description = "samples per FID measurement; the reference takes as many training images (all, when fewer). 10,000: "
                    + "about 5 s of CPU time per measurement with the KID, 3.3 s without (on 2 cores, a few seconds of wall time)")
    int fidSamples;
    @Option(names = "--kid", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "measure the KID beside each FID (100 subsets of 1000; --no-kid: FID only)")
    boolean kid;
    @Option(names = "--inception-weights", paramLabel = "FILE", description = "with --fid-every: measure through pytorch-fid's "
            + "Inception-v3 (pool3, F = 2048; any images) with these weights, as bench/inception/convert_weights.py writes them")
    Path inceptionWeights;
    @Option(names = "--out", defaultValue = "runs", description = "folder that holds run folders")
    Path out;
    @Option(names = "--name", description = "run folder name, a new or empty folder (default: <data>-<loss>-<date>-<time>, numbered -2, -3, ... if taken)")
    String name;
    @Option(names = "--resume", description = "continue a run: its folder (newest checkpoint) or a checkpoint file. It keeps "
            + "the run's settings (config.json); it takes only --steps/--epochs (a new total), --lr-decay-at/--lr-decay "
            + "(rate drops at or after the checkpoint's step), --sample-every, --log-every, --checkpoint-every, --fid-every, --inception-weights, --device, "
            + "--cuda-graphs, --no-progress, --tensorboard/--no-tensorboard and --allow-unchecked. A checkpoint kept outside a run's checkpoints/ folder continues as a new run under --out (--name allowed)")
    Path resume;
    @Mixin
    DeviceOption device;
    @Option(names = "--no-progress", description = "plain progress lines instead of a live bar")
    boolean noProgress;
    @Option(names = "--tensorboard", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "write the metrics, sample grids and configuration into an event file in the run folder for "
                    + "`tensorboard --logdir runs/` (a new file per session; --no-tensorboard: none)")
    boolean tensorBoard;
    @Option(names = "--cuda-graphs", description = "CUDA: run each training step as a CUDA graph (captured once warm, then "
            + "replayed; same results). Not yet measured on a GPU, so off by default; ignored on the CPU")
    boolean cudaGraphs;
    @Option(names = "--allow-unchecked", description = "train a loss that fails `sparring loss check` (refused without this "
            + "flag). A formula loss's verdict is printed at the start of every run. With --resume it changes nothing: the "
            + "run's loss was accepted when the run started")
    boolean allowUnchecked;

    @Spec
    CommandSpec spec;   // set by picocli: which flags were typed

    // set by `sparring sweep` (SweepCommand), which runs this command once per cell of its grid
    /** Stop after every check a fresh run makes, before a run folder is made; {@link #checkedTotalSteps} then holds its length. */
    boolean checkOnly;
    long checkedTotalSteps;
    TrainConfig checkedConfig;   // with "auto" model and channels resolved for the data
    /**
     * Called with the run just before it trains. When set, the command installs no Ctrl-C hook of its own: the caller
     * stops the run ({@link TrainingRun#requestStop}) and waits for it.
     */
    java.util.function.Consumer<TrainingRun> onStart;
    /** How the run ended, once it has. */
    TrainingRun.Result result;

    /**
     * The flags {@code --resume} takes besides itself: none changes a step the checkpoint has already trained, so the
     * continued run is the run it would have been with these settings from the start. Everything else about a run
     * (model, data, loss, optimizer, rates, batch, seed, folder) is fixed by its checkpoint.
     */
    static final List<String> RESUME_FLAGS = List.of("--steps", "--epochs", "--lr-decay-at", "--lr-decay",
            "--sample-every", "--log-every", "--checkpoint-every", "--fid-every", "--inception-weights", "--device", "--cuda-graphs", "--no-progress", "--tensorboard", "--allow-unchecked");

    @Override
    public Integer call() throws Exception {
        if (!updates.equals("alternating") && !updates.equals("simultaneous")) {
            throw new UserError("--updates must be alternating or simultaneous, got " + updates);
        }
        Resume from = resume == null ? null : Resume.from(resume);
        TrainConfig cfg;
        if (from != null) {
            refuseFlagsFixedByTheRun(from.runFolder() == null);
            cfg = resumedConfig(from);
            if (from.runFolder() != null) {
                System.err.println("resuming " + from.runFolder() + " from " + from.checkpoint().getFileName() + " (step " + from.step() + ")");
            }
        } else {
            cfg = freshConfig();
        }
        // until the first step (see JitWarmup); a check-only call (sparring sweep's checks) trains no step to warm up for.
        // On the bundled digits it needs no data, so it starts before they are read and the loss is checked.
        boolean warm = device.cpu() && !checkOnly;
        JitWarmup warmup = warm && from == null ? JitWarmup.startBeforeData(cfg) : null;
        Dataset ds;
        TrainLoss loss;
        try {
            checkLoss(cfg.loss(), from != null);
            // before the data: an image size no model takes is the error to report, not the data's size
            if (cfg.model() != TrainConfig.Model.MLP && !Datasets.isPoints(cfg.data())) Dcgan.requireImageSize(cfg.imageSize());
            ds = cfg.openData(System.err::println);
            if (cfg.conditional()) cfg.resolvedFor(ds);   // refuses data without usable labels before a backend starts
            loss = Losses.trainLoss(cfg.loss(), "--loss");
        } catch (RuntimeException | Error e) {
            if (warmup != null) warmup.close();
            throw e;
        }
        if (warm && warmup == null) warmup = JitWarmup.start(cfg, ds, loss);
        try (JitWarmup stopsWarmup = warmup;   // also when the run is refused before its first step
             Backend be = device.create();
             Trainer trainer = from != null ? from.trainer(be, ds, loss) : new Trainer(cfg, be, ds, loss)) {
            cfg = trainer.config();   // "auto" model and channels resolved for the data
            long total = trainer.totalSteps();
            if (from != null && total <= from.step()) {
                if (given("--steps") || given("--epochs")) throw totalNotAboveCheckpoint(cfg, total, trainer.stepsPerEpoch(), from.step());
                System.err.println((from.runFolder() != null ? "run " + from.runFolder() : "checkpoint " + from.checkpoint())
                        + " is already finished (step " + from.step() + " of " + total + "); nothing to do. To train it longer, give a new total above " + from.step()
                        + ": --resume " + resume + " --steps N (or --epochs N)");
                return 0;
            }
            cfg.requireDecaysWithin(total, from == null || given("--lr-decay-at"));
            if (cfg.fidEvery() > 0) FidEvaluator.networkFor(cfg);   // refused before a run folder is made
            if (checkOnly) {
                checkedTotalSteps = total;
                checkedConfig = cfg;
                return 0;
            }
            Path runDir = from != null ? from.runFolder() : null;
            if (runDir == null) {
                runDir = TrainingRun.createFolder(out, name != null ? name : defaultName(cfg), name == null);
                if (from != null) {
                    System.err.println("continuing " + from.checkpoint() + " (step " + from.step() + ") as a new run in " + runDir
                            + ": the checkpoint is not in a run's checkpoints/ folder, so nothing beside it is touched");
                }
            }
            if (from != null && !from.changes().isEmpty()) System.err.println("changed on resume: " + from.changes());
            Mixture2D points = ds instanceof Mixture2D m ? m : null;
            TrainingRun run;
            if (from != null) {
                run = from.start(trainer, runDir, System.err, points);
            } else {
                run = new TrainingRun(trainer, runDir, System.err, points);
                run.initFresh();
            }
            run.progressBar(!noProgress).tensorBoard(tensorBoard);
            System.err.printf("run %s: %s on %s, loss %s, %,d steps (%s), G %,d / D %,d parameters%n", runDir,
                    cfg.model(), ds.name(), cfg.loss(), trainer.totalSteps(),
                    trainer.stepsPerEpoch() > 0 ? String.format("%,d per epoch", trainer.stepsPerEpoch()) : "endless data, no epochs",
                    trainer.generator().parameterCount(), trainer.critic().parameterCount());
            System.err.println("optimizer " + cfg.describeTraining());
            if (cfg.conditional()) {
                System.err.println("class-conditional" + (from == null && conditional == null ? " (the default on the bundled digits; "
                        + "--no-conditional for an unconditional run)" : "") + ": " + cfg.classes() + " classes, G takes [z, one-hot label] "
                        + "(fake labels uniform), the critic projects its features on a class embedding; sample grids show one row per class");
            }
            if (cfg.ema()) System.err.println("G_ema: decay " + cfg.emaDecay() + " (warmed up), a copy of G up to step " + cfg.emaStart() + "; samples show it");
            if (cfg.fidEvery() > 0) {
                System.err.printf("FID%s every %,d steps and at the end: %,d samples (latent seed %d, as sparring fid draws them) "
                        + "against the first %,d training images, %s features%n", cfg.kid() ? " and KID" : "", cfg.fidEvery(),
                        cfg.fidSamples(), FidEvaluator.SAMPLE_SEED, run.fidEvaluator().referenceCount(), run.fidEvaluator().network().name());
            }
            if (cudaGraphs) {
                System.err.println(trainer.useStepGraph(true)
                        ? "steps run as a CUDA graph, captured once a step has run op by op without allocating (normally the third)"
                        : "--cuda-graphs: the " + be.name() + " backend has no graphs; steps run op by op");
            }
            Thread hook = onStart != null ? null : new Thread(() -> {
                run.requestStop();
                try {
                    if (!run.awaitFinished(120)) System.err.println("sparring: gave up waiting for the checkpoint");
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }, "sparring-interrupt");
            if (hook != null) Runtime.getRuntime().addShutdownHook(hook);
            if (onStart != null) onStart.accept(run);
            if (warmup != null) {
                long waited = warmup.awaitCompiled();   // bounded; a failed warm-up returns at once
                if (waited >= 100) {
                    System.err.printf("the first step waited %.1f s for the JIT to compile the CPU kernels (%d warm-up steps)%n",
                            waited / 1000.0, warmup.steps());
                }
                warmup.close();
            }
            TrainingRun.Result r = run.run();
            result = r;
            try {
                if (hook != null) Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting (Ctrl-C): the hook is waiting for us, and the checkpoint is written
            }
            System.err.println(r.message());
            StepGraph.Stats gs = trainer.stepGraphStats();
            if (gs != null) {
                System.err.printf("CUDA graph: %d step(s) op by op, %d captured, %d replayed; %d operations per step%n",
                        gs.eager(), gs.captured(), gs.replayed(), gs.operations());
            }
            if (r.lastCheckpoint() != null) System.err.println("checkpoint: " + r.lastCheckpoint());
            System.err.println("samples: " + runDir.resolve("samples") + "   loss curve: " + runDir.resolve("loss_curve.png")
                    + (run.fidHistory().isEmpty() ? "" : "   FID curve: " + runDir.resolve("fid_curve.png")));
            if (run.tensorBoardFile() != null) {
                System.err.println("TensorBoard: tensorboard --logdir " + (runDir.getParent() == null ? "." : runDir.getParent())
                        + "   (" + run.tensorBoardFile().getFileName() + ")");
            }
            return switch (r.outcome()) {
                case COMPLETED -> 0;
                case INTERRUPTED -> 130;
                case DIVERGED -> 3;
            };
        }
    }

    /**
     * The configuration of a fresh run from the flags: what a flag leaves unset comes from the loss's
     * {@link TrainerDefaults}. beta1 and beta2 belong to an optimizer: they are the loss's own when the run uses the
     * loss's optimizer, else that optimizer's usual ones (Adam 0.5, 0.999; RMSProp 0, alpha 0.99), which is what
     * every built-in loss has always trained with. For 2-D data (ring8, grid25) the flags left unset that
     * {@link PointDefaults} names (model size, batch, learning rates and their decay) take its values instead. Both are
     * filled in by {@link TrainConfig.Builder#build()}, as for a library user; here only the flags given are set.
     */
    TrainConfig freshConfig() {
        GanLoss gl = Losses.parse(loss, "--loss");
        TrainerDefaults d = TrainerDefaults.of(gl);
        Optimizer.Kind opt = optimizer != null ? Optimizer.Kind.parse(optimizer) : d.optimizer();
        if (opt == Optimizer.Kind.RMSPROP && beta1 != null && beta1 != 0) {
            throw new UserError("--beta1 " + beta1 + ": RMSProp here has no momentum, so --beta1 must be 0 (or left out) with "
                    + "--optimizer rmsprop; --beta2 sets its alpha");
        }
        if (opt == Optimizer.Kind.SGD && (beta1 != null || beta2 != null)) {
            throw new UserError((beta1 != null ? "--beta1" : "--beta2") + " does not apply to --optimizer sgd (momentum 0.9)");
        }
        boolean points = Datasets.isPoints(data);
        if (lrDecay != null && (lrDecayAt == null || lrDecayAt.isEmpty()) && !points) {
            throw new UserError("--lr-decay " + lrDecay + " needs --lr-decay-at STEP[,STEP...]: the steps after which the rates drop");
        }
        TrainConfig.Builder b = TrainConfig.builder().data(data).model(TrainConfig.Model.parse(model)).imageSize(imageSize)
                .channels(channels).upscale(upscale).skipBadImages(skipBadImages).ngf(ngf).ndf(ndf).loss(loss)
                .simultaneous(updates.equals("simultaneous")).epochs(epochs).steps(steps).seed(seed).sampleEvery(sampleEvery)
                .logEvery(logEvery).checkpointEvery(checkpointEvery).fidEvery(fidEvery).fidSamples(fidSamples).kid(kid);
        if (inceptionWeights != null) b.inceptionWeights(inceptionWeights.toAbsolutePath().normalize().toString());
        if (conditional != null) b.conditional(conditional);   // unset: DigitDefaults decides (conditional on the bundled digits)
        // what the loss and the data decide: set only when given, so that the builder fills the rest as it does for a
        // library user (the loss's TrainerDefaults, and for 2-D data PointDefaults)
        if (given("--nz")) b.nz(nz);
        if (given("--hidden")) b.hidden(hidden);
        if (given("--depth")) b.depth(depth);
        if (given("--batch")) b.batch(batch);
        if (optimizer != null) b.optimizer(opt);
        if (lrD != null) b.lrD(lrD);
        if (lrG != null) b.lrG(lrG);
        if (given("--lr-decay-at")) b.lrDecayAt(lrDecayAt);
        if (lrDecay != null) b.lrDecay(lrDecay);
        if (beta1 != null) b.beta1(beta1);
        if (beta2 != null) b.beta2(beta2);
        if (dSteps != null) b.dSteps(dSteps);
        if (clip != null) b.clip(clip);
        if (gp != null) b.gp(gp);
        if (given("--r1")) b.r1(r1);
        if (given("--r2")) b.r2(r2);
        if (given("--reg-every")) b.regEvery(regEvery);
        if (given("--consensus")) b.consensus(consensus);
        if (given("--consensus-estimator")) b.consensusEstimator(TrainConfig.ConsensusEstimator.parse(consensusEstimator));
        if (noEma && emaDecay != null) throw new UserError("--no-ema and --ema-decay: give one");
        if (noEma) b.emaDecay(0);
        if (emaDecay != null) b.emaDecay(emaDecay);
        if (given("--ema-start")) b.emaStart(emaStart);
        return b.build();
    }

    /**
     * The configuration {@code sparring train ARGS} would start a fresh run with, without starting it ("auto" model
     * and channels still unresolved: the trainer resolves them alike). For checks that train what a command trains.
     */
    public static TrainConfig freshConfig(String... args) {
        TrainCommand cmd = new TrainCommand();
        new picocli.CommandLine(cmd).parseArgs(args);
        return cmd.freshConfig();
    }

    /**
     * The design check of the run's loss ({@code sparring loss check}). A fresh run whose loss fails it is refused
     * unless --allow-unchecked; a resumed one is not (its loss was accepted when the run started). The verdict is
     * printed for a formula loss, and for a failing loss that trains anyway.
     */
    private void checkLoss(String spec, boolean resumed) {
        GanLoss gl = Losses.parse(spec, "--loss");
        CheckReport report = gl.check();
        if (!report.passed() && !resumed && !allowUnchecked) {
            throw new UserError("--loss " + spec + " fails the design check, " + report.summary() + ". See sparring loss check \""
                    + spec + "\" for the full report, or add --allow-unchecked to train it anyway");
        }
        if (gl.name().equals("formula") || !report.passed()) {
            System.err.println("loss check: " + report.summary() + (report.passed() ? ""
                    : resumed ? " (the run started with this loss; resuming it)" : " (training it anyway: --allow-unchecked)"));
        }
    }

    private boolean given(String flag) {
        return spec != null && spec.commandLine().getParseResult() != null && spec.commandLine().getParseResult().hasMatchedOption(flag);
    }

    /**
     * Refuses every typed flag that --resume cannot honour: the run keeps the settings it started with, and a flag
     * that silently did nothing would make the user believe it had.
     */
    private void refuseFlagsFixedByTheRun(boolean newFolder) {
        if (spec == null || spec.commandLine().getParseResult() == null) return;
        List<String> fixed = spec.commandLine().getParseResult().matchedOptions().stream().map(OptionSpec::longestName)
                .filter(n -> !n.equals("--resume") && !RESUME_FLAGS.contains(n))
                .filter(n -> !(newFolder && (n.equals("--out") || n.equals("--name")))).distinct().toList();
        if (fixed.isEmpty()) return;
        throw new UserError("--resume " + resume + " does not take " + String.join(", ", fixed) + ": a resumed run keeps the "
                + "settings it started with (its config.json), so that it stays the same run. --resume takes only "
                + "--steps or --epochs (a new total, counted from the start of the run), --lr-decay-at and --lr-decay "
                + "(rate drops at or after the checkpoint's step), --sample-every, --log-every, --checkpoint-every, --fid-every, --inception-weights, --device, "
                + "--cuda-graphs, --no-progress, --tensorboard/--no-tensorboard and --allow-unchecked (and --out and --name for a checkpoint kept outside a run "
                + "folder, which continues in a new run folder). To change anything else, start a new run (--name).");
    }

    /**
     * The checkpoint's configuration with the flags --resume takes ({@link Resume} says what each may change): --steps
     * and --epochs give a new total exactly as for a fresh run (steps count from the start of the run; --steps > 0
     * wins over --epochs, and --epochs alone trains to that many epochs of the data); --lr-decay-at replaces the
     * schedule and may change only drops at or after the checkpoint's step.
     */
    TrainConfig resumedConfig(Resume from) {
        if (given("--epochs")) from.epochs(epochs);
        if (given("--steps")) from.steps(steps);
        if (given("--sample-every")) from.sampleEvery(sampleEvery);
        if (given("--log-every")) from.logEvery(logEvery);
        if (given("--checkpoint-every")) from.checkpointEvery(checkpointEvery);
        if (given("--fid-every")) from.fidEvery(fidEvery);
        if (inceptionWeights != null) from.inceptionWeights(inceptionWeights.toAbsolutePath().normalize().toString());
        if (given("--lr-decay-at")) from.lrDecayAt(lrDecayAt);
        if (given("--lr-decay")) from.lrDecay(lrDecay);
        return from.config();
    }

    /** A new total that the checkpoint has already reached: the flag that set it, the total and the checkpoint's step. */
    private UserError totalNotAboveCheckpoint(TrainConfig cfg, long total, long stepsPerEpoch, long step) {
        String flag = steps > 0 ? "--steps " + steps
                : (given("--epochs") ? "--epochs " + epochs : "--steps 0 (the run's --epochs " + cfg.epochs() + ")")
                + " (" + total + " steps at " + stepsPerEpoch + " per epoch)";
        return new UserError(flag + ": the checkpoint is already at step " + step + ", so the run would end at step " + total
                + " without training. Give a total above " + step + " (--steps and --epochs count from the start of the run, "
                + "not from the checkpoint)");
    }

    /**
     * {@code <data>-<loss>-<date>-<time>}, e.g. {@code mnist-nsgan-20261121-120000}; the loss part says which loss ran:
     * a built-in's name with its parameters ({@code lsgan_a-1_b1_c0}), or for a formula {@code formula-} and a hash of
     * its text (the formula itself is in config.json). {@link TrainingRun#createFolder} numbers a taken name.
     */
    static String defaultName(TrainConfig cfg, LocalDateTime now) {
        String d = cfg.data().replaceAll(".*[/\\\\]", "").replaceAll("[^A-Za-z0-9._-]", "_");
        return d + "-" + lossName(cfg.loss()) + "-" + now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    }

    private static String defaultName(TrainConfig cfg) { return defaultName(cfg, LocalDateTime.now()); }

    /** The loss part of a default run name; see {@link #defaultName(TrainConfig, LocalDateTime)}. */
    static String lossName(String spec) {
        GanLoss gl = Losses.parse(spec, "--loss");
        if (gl.name().equals("formula")) {
            return "formula-" + java.util.HexFormat.of().formatHex(sha256(spec.replaceAll("\\s+", ""))).substring(0, 8);
        }
        StringBuilder sb = new StringBuilder(gl.name());
        if (spec.contains(":")) {
            gl.params().forEach((k, v) -> sb.append('_').append(k).append(v == Math.rint(v) && Math.abs(v) < 1e15
                    ? Long.toString(v.longValue()) : v.toString()));
        }
        return sb.toString().replaceAll("[^A-Za-z0-9._-]", "");
    }

    private static byte[] sha256(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
