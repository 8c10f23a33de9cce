package dev.sparring.gan;

import dev.sparring.UserError;
import dev.sparring.backend.cpu.CpuBackend;
import dev.sparring.nn.Act;
import dev.sparring.nn.Layer;
import dev.sparring.nn.Network;
import dev.sparring.nn.Reshape;
import dev.sparring.nn.Sequential;
import dev.sparring.random.NoiseStream;
import dev.sparring.tensor.Shapes;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** ModelSize's counts against the networks the builders make, and its refusals. */
class ModelSizeTest {
    /** Every layer's output values for one sample (a reshape is a view, an activation fused into a batch norm keeps none), walking the forward pass. */
    private static long outputValues(Network net) {
        int[] shape = net.inputShape();
        int[] s = new int[shape.length + 1];
        s[0] = 1;
        System.arraycopy(shape, 0, s, 1, shape.length);
        long total = 0;
        for (Layer l : ((Sequential) net.root()).layers()) {
            s = l.outputShape(s);
            boolean fused = l instanceof Act a && a.fusedInto() != null;   // passes the batch norm's output through
            if (!(l instanceof Reshape) && !fused) total += Shapes.size(s);
        }
        return total;
    }

    private static long largestWeight(Network net) {
        return net.namedParameters().values().stream().mapToLong(p -> p.value().size()).max().orElse(0);
    }

    @Test
    void countsMatchTheBuiltNetworks() {
        try (CpuBackend be = new CpuBackend()) {
            NoiseStream init = new NoiseStream(1, 0);
            for (int[] c : new int[][] {{28, 1, 64, 32, 32, 0}, {32, 3, 100, 16, 24, 0}, {64, 3, 100, 64, 64, 0}, {64, 1, 7, 5, 3, 0},
                    {28, 1, 64, 32, 32, 10}, {32, 3, 100, 16, 24, 3}}) {
                Dcgan.Config dc = new Dcgan.Config(c[0], c[1], c[2], c[3], c[4], c[5]);
                Network g = Dcgan.generator(be, dc, init), d = Dcgan.discriminator(be, dc, init);
                ModelSize m = ModelSize.dcgan(c[0], c[1], c[2], c[3], c[4], c[5]);
                String what = m.description();
                assertEquals(g.parameterCount(), m.generatorParams(), what);
                assertEquals(d.parameterCount(), m.criticParams(), what);
                if (c[5] > 0) continue;   // the projection critic is not a Sequential: its values are counted above by hand
                assertEquals(outputValues(g), m.generatorValues(), what);
                assertEquals(outputValues(d), m.criticValues(), what);
                assertTrue(m.largestFixed() >= Math.max(largestWeight(g), largestWeight(d)), what);
            }
            for (int[] c : new int[][] {{2, 8, 1}, {64, 128, 3}}) {
                Mlp.Config mc = new Mlp.Config(c[0], c[1], c[2], 2);
                Network g = Mlp.generator(be, mc, init), d = Mlp.discriminator(be, mc, init);
                ModelSize m = ModelSize.mlp(c[0], c[1], c[2], 2);
                assertEquals(g.parameterCount(), m.generatorParams());
                assertEquals(d.parameterCount(), m.criticParams());
                assertEquals(outputValues(g), m.generatorValues());
                assertEquals(outputValues(d), m.criticValues());
            }
        }
    }

    @Test
    void sizesNoArrayCanHoldAreRefusedWithWhatTheyWouldNeed() {
        ModelSize huge = ModelSize.dcgan(28, 1, Integer.MAX_VALUE, 32, 32);
        assertTrue(huge.generatorParams() > ModelSize.MAX_TENSOR, "no int overflow: " + huge.generatorParams());
        UserError e = assertThrows(UserError.class,
                () -> huge.require(32, "to train", huge.trainingBytes(32, 2), Long.MAX_VALUE, "all the memory there is"));
        assertTrue(e.getMessage().contains("--nz 2147483647") && e.getMessage().contains("TiB")
                && e.getMessage().contains("one array can hold"), e.getMessage());
        // widths whose products leave long range saturate instead of wrapping to small numbers
        ModelSize wider = ModelSize.dcgan(64, 3, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, wider.trainingBytes(Integer.MAX_VALUE, 2));
        // a batch of outputs beyond one array
        ModelSize small = ModelSize.dcgan(64, 3, 100, 64, 64);
        small.require(64, "to train", small.trainingBytes(64, 2), Long.MAX_VALUE, "x");
        assertThrows(UserError.class, () -> small.require(1_000_000, "to train", 1, Long.MAX_VALUE, "x"));
        // more bytes than the budget: the message says how much and where the memory comes from
        long need = small.trainingBytes(64, 2);
        e = assertThrows(UserError.class, () -> small.require(64, "to train at --batch 64", need, need - 1, "the 1 GiB free"));
        assertTrue(e.getMessage().contains(ModelSize.bytesText(need)) && e.getMessage().contains("the 1 GiB free"), e.getMessage());
        small.require(64, "to train", need, need, "x");
    }

    @Test
    void bytesReadAsPeopleWriteThem() {
        assertEquals("512 B", ModelSize.bytesText(512));
        assertEquals("1.5 KiB", ModelSize.bytesText(1536));
        assertEquals("196 GiB", ModelSize.bytesText(196L << 30));
        assertEquals("more than 8 EiB", ModelSize.bytesText(Long.MAX_VALUE));
    }
}
