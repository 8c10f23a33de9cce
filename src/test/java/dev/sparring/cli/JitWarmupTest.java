package dev.sparring.cli;

import dev.sparring.data.Datasets;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.train.TrainConfig;
import dev.sparring.train.TrainLoss;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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

    // ---------------------------------------------------------------- the first step's wait for the JIT (awaitCompiled)

    /** A warm-up body that trains n steps of the given times (ns), then idles until closed. */
    private static java.util.function.Consumer<JitWarmup> stepsThenIdle(long... nanos) {
        return w -> {
            for (long n : nanos) w.stepped(n);
            while (!w.closed()) sleep(2);
        };
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final java.util.function.LongSupplier BUSY_COMPILER = System::nanoTime;   // one core, all the time

    private static long waited(JitWarmup w, long maxMillis, java.util.function.LongSupplier compilerCpu) throws Exception {
        try {
            return w.awaitCompiled(maxMillis, compilerCpu, System::nanoTime);
        } finally {
            w.close();
        }
    }

    @Test
    void theFirstStepDoesNotWaitForAWarmupThatHasEnded() throws Exception {
        JitWarmup w = new JitWarmup(x -> { });   // as a warm-up whose Trainer failed: its thread ends
        assertTrue(waited(w, 60_000, BUSY_COMPILER) < 10_000);
    }

    @Test
    void theWaitIsBoundedWhileTheCompilerIsBusy() throws Exception {
        long t0 = System.nanoTime();
        long ms = waited(new JitWarmup(stepsThenIdle(900, 700, 500, 300)), 300, BUSY_COMPILER);
        assertTrue(ms >= 300 && (System.nanoTime() - t0) / 1_000_000 < 10_000, "waited " + ms + " ms for a bound of 300");
    }

    @Test
    void theWaitEndsOnceTheCompilerIsIdleAfterTheFirstSteps() throws Exception {
        long idleFrom = System.nanoTime() + 300_000_000L;
        long ms = waited(new JitWarmup(stepsThenIdle(900, 700, 500, 300)), 20_000, () -> Math.min(System.nanoTime(), idleFrom));
        assertTrue(ms >= 300 + JitWarmup.IDLE_WINDOW_MILLIS - 20 && ms < 10_000, "waited " + ms + " ms");
    }

    @Test
    void anIdleCompilerDoesNotEndTheWaitBeforeTheWarmupHasTrainedItsFirstSteps() throws Exception {
        // one step (still in the interpreter, before the kernels are hot): an idle compiler means nothing yet
        long ms = waited(new JitWarmup(stepsThenIdle(900)), 800, () -> 0);
        assertTrue(ms >= 800, "waited " + ms + " ms");
    }

    @Test
    void theWaitEndsOnceTheWarmupsStepTimeStopsFalling() throws Exception {
        long[] flat = new long[JitWarmup.FLAT_STEPS + 2];   // the first step, the best, then FLAT_STEPS no faster
        Arrays.fill(flat, 1_000_000);
        flat[0] = 50_000_000;
        // a busy compiler (a warm JVM compiling other code), or none that can be read
        for (java.util.function.LongSupplier cpu : new java.util.function.LongSupplier[] {BUSY_COMPILER, () -> -1}) {
            long ms = waited(new JitWarmup(stepsThenIdle(flat)), 20_000, cpu);
            assertTrue(ms < 10_000, "waited " + ms + " ms");
        }
        // still falling by a fifth a step: not settled
        long[] falling = new long[JitWarmup.FLAT_STEPS + 5];
        for (int i = 0; i < falling.length; i++) falling[i] = 1_000_000_000L >> i;
        long ms = waited(new JitWarmup(stepsThenIdle(falling)), 500, BUSY_COMPILER);
        assertTrue(ms >= 500, "waited " + ms + " ms");
    }

    @Test
    void theCompilersCpuTimeIsReadOnLinux() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "no /proc");
        assertTrue(JitWarmup.compilerCpuNanos() >= 0);
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
