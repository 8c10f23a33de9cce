package dev.sparring.cli;

import dev.sparring.data.Datasets;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The CPU run's JIT warm-up: it trains until closed, then ends, and the run's results do not depend on it. */
class JitWarmupTest {

    @Test
    void trainsUntilClosedThenEnds() throws Exception {
        TrainConfig cfg = TrainConfig.builder().data("ring8").model(TrainConfig.Model.MLP).hidden(8).depth(1).nz(2).batch(16).steps(5).build();
        JitWarmup w = JitWarmup.start(cfg, Datasets.open("ring8", 0, 0), TrainLoss.of(GanLoss.parse("nsgan")));
        assertNotNull(w);
        try {
            long until = System.nanoTime() + 60_000_000_000L;
            while (w.steps() < 3 && System.nanoTime() < until) Thread.sleep(5);
            assertTrue(w.steps() >= 3, "the warm-up trained " + w.steps() + " steps in a minute");
        } finally {
            w.close();
        }
        assertTrue(w.ended(60_000), "the warm-up's thread still runs after close");
    }

    @Test
    void aRefusedRunStopsItsWarmup() throws Exception {
        int before = warmups();
        // --lr-decay-at past the run's end is refused after the warm-up has started
        CliTest.Run r = CliTest.run("train", "--no-progress", "--data", "ring8", "--steps", "4", "--hidden", "8", "--depth", "1",
                "--nz", "2", "--batch", "16", "--device", "cpu", "--lr-decay-at", "10", "--out", Files.createTempDirectory("warmup").toString());
        assertNotEquals(0, r.code(), r.err());
        long until = System.nanoTime() + 60_000_000_000L;
        while (warmups() > before && System.nanoTime() < until) Thread.sleep(10);
        assertEquals(before, warmups(), "a warm-up thread outlives the refused run: " + r.err());
    }

    @Test
    void onlyTheBundledDigitsAtTheirOwnSizeWarmUpBeforeTheirDataIsRead() throws Exception {
        for (TrainConfig cfg : new TrainConfig[] {TrainConfig.builder().build(), TrainConfig.builder().data("MNIST").channels(1).build()}) {
            JitWarmup w = JitWarmup.startBeforeData(cfg);
            assertNotNull(w, cfg.data());
            w.close();
            assertTrue(w.ended(60_000), "the warm-up's thread still runs after close");
        }
        assertNull(JitWarmup.startBeforeData(TrainConfig.builder().data("ring8").build()));
        assertNull(JitWarmup.startBeforeData(TrainConfig.builder().imageSize(32).build()));
        assertNull(JitWarmup.startBeforeData(TrainConfig.builder().channels(3).build()));
        assertNull(JitWarmup.startBeforeData(TrainConfig.builder().data("idx:x.gz").build()));
    }

    @Test
    void aRunOnTheBundledDigitsRefusedBeforeItsDataStopsItsWarmup() throws Exception {
        int before = warmups();
        // the warm-up starts before the loss check, which refuses this design
        CliTest.Run r = CliTest.run("train", "--no-progress", "--steps", "4", "--batch", "8", "--ngf", "8", "--ndf", "8", "--nz", "8",
                "--device", "cpu", "--loss", "phi=t; psi=t; beta=t", "--out", Files.createTempDirectory("warmup").toString());
        assertEquals(2, r.code(), r.err());
        long until = System.nanoTime() + 60_000_000_000L;
        while (warmups() > before && System.nanoTime() < until) Thread.sleep(10);
        assertEquals(before, warmups(), "a warm-up thread outlives the refused run: " + r.err());
    }

    @Test
    void aRunGivesTheSameWeightsWithAndWithoutItsWarmup(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String[] with = tiny(dir.resolve("with"));
        String[] without = tiny(dir.resolve("without"));
        assertEquals(0, CliTest.run(with).code());
        System.setProperty("sparring.noWarmup", "true");
        try {
            assertEquals(0, CliTest.run(without).code());
        } finally {
            System.clearProperty("sparring.noWarmup");
        }
        Path a = dir.resolve("with/r/checkpoints/step_000012.safetensors"), b = dir.resolve("without/r/checkpoints/step_000012.safetensors");
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "the warm-up changed the run's weights");
    }

    private static String[] tiny(Path out) {
        return new String[] {"train", "--no-progress", "--data", "mnist", "--steps", "12", "--batch", "8", "--ngf", "8", "--ndf", "8",
                "--nz", "8", "--sample-every", "0", "--checkpoint-every", "12", "--device", "cpu", "--no-tensorboard",
                "--out", out.toString(), "--name", "r"};
    }

    private static int warmups() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) if (t.getName().equals("sparring-warmup") && t.isAlive()) n++;
        return n;
    }
}
