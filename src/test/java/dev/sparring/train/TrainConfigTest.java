package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.io.Json;
import dev.sparring.optim.Optimizer;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TrainConfigTest {
    private static final TrainConfig BASE = TrainConfig.builder().lrD(2e-3).lrG(1e-3).build();

    /** The message of the error that building BASE with a change gives. */
    private static String error(java.util.function.UnaryOperator<TrainConfig.Builder> change) {
        return assertThrows(UserError.class, () -> change.apply(BASE.toBuilder()).build()).getMessage();
    }

    @Test
    void theRatesDropAfterEachListedGeneratorStep() {
        TrainConfig c = BASE.toBuilder().lrDecayAt(3, 5).lrDecay(0.5).build();
        // the argument is the number of generator steps done: step s + 1 trains at lrDAt(s)
        double[] d = new double[8], g = new double[8];
        for (int s = 0; s < 8; s++) {
            d[s] = c.lrDAt(s);
            g[s] = c.lrGAt(s);
        }
        assertArrayEquals(new double[]{2e-3, 2e-3, 2e-3, 1e-3, 1e-3, 5e-4, 5e-4, 5e-4}, d);
        assertArrayEquals(new double[]{1e-3, 1e-3, 1e-3, 5e-4, 5e-4, 2.5e-4, 2.5e-4, 2.5e-4}, g);
        assertEquals(0, c.decaysAfter(2));
        assertEquals(1, c.decaysAfter(3));
        assertEquals(2, c.decaysAfter(1_000_000));
        assertEquals(2e-3, BASE.lrDAt(1_000_000), "no decay: constant");
        assertEquals("lr D 0.002, G 0.001, x0.5 after steps 3,5", c.describeLearningRates());
        assertEquals("lr D 0.002, G 0.001, constant", BASE.describeLearningRates());
    }

    @Test
    void theRingScheduleGivesTheFloatRatesOfTheTwoPhaseRunItReplaced() {
        // RingLearningTest once trained 3000 steps at 2e-3/1e-3, then resumed at 2e-3/5, 1e-3/5
        TrainConfig c = BASE.toBuilder().lrDecayAt(3000).lrDecay(0.2).build();
        assertEquals((float) (2e-3 / 5), (float) c.lrDAt(3000));
        assertEquals((float) (1e-3 / 5), (float) c.lrGAt(3000));
    }

    @Test
    void badSchedulesAndBetasAreRejectedNamingTheFlag() {
        assertTrue(error(b -> b.lrDecayAt(3000, 3000)).contains("--lr-decay-at steps must be strictly increasing, got 3000,3000"));
        assertTrue(error(b -> b.lrDecayAt(4000, 3000)).contains("--lr-decay-at steps must be strictly increasing"));
        assertTrue(error(b -> b.lrDecayAt(0)).contains("--lr-decay-at steps must be >= 1"));
        assertTrue(error(b -> b.lrDecayAt(-5)).contains("--lr-decay-at"));
        for (double bad : new double[]{0, -0.1, 1.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertTrue(error(b -> b.lrDecay(bad)).contains("--lr-decay must be in (0, 1]"), "factor " + bad);
        }
        assertEquals(1.0, BASE.toBuilder().lrDecay(1.0).build().lrDecay(), "1: allowed (no change)");
        // rates the optimizers would refuse at the step that first used them (float32: not finite, or 0)
        assertTrue(error(b -> b.lrD(1e39)).contains("--lr-d and --lr-g must be float32 numbers"), "lr beyond Float.MAX_VALUE");
        assertTrue(error(b -> b.lrG(1e-50)).contains("0 as float32 numbers"), "lr below the smallest float");
        TrainConfig decays = BASE.toBuilder().lrD(2e-4).lrG(2e-4).lrDecayAt(5, 10).build();
        String e = assertThrows(UserError.class, () -> decays.toBuilder().lrDecay(1e-30).build()).getMessage();
        assertTrue(e.contains("after 2 drops by --lr-decay 1.0E-30") && e.contains("0 as float32 numbers"), e);
        TrainConfig tiny = decays.toBuilder().lrDecay(1e-20).build();   // 2e-44: a subnormal float, still > 0
        assertTrue((float) tiny.lrDAt(10) > 0, "subnormal rates stay allowed");
        for (double bad : new double[]{-0.1, 1, Double.NaN}) {
            assertTrue(error(b -> b.beta1(bad)).contains("--beta1 must be in [0, 1)"), "beta1 " + bad);
            assertTrue(error(b -> b.beta2(bad)).contains("--beta2 must be in [0, 1)"), "beta2 " + bad);
        }
    }

    @Test
    void theScheduleAndBetasSurviveJsonAsConfigJsonAndCheckpointsStoreThem() {
        TrainConfig c = BASE.toBuilder().lrDecayAt(3000, 4500).lrDecay(0.2).beta2(0.99).build();
        String json = Json.write(c.toMap());
        assertTrue(json.contains("\"lrDecayAt\":[3000,4500],\"lrDecay\":0.2"), json);
        assertEquals(c, TrainConfig.fromMap(Json.parseObject(json, "test")));
        assertEquals(List.of(), TrainConfig.defaults().lrDecayAt());
    }

    @Test
    void aConfigWrittenBeforeTheScheduleAndBeta2LoadsAsItTrained() {
        for (Optimizer.Kind opt : Optimizer.Kind.values()) {
            Map<String, Object> old = BASE.toBuilder().optimizer(opt).build().toMap();
            old.remove("lrDecayAt");
            old.remove("lrDecay");
            old.remove("beta2");
            TrainConfig c = TrainConfig.fromMap(Json.parseObject(Json.write(old), "old config"));
            assertEquals(List.of(), c.lrDecayAt(), opt.toString());
            assertEquals(opt == Optimizer.Kind.RMSPROP ? 0.99 : 0.999, c.beta2(), opt + ": the beta2/alpha its optimizer had fixed");
        }
        Map<String, Object> broken = BASE.toMap();
        broken.put("lrDecayAt", List.of(1.5));
        assertThrows(UserError.class, () -> TrainConfig.fromMap(broken));
        broken.put("lrDecayAt", List.of());
        broken.put("nz", 2.5);
        assertTrue(assertThrows(UserError.class, () -> TrainConfig.fromMap(broken)).getMessage().contains("'nz' must be a whole number"));
        broken.put("nz", "64");
        assertThrows(UserError.class, () -> TrainConfig.fromMap(broken));
    }

    @Test
    void aNumberPastTheDoubleRangeIsRefused() {
        String json = Json.write(BASE);
        assertTrue(json.contains("\"clip\":0.0,"), json);
        Map<String, Object> m = Json.parseObject(json.replace("\"clip\":0.0,", "\"clip\":1e400,"), "config.json");
        assertEquals(Double.POSITIVE_INFINITY, m.get("clip"), "JSON reads 1e400 as infinity");
        assertTrue(assertThrows(UserError.class, () -> TrainConfig.fromMap(m)).getMessage().contains("--clip must be >= 0 and finite, got Infinity"));
    }

    @Test
    void theModelAndOptimizerAreStoredByTheirLowercaseNames() {
        String json = Json.write(BASE.toBuilder().model(TrainConfig.Model.MLP).optimizer(Optimizer.Kind.RMSPROP).build());
        assertTrue(json.contains("\"model\":\"mlp\"") && json.contains("\"optimizer\":\"rmsprop\""), json);
        Map<String, Object> m = Json.parseObject(json, "config.json");
        assertEquals(TrainConfig.Model.MLP, TrainConfig.fromMap(m).model());
        m.put("optimizer", "RMSProp");
        assertTrue(assertThrows(UserError.class, () -> TrainConfig.fromMap(m)).getMessage().contains("unknown optimizer 'RMSProp'"));
        assertEquals("--model must be dcgan, mlp or auto, got MLP",
                assertThrows(UserError.class, () -> TrainConfig.Model.parse("MLP")).getMessage());
    }

    @Test
    void skipBadImagesIsSavedAndAConfigWrittenBeforeItLoadsWithoutSkipping() {
        TrainConfig c = BASE.toBuilder().skipBadImages(true).build();
        String json = Json.write(c.toMap());
        assertTrue(json.contains("\"upscale\":false,\"skipBadImages\":true,"), json);
        assertEquals(c, TrainConfig.fromMap(Json.parseObject(json, "test")));
        Map<String, Object> old = c.toMap();
        old.remove("skipBadImages");
        assertFalse(TrainConfig.fromMap(Json.parseObject(Json.write(old), "old config")).skipBadImages(),
                "a run from before the flag refused a folder with a bad image");
    }

    @Test
    void trainerDefaultsSetsEveryTrainerSetting() {
        TrainConfig c = BASE.toBuilder().trainerDefaults(TrainerDefaults.WGAN).build();
        assertEquals(List.of(Optimizer.Kind.RMSPROP, 5e-5, 5e-5, 0.0, 0.99, 5, 0.01),
                List.of(c.optimizer(), c.lrD(), c.lrG(), c.beta1(), c.beta2(), c.dSteps(), c.clip()));
    }
}
