package dev.sparring.gan;

import dev.sparring.UserError;
import dev.sparring.backend.Backend;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.nn.Network;
import dev.sparring.random.NoiseStream;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class DcganTest {
    private final Backend be = new CpuBackend();

    private static Map<String, String> shapes(Network n) {
        Map<String, String> m = new LinkedHashMap<>();
        n.namedParameters().forEach((k, p) -> m.put(k, Arrays.toString(p.value().shape())));
        n.namedBuffers().forEach((k, t) -> m.put(k, Arrays.toString(t.shape())));
        n.counters().forEach((k, v) -> m.put(k, "[]"));
        return m;
    }

    /** The state_dict of PyTorch's DCGAN example (nz 100, ngf = ndf = 64, nc 3), keys and shapes. */
    @Test
    void namesAndLayoutsMatchPyTorchsDcganExample() {
        Dcgan.Config c = new Dcgan.Config(64, 3, 100, 64, 64);
        Map<String, String> g = shapes(Dcgan.generator(be, c, new NoiseStream(1, 0)));
        Map<String, String> expectG = new LinkedHashMap<>();
        expectG.put("main.0.weight", "[100, 512, 4, 4]");
        int[] widths = {512, 256, 128, 64};
        for (int i = 0; i < 4; i++) {
            int bn = 1 + 3 * i;
            if (i > 0) expectG.put("main." + (bn - 1) + ".weight", "[" + widths[i - 1] + ", " + widths[i] + ", 4, 4]");
            for (String s : new String[]{"weight", "bias", "running_mean", "running_var"}) expectG.put("main." + bn + "." + s, "[" + widths[i] + "]");
            expectG.put("main." + bn + ".num_batches_tracked", "[]");
        }
        expectG.put("main.12.weight", "[64, 3, 4, 4]");
        assertEquals(new java.util.TreeMap<>(expectG), new java.util.TreeMap<>(g));

        Map<String, String> d = shapes(Dcgan.discriminator(be, c, new NoiseStream(2, 0)));
        Map<String, String> expectD = new LinkedHashMap<>();
        expectD.put("main.0.weight", "[64, 3, 4, 4]");
        int[] dw = {64, 128, 256, 512};
        for (int i = 1; i < 4; i++) {
            int conv = 2 + 3 * (i - 1);
            expectD.put("main." + conv + ".weight", "[" + dw[i] + ", " + dw[i - 1] + ", 4, 4]");
            for (String s : new String[]{"weight", "bias", "running_mean", "running_var"}) expectD.put("main." + (conv + 1) + "." + s, "[" + dw[i] + "]");
            expectD.put("main." + (conv + 1) + ".num_batches_tracked", "[]");
        }
        expectD.put("main.11.weight", "[1, 512, 4, 4]");
        assertEquals(new java.util.TreeMap<>(expectD), new java.util.TreeMap<>(d));
    }

    @Test
    void shapesFor28And32Pixels() {
        for (int size : new int[]{28, 32, 64}) {
            Dcgan.Config c = new Dcgan.Config(size, 1, 10, 8, 8);
            Network g = Dcgan.generator(be, c, new NoiseStream(1, 0));
            Network d = Dcgan.discriminator(be, c, new NoiseStream(2, 0));
            assertArrayEquals(new int[]{5, 1, size, size}, g.outputShape(5), "G output at " + size);
            assertArrayEquals(new int[]{5}, d.outputShape(5), "D output at " + size);
        }
        assertThrows(UserError.class, () -> new Dcgan.Config(48, 1, 10, 8, 8));
    }

    @Test
    void initialisationFollowsRadfordEtAl() {
        Dcgan.Config c = new Dcgan.Config(64, 3, 100, 64, 64);
        Network g = Dcgan.generator(be, c, new NoiseStream(3, 0));
        float[] w = be.download(g.namedParameters().get("main.3.weight").value());
        double mean = 0, sq = 0;
        for (float v : w) { mean += v; sq += v * v; }
        mean /= w.length;
        double std = Math.sqrt(sq / w.length - mean * mean);
        assertEquals(0, mean, 5e-4);
        assertEquals(0.02, std, 5e-4);
        float[] gamma = be.download(g.namedParameters().get("main.1.weight").value());
        double gm = 0;
        for (float v : gamma) gm += v;
        assertEquals(1, gm / gamma.length, 0.01);
        for (float v : be.download(g.namedParameters().get("main.1.bias").value())) assertEquals(0f, v);
    }
}
