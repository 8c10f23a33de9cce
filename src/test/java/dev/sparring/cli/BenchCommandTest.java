package dev.sparring.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `sparring bench` on the CPU at a tiny size. */
class BenchCommandTest {
    private static final String[] TINY = {"bench", "--device", "cpu", "--image-size", "28", "--channels", "1", "--nz", "8",
            "--ngf", "8", "--ndf", "8", "--images", "8", "--warmup", "1", "--iters", "1", "--repeats", "1"};

    private static String[] with(String... more) {
        String[] all = java.util.Arrays.copyOf(TINY, TINY.length + more.length);
        System.arraycopy(more, 0, all, TINY.length, more.length);
        return all;
    }

    @Test
    void aLaterValueOfAnOptionReplacesAnEarlierOne() {
        CliTest.Run r = CliTest.run(with("--batch", "8", "--batch", "4"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\"batch\":4"), r.out());
    }

    @Test
    void trainOptionsStayStrict() {
        CliTest.Run r = CliTest.run("train", "--steps", "1", "--steps", "2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--steps"), r.err());
    }
}
