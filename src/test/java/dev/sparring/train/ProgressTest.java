package dev.sparring.train;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.*;

/** The progress line's speed and ETA follow the recent steps, not the slow warm-up ones. */
class ProgressTest {
    @Test
    void speedComesFromTheRecentStepsSoAWarmUpDoesNotInflateTheEta() {
        Progress p = new Progress(new PrintStream(new ByteArrayOutputStream()), 12_000, 0, false);
        long t = 0;
        assertTrue(Double.isNaN(p.recentRate(t, 1)), "one reading: no speed yet");
        // 10 slow warm-up steps (1 s each), then 100 steps per second
        for (int s = 2; s <= 10; s++) p.recentRate(t += 1_000_000_000L, s);
        double rate = Double.NaN;
        for (int s = 11; s <= 10_000; s++) rate = p.recentRate(t += 10_000_000L, s);
        assertEquals(100, rate, 1e-6, "the last " + Progress.WINDOW_S + " s run at 100 steps/s");
        // early in a run the speed counts from the first reading, which the first (slowest) step precedes
        Progress q = new Progress(new PrintStream(new ByteArrayOutputStream()), 100, 0, false);
        q.recentRate(0, 1);
        assertEquals(10, q.recentRate(1_000_000_000L, 11), 1e-9);
    }

    /** Without a terminal (as under the tests), a labelled count of images gives one plain line per tenth, in its own unit. */
    @Test
    void aLabelledCountPrintsAPlainLineEveryTenthWithItsUnit() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(bytes, true), 50, "features of A", "img/s", true);
        for (int done = 5; done <= 50; done += 5) p.update(done);
        p.finish();
        String[] lines = bytes.toString().split("\n");
        assertEquals(10, lines.length, bytes.toString());
        assertTrue(lines[0].startsWith("features of A [==>") && lines[0].contains(" 5/50  10% | ") && lines[0].contains("-- img/s | ETA --:--"), lines[0]);
        assertTrue(lines[9].startsWith("features of A [========================] 50/50 100% | ") && lines[9].contains(" img/s | ETA "), lines[9]);
    }
}
