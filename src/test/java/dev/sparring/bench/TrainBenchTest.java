package dev.sparring.bench;

import dev.sparring.UserError;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.gan.Dcgan;
import dev.sparring.gan.loss.GanLoss;
import dev.sparring.nn.Conv2d;
import dev.sparring.nn.ConvTranspose2d;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Sequential;
import dev.sparring.random.NoiseStream;
import dev.sparring.train.TrainLoss;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainBenchTest {

    /** Per-sample multiply-adds of each convolution of {@code net}, in forward order, from the layers' own shapes. */
    private static List<Double> layerMacs(Network net) {
        List<Double> macs = new ArrayList<>();
        int[] s = net.outputShape(1);
        int[] in = new int[net.inputShape().length + 1];
        in[0] = 1;
        System.arraycopy(net.inputShape(), 0, in, 1, net.inputShape().length);
        for (Layer l : ((Sequential) net.root()).layers()) {
            int[] out = l.outputShape(in);
            if (l instanceof Conv2d c) {
                // every output element (K, P, Q) sums C R S products
                macs.add((double) out[1] * out[2] * out[3] * c.in * c.kernelH * c.kernelW);
            } else if (l instanceof ConvTranspose2d c) {
                // every input element (Cin, H, W) scatters into Cout R S outputs
                macs.add((double) in[1] * in[2] * in[3] * c.out * c.kernel * c.kernel);
            }
            in = out;
        }
        assertArrayEquals(s, in, "walked to the network's output shape");
        return macs;
    }

    @ParameterizedTest
    @CsvSource({"28, 1, 16, 8, 12, 1", "32, 3, 8, 16, 8, 1", "64, 3, 100, 8, 8, 5"})
    void convFlopsMatchTheNetworksLayerShapes(int size, int channels, int nz, int ngf, int ndf, int dSteps) {
        try (CpuBackend be = new CpuBackend()) {
            Dcgan.Config c = new Dcgan.Config(size, channels, nz, ngf, ndf);
            List<Double> g = layerMacs(Dcgan.generator(be, c, NoiseStream.derive(1, "init")));
            List<Double> d = layerMacs(Dcgan.discriminator(be, c, NoiseStream.derive(1, "init")));
            double gAll = g.stream().mapToDouble(x -> x).sum(), dAll = d.stream().mapToDouble(x -> x).sum();
            double gNoInputGrad = gAll - g.getFirst(), dNoInputGrad = dAll - d.getFirst();
            // critic step: G fwd, D fwd x2, D bwd x2 (weights + inputs but the image's); generator step: D fwd,
            // D bwd (inputs only), G bwd (weights + inputs but z's)
            double perSample = dSteps * (gAll + 2 * dAll + 2 * (dAll + dNoInputGrad)) + (2 * dAll + gAll + gNoInputGrad);
            TrainBench.Options o = new TrainBench.Options(size, channels, nz, ngf, ndf, 4, 4, "nsgan", 1, 1, 1, 0, 0, 1);
            assertEquals(2 * 4 * perSample, TrainBench.convFlopsPerIteration(o, dSteps), 1e-6 * perSample);
        }
    }

    @Test
    void dcgan64IsAbout300ConvGflopPerIteration() {
        // PyTorch's DCGAN at batch 128: G and D each about 104 M multiply-adds per image (hand count in the class doc)
        double gflop = TrainBench.convFlopsPerIteration(TrainBench.Options.dcgan64(), 1) / 1e9;
        assertTrue(gflop > 280 && gflop < 300, "conv GFLOP per iteration " + gflop);
    }

    @Test
    void tinyRunOnTheCpuReportsPositiveRatesAndEveryPhase() {
        TrainBench.Options o = new TrainBench.Options(32, 1, 8, 8, 8, 8, 16, "nsgan", 2, 2, 2, 1, 0, 3);
        try (CpuBackend be = new CpuBackend()) {
            TrainBench.Result r = TrainBench.run(be, o, null, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            assertEquals(2, r.msPerIter().length);
            assertTrue(r.medianMs() > 0 && r.itPerSec() > 0, r.line());
            assertEquals(r.itPerSec() * 8, r.imagesPerSec(), 1e-9);
            assertEquals(List.of("data", "G forward", "zero grads", "D forward", "loss", "D backward", "grad norms", "optimizers", "G backward", "ema"),
                    List.copyOf(r.phases().keySet()));
            assertTrue(r.phases().values().stream().allMatch(v -> v >= 0));
            assertEquals("skipped", r.check().status());
            assertTrue(r.last() != null && r.last().finite() && r.last().step() == 6, String.valueOf(r.last()));
        }
    }

    @Test
    void checkAgainstASecondCpuBackendAgreesBitForBit() {
        TrainBench.Options o = new TrainBench.Options(28, 1, 8, 8, 8, 8, 16, "nsgan", 1, 1, 1, 0, 2, 5);
        try (CpuBackend a = new CpuBackend(); CpuBackend b = new CpuBackend()) {
            TrainBench.Check c = TrainBench.compare(TrainBench.config(o, 2, 2), a, b, TrainBench.syntheticImages(o),
                    TrainLoss.of(GanLoss.parse("nsgan")), false);
            assertEquals("ok", c.status(), c.table());
            assertEquals(0.0, c.maxDiff(), c.table());
            assertTrue(c.table().contains("d_loss") && c.table().contains("grad_norm_g"), c.table());
        }
    }

    @Test
    void optionsNameTheFlagThatIsWrong() {
        var e = assertThrows(dev.sparring.UserError.class, () -> new TrainBench.Options(64, 3, 100, 64, 64, 128, 64, "nsgan", 1, 1, 1, 0, 0, 1));
        assertTrue(e.getMessage().contains("--images"), e.getMessage());
        e = assertThrows(dev.sparring.UserError.class, () -> new TrainBench.Options(48, 3, 100, 64, 64, 8, 64, "nsgan", 1, 1, 1, 0, 0, 1));
        assertTrue(e.getMessage().contains("48"), e.getMessage());
    }

    @Test
    void aSlowBlockSaysHowFarItGot() {
        TrainBench.Options o = new TrainBench.Options(28, 1, 8, 8, 8, 4, 8, "nsgan", 2, 3, 1, 0, 0, 5);
        long was = TrainBench.progressNanos;
        TrainBench.progressNanos = 0;   // every step is "slow"
        var bytes = new java.io.ByteArrayOutputStream();
        try (CpuBackend be = new CpuBackend()) {
            TrainBench.run(be, o, null, new java.io.PrintStream(bytes, true, java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            TrainBench.progressNanos = was;
        }
        String log = bytes.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(log.contains("bench: warm-up: 1/2 steps issued"), log);
        assertTrue(log.contains("bench: block 1/1: 1/3 steps issued") && log.contains("bench: block 1/1: 2/3 steps issued"), log);
        assertTrue(!log.contains("3/3 steps issued"), "the block's own line reports its end: " + log);
    }
}
