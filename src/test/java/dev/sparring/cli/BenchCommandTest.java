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
    void cudaOnlyOptionsAreRefusedOnTheCpuByName() {
        CliTest.Run r = CliTest.run(with("--batch", "4", "--batch-norm", "kernels"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--batch-norm kernels applies to --device cuda"), r.err());
        r = CliTest.run(with("--batch", "4", "--batch-norm", "fast"));
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--batch-norm must be cudnn or kernels, got fast"), r.err());
        r = CliTest.run(with("--batch", "4", "--tf32", "--batch-norm", "kernels"));
        assertTrue(r.err().contains("--tf32 and --batch-norm kernels apply to --device cuda"), r.err());
    }

    @Test
    void cudaGraphsOnTheCpuSayTheyAreNotUsed() {
        CliTest.Run r = CliTest.run(with("--batch", "4", "--cuda-graphs"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("the cpu backend has no step graphs; steps run op by op"), r.err());
        assertTrue(r.out().contains("\"cuda_graph\":false"), r.out());
    }

    @Test
    void trainOptionsStayStrict() {
        CliTest.Run r = CliTest.run("train", "--steps", "1", "--steps", "2");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--steps"), r.err());
    }

    @Test
    void onTheCpuUnsetSizesAreTheDefaultTrainingJob() {
        CliTest.Run r = CliTest.run("bench", "--device", "cpu", "--warmup", "1", "--iters", "1", "--repeats", "1",
                "--phase-iters", "0", "--images", "32");
        assertEquals(0, r.code(), r.err());
        for (String kv : new String[] {"\"image_size\":28", "\"channels\":1", "\"nz\":64", "\"ngf\":32", "\"ndf\":32", "\"batch\":32"}) {
            assertTrue(r.out().contains(kv), kv + " in " + r.out());
        }
        r = CliTest.run(with("--batch", "4"));   // a size given wins
        assertTrue(r.out().contains("\"image_size\":28") && r.out().contains("\"nz\":8") && r.out().contains("\"batch\":4"), r.out());
    }
}
