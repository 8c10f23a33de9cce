package dev.sparring.cli;

import dev.sparring.optim.Optimizer;
import dev.sparring.train.TrainConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A library user's {@code TrainConfig.builder()} gives the configuration {@code sparring train} gives for the same
 * settings: a field left unset takes the loss's defaults and, for 2-D data, the 2-D defaults, as a flag left unset does;
 * on the bundled digits both train class-conditionally unless told not to.
 */
class LibraryDefaultsTest {

    @Test
    void theBuilderDefaultsAreTheTrainCommandDefaults() {
        assertEquals(TrainCommand.freshConfig(new String[0]), TrainConfig.builder().build());
        assertEquals(TrainConfig.defaults(), TrainConfig.builder().build());
    }

    @Test
    void aLossLeftToItsOwnSettingsTrainsWithThemInBoth() {
        assertEquals(TrainCommand.freshConfig("--loss", "wgan"), TrainConfig.builder().loss("wgan").build());
        TrainConfig wgan = TrainConfig.builder().loss("wgan").build();
        assertEquals(Optimizer.Kind.RMSPROP, wgan.optimizer());
        assertEquals(5, wgan.dSteps());
        assertEquals(0.01, wgan.clip());
        // WGAN-GP: the paper's Adam(0, 0.9), lr 1e-4, 5 critic steps and lambda 10; --gp with any loss
        TrainConfig gp = TrainConfig.builder().loss("wgan-gp").build();
        assertEquals(TrainCommand.freshConfig("--loss", "wgan-gp"), gp);
        assertEquals(List.of(Optimizer.Kind.ADAM, 0.0, 0.9, 5, 0.0, 10.0),
                List.of(gp.optimizer(), gp.beta1(), gp.beta2(), gp.dSteps(), gp.clip(), gp.gp()));
        assertEquals(1e-4, TrainConfig.builder().loss("wgan-gp").imageSize(64).build().lrD(), "the paper's rate (28 px: DigitDefaults' scale)");
        assertEquals(TrainCommand.freshConfig("--loss", "wgan-gp", "--gp", "5"), TrainConfig.builder().loss("wgan-gp").gp(5).build());
        assertEquals(TrainCommand.freshConfig("--gp", "1", "--r1", "0.5", "--r2", "2", "--reg-every", "4"),
                TrainConfig.builder().gp(1).r1(0.5).r2(2).regEvery(4).build());
        assertEquals(0.0, TrainConfig.builder().build().gp(), "no penalty unless asked for");
        assertEquals(TrainCommand.freshConfig("--updates", "simultaneous", "--consensus", "10", "--consensus-estimator", "unbiased"),
                TrainConfig.builder().simultaneous(true).consensus(10).consensusEstimator(TrainConfig.ConsensusEstimator.UNBIASED).build());
        assertEquals(0.0, TrainConfig.builder().build().consensus(), "no consensus optimization unless asked for");
        // another optimizer than the loss's: that optimizer's usual betas
        assertEquals(TrainCommand.freshConfig("--loss", "wgan", "--optimizer", "adam"),
                TrainConfig.builder().loss("wgan").optimizer(Optimizer.Kind.ADAM).build());
    }

    @Test
    void theBundledDigitsTrainClassConditionallyAndOtherDataOnlyWhenAsked() {
        assertTrue(TrainConfig.builder().build().conditional(), "the default run is class-conditional");
        assertTrue(TrainConfig.builder().loss("wgan-gp").build().conditional(), "with a gradient penalty too");
        TrainConfig unconditional = TrainConfig.builder().conditional(false).build();
        assertEquals(TrainCommand.freshConfig("--no-conditional"), unconditional);
        assertFalse(unconditional.conditional());
        assertEquals(TrainCommand.freshConfig("--conditional"), TrainConfig.builder().conditional(true).build());
        // every other data source: unconditional unless asked
        for (String data : List.of("idx:images.gz,labels.gz", "some/folder", "ring8")) {
            TrainConfig b = TrainConfig.builder().data(data).steps(100).build();
            assertEquals(TrainCommand.freshConfig("--data", data, "--steps", "100"), b, data);
            assertFalse(b.conditional(), data);
        }
        TrainConfig asked = TrainConfig.builder().data("some/folder").conditional(true).build();
        assertEquals(TrainCommand.freshConfig("--data", "some/folder", "--conditional"), asked);
        assertTrue(asked.conditional());
        // the MLP on the digits: the conditional model is the DCGAN's
        TrainConfig mlp = TrainConfig.builder().model(TrainConfig.Model.MLP).build();
        assertEquals(TrainCommand.freshConfig("--model", "mlp"), mlp);
        assertFalse(mlp.conditional());
        // a configuration keeps what it has: toBuilder and config.json do not decide again
        assertFalse(unconditional.toBuilder().steps(10).build().conditional());
        assertTrue(TrainConfig.fromMap(TrainConfig.builder().build().toMap()).conditional());
        java.util.Map<String, Object> old = new java.util.LinkedHashMap<>(unconditional.toMap());
        old.remove("conditional");
        old.remove("classes");
        assertFalse(TrainConfig.fromMap(old).conditional(), "a config.json from before --conditional: an unconditional run");
    }

    @Test
    void twoDimensionalDataTakesItsOwnDefaultsForWhatIsLeftUnset() {
        TrainConfig ring = TrainConfig.builder().data("ring8").steps(5000).build();
        assertEquals(TrainCommand.freshConfig("--data", "ring8", "--steps", "5000"), ring);
        assertEquals(128, ring.batch());
        assertEquals(0.002, ring.lrD());
        assertEquals(List.of(3000L), ring.lrDecayAt());
        assertEquals(TrainCommand.freshConfig("--data", "grid25", "--steps", "10000"),
                TrainConfig.builder().data("grid25").steps(10000).build());
        // what is set wins, the rest still comes from the 2-D defaults
        assertEquals(TrainCommand.freshConfig("--data", "ring8", "--steps", "5000", "--batch", "64", "--lr-d", "1e-3"),
                TrainConfig.builder().data("ring8").steps(5000).batch(64).lrD(1e-3).build());
        assertEquals(TrainCommand.freshConfig("--data", "ring8", "--steps", "5000", "--lr-decay", "1"),
                TrainConfig.builder().data("ring8").steps(5000).lrDecay(1).build());
        assertEquals(TrainCommand.freshConfig("--data", "ring8", "--steps", "5000", "--loss", "wgan"),
                TrainConfig.builder().data("ring8").steps(5000).loss("wgan").build());
        TrainConfig gp = TrainConfig.builder().data("ring8").steps(5000).loss("wgan-gp").build();
        assertEquals(TrainCommand.freshConfig("--data", "ring8", "--steps", "5000", "--loss", "wgan-gp"), gp);
        assertEquals(1.0, gp.gp(), "WGAN-GP's lambda on 2-D data: PointDefaults.GP");
        assertEquals(TrainCommand.freshConfig("--data", "ring8", "--steps", "5000", "--loss", "wgan-gp", "--gp", "10"),
                TrainConfig.builder().data("ring8").steps(5000).loss("wgan-gp").gp(10).build());
    }

    @Test
    void aConfigurationMadeFromAnotherKeepsEveryValue() {
        TrainConfig ring = TrainConfig.builder().data("ring8").steps(5000).batch(64).build();
        TrainConfig longer = ring.toBuilder().steps(8000).build();
        assertEquals(64, longer.batch());
        assertEquals(ring.lrDecayAt(), longer.lrDecayAt(), "toBuilder does not re-apply defaults");
        assertEquals(ring, TrainConfig.fromMap(ring.toMap()), "config.json reads back what ran");
        TrainConfig penalized = ring.toBuilder().gp(10).r1(0.25).r2(3).regEvery(16).build();
        assertEquals(penalized, TrainConfig.fromMap(penalized.toMap()), "the penalties read back");
        java.util.Map<String, Object> old = new java.util.LinkedHashMap<>(ring.toMap());
        for (String k : List.of("gp", "r1", "r2", "regEvery")) old.remove(k);
        assertEquals(ring, TrainConfig.fromMap(old), "a config.json from before the penalties: none");
        TrainConfig consensus = ring.toBuilder().simultaneous(true).consensus(0.5)
                .consensusEstimator(TrainConfig.ConsensusEstimator.UNBIASED).build();
        assertEquals(consensus, TrainConfig.fromMap(consensus.toMap()), "consensus optimization reads back");
        assertEquals("unbiased", consensus.toMap().get("consensusEstimator"));
        old = new java.util.LinkedHashMap<>(ring.toMap());
        for (String k : List.of("consensus", "consensusEstimator")) old.remove(k);
        assertEquals(ring, TrainConfig.fromMap(old), "a config.json from before consensus optimization: none");
    }
}
