package dev.sparring.cli;

import dev.sparring.UserError;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.Datasets;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.gan.loss.GanLosses;
import dev.sparring.io.Json;
import dev.sparring.io.SafeTensors;
import dev.sparring.optim.Adam;
import dev.sparring.optim.Optimizer;
import dev.sparring.optim.RmsProp;
import dev.sparring.optim.Sgd;
import dev.sparring.train.Checkpoint;
import dev.sparring.train.Resume;
import dev.sparring.train.DigitDefaults;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import dev.sparring.train.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What {@code sparring train} trains with when no optimizer flag is given: each loss's trainer defaults. Pins the
 * optimizers every built-in loss has always been trained with (Adam(0.5, 0.999) eps 1e-8 at 2e-4, one critic step, no
 * clipping; WGAN: RMSProp alpha 0.99 eps 1e-8 at 5e-5, 5 critic steps, clip 0.01), as the optimizer objects the trainer
 * builds, so that letting the loss's beta1/beta2 flow changed no built-in's training. The 28 px DCGAN (the MNIST
 * default) takes the Adam losses' rates 8x ({@link DigitDefaults}).
 */
class TrainDefaultsTest {
    /**
     * The configuration the flags give a fresh run on image data, plus {@code flags}, made a tiny ring8 MLP to build
     * its optimizers cheaply (2-D data has defaults of its own: {@link #twoDDataGetsItsOwnDefaultsForUnsetFlags}).
     */
    private static TrainConfig resolve(String... flags) {
        List<String> args = new ArrayList<>(List.of("--data", "mnist", "--steps", "4", "--hidden", "4", "--depth", "1", "--nz", "2", "--batch", "8"));
        args.addAll(List.of(flags));
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
        return cmd.freshConfig().toBuilder().data("ring8").model(TrainConfig.Model.MLP).conditional(false).build();
    }

    /** The optimizers the trainer builds for this configuration, as "name lr ... | critic steps, clip". */
    private static String trained(TrainConfig cfg) {
        try (Trainer t = new Trainer(cfg, new CpuBackend(), Datasets.open("ring8", 0, 0), TrainLoss.of(GanLoss.parse(cfg.loss())))) {
            String g = describe(t.generatorOptimizer()), d = describe(t.criticOptimizer());
            assertEquals(g, d, "G and D optimizers differ only in their rates here");
            return g + " | k " + cfg.dSteps() + ", clip " + cfg.clip();
        }
    }

    private static String describe(Optimizer o) {
        return switch (o) {
            case Adam a -> "adam lr " + a.learningRate() + " betas " + a.beta1 + ", " + a.beta2 + " eps " + a.eps + " wd " + a.weightDecay;
            case RmsProp r -> "rmsprop lr " + r.learningRate() + " alpha " + r.alpha + " eps " + r.eps;
            case Sgd s -> "sgd lr " + s.learningRate() + " momentum " + s.momentum;
            default -> fail("unexpected optimizer " + o.name());
        };
    }

    /** An Adam loss's settings on the 28 px DCGAN: its 2e-4 times {@link DigitDefaults#LR_SCALE}. */
    private static final String ADAM = "adam lr 0.0016 betas 0.5, 0.999 eps 1.0E-8 wd 0.0 | k 1, clip 0.0";
    private static final String WGAN = "rmsprop lr 5.0E-5 alpha 0.99 eps 1.0E-8 | k 5, clip 0.01";
    /** WGAN-GP's paper settings (Adam 1e-4, betas (0, 0.9), 5 critic steps, no clipping), the rate scaled as Adam's. */
    private static final String WGAN_GP = "adam lr 8.0E-4 betas 0.0, 0.9 eps 1.0E-8 wd 0.0 | k 5, clip 0.0";

    @Test
    void everyBuiltInLossTrainsWithTheOptimizerItAlwaysHad() {
        List<String> names = GanLosses.names();
        assertTrue(names.size() >= 26, "the catalogue: " + names);
        for (String loss : names) {
            String expected = switch (loss) {
                case "wgan" -> WGAN;
                case "wgan-gp" -> WGAN_GP;
                default -> ADAM;
            };
            assertEquals(expected, trained(resolve("--loss", loss)), loss);
        }
        // a formula: an IPM critic gets WGAN's settings, any other Adam's
        assertEquals(WGAN, trained(resolve("--loss", "phi=t; psi=-t; beta=-t")));
        assertEquals(ADAM, trained(resolve("--loss", "phi=-exp(t); psi=-exp(-t); beta=exp(t)")));
    }

    @Test
    void betasComeFromTheLossOnlyForTheLossesOwnOptimizer() {
        TrainConfig ns = resolve("--loss", "nsgan"), w = resolve("--loss", "wgan");
        assertEquals(List.of(0.5, 0.999), List.of(ns.beta1(), ns.beta2()));
        assertEquals(List.of(0.0, 0.99), List.of(w.beta1(), w.beta2()));
        // another optimizer than the loss's: that optimizer's usual values, as before the loss's betas were used
        assertEquals("adam lr 5.0E-5 betas 0.5, 0.999 eps 1.0E-8 wd 0.0 | k 5, clip 0.01", trained(resolve("--loss", "wgan", "--optimizer", "adam")));
        assertEquals("rmsprop lr 2.0E-4 alpha 0.99 eps 1.0E-8 | k 1, clip 0.0", trained(resolve("--loss", "nsgan", "--optimizer", "rmsprop")));
        assertEquals("sgd lr 2.0E-4 momentum 0.9 | k 1, clip 0.0", trained(resolve("--loss", "nsgan", "--optimizer", "sgd")));
    }

    @Test
    void betaFlagsOverrideTheLoss() {
        assertEquals("adam lr 0.0016 betas 0.9, 0.99 eps 1.0E-8 wd 0.0 | k 1, clip 0.0",
                trained(resolve("--loss", "nsgan", "--beta1", "0.9", "--beta2", "0.99")));
        assertEquals("adam lr 0.0016 betas 0.0, 0.999 eps 1.0E-8 wd 0.0 | k 1, clip 0.0", trained(resolve("--beta1", "0")));
        assertEquals("rmsprop lr 5.0E-5 alpha 0.9 eps 1.0E-8 | k 5, clip 0.01", trained(resolve("--loss", "wgan", "--beta2", "0.9")));
        assertEquals(0.0, resolve("--loss", "wgan", "--beta1", "0").beta1());
    }

    @Test
    void betaFlagsAnOptimizerCannotUseAreRefused() {
        UserError e = assertThrows(UserError.class, () -> resolve("--loss", "wgan", "--beta1", "0.5"));
        assertTrue(e.getMessage().contains("--beta1") && e.getMessage().contains("rmsprop"), e.getMessage());
        e = assertThrows(UserError.class, () -> resolve("--optimizer", "sgd", "--beta2", "0.9"));
        assertTrue(e.getMessage().contains("--beta2 does not apply to --optimizer sgd"), e.getMessage());
    }

    /** The configuration {@code sparring train ARGS} gives a fresh run. */
    private static TrainConfig fresh(String... args) { return TrainCommand.freshConfig(args); }

    /** model, batch, nz, hidden, depth, lr D / G, the drops and their factor: what the 2-D defaults set. */
    private static String shape(TrainConfig c) {
        return c.model() + " batch " + c.batch() + " nz " + c.nz() + " " + c.depth() + "x" + c.hidden() + " lr " + c.lrD() + "/" + c.lrG()
                + " at " + c.lrDecayAt() + " x" + c.lrDecay();
    }

    @Test
    void twoDDataGetsItsOwnDefaultsForUnsetFlags() {
        // the README's commands: MLP 2 x 128 and latent size 4 (grid25: 2 x 256, 2), batch 128, 10x the loss's rates, x0.2 after 60 % of the steps
        assertEquals("auto batch 128 nz 4 2x128 lr 0.002/0.002 at [3000] x0.2", shape(fresh("--data", "ring8", "--steps", "5000")));
        assertEquals("auto batch 128 nz 2 2x256 lr 0.002/0.002 at [6000] x0.2", shape(fresh("--data", "grid25", "--steps", "10000")));
        assertEquals("auto batch 128 nz 4 2x128 lr 5.0E-4/5.0E-4 at [600] x0.2", shape(fresh("--data", "RING8", "--steps", "1000", "--loss", "wgan")));
        TrainConfig w = fresh("--data", "grid25", "--steps", "10", "--loss", "wgan");
        assertEquals(List.of(Optimizer.Kind.RMSPROP, 5, 0.01), List.of(w.optimizer(), w.dSteps(), w.clip()), "the loss's other defaults stay");
        // WGAN-GP: lambda 1 in place of the paper's 10 on 2-D data (PointDefaults.GP); a typed --gp, and --gp on another loss, stay
        TrainConfig gp = fresh("--data", "ring8", "--steps", "5000", "--loss", "wgan-gp");
        assertEquals(List.of(1.0, 0.001, Optimizer.Kind.ADAM, 5), List.of(gp.gp(), gp.lrD(), gp.optimizer(), gp.dSteps()));
        assertEquals(10.0, fresh("--data", "ring8", "--steps", "5000", "--loss", "wgan-gp", "--gp", "10").gp());
        assertEquals(3.0, fresh("--data", "grid25", "--steps", "5000", "--gp", "3").gp());
        assertEquals(0.0, fresh("--data", "ring8", "--steps", "5000").gp(), "no penalty on a loss without one");
        assertEquals(10.0, fresh("--loss", "wgan-gp").gp(), "image data: the paper's lambda");
        // no drop where 60 % of the steps is not a step before the last
        assertEquals(List.of(), fresh("--data", "ring8", "--steps", "1").lrDecayAt());
        assertEquals(List.of(1L), fresh("--data", "ring8", "--steps", "2").lrDecayAt());
        // image data keeps the flags' own defaults (and the 28 px DCGAN's rates: digitsTrainAtEightTimesTheAdamRates)
        assertEquals("auto batch 32 nz 64 3x128 lr 0.0016/0.0016 at [] x0.1", shape(fresh("--data", "mnist")));
        assertEquals("auto batch 32 nz 64 3x128 lr 0.0016/0.0016 at [] x0.1", shape(fresh()));
    }

    @Test
    void digitsTrainAtEightTimesTheAdamRates() {
        // the 28 px DCGAN with the loss's Adam: 8x the loss's 2e-4; a rate typed wins, the other keeps its default
        assertEquals(List.of(0.0016, 0.0016), List.of(fresh().lrD(), fresh().lrG()));
        assertEquals(List.of(0.0016, 0.0016), List.of(fresh("--loss", "hinge").lrD(), fresh("--loss", "hinge").lrG()));
        assertEquals(List.of(0.0016, 0.001), List.of(fresh("--lr-g", "1e-3").lrD(), fresh("--lr-g", "1e-3").lrG()));
        assertEquals(List.of(2e-4, 0.0016), List.of(fresh("--lr-d", "2e-4").lrD(), fresh("--lr-d", "2e-4").lrG()));
        assertEquals(List.of(0.0016, 0.0016), List.of(fresh("--optimizer", "adam").lrD(), fresh("--optimizer", "adam").lrG()));
        // what was not measured keeps the loss's rates: 32 and 64 px, RMSProp (wgan), another optimizer, the MLP
        assertEquals(2e-4, fresh("--image-size", "32", "--upscale").lrG());
        assertEquals(2e-4, fresh("--data", "mnist", "--image-size", "64", "--upscale").lrD());
        assertEquals(5e-5, fresh("--loss", "wgan").lrG());
        assertEquals(5e-5, fresh("--loss", "wgan", "--optimizer", "adam").lrG());
        assertEquals(2e-4, fresh("--optimizer", "rmsprop").lrG());
        assertEquals(2e-4, fresh("--optimizer", "sgd").lrD());
        assertEquals(2e-4, fresh("--model", "mlp").lrG());
    }

    @Test
    void aTypedFlagWinsOverTheTwoDDefaults() {
        assertEquals("mlp batch 32 nz 64 3x128 lr 2.0E-4/1.0E-4 at [100, 200] x0.5", shape(fresh("--data", "ring8", "--steps", "5000",
                "--model", "mlp", "--batch", "32", "--nz", "64", "--depth", "3", "--lr-d", "2e-4", "--lr-g", "1e-4",
                "--lr-decay-at", "100,200", "--lr-decay", "0.5")));
        // typed values equal to the image defaults count as typed
        assertEquals("auto batch 32 nz 64 2x128 lr 0.002/0.002 at [3000] x0.2", shape(fresh("--data", "ring8", "--steps", "5000", "--batch", "32", "--nz", "64")));
        // one of a pair: the other keeps its 2-D default
        assertEquals("auto batch 128 nz 4 2x64 lr 0.001/0.002 at [3000] x0.5", shape(fresh("--data", "ring8", "--steps", "5000",
                "--hidden", "64", "--lr-d", "1e-3", "--lr-decay", "0.5")));
        assertEquals("auto batch 128 nz 4 2x128 lr 0.002/0.002 at [] x1.0", shape(fresh("--data", "ring8", "--steps", "5000", "--lr-decay", "1")),
                "--lr-decay 1: constant rates, no drop");
        assertEquals("auto batch 128 nz 2 2x256 lr 0.002/0.002 at [4000] x0.2", shape(fresh("--data", "grid25", "--steps", "5000", "--lr-decay-at", "4000")));
        assertEquals("auto batch 128 nz 2 2x128 lr 0.002/0.002 at [6000] x0.2", shape(fresh("--data", "grid25", "--steps", "10000", "--hidden", "128")));
        // --lr-decay alone: on image data it still needs --lr-decay-at
        UserError e = assertThrows(UserError.class, () -> fresh("--steps", "10", "--lr-decay", "0.5"));
        assertTrue(e.getMessage().contains("--lr-decay 0.5 needs --lr-decay-at"), e.getMessage());
    }

    @Test
    void aResumedRunKeepsItsSavedConfigurationOnTwoDData(@TempDir Path dir) throws IOException {
        // a ring8 run saved with other values than today's 2-D defaults (as every ring8 run made before them)
        TrainConfig saved = TrainConfig.defaults().toBuilder().data("ring8").model(TrainConfig.Model.MLP).conditional(false).steps(5000).build();
        Path checkpoint = dir.resolve("step_005000.safetensors");   // the metadata --resume reads, without tensors
        SafeTensors.writer().putMetadata("format", Checkpoint.FORMAT).putMetadata("config", Json.write(saved))
                .putMetadata("step", "5000").write(checkpoint);
        TrainCommand cmd = new TrainCommand();
        new CommandLine(cmd).parseArgs("--resume", checkpoint.toString(), "--steps", "8000");
        TrainConfig resumed = cmd.resumedConfig(Resume.from(checkpoint));
        assertEquals(saved.toBuilder().steps(8000).build(), resumed);
        assertEquals("mlp batch 32 nz 64 3x128 lr 0.0016/0.0016 at [] x0.1", shape(resumed));
    }
}
