package dev.sparring.train;

import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.data.ImageDataset;
import dev.sparring.nn.Network;
import dev.sparring.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU backend's promise (backend/cpu/Parallel): the same bits on any number of threads. Three steps of the default
 * model (28 px, batch 32, ngf = ndf = 32, class-conditional, with G_ema: every op of the default step, at sizes where
 * the loops split into chunks) are trained here and in JVMs that see 1 and 3 processors (so the pool has 0 and 2
 * workers, the loops other chunk counts, the GEMMs other task counts); every parameter of G, D and G_ema must match bit
 * for bit.
 */
class ThreadCountBitsTest {
    private static final int STEPS = 2;

    /** Trains the default model STEPS steps and prints one line per parameter: network, name and a hash of its bits. */
    public static void main(String[] args) {
        for (String line : digest()) System.out.println(line);
    }

    private static List<String> digest() {
        int n = 32 * STEPS;
        byte[] pixels = new byte[n * 28 * 28];
        int[] labels = new int[n];
        SplittableRandom r = new SplittableRandom(7);
        r.nextBytes(pixels);
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(10);
        ImageDataset data = new ImageDataset("random-" + n, pixels, n, 1, 28, 28, labels);
        TrainConfig cfg = TrainConfig.builder().data("mnist").model(TrainConfig.Model.DCGAN).channels(1).steps(STEPS)
                .logEvery(STEPS).sampleEvery(0).checkpointEvery(0).build();
        List<String> lines = new ArrayList<>();
        try (Backend be = new CpuBackend(); Trainer t = new Trainer(cfg, be, data, TestLosses.nonSaturating())) {
            if (!(t.config().ema() && t.config().classes() > 0 && t.config().ngf() == 32 && t.config().batch() == 32)) {
                throw new AssertionError("not the default model: " + t.config());
            }
            for (int i = 0; i < STEPS; i++) t.step();
            for (Map.Entry<String, Network> net : Map.of("G", t.generator(), "D", t.critic(), "G_ema", t.emaGenerator()).entrySet()) {
                for (Parameter p : net.getValue().namedParameters().values()) {
                    float[] v = be.download(p.value());
                    long h = 1125899906842597L;
                    for (float x : v) h = 31 * h + Float.floatToRawIntBits(x);
                    lines.add(net.getKey() + " " + p.name() + " " + v.length + " " + Long.toHexString(h));
                }
            }
        }
        lines.sort(null);
        return lines;
    }

    @Test
    void trainingGivesTheSameBitsOnOneTwoAndThreeThreads() throws IOException, InterruptedException {
        List<String> here = digest();
        assertTrue(here.size() >= 20, "parameters of G, D and G_ema: " + here.size());
        for (int processors : new int[] {1, 3}) {
            String out = ChildJvm.run("the JVM with " + processors + " processor(s)",
                    List.of("-XX:ActiveProcessorCount=" + processors, "-XX:+UseSerialGC"), ThreadCountBitsTest.class, 120);
            assertEquals(String.join("\n", here), out.strip(), "parameters after " + STEPS + " steps on " + processors + " processor(s) against this JVM's");
        }
    }
}
