package dev.sparring.train;

import dev.sparring.UserError;
import dev.sparring.io.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TrainConfigTest {
    private static final TrainConfig BASE = TrainConfig.defaults().with("lrD", 2e-3).with("lrG", 1e-3);

    private static String error(String field, Object value) {
        return assertThrows(UserError.class, () -> BASE.with(field, value)).getMessage();
    }

    @Test
    void theRatesDropAfterEachListedGeneratorStep() {
        TrainConfig c = BASE.with("lrDecayAt", List.of(3L, 5L)).with("lrDecay", 0.5);
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
        TrainConfig c = BASE.with("lrDecayAt", List.of(3000L)).with("lrDecay", 0.2);
        assertEquals((float) (2e-3 / 5), (float) c.lrDAt(3000));
        assertEquals((float) (1e-3 / 5), (float) c.lrGAt(3000));
    }

    @Test
    void badSchedulesAndBetasAreRejectedNamingTheFlag() {
        assertTrue(error("lrDecayAt", List.of(3000L, 3000L)).contains("--lr-decay-at steps must be strictly increasing, got 3000,3000"));
        assertTrue(error("lrDecayAt", List.of(4000L, 3000L)).contains("--lr-decay-at steps must be strictly increasing"));
        assertTrue(error("lrDecayAt", List.of(0L)).contains("--lr-decay-at steps must be >= 1"));
        assertTrue(error("lrDecayAt", List.of(-5L)).contains("--lr-decay-at"));
        for (double bad : new double[]{0, -0.1, 1.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertTrue(error("lrDecay", bad).contains("--lr-decay must be in (0, 1]"), "factor " + bad);
        }
        assertEquals(1.0, BASE.with("lrDecay", 1.0).lrDecay(), "1: allowed (no change)");
        // rates the optimizers would refuse at the step that first used them (float32: not finite, or 0)
        assertTrue(error("lrD", 1e39).contains("--lr-d and --lr-g must be float32 numbers"), "lr beyond Float.MAX_VALUE");
        assertTrue(error("lrG", 1e-50).contains("0 as float32 numbers"), "lr below the smallest float");
        TrainConfig decays = BASE.with("lrD", 2e-4).with("lrG", 2e-4).with("lrDecayAt", List.of(5L, 10L));
        String e = assertThrows(UserError.class, () -> decays.with("lrDecay", 1e-30)).getMessage();
        assertTrue(e.contains("after 2 drops by --lr-decay 1.0E-30") && e.contains("0 as float32 numbers"), e);
        TrainConfig tiny = decays.with("lrDecay", 1e-20);   // 2e-44: a subnormal float, still > 0
        assertTrue((float) tiny.lrDAt(10) > 0, "subnormal rates stay allowed");
        for (double bad : new double[]{-0.1, 1, Double.NaN}) {
            assertTrue(error("beta1", bad).contains("--beta1 must be in [0, 1)"), "beta1 " + bad);
            assertTrue(error("beta2", bad).contains("--beta2 must be in [0, 1)"), "beta2 " + bad);
        }
    }

    @Test
    void theScheduleAndBetasSurviveJsonAsConfigJsonAndCheckpointsStoreThem() {
        TrainConfig c = BASE.with("lrDecayAt", List.of(3000L, 4500L)).with("lrDecay", 0.2).with("beta2", 0.99);
        String json = Json.write(c.toMap());
        assertTrue(json.contains("\"lrDecayAt\":[3000,4500],\"lrDecay\":0.2"), json);
        assertEquals(c, TrainConfig.fromMap(Json.parseObject(json, "test")));
        assertEquals(List.of(), TrainConfig.defaults().lrDecayAt());
    }

    @Test
    void aConfigWrittenBeforeTheScheduleAndBeta2LoadsAsItTrained() {
        for (String opt : List.of("adam", "rmsprop", "sgd")) {
            Map<String, Object> old = BASE.with("optimizer", opt).toMap();
            old.remove("lrDecayAt");
            old.remove("lrDecay");
            old.remove("beta2");
            TrainConfig c = TrainConfig.fromMap(Json.parseObject(Json.write(old), "old config"));
            assertEquals(List.of(), c.lrDecayAt(), opt);
            assertEquals(opt.equals("rmsprop") ? 0.99 : 0.999, c.beta2(), opt + ": the beta2/alpha its optimizer had fixed");
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
    void skipBadImagesIsSavedAndAConfigWrittenBeforeItLoadsWithoutSkipping() {
        TrainConfig c = BASE.with("skipBadImages", true);
        String json = Json.write(c.toMap());
        assertTrue(json.contains("\"upscale\":false,\"skipBadImages\":true,"), json);
        assertEquals(c, TrainConfig.fromMap(Json.parseObject(json, "test")));
        Map<String, Object> old = c.toMap();
        old.remove("skipBadImages");
        assertFalse(TrainConfig.fromMap(Json.parseObject(Json.write(old), "old config")).skipBadImages(),
                "a run from before the flag refused a folder with a bad image");
    }

    @Test
    void withDefaultsTakesEveryTrainerSetting() {
        TrainConfig c = BASE.withDefaults(TrainerDefaults.WGAN);
        assertEquals(List.of("rmsprop", 5e-5, 5e-5, 0.0, 0.99, 5, 0.01),
                List.of(c.optimizer(), c.lrD(), c.lrG(), c.beta1(), c.beta2(), c.dSteps(), c.clip()));
    }
}
